/// Checks, before any work is done, that a figure can be written to `path`: a known extension
/// and an existing, writable folder. Throws the same errors `render` would.
package func checkWritableDestination(_ path: String) throws {
    _ = try FigureFormat(path: path)
    _ = try checkWritableDirectory(for: path)
    try StagedOutputs().checkDestinationIsRegular(path)
}

/// Writes any file (a trace as JSON, say) the way figures are written: a temporary file in the
/// same folder, then a rename, so no reader ever sees half a file.
package func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let directory = try checkWritableDirectory(for: path)
    try writeAtomically(bytes, to: path, directory: directory)
}
