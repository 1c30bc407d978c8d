import Foundation

/// The stages of one computation on one matrix shape, drawn as heatmaps in one row: lesson 3's
/// overview (Q Kᵀ, ÷ √d_k, + causal mask, softmax). The stages share their rows and columns, so the
/// row labels and the row title are drawn once, left of the first grid; each grid has its own title,
/// subtitle, column labels and column title. Stages on one colour scale share one horizontal colour
/// bar under them. Every text is at least `textSize`, and the cells are made large enough for every
/// number at that size, so the figure can be laid out for a slide.
public struct HeatmapPipeline: TitledChart, Sendable {
    /// One heatmap of the row.
    public struct Stage: Sendable {
        /// The matrix, [row][column]. A −∞ is drawn hatched with "−∞".
        public var values: [[Float]]
        /// The heading above the grid.
        public var title: String
        /// A line under the heading (may be empty).
        public var subtitle: String
        /// printf format for the numbers in the cells; it receives a Double. Numbers of 10 or more
        /// in magnitude are printed without decimals ("−12", not "−12.3"), so that they are no
        /// wider than "−1.5" and a large score does not widen every cell of the figure.
        public var valueFormat: String
        /// [row][column]: true where a mask hid the key, drawn hatched with no number. nil: none.
        public var hidden: [[Bool]]?

        /// A stage of `values`.
        public init(values: [[Float]], title: String, subtitle: String = "", valueFormat: String = "%.2f",
                    hidden: [[Bool]]? = nil) {
            self.values = values
            self.title = title
            self.subtitle = subtitle
            self.valueFormat = valueFormat
            self.hidden = hidden
        }
    }

    /// A colour scale shared by consecutive stages, drawn as one horizontal bar under them.
    public struct Scale: Sendable {
        /// The colours of the cells.
        public var colorMap: ColorMap
        /// The values mapped to the two ends of the colour map (finite, lower < upper).
        public var range: ClosedRange<Float>
        /// The caption left of the bar.
        public var label: String
        /// The stages (indices into `stages`) drawn on this scale.
        public var stages: Range<Int>

        /// A scale for `stages`.
        public init(colorMap: ColorMap, range: ClosedRange<Float>, label: String, stages: Range<Int>) {
            self.colorMap = colorMap
            self.range = range
            self.label = label
            self.stages = stages
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// One label per row, drawn once left of the first grid.
    public var rowLabels: [String]
    /// One label per column, drawn under every grid.
    public var columnLabels: [String]
    /// The grids, left to right.
    public var stages: [Stage]
    /// The colour scales; every stage is on exactly one, and a scale's stages are consecutive.
    public var scales: [Scale]
    /// The title beside the rows (drawn once).
    public var rowTitle: String
    /// The title under the columns of every grid.
    public var columnTitle: String
    /// The size of every label, number and tick (the titles are larger).
    public var textSize: Double
    /// The smallest cell side; cells grow beyond it when a number needs more room.
    public var minimumCell: Double
    /// Space between two grids.
    public var gap: Double

    /// A row of `stages` sharing `rowLabels` and `columnLabels`.
    public init(title: String, subtitle: String = "", rowLabels: [String], columnLabels: [String], stages: [Stage],
                scales: [Scale], rowTitle: String = AttentionAxisTitles.query,
                columnTitle: String = AttentionAxisTitles.key, textSize: Double = 14, minimumCell: Double = 30,
                gap: Double = 20) {
        self.title = title
        self.subtitle = subtitle
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.stages = stages
        self.scales = scales
        self.rowTitle = rowTitle
        self.columnTitle = columnTitle
        self.textSize = textSize
        self.minimumCell = minimumCell
        self.gap = gap
    }

    /// Throws `FigureError.invalidData` naming the first problem.
    public func validate() throws {
        guard !stages.isEmpty else { throw FigureError.invalidData("heatmap pipeline has no stages") }
        guard textSize > 0, textSize.isFinite, minimumCell > 0, minimumCell.isFinite, gap >= 0, gap.isFinite else {
            throw FigureError.invalidData("heatmap pipeline sizes must be positive and finite")
        }
        for (i, stage) in stages.enumerated() {
            try validateMatrix(stage.values, rowLabels: rowLabels, columnLabels: columnLabels, what: "stage \(i + 1)")
            try validateHidden(stage.hidden, rows: rowLabels.count, columns: columnLabels.count, what: "stage \(i + 1)")
        }
        for scale in scales {
            guard scale.range.lowerBound.isFinite, scale.range.upperBound.isFinite,
                  scale.range.lowerBound < scale.range.upperBound else {
                throw FigureError.invalidData("colour scale \(scale.range) must be finite and not empty")
            }
        }
        let covered = scales.flatMap { Array($0.stages) }.sorted()
        guard covered == Array(stages.indices) else {
            throw FigureError.invalidData("every stage must be on exactly one colour scale")
        }
    }

    /// The colour scale stage `index` is drawn on (nil only for data `validate` refuses).
    public func scale(ofStage index: Int) -> Scale? {
        scales.first { $0.stages.contains(index) }
    }

    // MARK: - Layout

    private static let rowLabelGap = 8.0
    private static let columnLabelGap = 6.0
    private static let barHeight = 16.0
    private static let barGapAbove = 22.0
    private static let tickLength = 4.0
    private static let captionGap = 10.0
    private static let legendGap = 20.0

    private var figureTitles: TitleBlock {
        TitleBlock(title: title, subtitle: subtitle, gapBelow: 18, titleSize: FigureStyle.titleSize + 4)
    }

    private func stageTitles(_ stage: Stage) -> TitleBlock {
        TitleBlock(title: stage.title, subtitle: stage.subtitle, gapBelow: 10)
    }

    /// The cell side: `minimumCell`, or more when a number at `textSize` needs it (2 units each side).
    var cell: Double {
        let m = TextMeasurer()
        var widest = 0.0
        for stage in stages {
            for (r, row) in stage.values.enumerated() {
                for (c, v) in row.enumerated() where !isHidden(stage.hidden, r, c) {
                    widest = max(widest, m.width(Self.cellText(v, format: stage.valueFormat), size: textSize))
                }
            }
        }
        return max(minimumCell, (widest + 4).rounded(.up))
    }

    /// The number printed in a cell: `format`, without decimals from 10 up; "−∞" for a masked score.
    static func cellText(_ value: Float, format: String) -> String {
        guard value.isFinite else { return formatNumber(Double(value)) }
        return formatNumber(Double(value), format: abs(value) >= 9.95 ? "%.0f" : format)
    }

    struct Layout {
        var cell: Double
        /// The grid of every stage.
        var grids: [Rect]
        /// The top of every stage's title block.
        var stageTitleTop: Double
        var columnLabels: AxisLabels
        /// The top of the column title under every grid.
        var columnTitleY: Double
        /// The colour bar of every scale.
        var bars: [Rect]
        var size: Size
    }

    private func rowLabelWidth(_ m: TextMeasurer) -> Double {
        rowLabels.map { m.width($0, size: textSize) }.max() ?? 0
    }

    /// A scale's bar row, left to right: caption, bar, masked swatch and its legend.
    private func barRowWidths(_ scale: Scale, barWidth: Double, _ m: TextMeasurer) -> (caption: Double, legend: Double) {
        let caption = scale.label.isEmpty ? 0 : m.width(scale.label, size: textSize) + Self.captionGap
        let legend = maskedLegend(scale).map { Self.legendGap + ColorBar.swatch + 6 + m.width($0, size: textSize) } ?? 0
        return (caption, legend)
    }

    private func maskedLegend(_ scale: Scale) -> String? {
        let values = scale.stages.flatMap { stages[$0].values.joined() }
        let anyHidden = scale.stages.contains { stages[$0].hidden?.joined().contains(true) ?? false }
        return maskedLegendText(values, anyHidden: anyHidden)
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let c = cell
        let rows = Double(rowLabels.count), cols = Double(columnLabels.count)
        let gridWidth = cols * c, gridHeight = rows * c
        let labels = AxisLabels(labels: columnLabels, size: textSize, m, slot: c, below: true,
                                gap: Self.columnLabelGap)
        // Each stage takes the width of its grid or of its titles, whichever is wider.
        let slots = stages.map { max(gridWidth, stageTitles($0).width(m)) }
        let rowArea = rowLabelWidth(m) + Self.rowLabelGap + AttentionAxisTitles.rowTitleWidth(m, rowTitle)
        let left = FigureStyle.margin + max(rowArea, -labels.minX - ((slots.first ?? gridWidth) - gridWidth) / 2)
        let stageTitleTop = FigureStyle.margin + figureTitles.height(m)
        let titleHeight = stages.map { stageTitles($0).height(m) }.max() ?? 0
        let gridTop = stageTitleTop + titleHeight
        var grids: [Rect] = []
        var x = left
        for slot in slots {
            grids.append(Rect(x: x + (slot - gridWidth) / 2, y: gridTop, width: gridWidth, height: gridHeight))
            x += slot + gap
        }
        let right = x - gap + max(0, labels.maxX - gridWidth) + FigureStyle.margin
        let columnTitleY = gridTop + gridHeight + labels.extent + AttentionAxisTitles.gap
        let titlesBottom = columnTitleY + (columnTitle.isEmpty ? 0 : m.lineHeight(columnTitle, size: AttentionAxisTitles.size))
        let barTop = titlesBottom + Self.barGapAbove
        // Each bar is centred under its stages, as wide as leaves room for its caption and legend.
        var bars: [Rect] = []
        for scale in scales {
            // A scale `validate` refuses (no stages, or stages that do not exist) gets no bar.
            guard !scale.stages.isEmpty, scale.stages.upperBound <= grids.count, scale.stages.lowerBound >= 0 else {
                bars.append(Rect(x: 0, y: 0, width: 0, height: 0))
                continue
            }
            let first = grids[scale.stages.lowerBound], last = grids[scale.stages.upperBound - 1]
            let span = last.maxX - first.minX
            let extras = barRowWidths(scale, barWidth: 0, m)
            let width = max(80, min(320, span - extras.caption - extras.legend))
            let blockWidth = extras.caption + width + extras.legend
            let x0 = (first.minX + last.maxX) / 2 - blockWidth / 2 + extras.caption
            bars.append(Rect(x: x0, y: barTop, width: width, height: Self.barHeight))
        }
        let bottom = barTop + Self.barHeight + Self.tickLength + 3 + m.lineHeight(size: textSize) + FigureStyle.margin
        let width = max(right, figureTitles.width(m) + 2 * FigureStyle.margin)
        return Layout(cell: c, grids: grids, stageTitleTop: stageTitleTop, columnLabels: labels,
                      columnTitleY: columnTitleY, bars: bars, size: Size(width: width.rounded(.up), height: bottom.rounded(.up)))
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Where `draw(on:in:)` puts the cell at `row`, `column` of stage `stage` when drawing into a
    /// frame at the origin of the preferred size (the chart is drawn at its preferred size, centred).
    /// `stage` must be an index of `stages`.
    public func cellRect(stage: Int, row: Int, column: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        let origin = Point(x: frame.minX + max(0, (frame.width - L.size.width) / 2), y: frame.minY)
        let grid = L.grids[stage]
        return Rect(x: origin.x + grid.minX + Double(column) * L.cell + 0.5,
                    y: origin.y + grid.minY + Double(row) * L.cell + 0.5, width: L.cell - 1, height: L.cell - 1)
    }

    /// Draws the chart inside `frame` at its preferred size, centred across the frame.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(m)
        try canvas.withSavedState {
            canvas.translate(dx: frame.minX + max(0, (frame.width - L.size.width) / 2), dy: frame.minY)
            try drawContent(on: canvas, L, m)
        }
    }

    private func drawContent(on canvas: Canvas, _ L: Layout, _ m: TextMeasurer) throws {
        figureTitles.draw(on: canvas, centerX: L.size.width / 2, top: FigureStyle.margin)
        for (index, stage) in stages.enumerated() {
            let grid = L.grids[index]
            stageTitles(stage).draw(on: canvas, centerX: grid.midX, top: L.stageTitleTop)
            guard let scale = scale(ofStage: index) else { continue }
            let lo = Double(scale.range.lowerBound), span = Double(scale.range.upperBound) - lo
            for (r, row) in stage.values.enumerated() {
                for (c, v) in row.enumerated() {
                    let rect = Rect(x: grid.minX + Double(c) * L.cell + 0.5, y: grid.minY + Double(r) * L.cell + 0.5,
                                    width: L.cell - 1, height: L.cell - 1)
                    if isHidden(stage.hidden, r, c) {
                        drawMaskedCell(on: canvas, rect, text: nil, textSize: 0)
                    } else if v.isFinite {
                        let color = scale.colorMap.color(at: (Double(v) - lo) / span)
                        canvas.fillRect(rect, color: color)
                        canvas.text(Self.cellText(v, format: stage.valueFormat), at: rect.center, size: textSize,
                                    color: color.contrastingTextColor, alignment: .center, verticalAlignment: .middle)
                    } else {
                        drawMaskedCell(on: canvas, rect, text: formatNumber(Double(v)), textSize: textSize)
                    }
                }
            }
            L.columnLabels.draw(columnLabels, on: canvas, origin: Point(x: grid.minX, y: grid.maxY), size: textSize)
            if !columnTitle.isEmpty {
                AttentionAxisTitles.columnTitle(columnTitle, labelsEdge: L.columnTitleY - AttentionAxisTitles.gap,
                                                centerX: grid.midX).draw(on: canvas)
            }
        }
        // The rows once, left of the first grid.
        let first = L.grids[0]
        for (r, label) in rowLabels.enumerated() {
            canvas.text(label, at: Point(x: first.minX - Self.rowLabelGap, y: first.minY + (Double(r) + 0.5) * L.cell),
                        size: textSize, color: FigureStyle.text, alignment: .right, verticalAlignment: .middle)
        }
        if !rowTitle.isEmpty {
            AttentionAxisTitles.rowTitle(rowTitle, labelsLeft: first.minX - Self.rowLabelGap - rowLabelWidth(m),
                                         centerY: first.midY, m).draw(on: canvas)
        }
        for (scale, bar) in zip(scales, L.bars) { drawBar(scale, bar, on: canvas) }
        try canvas.checkStatus("draw heatmap pipeline")
    }

    /// A horizontal colour bar: caption at its left, ticks under it, the masked swatch at its right.
    private func drawBar(_ scale: Scale, _ bar: Rect, on canvas: Canvas) {
        canvas.fillGradient(bar, colorMap: scale.colorMap, vertical: false)
        canvas.strokeRect(bar, color: RGB(hex: 0x888888), width: 0.75)
        let lo = Double(scale.range.lowerBound), hi = Double(scale.range.upperBound)
        let ticks = niceTicks(from: lo, to: hi, maxCount: max(2, min(7, Int(bar.width / 50) + 1)))
        for (value, text) in zip(ticks, tickLabels(ticks)) {
            let x = bar.minX + (value - lo) / (hi - lo) * bar.width
            canvas.line(from: Point(x: x, y: bar.maxY), to: Point(x: x, y: bar.maxY + Self.tickLength),
                        color: FigureStyle.axis, width: 1)
            canvas.text(text, at: Point(x: x, y: bar.maxY + Self.tickLength + 3), size: textSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        }
        if !scale.label.isEmpty {
            canvas.text(scale.label, at: Point(x: bar.minX - Self.captionGap, y: bar.midY), size: textSize,
                        color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .middle)
        }
        if let legend = maskedLegend(scale) {
            let swatch = Rect(x: bar.maxX + Self.legendGap, y: bar.midY - ColorBar.swatch / 2,
                              width: ColorBar.swatch, height: ColorBar.swatch)
            drawMaskedCell(on: canvas, swatch, text: nil, textSize: 0)
            canvas.strokeRect(swatch, color: RGB(hex: 0x888888), width: 0.75)
            canvas.text(legend, at: Point(x: swatch.maxX + 6, y: swatch.midY), size: textSize,
                        color: FigureStyle.secondaryText, verticalAlignment: .middle)
        }
    }
}
