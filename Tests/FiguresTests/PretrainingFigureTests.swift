import Foundation
import Testing
@testable import Figures

// CorruptionStrip, GroupedBarChart, SentencePairFigure and ScatterChart: the figures of BERT's data and
// of model sizes.

/// A point inside a token box where its fill shows: left of the centred text, clear of the outline.
func fillProbe(_ box: Rect) -> Point { Point(x: box.minX + 4.5, y: box.midY) }

func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

@Suite("Corruption strip")
struct CorruptionStripTests {
    static let original = words("[CLS] the cat sat on the warm mat because it was tired [SEP]")

    static var strip: CorruptionStrip {
        var input = original
        input[2] = "[MASK]"
        input[6] = "piano"
        var choices = [CorruptionStrip.Kind?](repeating: nil, count: original.count)
        choices[2] = .mask
        choices[6] = .random
        return CorruptionStrip(title: "Masked-LM corruption", subtitle: "2 positions chosen", originalTokens: original,
                               inputTokens: input, choices: choices)
    }

    /// 40 tokens: [CLS], 38 words, [SEP]; every fifth word chosen, cycling through the three kinds.
    static var long: CorruptionStrip {
        let text = "the quick brown fox jumps over the lazy dog while the cat watches from the warm windowsill and the "
            + "children laugh loudly because they have never seen anything so funny in their whole lives before or ever again"
        let original = ["[CLS]"] + words(text) + ["[SEP]"]
        var input = original
        var choices = [CorruptionStrip.Kind?](repeating: nil, count: original.count)
        for (n, i) in stride(from: 3, to: 39, by: 5).enumerated() {
            let kind = CorruptionStrip.Kind.allCases[n % 3]
            choices[i] = kind
            if kind == .mask { input[i] = "[MASK]" } else if kind == .random { input[i] = "banana" }
        }
        return CorruptionStrip(title: "A long sentence", originalTokens: original, inputTokens: input, choices: choices)
    }

    @Test func chosenBoxesAreFilledWithTheirKindsColourAndOthersAreNot() throws {
        let strip = Self.strip
        let image = try renderedImage(strip)
        #expect((image.width, image.height) == expectedPixels(strip))
        let frame = Rect(origin: .zero, size: strip.preferredSize)
        let mask = CorruptionStrip.color(for: .mask), random = CorruptionStrip.color(for: .random)
        let masked = image.pixel(at: fillProbe(strip.boxRect(position: 2, row: 1, in: frame)), scale: 2)
        #expect(channelDistance(masked, mask) <= 1, "[MASK] box: \(describe(masked)) vs \(mask)")
        let replaced = image.pixel(at: fillProbe(strip.boxRect(position: 6, row: 1, in: frame)), scale: 2)
        #expect(channelDistance(replaced, random) <= 1, "random box: \(describe(replaced)) vs \(random)")
        // Unchosen input boxes are white; [CLS] is grey.
        for position in [1, 3, 7, 11] {
            let p = image.pixel(at: fillProbe(strip.boxRect(position: position, row: 1, in: frame)), scale: 2)
            #expect(channelDistance(p, .white) == 0, "position \(position): \(describe(p))")
            #expect(channelDistance(p, mask) > 100)
        }
        let cls = image.pixel(at: fillProbe(strip.boxRect(position: 0, row: 1, in: frame)), scale: 2)
        #expect(channelDistance(cls, CorruptionStrip.specialFill) <= 1)
        // The original token of a chosen position is outlined in its colour; its label box is tinted.
        let original = strip.boxRect(position: 2, row: 0, in: frame)
        #expect(channelDistance(image.pixel(at: Point(x: original.minX + 1, y: original.midY), scale: 2), mask) <= 2)
        #expect(channelDistance(image.pixel(at: fillProbe(original), scale: 2), .white) == 0)
        let label = image.pixel(at: fillProbe(strip.boxRect(position: 2, row: 2, in: frame)), scale: 2)
        #expect(channelDistance(label, mask.mixed(with: .white, 0.8)) <= 1)
        // Rows are stacked in order, one column per position.
        let rows = (0..<3).map { strip.boxRect(position: 6, row: $0, in: frame) }
        #expect(rows[0].maxY < rows[1].minY && rows[1].maxY < rows[2].minY)
        #expect(abs(rows[0].minX - rows[2].minX) < 1e-9)
    }

    @Test func labelsAndTagsNameWhatHappened() {
        let L = Self.strip.layout(TextMeasurer())
        let texts = L.texts.map(\.text)
        #expect(texts.contains("MASK") && texts.contains("RAND") && !texts.contains("KEEP"))
        // The label row shows the original token under each chosen position and "—" elsewhere.
        let labelRow = L.boxes[2]
        func textIn(_ rect: Rect) -> String? {
            L.texts.first { rect.contains($0.at) && abs($0.at.y - rect.midY) < 1e-9 }?.text
        }
        #expect(textIn(labelRow[2]) == "cat" && textIn(labelRow[6]) == "warm")
        #expect(textIn(labelRow[1]) == CorruptionStrip.noLabel)
        #expect(textIn(labelRow[0]) == nil, "no label under [CLS]")
        // Legend: all three kinds, as swatches and tags.
        #expect(L.legend.texts.map(\.text) == ["MASK", CorruptionStrip.legendText(for: .mask), "RAND",
                                               CorruptionStrip.legendText(for: .random), "KEEP",
                                               CorruptionStrip.legendText(for: .kept)])
        // The three colours are far apart.
        let colors = CorruptionStrip.Kind.allCases.map(CorruptionStrip.color(for:))
        for i in colors.indices {
            for j in colors.indices where j > i { #expect(channelDistance(colors[i].bytes, colors[j]) >= 80) }
        }
    }

    @Test func aFortyTokenSentenceWrapsAndStaysInsideTheFigure() throws {
        let strip = Self.long
        #expect(strip.originalTokens.count == 40)
        let L = strip.layout(TextMeasurer())
        let frame = Rect(origin: .zero, size: L.size)
        #expect(L.lines.count >= 3, "\(L.lines.count) lines")
        #expect(L.lines.map(\.count).reduce(0, +) == 40 && L.lines.first?.lowerBound == 0 && L.lines.last?.upperBound == 40)
        // Balanced: the last line is not much shorter than the others.
        #expect(Double(L.lines.last!.count) >= 0.5 * Double(L.lines.map(\.count).max()!))
        #expect(frame.width <= strip.maximumRowWidth + 200)
        for row in 0..<3 {
            for position in 0..<40 {
                #expect(frame.contains(strip.boxRect(position: position, row: row, in: frame)), "row \(row) position \(position)")
            }
        }
        // A later line is below the previous one; boxes never overlap.
        for (a, b) in zip(L.lines, L.lines.dropFirst()) {
            #expect(L.boxes[0][b.lowerBound].minY > L.boxes[2][a.lowerBound].maxY)
        }
        let all = L.boxes.flatMap { $0 }
        for i in all.indices {
            for j in all.indices where j > i { #expect(!all[i].intersects(all[j])) }
        }
        let problems = layoutProblems(L.texts + L.legend.texts, shapes: L.legend.samples, frame: frame)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        let image = try renderedImage(strip)
        #expect((image.width, image.height) == expectedPixels(strip))
    }

    @Test func chineseTokensHaveNoMissingGlyphs() throws {
        let tokens = ["[CLS]", "我", "是", "一", "个", "学", "生", "[SEP]"]
        var input = tokens
        input[2] = "[MASK]"
        input[5] = "猫"
        let strip = CorruptionStrip(title: "遮蔽：我是一个学生", originalTokens: tokens, inputTokens: input,
                                    choices: [nil, nil, .mask, nil, nil, .random, .kept, nil],
                                    rowNames: ["原句", "模型输入", "标签"])
        #expect(strip.labels.contains("猫") && strip.labels.contains("模型输入"))
        for label in strip.labels { #expect(missingGlyphCount(in: label) == 0, "\(label)") }
        let L = strip.layout(TextMeasurer())
        #expect(layoutProblems(L.texts + L.legend.texts, shapes: L.legend.samples, frame: Rect(origin: .zero, size: L.size)).isEmpty)
        let image = try renderedImage(strip)
        let frame = Rect(origin: .zero, size: strip.preferredSize)
        #expect(channelDistance(image.pixel(at: fillProbe(strip.boxRect(position: 6, row: 1, in: frame)), scale: 2),
                                CorruptionStrip.color(for: .kept)) <= 1)
    }

    @Test func renderingIsDeterministic() throws {
        let a = try renderPNGData(Self.long), b = try renderPNGData(Self.long)
        #expect(a.count > 1000 && a == b)
    }

    @Test func invalidInputIsRejected() {
        let t = ["a", "b"]
        let cases: [(CorruptionStrip, String)] = [
            (CorruptionStrip(title: "", originalTokens: [], inputTokens: [], choices: []), "empty"),
            (CorruptionStrip(title: "", originalTokens: t, inputTokens: ["a"], choices: [nil, nil]), "input count"),
            (CorruptionStrip(title: "", originalTokens: t, inputTokens: t, choices: [nil]), "choices count"),
            (CorruptionStrip(title: "", originalTokens: t, inputTokens: t, choices: [nil, nil], maximumRowWidth: 0), "row width"),
            (CorruptionStrip(title: "", originalTokens: t, inputTokens: t, choices: [nil, nil], rowNames: ["x"]), "row names"),
        ]
        for (strip, note) in cases { expectInvalidData(strip, note) }
    }
}

@Suite("Grouped bar chart")
struct GroupedBarChartTests {
    static let measured = RGB(hex: 0x4E79A7), expected = RGB(hex: 0xBAB0AC)
    static let chart = GroupedBarChart(
        title: "Corruption rates", categories: ["chosen (of all)", "[MASK] (of chosen)", "random (of chosen)", "kept (of chosen)"],
        series: [.init(name: "measured", values: [15.02, 79.9, 10.1, 10.0], color: measured),
                 .init(name: "BERT", values: [15, 80, 10, 10], color: expected)],
        yLabel: "share")

    @Test func barsHaveTheirColoursAndProportionalHeights() throws {
        let chart = Self.chart
        let image = try renderedImage(chart)
        #expect((image.width, image.height) == expectedPixels(chart))
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let small = chart.barRect(category: 0, series: 0, in: frame), big = chart.barRect(category: 1, series: 0, in: frame)
        #expect(abs(big.height / small.height - 79.9 / 15.02) < 1e-6)
        #expect(abs(big.maxY - small.maxY) < 1e-9, "one baseline")
        for c in 0..<4 {
            let a = chart.barRect(category: c, series: 0, in: frame), b = chart.barRect(category: c, series: 1, in: frame)
            #expect(channelDistance(image.pixel(at: a.center, scale: 2), Self.measured) <= 1, "category \(c) measured")
            #expect(channelDistance(image.pixel(at: b.center, scale: 2), Self.expected) <= 1, "category \(c) BERT")
            // Side by side in the group, groups in category order.
            #expect(b.minX > a.maxX && b.minX - a.maxX < 10)
            if c > 0 { #expect(a.minX > chart.barRect(category: c - 1, series: 1, in: frame).maxX + 10) }
        }
        // Above a short bar is background or gridline, not bar colour.
        let above = Point(x: small.midX, y: small.minY - 40)
        #expect(channelDistance(image.pixel(at: above, scale: 2), Self.measured) > 60)
    }

    @Test func percentagesAreFormattedAndTheRangeStartsAtZero() {
        let chart = Self.chart
        #expect(chart.isPercentage)
        #expect(chart.valueTexts[0] == ["15.0%", "79.9%", "10.1%", "10.0%"])
        #expect(chart.resolvedYRange.lowerBound == 0 && chart.resolvedYRange.upperBound >= 80)
        var plain = chart
        plain.valueFormat = "%.2f"
        #expect(!plain.isPercentage && plain.valueTexts[1][0] == "15.00")
    }

    @Test func aNarrowFrameKeepsBarsApartAndInside() throws {
        let chart = Self.chart
        let frame = Rect(x: 0, y: 0, width: 420, height: 360)
        let bars = (0..<4).flatMap { c in (0..<2).map { chart.barRect(category: c, series: $0, in: frame) } }
        for i in bars.indices {
            #expect(frame.contains(bars[i]))
            for j in bars.indices where j > i { #expect(!bars[i].intersects(bars[j])) }
        }
        let canvas = try Canvas(size: frame.size, scale: 1)
        canvas.fillBackground()
        try chart.draw(on: canvas, in: frame)
    }

    @Test func renderingIsDeterministic() throws {
        let a = try renderPNGData(Self.chart), b = try renderPNGData(Self.chart)
        #expect(a.count > 1000 && a == b)
    }

    @Test func invalidInputIsRejected() {
        let s = GroupedBarChart.Series(name: "s", values: [1, 2], color: .black)
        let cases: [(GroupedBarChart, String)] = [
            (GroupedBarChart(title: "", categories: [], series: [s]), "no categories"),
            (GroupedBarChart(title: "", categories: ["a", "b"], series: []), "no series"),
            (GroupedBarChart(title: "", categories: ["a", "b", "c"], series: [s]), "values vs categories"),
            (GroupedBarChart(title: "", categories: ["a", "b"], series: [.init(name: "s", values: [1, .nan], color: .black)]), "NaN"),
            (GroupedBarChart(title: "", categories: ["a", "b"], series: [s], yRange: 1...1), "empty range"),
        ]
        for (chart, note) in cases { expectInvalidData(chart, note) }
    }
}

@Suite("Sentence-pair figure")
struct SentencePairFigureTests {
    static func pair(_ a: [String], _ b: [String], isNext: Bool, caption: String = "") -> SentencePairFigure.Pair {
        .init(tokens: ["[CLS]"] + a + ["[SEP]"] + b + ["[SEP]"],
              segmentIDs: Array(repeating: 0, count: a.count + 2) + Array(repeating: 1, count: b.count + 1),
              isNext: isNext, caption: caption)
    }

    static let figure = SentencePairFigure(title: "Next-sentence prediction", pairs: [
        pair(words("the man went to the store"), words("he bought a gallon of milk"), isNext: true, caption: "B follows A"),
        pair(["我", "是", "一", "个", "学", "生"], ["企", "鹅", "不", "会", "飞"], isNext: false, caption: "B is random"),
    ])

    @Test func segmentsHaveTheirColoursAndBadgesTheirLabel() throws {
        let figure = Self.figure
        let image = try renderedImage(figure)
        #expect((image.width, image.height) == expectedPixels(figure))
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        let (a, b) = SentencePairFigure.segmentColors
        #expect(channelDistance(a.bytes, b) >= 60)
        for (pair, position, color) in [(0, 1, a), (0, 7, a), (0, 8, b), (0, 14, b), (1, 2, a), (1, 9, b)] {
            let p = image.pixel(at: fillProbe(figure.boxRect(pair: pair, position: position, in: frame)), scale: 2)
            #expect(channelDistance(p, color) <= 1, "pair \(pair) position \(position): \(describe(p)) vs \(color)")
        }
        // Badges: green IsNext for pair 1, red NotNext for pair 2, each with its text inside.
        let L = figure.layout(TextMeasurer())
        let m = TextMeasurer()
        for (k, isNext) in [(0, true), (1, false)] {
            let badge = figure.badgeRect(pair: k, in: frame)
            let p = image.pixel(at: Point(x: badge.minX + 6, y: badge.midY), scale: 2)
            let color = isNext ? SentencePairFigure.isNextColor : SentencePairFigure.notNextColor
            #expect(channelDistance(p, color) <= 1, "badge \(k): \(describe(p))")
            let text = SentencePairFigure.badgeText(isNext: isNext)
            #expect(L.texts.contains { $0.text == text && badge.contains($0.bounds(m)) }, "\(text) inside badge \(k)")
            // The badge is right of every box of its pair.
            #expect(L.boxes[k].allSatisfy { $0.maxX < badge.minX })
        }
        #expect(channelDistance(SentencePairFigure.isNextColor.bytes, SentencePairFigure.notNextColor) >= 100)
    }

    @Test func segmentIDsAreWrittenUnderTheTokens() {
        let L = Self.figure.layout(TextMeasurer())
        for (k, pair) in Self.figure.pairs.enumerated() {
            for (i, box) in L.boxes[k].enumerated() {
                let under = L.texts.filter { abs($0.at.x - box.midX) < 1e-9 && $0.at.y > box.maxY && $0.at.y < box.maxY + 10 }
                #expect(under.map(\.text) == [String(pair.segmentIDs[i])], "pair \(k) token \(i)")
            }
        }
        #expect(layoutProblems(L.texts + L.legend.texts, shapes: L.legend.samples, frame: Rect(origin: .zero, size: L.size)).isEmpty)
        for label in Self.figure.labels { #expect(missingGlyphCount(in: label) == 0, "\(label)") }
    }

    @Test func longPairsWrapInsideTheFigure() {
        let a = words("the animal did not cross the street because it was too tired to walk any further that day")
        let b = words("so it lay down on the warm pavement and slept until the evening came")
        let figure = SentencePairFigure(title: "Wrapped", pairs: [Self.pair(a, b, isNext: true), Self.pair(["x"], ["y"], isNext: false)],
                                        maximumRowWidth: 500)
        let L = figure.layout(TextMeasurer())
        let frame = Rect(origin: .zero, size: L.size)
        let rows = Set(L.boxes[0].map(\.minY))
        #expect(rows.count >= 3, "\(rows.count) lines")
        for r in L.boxes.joined() { #expect(frame.contains(r)) }
        for r in L.boxes[0] { #expect(r.maxX - L.boxes[0][0].minX <= 500 + 1e-9) }
        #expect(L.boxes[1][0].minY > (L.boxes[0].map(\.maxY).max() ?? 0), "the second pair comes after the first")
        for badge in L.badges { #expect(frame.contains(badge)) }
        #expect(layoutProblems(L.texts, frame: frame).isEmpty)
    }

    @Test func renderingIsDeterministic() throws {
        let a = try renderPNGData(Self.figure), b = try renderPNGData(Self.figure)
        #expect(a.count > 1000 && a == b)
    }

    @Test func invalidInputIsRejected() {
        let cases: [(SentencePairFigure, String)] = [
            (SentencePairFigure(title: "", pairs: []), "no pairs"),
            (SentencePairFigure(title: "", pairs: [.init(tokens: [], segmentIDs: [], isNext: true)]), "no tokens"),
            (SentencePairFigure(title: "", pairs: [.init(tokens: ["a", "b"], segmentIDs: [0], isNext: true)]), "id count"),
            (SentencePairFigure(title: "", pairs: [.init(tokens: ["a", "b"], segmentIDs: [0, 2], isNext: true)]), "id 2"),
            (SentencePairFigure(title: "", pairs: [.init(tokens: ["a"], segmentIDs: [0], isNext: true)], maximumRowWidth: .nan), "width"),
        ]
        for (figure, note) in cases { expectInvalidData(figure, note) }
    }
}

@Suite("Scatter chart")
struct ScatterChartTests {
    typealias Datum = ScatterChart.Point
    static let gpt3 = RGB(hex: 0xE15759), gpt2 = RGB(hex: 0x4E79A7), bert = RGB(hex: 0x59A14F)

    /// Layers against parameters for GPT-2, GPT-3 and BERT.
    static func chart(xScale: ScatterChart.Scale = .linear) -> ScatterChart {
        ScatterChart(title: "Parameters against depth", xLabel: "layers", yLabel: "parameters", groups: [
            .init(name: "GPT-2", points: [Datum(x: 12, y: 117e6, label: "GPT-2 117M"), Datum(x: 24, y: 345e6, label: "GPT-2 345M"),
                                          Datum(x: 36, y: 762e6, label: "GPT-2 762M"), Datum(x: 48, y: 1542e6, label: "GPT-2 1.5B")],
                  color: gpt2),
            .init(name: "GPT-3", points: [Datum(x: 12, y: 125e6, label: "GPT-3 125M"), Datum(x: 24, y: 350e6, label: "GPT-3 350M"),
                                          Datum(x: 24, y: 760e6, label: "GPT-3 760M"), Datum(x: 24, y: 1.3e9, label: "GPT-3 1.3B"),
                                          Datum(x: 32, y: 2.7e9, label: "GPT-3 2.7B"), Datum(x: 32, y: 6.7e9, label: "GPT-3 6.7B"),
                                          Datum(x: 40, y: 13e9, label: "GPT-3 13B"), Datum(x: 96, y: 175e9, label: "GPT-3 175B")],
                  color: gpt3),
            .init(name: "BERT", points: [Datum(x: 12, y: 110e6, label: "BERT-base"), Datum(x: 24, y: 340e6, label: "BERT-large")],
                  color: bert, connect: false),
        ], xScale: xScale, yScale: .log10)
    }

    @Test func logPositionsAreEvenInTheExponent() {
        let chart = Self.chart()
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let a = chart.position(x: 12, y: 1e7, in: frame), b = chart.position(x: 12, y: 1e9, in: frame)
        let mid = chart.position(x: 12, y: 1e8, in: frame)
        #expect(abs(mid.y - (a.y + b.y) / 2) < 1e-9 && a.y > b.y)
        // The linear x axis is even in x itself; a log one in log x.
        let x = [12.0, 24, 36].map { chart.position(x: $0, y: 1e8, in: frame).x }
        #expect(abs((x[1] - x[0]) - (x[2] - x[1])) < 1e-9)
        let log = Self.chart(xScale: .log10)
        let lx = [10.0, 100, 1000].map { log.position(x: $0, y: 1e8, in: frame).x }
        #expect(abs((lx[1] - lx[0]) - (lx[2] - lx[1])) < 1e-9)
        #expect(abs(log.position(x: 20, y: 1e8, in: frame).x - lx[0] - (lx[1] - lx[0]) * log10(2)) < 1e-9)
        // Every point lies inside the plot.
        let plot = chart.plotRect(in: frame)
        for g in chart.groups { for p in g.points { #expect(plot.contains(chart.position(x: p.x, y: p.y, in: frame))) } }
    }

    @Test func markersHaveTheirGroupColour() throws {
        let chart = Self.chart()
        let image = try renderedImage(chart)
        #expect((image.width, image.height) == expectedPixels(chart))
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        for (x, y, color) in [(96.0, 175e9, Self.gpt3), (48, 1542e6, Self.gpt2), (32, 2.7e9, Self.gpt3), (36, 762e6, Self.gpt2)] {
            let p = image.pixel(at: chart.position(x: x, y: y, in: frame), scale: 2)
            #expect(channelDistance(p, color) <= 1, "(\(x), \(y)): \(describe(p)) vs \(color)")
        }
        // Between two far-apart GPT-3 points, on the connecting line: GPT-3's colour. BERT is not joined.
        let a = chart.position(x: 40, y: 13e9, in: frame), b = chart.position(x: 96, y: 175e9, in: frame)
        #expect(somePixelNear(image, Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2), scale: 2, matches: Self.gpt3, tolerance: 2))
    }

    @Test func labelsNeitherOverlapEachOtherNorCoverMarkers() {
        for chart in [Self.chart(), Self.chart(xScale: .log10)] {
            let frame = Rect(origin: .zero, size: chart.preferredSize)
            let labels = chart.labelRects(in: frame)
            #expect(labels.count == 14)
            let plot = chart.plotRect(in: frame)
            for i in labels.indices {
                #expect(plot.contains(labels[i]), "label \(i) \(labels[i]) leaves the plot")
                for j in labels.indices where j > i {
                    #expect(!labels[i].intersects(labels[j]), "labels \(i) and \(j) overlap")
                }
            }
            let markers = chart.groups.flatMap { $0.points.map { chart.position(x: $0.x, y: $0.y, in: frame) } }
            for c in markers {
                let r = ScatterLayout.Geometry.markerRadius
                let marker = Rect(x: c.x - r, y: c.y - r, width: 2 * r, height: 2 * r)
                for label in labels { #expect(!label.intersects(marker)) }
            }
            let L = chart.layout(in: frame, TextMeasurer())
            #expect(layoutProblems(L.labelItems + L.legend.texts, frame: frame).isEmpty)
        }
    }

    @Test func logTicksGetCompactLabels() {
        let chart = Self.chart(xScale: .log10)
        let L = chart.layout(in: Rect(origin: .zero, size: chart.preferredSize), TextMeasurer())
        #expect(L.yTicks.labels == ["100M", "1B", "10B", "100B"])
        #expect(L.xTicks.labels == ["10", "20", "50", "100"])
        #expect(!L.yTicks.minor.isEmpty)
        #expect(compactNumber(1e7) == "10M" && compactNumber(1.5e9) == "1.5B" && compactNumber(175e9) == "175B")
        #expect(compactNumber(100) == "100" && compactNumber(2500) == "2.5K" && compactNumber(0.5) == "0.5")
        var custom = chart
        custom.valueFormatter = { "<\(Int($0))>" }
        let C = custom.layout(in: Rect(origin: .zero, size: custom.preferredSize), TextMeasurer())
        #expect(C.xTicks.labels.first == "<10>")
    }

    @Test func renderingIsDeterministic() throws {
        let a = try renderPNGData(Self.chart()), b = try renderPNGData(Self.chart())
        #expect(a.count > 1000 && a == b)
    }

    @Test func invalidInputIsRejected() {
        let ok = [Datum(x: 1, y: 1, label: "a")]
        func chart(_ groups: [ScatterChart.Group], x: ScatterChart.Scale = .linear, y: ScatterChart.Scale = .log10) -> ScatterChart {
            ScatterChart(title: "", xLabel: "", yLabel: "", groups: groups, xScale: x, yScale: y)
        }
        let cases: [(ScatterChart, String)] = [
            (chart([]), "no groups"),
            (chart([.init(name: "g", points: [], color: .black)]), "empty group"),
            (chart([.init(name: "g", points: [Datum(x: 1, y: 0, label: "zero")], color: .black)]), "y = 0 on a log axis"),
            (chart([.init(name: "g", points: [Datum(x: 1, y: -5, label: "neg")], color: .black)]), "y < 0 on a log axis"),
            (chart([.init(name: "g", points: [Datum(x: 0, y: 1, label: "zero")], color: .black)], x: .log10), "x = 0 on a log axis"),
            (chart([.init(name: "g", points: ok + [Datum(x: .nan, y: 1, label: "nan")], color: .black)]), "NaN"),
        ]
        for (c, note) in cases { expectInvalidData(c, note) }
        // Non-positive values are fine on a linear axis.
        let linear = chart([.init(name: "g", points: [Datum(x: -1, y: 0, label: "o"), Datum(x: 1, y: 2, label: "p")], color: .black)],
                           y: .linear)
        #expect(throws: Never.self) { try renderPNGData(linear) }
    }
}
