import Foundation
import Testing
@testable import Figures

/// A fresh, empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("FiguresTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
}

func removeDirectory(_ path: String) {
    chmod(path, 0o755)
    try? FileManager.default.removeItem(atPath: path)
}

func contents(of directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// The largest per-channel difference between a pixel and a colour's 8-bit value.
func channelDistance(_ pixel: (UInt8, UInt8, UInt8), _ color: RGB) -> Int {
    let (r, g, b) = color.bytes
    return max(abs(Int(pixel.0) - Int(r)), abs(Int(pixel.1) - Int(g)), abs(Int(pixel.2) - Int(b)))
}

func describe(_ pixel: (UInt8, UInt8, UInt8)) -> String {
    RGB(red: Double(pixel.0) / 255, green: Double(pixel.1) / 255, blue: Double(pixel.2) / 255).hexString
}

extension PNGImage {
    /// The pixel under a point given in user units, for an image rendered at `scale`.
    func pixel(at p: Point, scale: Double) -> (UInt8, UInt8, UInt8) {
        pixel(x: Int((p.x * scale).rounded(.down)), y: Int((p.y * scale).rounded(.down)))
    }
}

/// Renders a chart to PNG data and decodes it again.
func renderedImage(_ chart: any Chart, scale: Double = 2) throws -> PNGImage {
    try PNGImage(data: renderPNGData(chart, scale: scale))
}

/// Expected pixel size of a chart rendered at `scale`.
func expectedPixels(_ chart: any Chart, scale: Double = 2) -> (Int, Int) {
    let size = chart.preferredSize
    return (Int((size.width * scale).rounded()), Int((size.height * scale).rounded()))
}

/// The tokens of the running example sentence.
let sentence = "The animal didn't cross the street because it was too tired".split(separator: " ").map(String.init)
