import Testing
@testable import Figures

@Suite("Fonts and CJK text")
struct FontTests {
    /// Latin, CJK, full-width punctuation and an emoji in one string: Pango finds a glyph for every
    /// character and keeps the Latin letters in the Latin face (Cairo's toy API drew the whole
    /// string in the CJK face and the emoji as a box).
    static let mixed = "Attention 注意力，学生！ pizza 🍕 ＡＢＣ end"

    @Test func mixedScriptsRenderWithoutUnknownGlyphs() {
        #expect(missingGlyphCount(in: Self.mixed) == 0)
        #expect(missingGlyphCount(in: "🍕") == 0)
        // The one-font view shows what the fallback fixes.
        #expect(missingGlyphCount(in: Self.mixed, family: "DejaVu Sans") >= 9)
    }

    @Test func latinRunsUseTheLatinFace() {
        let runs = fontRuns(in: Self.mixed)
        #expect(runs.count >= 4, "\(runs)")
        for run in runs {
            let latin = run.text.unicodeScalars.allSatisfy { $0.isASCII }
            let hasLetters = run.text.unicodeScalars.contains { $0.properties.isAlphabetic && $0.isASCII }
            if latin && hasLetters { #expect(run.family == latinFontFamily, "\(run)") }
            if run.text.unicodeScalars.contains(where: { (0x4E00...0x9FFF).contains($0.value) }) {
                #expect(run.family == cjkFontFamily, "\(run)")
            }
            if run.text.contains("🍕") { #expect(run.family == emojiFontFamily, "\(run)") }
        }
        #expect(runs.first?.text.hasPrefix("Attention") == true && runs.first?.family == latinFontFamily)
        #expect(runs.contains { $0.text.contains("🍕") })
    }

    @Test func aRotatedCJKLabelIsTallerThanWideAndItsCharactersStandUpright() throws {
        let m = TextMeasurer()
        let label = "我是学生"
        let box = m.metrics(label, size: 20, rotation: 90).bounds(at: .zero, rotation: 90)
        #expect(box.height > 2 * box.width, "\(box)")
        // 一 is one horizontal stroke: upright in a vertical label its ink stays wide and flat;
        // laid on its side (Cairo's toy text, or Pango at 45°) it would be tall and narrow.
        for (rotation, wide) in [(90.0, true), (0.0, true)] {
            let canvas = try Canvas(size: Size(width: 80, height: 80), scale: 2)
            canvas.fillBackground()
            canvas.text("一", at: Point(x: 40, y: 40), size: 40, alignment: .center, verticalAlignment: .middle,
                        rotation: rotation)
            let image = try PNGImage(data: canvas.pngData())
            var minX = Int.max, maxX = Int.min, minY = Int.max, maxY = Int.min
            for y in 0..<image.height {
                for x in 0..<image.width where image.pixel(x: x, y: y).0 < 128 {
                    minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                }
            }
            #expect(maxX >= minX, "no ink at rotation \(rotation)")
            let inkWidth = maxX - minX + 1, inkHeight = maxY - minY + 1
            #expect((inkWidth > 3 * inkHeight) == wide, "rotation \(rotation): ink \(inkWidth)×\(inkHeight)")
        }
    }

    /// Ink bounds (minX, minY, maxX, maxY) of dark pixels, nil when there is none.
    static func inkBounds(_ image: PNGImage) -> (Int, Int, Int, Int)? {
        var minX = Int.max, maxX = Int.min, minY = Int.max, maxY = Int.min
        for y in 0..<image.height {
            for x in 0..<image.width where image.pixel(x: x, y: y).0 < 128 {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        return maxX >= minX ? (minX, minY, maxX, maxY) : nil
    }

    /// A vertical label mixing CJK and Latin reads top to bottom in its own order: drawn at −90°,
    /// "一" followed by "MMMM" puts exactly the ink of "一" alone at the top, and the Latin below it.
    /// Axis titles are centred and turned +90°; one with Chinese in it is drawn at −90° instead,
    /// the direction in which a mixed title reads from the top down (see the test below).
    @Test func aCentredVerticalTitleWithChineseIsTurnedClockwise() throws {
        func draw(_ text: String, _ rotation: Double) throws -> [UInt8] {
            let canvas = try Canvas(size: Size(width: 60, height: 200), scale: 2)
            canvas.fillBackground()
            canvas.text(text, at: Point(x: 30, y: 100), size: 20, alignment: .center, verticalAlignment: .middle,
                        rotation: rotation)
            return try canvas.pngData()
        }
        #expect(try draw("PE 值", 90) == draw("PE 值", -90))
        #expect(try draw("查询", 90) == draw("查询", -90))
        #expect(try draw("PE value", 90) != draw("PE value", -90))
    }

    @Test func aVerticalMixedLabelKeepsItsReadingOrder() throws {
        func draw(_ text: String) throws -> PNGImage {
            let canvas = try Canvas(size: Size(width: 60, height: 200), scale: 2)
            canvas.fillBackground()
            canvas.text(text, at: Point(x: 30, y: 10), size: 24, alignment: .left, verticalAlignment: .middle,
                        rotation: -90)
            return try PNGImage(data: canvas.pngData())
        }
        let alone = try draw("一"), mixed = try draw("一MMMM")
        let a = try #require(Self.inkBounds(alone)), b = try #require(Self.inkBounds(mixed))
        #expect(a.1 == b.1, "the label starts with 一 at the top")
        #expect(b.3 > a.3 + 60, "the Latin run continues below")
        // The rows of 一 hold the same ink in both, and 一 stands upright (wide and flat).
        for y in a.1...a.3 {
            for x in 0..<alone.width {
                #expect(alone.pixel(x: x, y: y) == mixed.pixel(x: x, y: y), "pixel \(x), \(y)")
            }
        }
        #expect(a.2 - a.0 > 3 * (a.3 - a.1 + 1))
        // Axis labels with a CJK character in a narrow slot go vertical at −90°, so they read downwards.
        let labels = AxisLabels(labels: ["BPE 分词", "tokens"], size: 13, TextMeasurer(), slot: 16, below: true)
        #expect(labels.rotation == -90)
        #expect(labels.placements.allSatisfy { $0.bounds.height > $0.bounds.width })
        let latin = AxisLabels(labels: ["tokens", "words"], size: 13, TextMeasurer(), slot: 14, below: true)
        #expect(latin.rotation == 90)
    }

    @Test func chineseHasNoMissingGlyphsInTheChosenFont() {
        #expect(missingGlyphCount(in: "我是一个学生") == 0)
        #expect(missingGlyphCount(in: "我 爱 你 们") == 0)
        #expect(missingGlyphCount(in: "注意力权重：我是一个学生") == 0)
        #expect(missingGlyphCount(in: "한국어 ひらがな カタカナ") == 0)
    }

    @Test func theSameChineseInDejaVuSansIsMissingGlyphs() {
        // This is what goes wrong without font fallback: six boxes.
        #expect(missingGlyphCount(in: "我是一个学生", family: "DejaVu Sans") == 6)
        #expect(missingGlyphCount(in: "我是一个学生", family: "WenQuanYi Micro Hei") == 0)
    }

    @Test func symbolsTheFiguresUseExistInDejaVuSans() {
        for text in ["−∞", "×", "Σ weights", "1/√d_k", "0.31·v(it)", "…", "softmax(QKᵀ/√d_k)", "v₁ vⱼ", "log₂"] {
            #expect(missingGlyphCount(in: text) == 0, "\(text)")
        }
    }

    @Test func measuringFollowsTheFallbackFonts() {
        let m = TextMeasurer()
        let chinese = m.metrics("我是", size: 20)
        #expect(chinese.width > 30 && chinese.width < 50)   // two roughly square 20-pt ideographs
        #expect(m.width("The animal", size: 26) > m.width("The animal", size: 13) * 1.9)
        #expect(m.width("", size: 13) == 0)
    }

    @Test func rotatedTextBoundsSwapWidthAndHeight() {
        let metrics = TextMetrics(width: 100, ascent: 12, descent: 3)
        let flat = metrics.bounds(at: Point(x: 50, y: 50), alignment: .left, verticalAlignment: .baseline)
        #expect(flat == Rect(x: 50, y: 38, width: 100, height: 15))
        let up = metrics.bounds(at: Point(x: 50, y: 50), alignment: .left, verticalAlignment: .baseline, rotation: 90)
        // Reading bottom to top: the text runs upwards from the anchor.
        #expect(abs(up.width - 15) < 1e-9 && abs(up.height - 100) < 1e-9)
        #expect(abs(up.maxY - 50) < 1e-9 && abs(up.minY + 50) < 1e-9)
        let slanted = metrics.bounds(at: .zero, alignment: .right, verticalAlignment: .middle, rotation: 45)
        // Right-aligned at 45°: the text lies down and to the left of its anchor.
        #expect(slanted.maxX < 15 && slanted.minX < -60 && slanted.maxY > 60)
    }
}
