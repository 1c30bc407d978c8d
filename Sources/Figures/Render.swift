import CCairo
import Foundation

/// Something that can be drawn into a rectangle of a canvas.
public protocol Chart {
    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    var preferredSize: Size { get }
    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    func draw(on canvas: Canvas, in frame: Rect) throws
}

/// Renders `chart` at its preferred size into a canvas of `format` and returns the file contents.
public func renderData(_ chart: any Chart, format: FigureFormat, scale: Double = 2) throws -> [UInt8] {
    let size = chart.preferredSize
    let canvas = try Canvas(format: format, size: size, scale: scale)
    canvas.fillBackground()
    try chart.draw(on: canvas, in: Rect(origin: .zero, size: size))
    return try canvas.fileData()
}

/// The PNG file contents for `chart` at its preferred size, `scale` pixels per unit.
public func renderPNGData(_ chart: any Chart, scale: Double = 2) throws -> [UInt8] {
    try renderData(chart, format: .png, scale: scale)
}

/// Renders a chart to a file; the format comes from the extension (.png, .svg, .pdf, any case).
/// `scale` is device pixels per user unit for PNG (default 2: crisp on slides); vector formats ignore it.
///
/// Checks first that the extension is known (`FigureError.unsupportedFormat`) and that the directory
/// exists (`.directoryMissing`) and is writable (`.notWritable`). The whole figure is drawn in memory,
/// written to a temporary file in the same directory, then renamed over `path`: readers never see a
/// half-written figure, and on any error neither the figure nor the temporary file is left behind.
public func render(_ chart: any Chart, to path: String, scale: Double = 2) throws {
    let format = try FigureFormat(path: path)
    let directory = try checkWritableDirectory(for: path)
    let bytes = try renderData(chart, format: format, scale: scale)
    try writeAtomically(bytes, to: path, directory: directory)
}

/// The directory `path` would be written into, after checking it exists and is writable.
/// `isWritable` is the access(2) check; injectable so the error path can be tested as root.
func checkWritableDirectory(for path: String,
                            isWritable: (String) -> Bool = { access($0, W_OK | X_OK) == 0 }) throws -> String {
    let parent = (path as NSString).deletingLastPathComponent
    let directory = parent.isEmpty ? "." : parent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw FigureError.directoryMissing(path: directory)
    }
    guard isWritable(directory) else {
        throw FigureError.notWritable(path: directory)
    }
    return directory
}

/// Writes `bytes` to a fresh temporary file next to `path`, flushes it, and renames it over `path`
/// (see `StagedOutputs`, which also names the cause of a failure and refuses a FIFO or device).
func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
    try writeOneFileAtomically(bytes, to: path)
}
