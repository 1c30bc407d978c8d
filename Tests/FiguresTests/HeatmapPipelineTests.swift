import Foundation
import Testing
@testable import Figures

@Suite("Heatmap pipeline")
struct HeatmapPipelineTests {
    static let labels = ["a", "b", "c"]
    static let scores: [[Float]] = [[-2, 1, 0.5], [0, 2, -1], [1.5, -0.5, 2]]
    static let masked: [[Float]] = [[-2, -.infinity, -.infinity], [0, 2, -.infinity], [1.5, -0.5, 2]]
    static let weights: [[Float]] = [[1, 0, 0], [0.12, 0.88, 0], [0.5, 0.07, 0.43]]
    static let hidden = [[false, true, true], [false, false, true], [false, false, false]]

    static func pipeline(textSize: Double = 14, minimumCell: Double = 30) -> HeatmapPipeline {
        HeatmapPipeline(title: "Pipeline", subtitle: "three stages", rowLabels: labels, columnLabels: labels, stages: [
            .init(values: scores, title: "1 · scores", valueFormat: "%.1f"),
            .init(values: masked, title: "2 · masked", valueFormat: "%.1f"),
            .init(values: weights, title: "3 · softmax", hidden: hidden),
        ], scales: [
            .init(colorMap: .diverging, range: -2...2, label: "score", stages: 0..<2),
            .init(colorMap: .viridis, range: 0...1, label: "weight", stages: 2..<3),
        ], textSize: textSize, minimumCell: minimumCell)
    }

    /// Cells have their scale's colour, hidden and −∞ cells are hatched grey, and the two stages on
    /// one scale give one value one colour.
    @Test func cellsTakeTheirScalesColours() throws {
        let chart = Self.pipeline()
        let image = try renderedImage(chart)
        let frame = Rect(origin: .zero, size: chart.preferredSize)
        #expect((image.width, image.height) == (Int(frame.width * 2), Int(frame.height * 2)))
        func corner(_ stage: Int, _ row: Int, _ column: Int) -> (UInt8, UInt8, UInt8) {
            let cell = chart.cellRect(stage: stage, row: row, column: column, in: frame)
            return image.pixel(at: Point(x: cell.minX + 0.1 * cell.width, y: cell.minY + 0.1 * cell.height), scale: 2)
        }
        // −2 is the low end of the diverging map, 2 the high end, 0 its middle.
        #expect(channelDistance(corner(0, 0, 0), ColorMap.diverging.color(at: 0)) <= 2)
        #expect(channelDistance(corner(0, 1, 1), ColorMap.diverging.color(at: 1)) <= 2)
        #expect(channelDistance(corner(0, 1, 0), ColorMap.diverging.color(at: 0.5)) <= 2)
        #expect(corner(1, 1, 1) == corner(0, 1, 1), "one scale: stage 2's 2.0 is stage 1's 2.0")
        // 0.88 on viridis 0–1.
        #expect(channelDistance(corner(2, 1, 1), ColorMap.viridis.color(at: 0.88)) <= 2)
        for (stage, row, column) in [(1, 0, 1), (1, 1, 2), (2, 0, 1), (2, 0, 2), (2, 1, 2)] {
            let p = corner(stage, row, column)
            #expect(p.0 == p.1 && p.1 == p.2 && p.0 > 180, "stage \(stage) (\(row), \(column)) is not hatched grey: \(p)")
        }
    }

    /// Every text is at least `textSize`, the rows are labelled once and the columns under every
    /// grid, and a number wider than the minimum cell makes the cells grow instead of shrinking.
    @Test func everyTextIsAtLeastTheTextSize() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Large numbers lose their decimals ("−12"), and only a number wider than that grows the cells.
        #expect(HeatmapPipeline.cellText(-12.34, format: "%.1f") == "−12")
        #expect(HeatmapPipeline.cellText(9.94, format: "%.1f") == "9.9")
        #expect(HeatmapPipeline.cellText(-.infinity, format: "%.1f") == "−∞")
        var large = Self.pipeline()
        large.stages[0].values[2][2] = -12.34
        #expect(large.cell == Self.pipeline().cell)
        var wide = Self.pipeline(minimumCell: 20)
        wide.stages[0].values[2][2] = -1234.5
        wide.scales[0].range = -1234.5...1234.5
        let log = RenderLog()
        try RenderLog.$current.withValue(log) {
            try render(Self.pipeline(), to: folder + "/narrow.png")
            try render(wide, to: folder + "/wide.png")
        }
        for entry in log.entries {
            #expect(entry.texts.map(\.size).min() == 14, "\(entry.path)")
            #expect(entry.texts.filter { $0.text == "b" }.count == 4, "one row label, three column labels")
            #expect(entry.texts.filter { $0.text == "query" }.count == 1)
            #expect(entry.texts.filter { $0.text == "key" }.count == 3)
        }
        let m = TextMeasurer()
        #expect(Self.pipeline().cell == (m.width("−2.0", size: 14) + 4).rounded(.up), "the widest number and 2 each side")
        #expect(Self.pipeline(minimumCell: 60).cell == 60)
        #expect(wide.cell == (m.width("−1,234", size: 14) + 4).rounded(.up))
        #expect(log.entries[1].texts.contains { $0.text == "−1,234" && $0.size == 14 })
    }

    @Test func refusesDataItCannotDraw() {
        var ragged = Self.pipeline()
        ragged.stages[1].values[0] = [1, 2]
        var unscaled = Self.pipeline()
        unscaled.scales[1].stages = 1..<2
        var infinite = Self.pipeline()
        infinite.scales[0].range = -Float.infinity...0
        var badHidden = Self.pipeline()
        badHidden.stages[2].hidden = [[true]]
        var noStages = Self.pipeline()
        noStages.stages = []
        noStages.scales = []
        var missingStage = Self.pipeline()
        missingStage.scales[1].stages = 2..<5
        for chart in [ragged, unscaled, infinite, badHidden, noStages, missingStage] {
            #expect(throws: FigureError.self) { try renderPNGData(chart) }
        }
    }
}
