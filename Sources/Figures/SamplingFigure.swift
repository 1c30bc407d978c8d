import Foundation
import Localization

/// One next-token distribution before and after each sampling transformation, as bar panels side by
/// side: the model's distribution, then temperature T, then top-k, then top-p (a chain: each panel filters
/// the panel before it, and the draw is made from the last one). Every panel has the
/// same tokens on x in the same order and the same y range, so bars can be compared across panels;
/// tokens a filter removed drop to 0, and the chosen token's bar is highlighted in the last (draw) panel only.
///
/// Plain data in: the token labels and one probability vector per stage (e.g. the four
/// distributions of a `SamplingStep`, restricted to the tokens worth showing).
public struct SamplingFigure: Chart, Sendable {
    /// One panel: a title ("temperature T = 0.7") and one probability per token.
    public struct Stage: Sendable {
        /// The panel's heading, e.g. "temperature T = 0.7".
        public var title: String
        /// One probability per token of `SamplingFigure.tokens`, in the same order.
        public var probabilities: [Double]

        /// A panel with these probabilities.
        public init(title: String, probabilities: [Double]) {
            self.title = title
            self.probabilities = probabilities
        }

        /// A panel with these probabilities, converted to Double.
        public init(title: String, probabilities: [Float]) {
            self.init(title: title, probabilities: probabilities.map(Double.init))
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The token labels along x, the same in every panel.
    public var tokens: [String]
    /// The panels in order; each filters the one before it.
    public var stages: [Stage]
    /// The index (into `tokens`) of the token that was drawn; nil highlights nothing.
    public var chosenIndex: Int?
    /// Panels per row (4: all in one row).
    public var columns: Int

    /// A figure of the given panels, two per row by default.
    public init(title: String, subtitle: String = "", tokens: [String], stages: [Stage], chosenIndex: Int? = nil,
                columns: Int = 2) {
        self.title = title
        self.subtitle = subtitle
        self.tokens = tokens
        self.stages = stages
        self.chosenIndex = chosenIndex
        self.columns = columns
    }

    /// The usual four panels: original, temperature, top-k, top-p (nil k / p: that panel says "off").
    public init(title: String, subtitle: String = "", tokens: [String], original: [Float], temperature: Float,
                afterTemperature: [Float], k: Int?, afterTopK: [Float], p: Float?, afterTopP: [Float],
                chosenIndex: Int?, columns: Int = 2) {
        let stages = [
            Stage(title: localized("model's distribution (T = 1)"), probabilities: original),
            Stage(title: localized("then temperature T = \(Self.format(temperature))"), probabilities: afterTemperature),
            Stage(title: k.map { localized("then top-k, k = \($0)") } ?? localized("then top-k: off"), probabilities: afterTopK),
            Stage(title: (p.map { localized("then top-p, p = \(Self.format($0))") } ?? localized("then top-p: off")) + " → " + localized("draw"),
                  probabilities: afterTopP),
        ]
        self.init(title: title, subtitle: subtitle, tokens: tokens, stages: stages, chosenIndex: chosenIndex,
                  columns: columns)
    }

    static func format(_ value: Float) -> String {
        var s = String(format: "%.2f", Double(value))
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// Bar colour and the chosen token's colour.
    public static let barColor = RGB(hex: 0x4E79A7)
    /// The colour of the chosen token's bar (#E15759).
    public static let chosenColor = RGB(hex: 0xE15759)

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !tokens.isEmpty else { throw FigureError.invalidData("sampling figure has no tokens") }
        guard !stages.isEmpty else { throw FigureError.invalidData("sampling figure has no stages") }
        for stage in stages {
            guard stage.probabilities.count == tokens.count else {
                throw FigureError.invalidData("stage \"\(stage.title)\" has \(stage.probabilities.count) probabilities "
                    + "but there are \(tokens.count) tokens")
            }
            if let bad = stage.probabilities.first(where: { !$0.isFinite || $0 < 0 }) {
                throw FigureError.invalidData("stage \"\(stage.title)\" has probability \(bad); probabilities are finite and ≥ 0")
            }
        }
        if let chosenIndex, !tokens.indices.contains(chosenIndex) {
            throw FigureError.invalidData("chosenIndex \(chosenIndex) is outside 0..<\(tokens.count)")
        }
        guard columns >= 1 else { throw FigureError.invalidData("columns must be at least 1 (got \(columns))") }
    }

    /// The shared y range: 0 up to a nice value above the largest probability of any panel.
    var yRange: ClosedRange<Double> {
        let top = stages.flatMap(\.probabilities).filter(\.isFinite).max() ?? 1
        return niceRange(0, max(top, 0.05))
    }

    /// One bar chart per stage.
    public var panels: [BarChart] {
        let range = yRange
        return stages.enumerated().map { number, stage in
            BarChart(title: stage.title, categories: tokens, values: stage.probabilities, yLabel: localized("probability"),
                     highlightIndex: number == stages.count - 1 ? chosenIndex : nil, valueFormat: "%.2f", barColor: Self.barColor,
                     highlightColor: Self.chosenColor, yRange: range)
        }
    }

    var grid: PanelGrid {
        PanelGrid(title: title, columns: columns, panels: panels, gap: 16, subtitle: subtitle)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { grid.preferredSize }

    /// Where bar `index` of panel `stage` is drawn inside `frame`.
    public func barRect(stage: Int, index: Int, in frame: Rect) -> Rect {
        let grid = self.grid
        let panel = panels[stage]
        let target = grid.panelRect(stage, in: frame)
        let preferred = panel.preferredSize
        let s = target.width / preferred.width
        let bar = panel.barRect(index: index, in: Rect(origin: .zero, size: preferred))
        return Rect(x: target.minX + bar.minX * s, y: target.minY + bar.minY * s, width: bar.width * s,
                    height: bar.height * s)
    }

    /// Every string the figure draws (to check glyph coverage).
    public var labels: [String] {
        [title, subtitle].filter { !$0.isEmpty } + stages.map(\.title) + tokens
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        try grid.draw(on: canvas, in: frame)
    }
}

/// One step of step-by-step decoding: the decoder input so far, the top next-token candidates as bars
/// (the chosen one highlighted), and that step's cross-attention over the source tokens as a strip of
/// cells in viridis on 0–1, like every other weights figure (the value printed in each cell).
public struct DecodingStepFigure: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// The decoder input so far ("<s> I am"), shown as the subtitle.
    public var decoderInput: [String]
    /// The candidate tokens, most likely first, and their probabilities.
    public var candidates: [String]
    /// One probability per candidate, in the same order.
    public var probabilities: [Double]
    /// Index into `candidates` of the chosen token.
    public var chosenIndex: Int?
    /// The source sentence's tokens, one cell each in the cross-attention strip.
    public var sourceTokens: [String]
    /// One weight per source token.
    public var crossAttention: [Float]

    /// A decoding step; `chosenIndex` is 0-based into `candidates` (nil: none highlighted).
    public init(title: String, decoderInput: [String], candidates: [String], probabilities: [Double],
                chosenIndex: Int?, sourceTokens: [String], crossAttention: [Float]) {
        self.title = title
        self.decoderInput = decoderInput
        self.candidates = candidates
        self.probabilities = probabilities
        self.chosenIndex = chosenIndex
        self.sourceTokens = sourceTokens
        self.crossAttention = crossAttention
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard crossAttention.count == sourceTokens.count, !sourceTokens.isEmpty else {
            throw FigureError.invalidData("cross-attention has \(crossAttention.count) weights for \(sourceTokens.count) source tokens")
        }
        try bars.validate()
    }

    var bars: BarChart {
        BarChart(title: localized("next token: top \(candidates.count)"), categories: candidates, values: probabilities,
                 subtitle: chosenIndex == nil ? "" : localized("red: the chosen token"), yLabel: localized("probability"), highlightIndex: chosenIndex, barColor: SamplingFigure.barColor,
                 highlightColor: SamplingFigure.chosenColor, yRange: 0...1)
    }

    /// The cross-attention of the last decoder position (the query that writes the next token) as a
    /// column, one cell per source token, about as tall as the bar chart's plot beside it: a row
    /// strip there left half the figure empty.
    var strip: Heatmap {
        let cell = min(56, max(18, (Self.stripHeight / Double(max(1, sourceTokens.count))).rounded(.down)))
        return Heatmap(values: crossAttention.map { [$0] }, rowLabels: sourceTokens, columnLabels: [decoderInput.last ?? ""],
                       title: localized("cross-attention over the source"), subtitle: localized("last decoder layer, mean of the heads"),
                       colorMap: .viridis, valueRange: 0...1, showValues: true, valueFormat: "%.2f",
                       colorBarLabel: localized("weight"), xAxisTitle: AttentionAxisTitles.query,
                       yAxisTitle: localized("key (source token)"), columnLabelPosition: .bottom, cellSize: cell)
    }

    /// The height the strip aims at: the bar chart's plot height.
    static let stripHeight = 300.0

    var grid: PanelGrid {
        PanelGrid(title: title, columns: 2, panels: [bars, strip], gap: 8,
                  subtitle: localized("decoder input so far: \(decoderInput.joined(separator: " "))"))
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { grid.preferredSize }

    /// Where candidate bar `index` is drawn inside `frame`.
    public func barRect(index: Int, in frame: Rect) -> Rect {
        let target = grid.panelRect(0, in: frame)
        let preferred = bars.preferredSize
        let s = target.width / preferred.width
        let bar = bars.barRect(index: index, in: Rect(origin: .zero, size: preferred))
        return Rect(x: target.minX + bar.minX * s, y: target.minY + bar.minY * s, width: bar.width * s,
                    height: bar.height * s)
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        try grid.draw(on: canvas, in: frame)
    }
}
