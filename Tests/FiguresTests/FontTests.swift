import Testing
@testable import Figures

@Suite("Fonts and CJK text")
struct FontTests {
    @Test func cjkStringsGetTheCJKFont() {
        #expect(fontFamily(for: "我是一个学生") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "z(它)") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "ひらがな") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "カタカナ") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "한국어") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "句号。") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "ＡＢＣ") == "WenQuanYi Micro Hei")
        #expect(fontFamily(for: "The animal") == "DejaVu Sans")
        #expect(fontFamily(for: "−∞ × √d_k · Σ") == "DejaVu Sans")
        #expect(fontFamily(for: "") == "DejaVu Sans")
    }

    @Test func chineseHasNoMissingGlyphsInTheChosenFont() {
        #expect(missingGlyphCount(in: "我是一个学生") == 0)
        #expect(missingGlyphCount(in: "我 爱 你 们") == 0)
        #expect(missingGlyphCount(in: "注意力权重：我是一个学生") == 0)
        #expect(missingGlyphCount(in: "한국어 ひらがな カタカナ") == 0)
    }

    @Test func theSameChineseInDejaVuSansIsMissingGlyphs() {
        // This is what goes wrong without the per-string font choice: six boxes.
        #expect(missingGlyphCount(in: "我是一个学生", family: "DejaVu Sans") == 6)
        #expect(missingGlyphCount(in: "我是一个学生", family: "WenQuanYi Micro Hei") == 0)
    }

    @Test func symbolsTheFiguresUseExistInDejaVuSans() {
        for text in ["−∞", "×", "Σ weights", "1/√d_k", "0.31·v(it)", "…", "softmax(QKᵀ/√d_k)", "v₁ vⱼ", "log₂"] {
            #expect(missingGlyphCount(in: text) == 0, "\(text)")
        }
    }

    @Test func measuringUsesTheChosenFont() {
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
