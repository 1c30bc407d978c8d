import Foundation
import Testing
@testable import Figures

@Suite("Writing figures to files")
struct RenderFileTests {
    let chart = Heatmap(values: [[0.1, 0.9], [0.5, 0.5]], rowLabels: ["a", "b"], columnLabels: ["c", "d"],
                        title: "File test")

    @Test func pngIsWrittenAtomicallyWithTheExpectedSize() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/figure.png"
        try render(chart, to: path)
        #expect(contents(of: dir) == ["figure.png"], "no temporary files may remain")
        let image = try PNGImage(contentsOf: path)
        #expect((image.width, image.height) == expectedPixels(chart, scale: 2))
        // Scale 1 and 3 give proportionally sized images.
        try render(chart, to: path, scale: 1)
        #expect(try PNGImage(contentsOf: path).width == expectedPixels(chart, scale: 1).0)
        try render(chart, to: path, scale: 3)
        #expect(try PNGImage(contentsOf: path).height == expectedPixels(chart, scale: 3).1)
        #expect(contents(of: dir) == ["figure.png"])
        // The file holds exactly what renderPNGData produces.
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == (try renderPNGData(chart, scale: 3)))
    }

    @Test func extensionIsCaseInsensitive() throws {
        #expect(try FigureFormat(path: "a/b/Figure.PNG") == .png)
        #expect(try FigureFormat(path: "x.Svg") == .svg)
        #expect(try FigureFormat(path: "x.pdf") == .pdf)
        #expect(throws: FigureError.unsupportedFormat(path: "x.jpeg")) { try FigureFormat(path: "x.jpeg") }
        #expect(throws: FigureError.unsupportedFormat(path: "noextension")) { try FigureFormat(path: "noextension") }
        let message = FigureError.unsupportedFormat(path: "out/fig.jpg").description
        #expect(message.contains(".png") && message.contains(".svg") && message.contains(".pdf") && message.contains(".jpg"))
    }

    @Test func missingDirectoryThrowsAndCreatesNothing() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let missing = dir + "/not-here"
        #expect(throws: FigureError.directoryMissing(path: missing)) {
            try render(chart, to: missing + "/figure.png")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(contents(of: dir).isEmpty)
    }

    @Test func unsupportedExtensionThrowsAndCreatesNothing() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        #expect(throws: FigureError.unsupportedFormat(path: dir + "/figure.jpg")) {
            try render(chart, to: dir + "/figure.jpg")
        }
        #expect(contents(of: dir).isEmpty)
    }

    @Test func invalidDataThrowsAndLeavesNoFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let ragged = Heatmap(values: [[1, 2], [3]], rowLabels: ["a", "b"], columnLabels: ["c", "d"])
        for ext in ["png", "svg", "pdf"] {
            let error = #expect(throws: FigureError.self) { try render(ragged, to: dir + "/bad.\(ext)") }
            guard case .invalidData = error else { Issue.record("expected invalidData, got \(String(describing: error))"); continue }
        }
        #expect(contents(of: dir).isEmpty)
    }

    @Test func failedRenderKeepsThePreviousFile() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/figure.png"
        try render(chart, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let ragged = Heatmap(values: [[1, 2], [3]], rowLabels: ["a", "b"], columnLabels: ["c", "d"])
        #expect(throws: FigureError.self) { try render(ragged, to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(contents(of: dir) == ["figure.png"])
    }

    /// Root ignores permission bits (access(2) says root may write a 0555 directory), so this case only
    /// means something for an ordinary user; the next test covers the same error path as root.
    @Test(.enabled(if: geteuid() != 0, "running as root: permission bits are not enforced"))
    func readOnlyDirectoryThrowsNotWritable() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        #expect(chmod(dir, 0o555) == 0)
        #expect(access(dir, W_OK) != 0)
        #expect(throws: FigureError.notWritable(path: dir)) { try render(chart, to: dir + "/figure.png") }
        chmod(dir, 0o755)
        #expect(contents(of: dir).isEmpty)
    }

    @Test func unwritableDirectoryIsReportedBeforeDrawing() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        // The same check render() makes, with access(2) answering "no" as it does for a non-root user
        // on a 0555 directory.
        #expect(throws: FigureError.notWritable(path: dir)) {
            _ = try checkWritableDirectory(for: dir + "/figure.png", isWritable: { _ in false })
        }
        #expect(try checkWritableDirectory(for: dir + "/figure.png") == dir)
        #expect(try checkWritableDirectory(for: "figure.png", isWritable: { _ in true }) == ".")
        // A path whose "directory" is a file is not a directory.
        #expect(FileManager.default.createFile(atPath: dir + "/file", contents: Data()))
        #expect(throws: FigureError.directoryMissing(path: dir + "/file")) {
            _ = try checkWritableDirectory(for: dir + "/file/figure.png")
        }
        // The real access(2) check agrees with the kernel for this process.
        #expect(chmod(dir, 0o555) == 0)
        let writable = access(dir, W_OK) == 0
        #expect(writable == (geteuid() == 0))
        chmod(dir, 0o755)
    }

    @Test func svgAndPDFAreWritten() throws {
        let dir = try makeTemporaryDirectory()
        defer { removeDirectory(dir) }
        try render(chart, to: dir + "/figure.svg")
        try render(chart, to: dir + "/figure.PDF")
        #expect(contents(of: dir) == ["figure.PDF", "figure.svg"])
        let svg = try String(contentsOfFile: dir + "/figure.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        #expect(svg.contains("<svg"))
        #expect(svg.count > 1000)
        let pdf = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/figure.PDF")))
        #expect(pdf.count > 1000)
        #expect(Array(pdf.prefix(4)) == Array("%PDF".utf8))
        // Vector documents are sized in points: the chart's preferred size.
        let size = chart.preferredSize
        #expect(svg.contains("width=\"\(Int(size.width))pt\"") || svg.contains("width=\"\(Int(size.width))\""))
    }
}

@Suite("PNG reading and the canvas")
struct CanvasTests {
    @Test func pngImageRejectsMissingFilesAndGarbage() {
        #expect(throws: FigureError.self) { try PNGImage(contentsOf: "/nonexistent/figure.png") }
        #expect(throws: FigureError.self) { try PNGImage(data: [1, 2, 3, 4, 5]) }
        #expect(throws: FigureError.self) { try PNGImage(data: []) }
    }

    @Test func canvasPrimitivesDrawWhereAsked() throws {
        let canvas = try Canvas(size: Size(width: 100, height: 60), scale: 2)
        canvas.fillBackground()
        canvas.fillRect(Rect(x: 10, y: 10, width: 20, height: 20), color: RGB(hex: 0x336699))
        canvas.line(from: Point(x: 50, y: 5), to: Point(x: 50, y: 55), color: RGB(hex: 0xCC0000), width: 4)
        canvas.circle(center: Point(x: 80, y: 30), radius: 8, fill: RGB(hex: 0x00AA00))
        let bounds = canvas.text("我是", at: Point(x: 10, y: 50), size: 8, alignment: .left, verticalAlignment: .baseline)
        #expect(bounds.width > 10 && bounds.maxY > 50)
        let image = try PNGImage(data: canvas.pngData())
        #expect(image.width == 200 && image.height == 120)
        #expect(channelDistance(image.pixel(at: Point(x: 20, y: 20), scale: 2), RGB(hex: 0x336699)) == 0)
        #expect(channelDistance(image.pixel(at: Point(x: 50, y: 30), scale: 2), RGB(hex: 0xCC0000)) == 0)
        #expect(channelDistance(image.pixel(at: Point(x: 80, y: 30), scale: 2), RGB(hex: 0x00AA00)) == 0)
        #expect(channelDistance(image.pixel(at: Point(x: 95, y: 5), scale: 2), .white) == 0)
    }

    @Test func canvasRejectsBadSizes() {
        #expect(throws: FigureError.self) { try Canvas(size: Size(width: 0, height: 10)) }
        #expect(throws: FigureError.self) { try Canvas(size: Size(width: 10, height: 10), scale: 0) }
        #expect(throws: FigureError.self) { try Canvas(size: Size(width: 100_000, height: 10), scale: 2) }
    }
}
