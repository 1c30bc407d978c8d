import Testing
@testable import Figures

/// The logit-lens table: cells shaded by their probability, the token and its probability both
/// readable (their text boxes never touch), the first top-1 layer outlined.
@Suite struct LogitLensFigureTests {
    static func figure() -> LogitLensFigure {
        typealias Cell = LogitLensFigure.Cell
        // Two positions, three rows; column 1's final answer "Paris" first appears in row 1.
        let cells: [[Cell]] = [
            [Cell(token: "The", probability: 1, isFinalAnswer: false), Cell(token: "␣is", probability: 0.9, isFinalAnswer: false)],
            [Cell(token: "␣the", probability: 0.25, isFinalAnswer: false), Cell(token: "␣Paris", probability: 0.5, isFinalAnswer: true)],
            [Cell(token: "␣capital", probability: 0.75, isFinalAnswer: true), Cell(token: "␣Paris", probability: 0.8, isFinalAnswer: true)],
        ]
        return LogitLensFigure(title: "The logit lens", subtitle: "a test", cells: cells,
                               rowLabels: ["embedding", "layer 1", "layer 2"], columnLabels: ["The", "␣capital"],
                               outlinedRows: [2, 1])
    }

    @Test func tokensAndProbabilitiesNeverTouch() throws {
        let (_, canvas) = try renderCanvas(Self.figure(), format: .png, scale: 2)
        let boxes = canvas.textBoxes
        let probabilities = boxes.filter { ["1.00", "0.90", "0.25", "0.50", "0.75", "0.80"].contains($0.text) }
        #expect(probabilities.count == 6)
        // Every pair of texts is apart, the token above its own probability included.
        for (i, a) in boxes.enumerated() {
            for b in boxes[(i + 1)...] {
                #expect(!a.overlaps(b, tolerance: 0), "\"\(a.text)\" touches \"\(b.text)\"")
            }
        }
        // Each probability sits below a token of the same cell, with a gap.
        for probability in probabilities {
            let above = boxes.filter { abs($0.box.midX - probability.box.midX) < 1 && $0.box.maxY <= probability.box.minY }
            let nearest = try #require(above.max { $0.box.maxY < $1.box.maxY }, "no token above \(probability.text)")
            #expect(probability.box.minY - nearest.box.maxY >= 1, "\(nearest.text) and \(probability.text) have no gap")
        }
    }

    @Test func cellsAreShadedByTheirProbability() throws {
        let chart = Self.figure()
        let image = try renderedImage(chart)
        let (_, canvas) = try renderCanvas(chart, format: .png, scale: 2)
        // The cell of "␣the" (row 1, column 0) at p = 0.25: a point at its left edge, between the
        // texts, has viridis(0.25).
        let token = try #require(canvas.textBoxes.first { $0.text == "␣the" })
        let point = Point(x: token.box.minX - 6, y: token.box.midY)
        #expect(channelDistance(image.pixel(at: point, scale: 2), ColorMap.viridis.color(at: 0.25)) <= 2)
    }
}
