import Foundation

/// What can go wrong while drawing or writing a figure.
public enum FigureError: Error, CustomStringConvertible, Equatable {
    /// The file extension is not one of .png, .svg, .pdf.
    case unsupportedFormat(path: String)
    /// The directory the figure should go into does not exist.
    case directoryMissing(path: String)
    /// The directory (or file) cannot be written.
    case notWritable(path: String)
    /// Cairo reported an error.
    case cairo(operation: String, status: String)
    /// The data cannot be drawn: empty matrix, ragged rows, label count mismatch, …
    case invalidData(String)

    /// A one-line message saying what failed and, where there is one, the fix.
    public var description: String {
        switch self {
        case .unsupportedFormat(let path):
            let ext = (path as NSString).pathExtension
            let what = ext.isEmpty ? "no extension" : "extension .\(ext)"
            return "cannot write figure \(path): \(what) is not supported; use .png, .svg or .pdf"
        case .directoryMissing(let path):
            return "cannot write figure: directory \(path) does not exist (create it first)"
        case .notWritable(let path):
            return "cannot write figure: \(path) is not writable"
        case .cairo(let operation, let status):
            return "cairo failed to \(operation): \(status)"
        case .invalidData(let message):
            return "cannot draw figure: \(message)"
        }
    }
}

/// The output format, chosen by file extension.
public enum FigureFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    /// `FigureFormat(path: "out/attention.PNG")` is `.png`; unknown extensions throw
    /// `FigureError.unsupportedFormat`.
    public init(path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        guard let format = FigureFormat(rawValue: ext) else {
            throw FigureError.unsupportedFormat(path: path)
        }
        self = format
    }

    /// "png", "svg" or "pdf", without the dot.
    public var fileExtension: String { rawValue }
}

extension FigureError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
