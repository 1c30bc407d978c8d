import Foundation
import Testing
@testable import Figures

@Suite("Shift-right diagram")
struct ShiftRightDiagramTests {
    static let short = ShiftRightDiagram(
        title: "Teacher forcing: the decoder input is the target shifted right",
        sourceTokens: ["我", "是", "一个", "学生"], targetTokens: ["I", "am", "a", "student"])

    /// 9 source tokens, 8 target tokens; attention mostly on a shuffled diagonal (the word-order example).
    static var long: ShiftRightDiagram {
        let source = ["我", "昨天", "在", "花园", "里", "看到", "了", "一只", "猫"]
        let target = ["I", "saw", "a", "cat", "in", "the", "garden", "yesterday"]
        // Which source token each decoder position (predicting target t) mostly looks at.
        let focus = [0, 5, 7, 8, 2, 3, 3, 1, 6]
        let weights: [[Float]] = focus.enumerated().map { t, f in
            let raw = source.indices.map { s -> Float in
                s == f ? 6 : 0.4 + 0.3 * Float((s * 7 + t * 3) % 5)
            }
            let total = raw.reduce(0, +)
            return raw.map { $0 / total }
        }
        return ShiftRightDiagram(
            title: "我昨天在花园里看到了一只猫 → I saw a cat in the garden yesterday",
            subtitle: "At position t the decoder sees <s> and the first t target words, and must predict word t",
            sourceTokens: source, targetTokens: target, crossAttention: weights)
    }

    @Test func boxesPerRowMatchTheTokenCounts() throws {
        for diagram in [Self.short, Self.long] {
            let L = diagram.layout()
            #expect(L.rows.count == 3)
            #expect(L.sourceBoxes.count == diagram.sourceTokens.count)
            #expect(L.decoderInputBoxes.count == diagram.targetTokens.count + 1)
            #expect(L.targetBoxes.count == diagram.targetTokens.count + 1)
            // Rows top to bottom, boxes left to right without overlap, all inside the figure.
            let frame = Rect(origin: .zero, size: L.size)
            #expect(L.sourceBoxes[0].maxY < L.decoderInputBoxes[0].minY)
            #expect(L.decoderInputBoxes[0].maxY < L.targetBoxes[0].minY)
            for row in L.rows {
                for (a, b) in zip(row, row.dropFirst()) { #expect(a.maxX < b.minX) }
                for box in row { #expect(frame.contains(box)) }
            }
            // Each decoder-input box sits right above the target it predicts.
            for (a, b) in zip(L.decoderInputBoxes, L.targetBoxes) { #expect(abs(a.midX - b.midX) < 1e-9) }
            #expect(frame.contains(L.maskGrid))
            // The mask sits beside the rows, not on them.
            let rightmost = L.rows.flatMap { $0 }.map(\.maxX).max()!
            #expect(L.maskGrid.minX > rightmost)
        }
        #expect(Self.short.decoderInputTokens == ["<s>", "I", "am", "a", "student"])
        #expect(Self.short.labelTokens == ["I", "am", "a", "student", "</s>"])
    }

    @Test func textNeverOverlapsAndStaysInside() throws {
        let m = TextMeasurer()
        for diagram in [Self.short, Self.long] {
            let L = diagram.layout(m)
            let frame = Rect(origin: .zero, size: L.size)
            let bounds = L.texts.map { $0.bounds(m) }
            for (i, a) in bounds.enumerated() {
                #expect(frame.contains(a), "\(L.texts[i].text) leaves the figure")
                // Rotated column labels of the mask have overlapping boxes but not overlapping ink.
                guard L.texts[i].rotation == 0 else { continue }
                for (j, b) in bounds.enumerated() where j > i && L.texts[j].rotation == 0 {
                    #expect(!a.insetBy(0.5).intersects(b.insetBy(0.5)), "\(L.texts[i].text) overlaps \(L.texts[j].text)")
                }
            }
        }
    }

    @Test func chineseLabelsHaveEveryGlyph() throws {
        for diagram in [Self.short, Self.long] {
            for text in diagram.labels { #expect(missingGlyphCount(in: text) == 0, "\(text)") }
            #expect(diagram.labels.contains("学生") || diagram.labels.contains("花园"))
        }
    }

    @Test func maskCellsAreVisibleOnAndBelowTheDiagonalOnly() throws {
        let diagram = Self.short
        let image = try renderedImage(diagram)
        #expect((image.width, image.height) == expectedPixels(diagram))
        let frame = Rect(origin: .zero, size: diagram.preferredSize)
        let visible = ShiftRightDiagram.maskVisibleColor
        for q in 0..<5 {
            for k in 0..<5 {
                let pixel = image.pixel(at: diagram.maskCellRect(row: q, column: k, in: frame).center, scale: 2)
                if k <= q {
                    #expect(channelDistance(pixel, visible) <= 1, "(\(q), \(k)) visible: \(describe(pixel))")
                } else {
                    // Hidden: light grey (the fill or its hatching), far from the visible colour.
                    #expect(channelDistance(pixel, visible) > 100, "(\(q), \(k)) hidden: \(describe(pixel))")
                    let grey = min(channelDistance(pixel, FigureStyle.maskedFill), channelDistance(pixel, FigureStyle.maskedHatch))
                    #expect(grey <= 40, "(\(q), \(k)): \(describe(pixel))")
                }
            }
        }
        // Box fills: a point inside the left edge of each row's first box.
        let L = diagram.layout()
        for (row, fill) in [ShiftRightDiagram.sourceFill, ShiftRightDiagram.decoderInputFill, ShiftRightDiagram.targetFill].enumerated() {
            let box = L.rows[row][0]
            let pixel = image.pixel(at: Point(x: box.minX + 5, y: box.midY), scale: 2)
            #expect(channelDistance(pixel, fill) <= 1, "row \(row): \(describe(pixel))")
        }
    }

    @Test func crossAttentionLinesAppearOnlyWhenGiven() throws {
        let withLines = Self.long
        var without = withLines
        without.crossAttention = nil
        let L = withLines.layout()
        // Midway along the strongest line of decoder position 3 (focus: source token 8).
        let from = Point(x: L.decoderInputBoxes[3].midX, y: L.decoderInputBoxes[3].minY)
        let to = Point(x: L.sourceBoxes[8].midX, y: L.sourceBoxes[8].maxY)
        let mid = Point(x: (from.x + to.x) / 2, y: (from.y + to.y) / 2)
        let a = try renderedImage(withLines).pixel(at: mid, scale: 2)
        let b = try renderedImage(without).pixel(at: mid, scale: 2)
        #expect(channelDistance(b, .white) == 0)
        #expect(channelDistance(a, .white) > 40, "\(describe(a))")
        // The legend says what the lines are only when there are lines.
        #expect(withLines.labels.contains(ShiftRightDiagram.attentionLegend))
        #expect(!without.labels.contains(ShiftRightDiagram.attentionLegend))
    }

    @Test func reRenderIsByteIdentical() throws {
        let a = try renderPNGData(Self.long), b = try renderPNGData(Self.long)
        #expect(a == b)
    }

    @Test func badDataIsRejected() throws {
        var diagram = Self.short
        diagram.crossAttention = [[1, 0, 0, 0]]
        #expect(throws: FigureError.self) { try renderPNGData(diagram) }
        diagram.crossAttention = Array(repeating: [0.5, 0.5], count: 5)
        #expect(throws: FigureError.self) { try renderPNGData(diagram) }
        diagram.crossAttention = nil
        diagram.sourceTokens = []
        #expect(throws: FigureError.self) { try renderPNGData(diagram) }
    }

    /// With DECODING_FIGS set to a directory, writes the example figures there to be looked at.
    @Test func writesExampleFiguresWhenAsked() throws {
        guard let directory = ProcessInfo.processInfo.environment["DECODING_FIGS"] else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try render(Self.short, to: directory + "/shift-right-short.png")
        try render(Self.long, to: directory + "/shift-right-long.png")
        try render(SamplingFigureTests.figure, to: directory + "/sampling.png")
        try render(SamplingFigureTests.stepFigure, to: directory + "/decoding-step.png")
    }
}
