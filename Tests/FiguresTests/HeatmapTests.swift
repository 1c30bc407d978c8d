import Foundation
import Testing
@testable import Figures

@Suite("Heatmap")
struct HeatmapTests {
    /// 4×4 with every value of {0, 1/3, 2/3, 1} in every row and column.
    static let pattern: [[Float]] = (0..<4).map { r in (0..<4).map { c in Float((r + c) % 4) / 3 } }
    static let labels = ["w", "x", "y", "z"]

    @Test func cellCentresHaveTheColourMapColourOfTheirValue() throws {
        let map = Heatmap(values: Self.pattern, rowLabels: Self.labels, columnLabels: Self.labels,
                          title: "Pixels", showValues: false)
        let scale = 2.0
        let image = try renderedImage(map, scale: scale)
        let frame = Rect(origin: .zero, size: map.preferredSize)
        #expect((image.width, image.height) == expectedPixels(map, scale: scale))
        for r in 0..<4 {
            for c in 0..<4 {
                let value = Self.pattern[r][c]
                let expected = ColorMap.viridis.color(at: Double(value))
                let pixel = image.pixel(at: map.cellRect(row: r, column: c, in: frame).center, scale: scale)
                #expect(channelDistance(pixel, expected) <= 1,
                        "cell (\(r), \(c)) value \(value): got \(describe(pixel)), expected \(expected.hexString)")
            }
        }
    }

    @Test func explicitValueRangeAndDivergingMapAreHonoured() throws {
        let values: [[Float]] = [[-2, 0], [1, 2]]
        let map = Heatmap(values: values, rowLabels: ["a", "b"], columnLabels: ["c", "d"], colorMap: .diverging,
                          valueRange: -4...4, showValues: false)
        let image = try renderedImage(map)
        let frame = Rect(origin: .zero, size: map.preferredSize)
        for (r, c, t) in [(0, 0, 0.25), (0, 1, 0.5), (1, 0, 0.625), (1, 1, 0.75)] {
            let pixel = image.pixel(at: map.cellRect(row: r, column: c, in: frame).center, scale: 2)
            #expect(channelDistance(pixel, ColorMap.diverging.color(at: t)) <= 1, "cell (\(r), \(c))")
        }
    }

    @Test func autoRangeOfADivergingMapIsSymmetric() {
        let map = Heatmap(values: [[-1, 3]], rowLabels: ["a"], columnLabels: ["b", "c"], colorMap: .diverging)
        #expect(map.resolvedRange == -3...3)
        let weights = Heatmap(values: [[0.1, 0.6]], rowLabels: ["a"], columnLabels: ["b", "c"])
        #expect(abs(weights.resolvedRange.lowerBound - 0.1) < 1e-6 && abs(weights.resolvedRange.upperBound - 0.6) < 1e-6)
    }

    @Test func maskedMinusInfinityCellIsGreyNotAColourMapColour() throws {
        var values = Self.pattern
        values[0][3] = -.infinity
        values[2][1] = -.infinity
        let map = Heatmap(values: values, rowLabels: Self.labels, columnLabels: Self.labels, showValues: false)
        let image = try renderedImage(map)
        let frame = Rect(origin: .zero, size: map.preferredSize)
        let samples = (0...1000).map { ColorMap.viridis.color(at: Double($0) / 1000) }
        for (r, c) in [(0, 3), (2, 1)] {
            let cell = map.cellRect(row: r, column: c, in: frame)
            let centre = image.pixel(at: cell.center, scale: 2)
            let nearest = samples.map { channelDistance(centre, $0) }.min() ?? 0
            #expect(nearest > 40, "masked cell centre \(describe(centre)) is close to a viridis colour")
            // The whole cell is grey (fill, hatch or "−∞"): equal channels everywhere.
            for (fx, fy) in [(0.15, 0.15), (0.85, 0.2), (0.3, 0.8), (0.5, 0.5), (0.8, 0.85)] {
                let p = image.pixel(at: Point(x: cell.minX + fx * cell.width, y: cell.minY + fy * cell.height), scale: 2)
                #expect(p.0 == p.1 && p.1 == p.2, "pixel \(describe(p)) in a masked cell is not grey")
            }
        }
        // The finite cells keep their colours: the range comes from the finite values only.
        let ok = image.pixel(at: map.cellRect(row: 1, column: 1, in: frame).center, scale: 2)
        #expect(channelDistance(ok, ColorMap.viridis.color(at: 2.0 / 3.0)) <= 1)
    }

    /// A causal weights heatmap: the keys above the diagonal were hidden, not given a learned 0, so
    /// every one of those cells shows the hatch and none the colour map's 0 or a "0.00".
    @Test func causalWeightsHatchEveryHiddenCellAndPrintNoZero() throws {
        let n = 5
        let labels = ["<s>", "I", "am", "a", "student"]
        // Softmax of arbitrary scores over the visible keys 0…i: exact zeros above the diagonal.
        var weights: [[Float]] = []
        for i in 0..<n {
            var e = [Float](repeating: 0, count: n)
            for j in 0...i { e[j] = Float(exp(Double((i * 7 + j * 3) % 5) / 2)) }
            let total = e.reduce(0, +)
            weights.append(e.map { $0 / total })
        }
        let hidden = (0..<n).map { i in (0..<n).map { j in j > i } }
        let map = Heatmap(values: weights, rowLabels: labels, columnLabels: labels, title: "causal weights",
                          valueRange: 0...1, showValues: true, xAxisTitle: "key", yAxisTitle: "query", hidden: hidden)
        let size = map.preferredSize
        let canvas = try Canvas(size: size, scale: 2)
        canvas.fillBackground()
        try map.draw(on: canvas, in: Rect(origin: .zero, size: size))
        let image = try PNGImage(data: canvas.pngData())
        let frame = Rect(origin: .zero, size: size)
        let zero = ColorMap.viridis.color(at: 0)
        for i in 0..<n {
            for j in 0..<n {
                let cell = map.cellRect(row: i, column: j, in: frame).insetBy(1)
                var hatch = 0, zeroColour = 0
                for y in Int(cell.minY * 2)..<Int(cell.maxY * 2) {
                    for x in Int(cell.minX * 2)..<Int(cell.maxX * 2) {
                        let p = image.pixel(x: x, y: y)
                        if channelDistance(p, FigureStyle.maskedHatch) <= 2 { hatch += 1 }
                        if channelDistance(p, zero) <= 8 { zeroColour += 1 }
                    }
                }
                if j > i {
                    #expect(hatch > 20, "cell (\(i), \(j)) above the diagonal has no hatch")
                    #expect(zeroColour == 0, "cell (\(i), \(j)) above the diagonal has viridis(0) pixels")
                } else {
                    #expect(hatch == 0, "visible cell (\(i), \(j)) is hatched")
                }
            }
        }
        let texts = canvas.textBoxes.map(\.text)
        #expect(!texts.contains("0.00"))
        #expect(texts.contains("masked"))
        #expect(texts.contains("1.00"))   // row 0 gives its only visible key all the weight
        // Wrong-shaped flags are refused.
        var bad = map
        bad.hidden = [[true]]
        #expect(throws: FigureError.self) { try bad.validate() }
    }

    @Test func highlightedRowHasAnOutline() throws {
        let map = Heatmap(values: Self.pattern, rowLabels: Self.labels, columnLabels: Self.labels, showValues: false,
                          highlightRow: 2)
        let image = try renderedImage(map)
        let frame = Rect(origin: .zero, size: map.preferredSize)
        let first = map.cellRect(row: 2, column: 0, in: frame), last = map.cellRect(row: 2, column: 3, in: frame)
        // The outline runs along the row's edges (the white gap between cells is 1 unit).
        let left = image.pixel(at: Point(x: first.minX - 0.5, y: first.midY), scale: 2)
        let right = image.pixel(at: Point(x: last.maxX + 0.5, y: last.midY), scale: 2)
        let top = image.pixel(at: Point(x: first.midX, y: first.minY - 0.5), scale: 2)
        for p in [left, right, top] {
            #expect(channelDistance(p, FigureStyle.highlight) <= 1, "outline pixel \(describe(p))")
        }
        // Without a highlight that spot is the white gap.
        let plain = try renderedImage(Heatmap(values: Self.pattern, rowLabels: Self.labels, columnLabels: Self.labels,
                                              showValues: false))
        #expect(channelDistance(plain.pixel(at: Point(x: first.midX, y: first.minY - 0.5), scale: 2), .white) <= 1)
    }

    @Test func numbersInCellsContrastWithTheCell() throws {
        let values: [[Float]] = [[0, 1]]
        let map = Heatmap(values: values, rowLabels: ["r"], columnLabels: ["dark", "light"], showValues: true,
                          valueFormat: "%.0f", cellSize: 80)
        let image = try renderedImage(map, scale: 4)
        let frame = Rect(origin: .zero, size: map.preferredSize)
        func inkColours(_ cell: Rect, background: RGB) -> [(UInt8, UInt8, UInt8)] {
            var found: [(UInt8, UInt8, UInt8)] = []
            let inner = cell.insetBy(cell.width * 0.3)
            for y in stride(from: inner.minY, to: inner.maxY, by: 0.25) {
                for x in stride(from: inner.minX, to: inner.maxX, by: 0.25) {
                    let p = image.pixel(at: Point(x: x, y: y), scale: 4)
                    if channelDistance(p, background) > 100 { found.append(p) }
                }
            }
            return found
        }
        let darkInk = inkColours(map.cellRect(row: 0, column: 0, in: frame), background: ColorMap.viridis.color(at: 0))
        let lightInk = inkColours(map.cellRect(row: 0, column: 1, in: frame), background: ColorMap.viridis.color(at: 1))
        #expect(!darkInk.isEmpty && !lightInk.isEmpty)
        #expect(darkInk.contains { channelDistance($0, .white) <= 2 }, "white number on the dark cell")
        #expect(lightInk.contains { channelDistance($0, FigureStyle.text) <= 2 }, "dark number on the light cell")
    }

    @Test func chineseLabelsRenderWithRealGlyphs() throws {
        let tokens = ["我", "是", "一个", "学生"]
        let map = Heatmap(values: Self.pattern, rowLabels: tokens, columnLabels: tokens, title: "注意力：我是一个学生",
                          colorBarLabel: "权重", xAxisTitle: "键", yAxisTitle: "查询")
        for text in tokens + [map.title, map.colorBarLabel, map.xAxisTitle, map.yAxisTitle] {
            #expect(missingGlyphCount(in: text) == 0, "\(text)")
            #expect(missingGlyphCount(in: text, family: "DejaVu Sans") > 0, "\(text) would be boxes in DejaVu Sans")
        }
        let image = try renderedImage(map)
        #expect((image.width, image.height) == expectedPixels(map))
        // Ink where the row label 学生 goes: left of its row.
        let frame = Rect(origin: .zero, size: map.preferredSize)
        let row = map.cellRect(row: 3, column: 0, in: frame)
        var dark = 0
        for y in stride(from: row.minY, to: row.maxY, by: 0.5) {
            for x in stride(from: row.minX - 40, to: row.minX - 4, by: 0.5) {
                let p = image.pixel(at: Point(x: x, y: y), scale: 2)
                if Int(p.0) + Int(p.1) + Int(p.2) < 300 { dark += 1 }
            }
        }
        #expect(dark > 20)
    }

    @Test func longColumnLabelsRotateAndStayInsideTheFigure() {
        let long = ["internationalization", "a", "Transformer", "self-attention", "x", "positional-encoding"]
        let values = (0..<6).map { r in (0..<6).map { c in Float(r * 6 + c) } }
        for position in [Heatmap.ColumnLabelPosition.bottom, .top] {
            let map = Heatmap(values: values, rowLabels: long, columnLabels: long, title: "T", xAxisTitle: "key",
                              yAxisTitle: "query", columnLabelPosition: position)
            let frame = Rect(origin: .zero, size: map.preferredSize)
            let m = TextMeasurer()
            let layout = map.layout(in: frame, m)
            #expect(layout.geometry.columnLabels.rotation == 45)
            let base = position == .bottom ? layout.grid.maxY : layout.grid.minY
            for p in layout.geometry.columnLabels.placements {
                let b = p.bounds.offsetBy(dx: layout.grid.minX, dy: base)
                #expect(frame.contains(b), "column label \(b) leaves the figure \(frame)")
                #expect(!b.intersects(layout.grid.insetBy(1)), "column label covers the cells")
            }
            // Row labels fit left of the grid.
            let widest = long.map { m.width($0, size: layout.geometry.labelSize) }.max() ?? 0
            #expect(layout.grid.minX - 8 - widest >= 0)
            // The colour bar and its numbers fit at the right.
            #expect(layout.colorBarRect.minX + layout.geometry.colorBar.width(height: layout.colorBarRect.height, m) <= frame.maxX)
        }
        // Short labels stay horizontal.
        let short = Heatmap(values: values, rowLabels: ["a", "b", "c", "d", "e", "f"], columnLabels: ["a", "b", "c", "d", "e", "f"])
        #expect(short.layout(in: Rect(origin: .zero, size: short.preferredSize), TextMeasurer()).geometry.columnLabels.rotation == 0)
    }

    @Test func longAxisTitlesGrowASmallGridInsteadOfCollidingWithIt() {
        let map = Heatmap(values: [[0.2, 0.8], [0.6, 0.4]], rowLabels: ["a", "b"], columnLabels: ["c", "d"],
                          xAxisTitle: "key position (the token being attended to)",
                          yAxisTitle: "query position (the token asking)", columnLabelPosition: .top)
        let m = TextMeasurer()
        let layout = map.layout(in: Rect(origin: .zero, size: map.preferredSize), m)
        #expect(layout.grid.height >= m.width(map.yAxisTitle, size: FigureStyle.axisTitleSize))
        #expect(layout.grid.width >= m.width(map.xAxisTitle, size: FigureStyle.axisTitleSize))
    }

    @Test func elevenTokensGiveACleanSlideSizedFigure() {
        let values = (0..<11).map { _ in [Float](repeating: 1.0 / 11, count: 11) }
        let map = Heatmap(values: values, rowLabels: sentence, columnLabels: sentence, title: "Attention",
                          subtitle: "layer 1, head 1", colorBarLabel: "weight", xAxisTitle: "key", yAxisTitle: "query")
        let size = map.preferredSize
        #expect(size.width > 700 && size.width < 1000)
        #expect(size.height > 650 && size.height < 950)
        let layout = map.layout(in: Rect(origin: .zero, size: size), TextMeasurer())
        #expect(abs(layout.cell - layout.grid.width / 11) < 1e-9)
        #expect(layout.cell >= 45)
    }

    @Test func invalidMatricesAreRejected() {
        let cases: [Heatmap] = [
            Heatmap(values: [[1, 2], [3]], rowLabels: ["a", "b"], columnLabels: ["c", "d"]),           // ragged
            Heatmap(values: [[1, 2], [3, 4]], rowLabels: ["a"], columnLabels: ["c", "d"]),             // rows
            Heatmap(values: [[1, 2], [3, 4]], rowLabels: ["a", "b"], columnLabels: ["c", "d", "e"]),   // columns
            Heatmap(values: [], rowLabels: [], columnLabels: []),                                       // empty
            Heatmap(values: [[]], rowLabels: ["a"], columnLabels: []),                                  // empty row
            Heatmap(values: [[1]], rowLabels: ["a"], columnLabels: ["b"], highlightRow: 1),             // highlight
        ]
        for map in cases {
            let error = #expect(throws: FigureError.self) { try renderPNGData(map) }
            guard case .invalidData = error else {
                Issue.record("expected invalidData, got \(String(describing: error))")
                continue
            }
            // preferredSize and cellRect must not crash on bad data either.
            _ = map.preferredSize
        }
    }

    @Test func renderingIsDeterministic() throws {
        let map = Heatmap(values: Self.pattern, rowLabels: ["我", "是", "学", "生"], columnLabels: Self.labels,
                          title: "Determinism", showValues: true, highlightRow: 1)
        let a = try renderPNGData(map), b = try renderPNGData(map)
        #expect(a.count > 1000)
        #expect(a == b)
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [.init(name: "s", x: [1, 2, 4], y: [3, 1, 2], color: FigureStyle.palette[0])],
                              xScale: .log2)
        #expect(try renderPNGData(chart) == renderPNGData(chart))
    }
}
