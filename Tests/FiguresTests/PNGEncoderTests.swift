import CCairo
import Foundation
import Testing
@testable import Figures

@Suite("PNG encoder")
struct PNGEncoderTests {
    /// Pixels with what figures have (flat runs, repeated rows) and what they rarely have (noise), so
    /// literals, both kinds of match and several Huffman blocks all occur.
    static func testPixels(width: Int, height: Int, seed: UInt64 = 1) -> [UInt8] {
        var state = seed
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        var rgb = [UInt8](repeating: 0, count: 3 * width * height)
        for y in 0..<height {
            for x in 0..<width {
                let i = 3 * (y * width + x)
                switch (y / 7 + x / 13) % 4 {
                case 0: rgb[i] = 255; rgb[i + 1] = 255; rgb[i + 2] = 255           // flat
                case 1: rgb[i] = UInt8(y % 256); rgb[i + 1] = 40; rgb[i + 2] = 200 // a vertical gradient
                case 2: rgb[i] = next(); rgb[i + 1] = next(); rgb[i + 2] = next()  // noise
                default: rgb[i] = UInt8(x % 256); rgb[i + 1] = UInt8(x / 3 % 256); rgb[i + 2] = 7
                }
            }
        }
        return rgb
    }

    static func decodedRGB(_ png: [UInt8]) throws -> [UInt8] {
        let image = try PNGImage(data: png)
        var rgb: [UInt8] = []
        rgb.reserveCapacity(3 * image.width * image.height)
        for word in image.argb {
            #expect(word >> 24 == 0xFF)
            rgb += [UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
                    UInt8(truncatingIfNeeded: word)]
        }
        return rgb
    }

    static func bigEndian32(_ bytes: [UInt8], _ at: Int) -> Int {
        bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
    }

    @Test(arguments: [(1, 1), (2, 3), (17, 5), (300, 200), (1000, 90)])
    func pixelsSurviveARoundTripThroughCairo(size: (Int, Int)) throws {
        let (width, height) = size
        let rgb = Self.testPixels(width: width, height: height)
        let png = PNGEncoder.encode(width: width, height: height, rgb: rgb)
        let image = try PNGImage(data: png)
        #expect(image.width == width && image.height == height)
        #expect(try Self.decodedRGB(png) == rgb)
    }

    @Test func signatureAndHeaderAreThoseOfAnRGBImage() throws {
        let png = PNGEncoder.encode(width: 300, height: 7, rgb: Self.testPixels(width: 300, height: 7))
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Self.bigEndian32(png, 8) == 13)
        #expect(String(decoding: png[12..<16], as: UTF8.self) == "IHDR")
        #expect(Self.bigEndian32(png, 16) == 300 && Self.bigEndian32(png, 20) == 7)
        #expect(Array(png[24..<29]) == [8, 2, 0, 0, 0])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }

    /// zlib's own inflater must give back exactly the scanlines, across many blocks (the noise makes
    /// far more than one block's worth of symbols).
    @Test func zlibInflatesTheStreamToTheScanlines() throws {
        let width = 700, height = 400
        let rgb = Self.testPixels(width: width, height: height, seed: 9)
        let rowBytes = 1 + 3 * width
        var scanlines = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            scanlines.replaceSubrange((y * rowBytes + 1)..<((y + 1) * rowBytes),
                                      with: rgb[(y * 3 * width)..<((y + 1) * 3 * width)])
        }
        let stream = PNGEncoder.zlibStream(scanlines, rowBytes: rowBytes)
        var inflated = [UInt8](repeating: 0, count: scanlines.count + 1)
        var length = uLongf(inflated.count)
        let status = uncompress(&inflated, &length, stream, uLong(stream.count))
        #expect(status == Z_OK)
        #expect(Int(length) == scanlines.count)
        #expect(Array(inflated.prefix(Int(length))) == scanlines)
        #expect(stream.count < scanlines.count, "flat regions and repeated rows must compress")
    }

    /// Rows longer than deflate's 32 KiB window cannot be matched against the row above.
    @Test func veryWideRowsStillRoundTrip() throws {
        let width = 11_000, height = 3
        let rgb = Self.testPixels(width: width, height: height, seed: 4)
        #expect(try Self.decodedRGB(PNGEncoder.encode(width: width, height: height, rgb: rgb)) == rgb)
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 5552, 100_000])
    func adler32MatchesZlib(length: Int) {
        // All-0xFF bytes are the worst case for the block sums' overflow margin; noise for the rest.
        for bytes in [[UInt8](repeating: 0xFF, count: length), Self.testPixels(width: length, height: 1).prefix(length).map { $0 }] {
            let ours = bytes.withUnsafeBufferPointer { PNGEncoder.adler32($0) }
            let zlibs = bytes.withUnsafeBufferPointer { adler32(1, $0.baseAddress, uInt($0.count)) }
            #expect(UInt(ours) == UInt(zlibs))
        }
    }

    @Test func huffmanCodesStayWithinTheLengthLimitAndAreComplete() {
        // Fibonacci counts make the deepest possible optimal tree (depth n − 1 for n symbols).
        var counts = [1, 1]
        while counts.count < 30 { counts.append(counts[counts.count - 1] + counts[counts.count - 2]) }
        for limit in [7, 15] {
            let lengths = huffmanCodeLengths(counts, limit: limit)
            #expect(lengths.allSatisfy { $0 >= 1 && $0 <= limit })
            let kraft = lengths.reduce(0.0) { $0 + pow(2, -Double($1)) }
            #expect(kraft == 1)
        }
        // A single used symbol still gets a two-symbol code.
        let lone = huffmanCodeLengths([0, 0, 5, 0], limit: 15)
        #expect(lone.filter { $0 > 0 }.count == 2)
    }

    @Test func canonicalCodesMatchTheRFCExample() {
        // RFC 1951 §3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) give codes 010 011 100 101 110 00 1110 1111.
        let codes = canonicalCodes([3, 3, 3, 3, 3, 2, 4, 4])
        let expected: [(UInt32, Int)] = [(0b010, 3), (0b011, 3), (0b100, 3), (0b101, 3), (0b110, 3), (0b00, 2),
                                         (0b1110, 4), (0b1111, 4)]
        for (code, (value, bits)) in zip(codes, expected) {
            // Stored bit-reversed for LSB-first output.
            var reversed: UInt32 = 0
            for i in 0..<bits { reversed |= (value >> UInt32(i) & 1) << UInt32(bits - 1 - i) }
            #expect(code == reversed)
        }
    }

    static let heatmap = Heatmap(
        values: (0..<16).map { r in (0..<16).map { c in Float((r * 7 + c * 3) % 16) / 15 } },
        rowLabels: (0..<16).map { "q\($0)" }, columnLabels: (0..<16).map { "key \($0)" },
        title: "Encoder test", subtitle: "pixels must match Cairo's writer", colorMap: .viridis,
        valueRange: 0...1, showValues: true, colorBarLabel: "weight", xAxisTitle: "key", yAxisTitle: "query")

    /// A real figure: the encoder's file decodes to the same pixels as Cairo's own PNG of the same canvas.
    @Test func figurePixelsEqualCairosOwnPNG() throws {
        let chart = Self.heatmap
        let canvas = try Canvas(format: .png, size: chart.preferredSize, scale: 2)
        canvas.fillBackground()
        try chart.draw(on: canvas, in: Rect(origin: .zero, size: chart.preferredSize))
        let ours = try canvas.pngData()
        let cairos = try canvas.cairoPNGData()
        let a = try PNGImage(data: ours), b = try PNGImage(data: cairos)
        #expect(a.width == b.width && a.height == b.height)
        #expect(a.argb == b.argb)
        #expect(ours.count < 3 * cairos.count, "at most a few times larger than libpng's file")
    }

    @Test func reRenderingGivesTheSameBytes() throws {
        let first = try renderPNGData(Self.heatmap)
        let second = try renderPNGData(Self.heatmap)
        #expect(first == second)
    }

    /// Slide programs size an image by its pHYs chunk: a 2× figure says 144 pixels per inch, so it
    /// opens at the size it was drawn. The title rides along for the gallery.
    @Test func renderedFiguresCarryTheirResolutionAndTitle() throws {
        let map = Heatmap(values: [[0.25, 0.75]], rowLabels: ["a"], columnLabels: ["b", "c"], title: "注意力 weights")
        let png = try renderPNGData(map, scale: 2)
        guard let start = png.indices.dropLast(4).first(where: { Array(png[$0..<($0 + 4)]) == Array("pHYs".utf8) }) else {
            Issue.record("no pHYs chunk")
            return
        }
        let field = { (o: Int) in png[(start + 4 + o)..<(start + 8 + o)].reduce(0) { $0 << 8 | Int($1) } }
        #expect(field(0) == 5669 && field(4) == 5669)   // 144 / 0.0254 pixels per metre
        #expect(png[start + 12] == 1)                   // unit: metre
        #expect(pngTitle(png) == "注意力 weights")
        #expect(pngTitle(try renderPNGData(map, scale: 1)) == "注意力 weights")
        #expect(pngTitle(Array(png.prefix(40))) == nil)
    }
}
