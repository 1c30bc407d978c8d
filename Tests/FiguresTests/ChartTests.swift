import Foundation
import Testing
@testable import Figures

@Suite("Line chart")
struct LineChartTests {
    static let red = RGB(hex: 0xE15759)

    @Test func seriesColourLiesAlongThePlottedSegment() throws {
        let series = LineChart.Series(name: "rising", x: [1, 512], y: [0, 10], color: Self.red, showMarkers: false)
        let chart = LineChart(title: "Line", xLabel: "d_k", yLabel: "y", series: [series], xScale: .log2)
        let image = try renderedImage(chart)
        #expect((image.width, image.height) == expectedPixels(chart))
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let a = chart.position(x: 1, y: 0, in: frame), b = chart.position(x: 512, y: 10, in: frame)
        // Points along the straight segment between the two data points carry the series colour.
        for t in [0.25, 0.5, 0.75] {
            let p = Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t)
            #expect(channelDistance(image.pixel(at: p, scale: 2), Self.red) <= 1, "t = \(t)")
        }
        // On a log₂ axis x = 2^4.5 is exactly half way across.
        let mid = chart.position(x: pow(2, 4.5), y: 5, in: frame)
        #expect(abs(mid.x - (a.x + b.x) / 2) < 1e-9 && abs(mid.y - (a.y + b.y) / 2) < 1e-9)
        // Away from the line there is no series colour.
        let off = Point(x: (a.x + b.x) / 2, y: a.y - 10)
        #expect(channelDistance(image.pixel(at: off, scale: 2), Self.red) > 60)
    }

    @Test func legendSitsOutsideThePlotArea() {
        let chart = entropyChart()
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let layout = chart.layout(in: frame, TextMeasurer())
        #expect(layout.legendOrigin.x >= layout.plot.maxX + 10)
        #expect(!layout.legendBelow)
        #expect(frame.contains(layout.plot))
        // In a narrow frame the legend moves below the plot.
        let narrow = chart.layout(in: Rect(x: 0, y: 0, width: 420, height: 520), TextMeasurer())
        #expect(narrow.legendBelow)
        #expect(narrow.legendOrigin.y > narrow.plot.maxY)
    }

    @Test func yRangeStartsAtZeroForNonNegativeDataAndHonoursExplicitRanges() {
        let chart = entropyChart()
        #expect(chart.resolvedYRange == 0...2.5)
        var fixed = chart
        fixed.yRange = 0...3
        #expect(fixed.resolvedYRange == 0...3)
    }

    @Test func invalidSeriesAreRejected() {
        let bad: [LineChart] = [
            LineChart(title: "", xLabel: "", yLabel: "", series: []),
            LineChart(title: "", xLabel: "", yLabel: "",
                      series: [.init(name: "s", x: [1, 2, 3], y: [1, 2], color: .black)]),
            LineChart(title: "", xLabel: "", yLabel: "",
                      series: [.init(name: "s", x: [0, 1], y: [1, 2], color: .black)], xScale: .log2),
            LineChart(title: "", xLabel: "", yLabel: "",
                      series: [.init(name: "s", x: [1, 2], y: [1, 2], color: .black)], yRange: 1...1),
        ]
        for chart in bad {
            let error = #expect(throws: FigureError.self) { try renderPNGData(chart) }
            guard case .invalidData = error else { Issue.record("expected invalidData, got \(String(describing: error))"); continue }
        }
    }

    func entropyChart() -> LineChart {
        let dk = (0...9).map { pow(2.0, Double($0)) }
        return LineChart(title: "Entropy of an attention row vs d_k", xLabel: "d_k", yLabel: "entropy (nats)", series: [
            .init(name: "scaled by 1/√d_k", x: dk, y: dk.map { _ in 1.9 }, color: FigureStyle.palette[0]),
            .init(name: "unscaled", x: dk, y: dk.indices.map { 2.2 * exp(-0.36 * Double($0)) }, color: FigureStyle.palette[1]),
            .init(name: "uniform (max)", x: [1, 512], y: [log(11), log(11)], color: .black, dashed: true, showMarkers: false),
        ], xScale: .log2)
    }
}

@Suite("Bar chart")
struct BarChartTests {
    let chart = BarChart(title: "Next token", categories: ["tired", "wide", "busy", "scared"],
                         values: [0.5, 0.25, 0.15, 0.1] as [Float], yLabel: "probability", highlightIndex: 0)

    @Test func barsHaveTheirColoursAndHeights() throws {
        let image = try renderedImage(chart)
        #expect((image.width, image.height) == expectedPixels(chart))
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let highlighted = chart.barRect(index: 0, in: frame), plain = chart.barRect(index: 2, in: frame)
        #expect(channelDistance(image.pixel(at: highlighted.center, scale: 2), chart.highlightColor) <= 1)
        #expect(channelDistance(image.pixel(at: plain.center, scale: 2), chart.barColor) <= 1)
        // Heights are proportional to the values and bars stand on the same baseline.
        #expect(abs(highlighted.height / plain.height - 0.5 / 0.15) < 1e-3)
        #expect(abs(highlighted.maxY - plain.maxY) < 1e-9)
        // Above the shorter bar is background (or a gridline), not bar colour.
        let above = Point(x: plain.midX, y: plain.minY - 30)
        #expect(channelDistance(image.pixel(at: above, scale: 2), chart.barColor) > 60)
    }

    @Test func mismatchedCategoriesAreRejected() {
        let bad = BarChart(title: "", categories: ["a"], values: [1, 2] as [Double])
        let error = #expect(throws: FigureError.self) { try renderPNGData(bad) }
        #expect(error == .invalidData("bar chart has 2 values but 1 category labels"))
    }
}

@Suite("Weighted sum figure")
struct WeightedSumTests {
    static let tokens = ["a", "b", "c"]
    static let weights: [Float] = [0.6, 0.3, 0.1]
    static let values: [[Float]] = [[1, -1, 0.5, 0], [0, 2, -2, 1], [-1, 0, 1, 2]]
    static var output: [Float] {
        (0..<4).map { k in zip(weights, values).reduce(0) { $0 + $1.0 * $1.1[k] } }
    }

    let figure = WeightedSumFigure(title: "z for a", queryLabel: "a", tokens: Self.tokens, weights: Self.weights,
                                   values: Self.values, output: Self.output)

    /// A point in a cell clear of the number printed in its centre.
    func besideText(_ r: Rect) -> Point { Point(x: r.minX + r.width * 0.1, y: r.minY + r.height * 0.15) }

    @Test func outputStripCellsHaveTheirValueColours() throws {
        let image = try renderedImage(figure)
        #expect((image.width, image.height) == expectedPixels(figure))
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        #expect(figure.valueRange == -2...2)
        for (i, z) in Self.output.enumerated() {
            let pixel = image.pixel(at: besideText(figure.outputCellRect(i, in: frame)), scale: 2)
            let expected = ColorMap.diverging.color(at: (Double(z) + 2) / 4)
            #expect(channelDistance(pixel, expected) <= 1, "z[\(i)] = \(z): \(describe(pixel)) vs \(expected.hexString)")
        }
    }

    /// A value cell has the colour of its value on the colour bar, whatever its row's weight (a cell
    /// faded with its weight would show a value the bar does not); the weight is the row's bar.
    @Test func valueCellsHaveTheirTrueColoursAndWeightsAreBars() throws {
        let image = try renderedImage(figure)
        let frame = Rect(origin: .zero, size: figure.preferredSize)
        for (j, row) in Self.values.enumerated() {
            for (i, v) in row.enumerated() {
                let pixel = image.pixel(at: besideText(figure.valueCellRect(row: j, index: i, in: frame)), scale: 2)
                #expect(channelDistance(pixel, figure.color(for: v)) <= 1,
                        "row \(j) (weight \(Self.weights[j])) cell \(i) = \(v): \(describe(pixel)) vs \(figure.color(for: v).hexString)")
            }
        }
        // Each bar is filled to its weight along a track that stands for 1.
        let dark = RGB(hex: 0x555555), track = RGB(hex: 0xEEEEEE)
        for (j, w) in Self.weights.enumerated() {
            let bar = figure.weightTrackRect(row: j, in: frame)
            let inside = Point(x: bar.minX + bar.width * Double(w) - 2, y: bar.midY)
            let outside = Point(x: bar.minX + bar.width * Double(w) + 2, y: bar.midY)
            #expect(channelDistance(image.pixel(at: inside, scale: 2), dark) <= 1, "row \(j): bar up to \(w)")
            #expect(channelDistance(image.pixel(at: outside, scale: 2), track) <= 1, "row \(j): track after \(w)")
        }
    }

    @Test func formulaListsTheLargestTermsFirst() {
        #expect(figure.formula == "z(a) = 0.60·v(a) + 0.30·v(b) + 0.10·v(c)")
        let many = WeightedSumFigure(title: "", queryLabel: "it", tokens: sentence,
                                     weights: (0..<11).map { Float($0) / 55 }, values: Array(repeating: [0, 1], count: 11),
                                     output: [0, 1])
        #expect(many.formula.hasPrefix("z(it) = 0.18·v(tired) + 0.16·v(too) + 0.15·v(was) + …"))
    }

    @Test func mismatchedShapesAreRejected() {
        let bad = [
            WeightedSumFigure(title: "", queryLabel: "a", tokens: ["a", "b"], weights: [1], values: [[1], [1]], output: [1]),
            WeightedSumFigure(title: "", queryLabel: "a", tokens: ["a"], weights: [1], values: [[1, 2]], output: [1]),
            WeightedSumFigure(title: "", queryLabel: "a", tokens: ["a"], weights: [1], values: [], output: [1]),
            WeightedSumFigure(title: "", queryLabel: "a", tokens: [], weights: [], values: [], output: []),
            WeightedSumFigure(title: "", queryLabel: "a", tokens: ["a"], weights: [.nan], values: [[1]], output: [1]),
        ]
        for figure in bad {
            let error = #expect(throws: FigureError.self) { try renderPNGData(figure) }
            guard case .invalidData = error else { Issue.record("expected invalidData, got \(String(describing: error))"); continue }
        }
    }
}

@Suite("Panel grid")
struct PanelGridTests {
    static func head(_ seed: Int) -> Heatmap {
        let values: [[Float]] = (0..<3).map { r in (0..<3).map { c in Float((r * 3 + c + seed) % 9) / 8 } }
        return Heatmap(values: values, rowLabels: ["x", "y", "z"], columnLabels: ["x", "y", "z"],
                       title: "Head \(seed + 1)", showValues: false)
    }

    @Test func panelsAreDrawnInTheirCells() throws {
        let panels = (0..<4).map(Self.head)
        let grid = PanelGrid(title: "Four heads", columns: 2, panels: panels)
        let image = try renderedImage(grid)
        #expect((image.width, image.height) == expectedPixels(grid))
        let frame = Rect(origin: .zero, size: grid.preferredSize)
        for (i, panel) in panels.enumerated() {
            let target = grid.panelRect(i, in: frame)
            #expect(frame.contains(target))
            for j in 0..<4 where j != i { #expect(!target.intersects(grid.panelRect(j, in: frame))) }
            // Panel i's cell (1, 2), mapped through the panel's placement, has its colour.
            let local = panel.cellRect(row: 1, column: 2, in: Rect(origin: .zero, size: panel.preferredSize))
            let s = target.width / panel.preferredSize.width
            let centre = Point(x: target.minX + local.midX * s, y: target.minY + local.midY * s)
            let expected = ColorMap.viridis.color(at: Double(panel.values[1][2]))
            #expect(channelDistance(image.pixel(at: centre, scale: 2), expected) <= 1, "panel \(i)")
        }
        // Two columns: panel 1 is right of panel 0, panel 2 below it.
        #expect(grid.panelRect(1, in: frame).minX > grid.panelRect(0, in: frame).maxX)
        #expect(grid.panelRect(2, in: frame).minY > grid.panelRect(0, in: frame).maxY)
    }

    @Test func panelsShrinkUniformlyInASmallFrame() {
        let grid = PanelGrid(title: "Small", columns: 2, panels: (0..<3).map(Self.head))
        let size = grid.preferredSize
        let half = Rect(x: 0, y: 0, width: size.width / 2, height: size.height / 2)
        let r = grid.panelRect(0, in: half), full = grid.panelRect(0, in: Rect(origin: .zero, size: size))
        #expect(abs(r.width / r.height - full.width / full.height) < 1e-9)
        #expect(r.width < full.width * 0.6)
        #expect(half.contains(r))
    }

    @Test func emptyGridsAreRejected() {
        for grid in [PanelGrid(title: "", columns: 2, panels: []), PanelGrid(title: "", columns: 0, panels: [Self.head(0)])] {
            let error = #expect(throws: FigureError.self) { try renderPNGData(grid) }
            guard case .invalidData = error else { Issue.record("expected invalidData, got \(String(describing: error))"); continue }
        }
    }
}
