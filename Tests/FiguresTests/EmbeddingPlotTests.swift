import Foundation
import Testing
@testable import Figures

@Suite("Embedding plot")
struct EmbeddingPlotTests {
    /// A small parallelogram: man → woman and king → queen are the same offset.
    static func parallelogram(result: Bool = true, extraLabels: [String] = []) -> EmbeddingPlot {
        let green = RGB(hex: 0x2CA02C)
        var points = [
            EmbeddingPlot.Point(x: 0, y: 0, label: "man"), EmbeddingPlot.Point(x: 0, y: 1, label: "woman"),
            EmbeddingPlot.Point(x: 2, y: 0.2, label: "king"), EmbeddingPlot.Point(x: 2, y: 1.2, label: "queen"),
        ]
        for (i, label) in extraLabels.enumerated() { points.append(EmbeddingPlot.Point(x: 1 + 0.1 * Double(i), y: 0.5, label: label)) }
        return EmbeddingPlot(
            title: "king − man + woman", subtitle: "a test", xLabel: "component 1", yLabel: "component 2",
            points: points,
            arrows: [EmbeddingPlot.Arrow(from: 0, to: 1, color: green, legend: "the same offset"),
                     EmbeddingPlot.Arrow(from: 2, to: 3, color: green, legend: "the same offset")],
            result: result ? EmbeddingPlot.Result(x: 2.1, y: 1.25, label: "king − man + woman", from: 2, legend: "result") : nil)
    }

    @Test func dotsAreDrawnInThePointColourAndTheResultInItsOwn() throws {
        let chart = Self.parallelogram()
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let image = try renderedImage(chart)
        for position in chart.markerPositions(in: frame) {
            let pixel = image.pixel(at: position, scale: 2)
            #expect(channelDistance(pixel, chart.pointColor) <= 3, "dot at \(position) is \(describe(pixel))")
        }
        let result = try #require(chart.resultPosition(in: frame))
        #expect(channelDistance(image.pixel(at: result, scale: 2), chart.resultColor) <= 3)
    }

    @Test func oneScaleOnBothAxesKeepsParallelArrowsParallel() throws {
        let chart = Self.parallelogram()
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let arrows = chart.arrowSegments(in: frame)
        // The two arrows, then the result's dashed arrow from king.
        #expect(arrows.count == 3)
        #expect(Self.parallelogram(result: false).arrowSegments(in: frame).count == 2)
        let a = arrows[0], b = arrows[1]
        let da = (a.to.x - a.from.x, a.to.y - a.from.y), db = (b.to.x - b.from.x, b.to.y - b.from.y)
        #expect(abs(da.0 * db.1 - da.1 * db.0) < 1e-6)                 // parallel
        #expect(abs(da.1 - db.1) < 1e-6 && da.1 < 0)                    // same length, pointing up
        // The data's unit is the same number of points across and up.
        let m = chart.markerPositions(in: frame)
        #expect(abs((m[2].x - m[0].x) / 2 - (m[0].y - m[1].y)) < 1e-6)
    }

    @Test func labelsCoverNoDotAndNoOtherLabel() throws {
        let chart = Self.parallelogram(extraLabels: ["prince", "princess", "国王", "女王"])
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        let rects = chart.labelRects(in: frame)
        #expect(rects.count == chart.points.count + 1)
        let dots = chart.markerPositions(in: frame) + [chart.resultPosition(in: frame)!]
        for (i, rect) in rects.enumerated() {
            #expect(chart.plotRect(in: frame).contains(rect))
            for dot in dots { #expect(!rect.contains(dot), "label \(i) covers the dot at \(dot)") }
            for other in rects[(i + 1)...] { #expect(!rect.intersects(other), "label \(i) overlaps another") }
        }
        #expect(chart.labels.contains("国王"))
        for label in chart.labels { #expect(missingGlyphCount(in: label) == 0, "\(label)") }
    }

    @Test func reRenderIsByteIdentical() throws {
        let a = try renderPNGData(Self.parallelogram(extraLabels: ["国王"]))
        let b = try renderPNGData(Self.parallelogram(extraLabels: ["国王"]))
        #expect(a == b)
        #expect(a != (try renderPNGData(Self.parallelogram(result: false))))
    }

    @Test func badDataIsRefused() {
        var chart = Self.parallelogram()
        chart.arrows.append(EmbeddingPlot.Arrow(from: 0, to: 9, color: .black))
        #expect(throws: FigureError.self) { try renderPNGData(chart) }
        var empty = Self.parallelogram()
        empty.points = []
        empty.arrows = []
        empty.result = nil
        #expect(throws: FigureError.self) { try renderPNGData(empty) }
        var nan = Self.parallelogram()
        nan.points[0].x = .nan
        #expect(throws: FigureError.self) { try renderPNGData(nan) }
    }
}
