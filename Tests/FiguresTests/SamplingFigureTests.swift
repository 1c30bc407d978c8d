import Foundation
import Testing
@testable import Figures

@Suite("Sampling figure")
struct SamplingFigureTests {
    static let tokens = ["student", "teacher", "doctor", "cat", "garden", "apple"]

    /// Hand-made stages: T = 0.7 sharpens, top-k = 4 drops the last two, top-p = 0.8 keeps three.
    static var figure: SamplingFigure {
        SamplingFigure(
            title: "Sampling the next token after \"I am a\"",
            subtitle: "the same distribution before and after each step; the drawn token in red",
            tokens: tokens,
            original: [0.40, 0.22, 0.15, 0.10, 0.08, 0.05],
            temperature: 0.7,
            afterTemperature: [0.50, 0.21, 0.12, 0.07, 0.06, 0.04],
            k: 4, afterTopK: [0.55, 0.23, 0.13, 0.09, 0, 0],
            p: 0.8, afterTopP: [0.61, 0.25, 0.14, 0, 0, 0],
            chosenIndex: 1)
    }

    static var stepFigure: DecodingStepFigure {
        DecodingStepFigure(title: "Decoding step 3", decoderInput: ["<s>", "I", "am"],
                           candidates: ["a", "the", "student", "</s>", "an"],
                           probabilities: [0.81, 0.08, 0.05, 0.04, 0.02], chosenIndex: 0,
                           sourceTokens: ["我", "是", "一个", "学生"], crossAttention: [0.05, 0.15, 0.7, 0.1])
    }

    @Test func oneBarPerTokenInEveryPanelOnOneScale() throws {
        let figure = Self.figure
        #expect(figure.panels.count == 4)
        for panel in figure.panels {
            #expect(panel.values.count == Self.tokens.count)
            #expect(panel.categories == Self.tokens)
            #expect(panel.resolvedYRange == figure.panels[0].resolvedYRange)
        }
        // Removed tokens have no height; kept ones do.
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        #expect(figure.barRect(stage: 2, index: 4, in: frame).height < 1e-9)
        #expect(figure.barRect(stage: 2, index: 3, in: frame).height > 5)
        #expect(figure.barRect(stage: 3, index: 3, in: frame).height < 1e-9)
    }

    @Test func chosenBarIsHighlightedAndOthersAreNot() throws {
        let figure = Self.figure
        let image = try renderedImage(figure)
        #expect((image.width, image.height) == expectedPixels(figure))
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        for stage in 0..<4 {
            let chosen = figure.barRect(stage: stage, index: 1, in: frame)
            let pixel = image.pixel(at: Point(x: chosen.midX, y: chosen.maxY - 3), scale: 2)
            // Only the last (draw) panel marks the drawn token; earlier stages show plain bars.
            let expected = stage == 3 ? SamplingFigure.chosenColor : SamplingFigure.barColor
            #expect(channelDistance(pixel, expected) <= 1, "stage \(stage): \(describe(pixel))")
            let other = figure.barRect(stage: stage, index: 0, in: frame)
            let plain = image.pixel(at: Point(x: other.midX, y: other.maxY - 3), scale: 2)
            #expect(channelDistance(plain, SamplingFigure.barColor) <= 1, "stage \(stage): \(describe(plain))")
        }
        #expect(try renderPNGData(figure) == renderPNGData(figure))
    }

    @Test func stepFigureHighlightsTheChosenCandidate() throws {
        let figure = Self.stepFigure
        let image = try renderedImage(figure)
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        let chosen = figure.barRect(index: 0, in: frame)
        #expect(channelDistance(image.pixel(at: Point(x: chosen.midX, y: chosen.maxY - 3), scale: 2),
                                SamplingFigure.chosenColor) <= 1)
        let other = figure.barRect(index: 1, in: frame)
        #expect(channelDistance(image.pixel(at: Point(x: other.midX, y: other.maxY - 2), scale: 2),
                                SamplingFigure.barColor) <= 1)
        for text in figure.sourceTokens { #expect(missingGlyphCount(in: text) == 0) }
    }

    @Test func mismatchedDataIsRejected() throws {
        var figure = Self.figure
        figure.stages[2].probabilities.removeLast()
        #expect(throws: FigureError.self) { try renderPNGData(figure) }
        figure = Self.figure
        figure.chosenIndex = 6
        #expect(throws: FigureError.self) { try renderPNGData(figure) }
    }
}
