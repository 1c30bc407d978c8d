import Foundation

/// A matrix drawn as coloured cells: row labels at the left, column labels at the bottom (or top),
/// a colour bar at the right. Built for attention weights (rows: queries, columns: keys), where
/// masked scores are −∞: those cells are drawn grey and hatched with "−∞", outside the colour map.
public struct Heatmap: Chart, Sendable {
    /// Where the column labels go: above or below the cells.
    public enum ColumnLabelPosition: Sendable { case top, bottom }

    /// The matrix, [row][column]; rows must have equal lengths. A masked −∞ is drawn grey and
    /// hatched.
    public var values: [[Float]]
    /// One label per row (e.g. the query tokens).
    public var rowLabels: [String]
    /// One label per column (e.g. the key tokens).
    public var columnLabels: [String]
    /// The heading above the figure (also the PNG's "Title"); may be empty.
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The colour scale of the cells (viridis by default).
    public var colorMap: ColorMap
    /// nil: min...max of the finite values (symmetric about 0 for a colour map centred at zero).
    public var valueRange: ClosedRange<Float>?
    /// nil: numbers are shown when the cells are big enough for them.
    public var showValues: Bool?
    /// printf format for the numbers in cells; it receives a Double.
    public var valueFormat: String
    /// The caption of the colour bar (may be empty).
    public var colorBarLabel: String
    /// The title under the columns (may be empty).
    public var xAxisTitle: String
    /// The title beside the rows (may be empty).
    public var yAxisTitle: String
    /// The 0-based row outlined in red with its label in bold; nil: none. Outside the rows, drawing
    /// throws `FigureError.invalidData`.
    public var highlightRow: Int?
    /// Column labels below the cells (default) or above them.
    public var columnLabelPosition: ColumnLabelPosition
    /// Side of a cell at the preferred size; nil picks one from the matrix size.
    public var cellSize: Double?
    /// [row][column]: true where a mask hid the key, drawn hatched with no number and a "masked"
    /// legend (an attention weight of 0 that attention never chose). nil: nothing hidden.
    public var hidden: [[Bool]]?
    /// Keep room at the right for the masked-cell legend even when no cell is masked, so that a
    /// series of heatmaps (lesson 3's stages) has its grids at one place whether or not a stage
    /// masks: the legend is wider than the colour bar and would otherwise push its grid left.
    public var reservesMaskedLegend = false

    /// A heatmap of `values`; every option has a default except the data and its labels.
    public init(values: [[Float]], rowLabels: [String], columnLabels: [String], title: String = "",
                subtitle: String = "", colorMap: ColorMap = .viridis, valueRange: ClosedRange<Float>? = nil,
                showValues: Bool? = nil, valueFormat: String = "%.2f", colorBarLabel: String = "",
                xAxisTitle: String = "", yAxisTitle: String = "", highlightRow: Int? = nil,
                columnLabelPosition: ColumnLabelPosition = .bottom, cellSize: Double? = nil,
                hidden: [[Bool]]? = nil) {
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
        self.subtitle = subtitle
        self.colorMap = colorMap
        self.valueRange = valueRange
        self.showValues = showValues
        self.valueFormat = valueFormat
        self.colorBarLabel = colorBarLabel
        self.xAxisTitle = xAxisTitle
        self.yAxisTitle = yAxisTitle
        self.highlightRow = highlightRow
        self.columnLabelPosition = columnLabelPosition
        self.cellSize = cellSize
        self.hidden = hidden
    }

    /// The number of rows of `values`.
    public var rowCount: Int { values.count }
    /// The number of columns (the length of the first row; 0 when there are no rows).
    public var columnCount: Int { values.first?.count ?? 0 }

    /// Throws `FigureError.invalidData` if the matrix cannot be drawn.
    public func validate() throws {
        guard !values.isEmpty, columnCount > 0 else {
            throw FigureError.invalidData("heatmap matrix is empty")
        }
        for (i, row) in values.enumerated() where row.count != columnCount {
            throw FigureError.invalidData("heatmap rows are ragged: row 0 has \(columnCount) values, row \(i) has \(row.count)")
        }
        guard rowLabels.count == rowCount else {
            throw FigureError.invalidData("heatmap has \(rowCount) rows but \(rowLabels.count) row labels")
        }
        guard columnLabels.count == columnCount else {
            throw FigureError.invalidData("heatmap has \(columnCount) columns but \(columnLabels.count) column labels")
        }
        if let highlightRow, !(0..<rowCount).contains(highlightRow) {
            throw FigureError.invalidData("highlightRow \(highlightRow) is outside 0..<\(rowCount)")
        }
        try validateHidden(hidden, rows: rowCount, columns: columnCount, what: "heatmap")
        if let valueRange, !(valueRange.lowerBound.isFinite && valueRange.upperBound.isFinite) {
            throw FigureError.invalidData("valueRange \(valueRange) must be finite")
        }
    }

    /// The values mapped to the ends of the colour map.
    public var resolvedRange: ClosedRange<Double> {
        if let valueRange {
            let lo = Double(valueRange.lowerBound), hi = Double(valueRange.upperBound)
            return lo < hi ? lo...hi : expanded(lo)
        }
        let finite = values.joined().filter(\.isFinite).map(Double.init)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if colorMap.isCenteredAtZero {
            let m = max(abs(lo), abs(hi))
            return m > 0 ? -m...m : -1...1
        }
        return lo < hi ? lo...hi : expanded(lo)
    }

    private func expanded(_ v: Double) -> ClosedRange<Double> {
        v == 0 ? 0...1 : (v - abs(v) * 0.5)...(v + abs(v) * 0.5)
    }

    /// The colour a finite value gets.
    public func color(for value: Float) -> RGB {
        let r = resolvedRange
        return colorMap.color(at: (Double(value) - r.lowerBound) / (r.upperBound - r.lowerBound))
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let c = preferredCell
        let g = geometry(cell: c, m)
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let width = 2 * FigureStyle.margin + g.left + Double(columnCount) * c + g.right
        let height = 2 * FigureStyle.margin + titles.height(m) + g.top + Double(rowCount) * c + g.bottom
        return Size(width: max(width, titles.width(m) + 2 * FigureStyle.margin).rounded(.up),
                    height: height.rounded(.up))
    }

    private var preferredCell: Double {
        if let cellSize, cellSize > 0 { return cellSize }
        let n = Double(max(1, max(rowCount, columnCount)))
        let base = min(72, max(24, 600 / n))
        // Grow small matrices so the axis titles are no longer than the grid they label.
        let m = TextMeasurer()
        let forY = (m.width(yAxisTitle, size: FigureStyle.axisTitleSize) + 8) / Double(max(1, rowCount))
        let forX = (m.width(xAxisTitle, size: FigureStyle.axisTitleSize) + 8) / Double(max(1, columnCount))
        return max(base, min(160, max(forX, forY)))
    }

    /// Exactly where `draw(on:in:)` puts the cell at `row`, `column` when drawing into `frame`.
    public func cellRect(row: Int, column: Int, in frame: Rect) -> Rect {
        layout(in: frame, TextMeasurer()).cellRect(row: row, column: column)
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        let g = L.geometry
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: L.titleTop)

        // Cells.
        let range = resolvedRange
        for r in 0..<rowCount {
            for c in 0..<columnCount {
                let rect = L.cellRect(row: r, column: c)
                let v = values[r][c]
                if isHidden(hidden, r, c) {
                    drawMaskedCell(on: canvas, rect, text: nil, textSize: 0)
                } else if v.isFinite {
                    let color = colorMap.color(at: (Double(v) - range.lowerBound) / (range.upperBound - range.lowerBound))
                    canvas.fillRect(rect, color: color)
                    if g.showValues {
                        canvas.text(formatNumber(Double(v), format: valueFormat), at: rect.center, size: g.valueSize,
                                    color: color.contrastingTextColor, alignment: .center, verticalAlignment: .middle)
                    }
                } else {
                    let label = formatNumber(Double(v))
                    let fits = g.valueSize >= 7 && m.width(label, size: g.valueSize) <= rect.width - 4
                    drawMaskedCell(on: canvas, rect, text: fits ? label : nil, textSize: g.valueSize)
                }
            }
        }

        // Highlighted row: a white halo and a red outline around the whole row.
        if let h = highlightRow {
            let rowRect = Rect(x: L.grid.minX, y: L.grid.minY + Double(h) * L.cell, width: L.grid.width, height: L.cell)
            canvas.strokeRect(rowRect, color: .white, width: 5)
            canvas.strokeRect(rowRect, color: FigureStyle.highlight, width: 2.5)
        }

        // Row labels.
        for (r, label) in rowLabels.enumerated() {
            let isHighlighted = r == highlightRow
            canvas.text(label, at: Point(x: L.grid.minX - Geometry.rowLabelGap, y: L.grid.minY + (Double(r) + 0.5) * L.cell),
                        size: g.labelSize, weight: isHighlighted ? .bold : .regular,
                        color: isHighlighted ? FigureStyle.highlight : FigureStyle.text,
                        alignment: .right, verticalAlignment: .middle)
        }

        // Column labels.
        g.columnLabels.draw(columnLabels, on: canvas, origin: Point(x: L.grid.minX, y: columnLabelBase(L)),
                            size: g.labelSize)

        // Axis titles.
        if !xAxisTitle.isEmpty {
            let above = columnLabelPosition == .top
            let edge = above ? L.grid.minY - g.columnLabelExtent : L.grid.maxY + g.columnLabelExtent
            AttentionAxisTitles.columnTitle(xAxisTitle, labelsEdge: edge, centerX: L.grid.midX, above: above).draw(on: canvas)
        }
        if !yAxisTitle.isEmpty {
            AttentionAxisTitles.rowTitle(yAxisTitle, labelsLeft: L.grid.minX - g.rowLabelArea, centerY: L.grid.midY, m)
                .draw(on: canvas)
        }

        // Colour bar.
        g.colorBar.draw(on: canvas, bar: L.colorBarRect)
        try canvas.checkStatus("draw heatmap")
    }

    // MARK: - Layout

    private enum Geometry {
        static let rowLabelGap = 8.0
        static let columnLabelGap = 6.0
        static let colorBarGap = 24.0
        static let minColorBarHeight = 120.0
        static let maxCell = 140.0
    }

    /// Everything that depends only on the cell size.
    struct CellGeometry {
        var cell: Double
        var labelSize: Double
        var columnLabels: AxisLabels
        /// How far the column labels reach away from the grid (vertical), including the gap.
        var columnLabelExtent: Double
        var rowLabelArea: Double
        var showValues: Bool
        var valueSize: Double
        var colorBar: ColorBar
        var colorBarHeight: Double
        /// Space needed left of, right of, above and below the grid.
        var left: Double, right: Double, top: Double, bottom: Double
    }

    struct Layout {
        var geometry: CellGeometry
        var titleTop: Double
        var grid: Rect
        var cell: Double
        var colorBarRect: Rect
        var gap: Double { cell >= 20 ? 1 : 0 }

        func cellRect(row: Int, column: Int) -> Rect {
            Rect(x: grid.minX + Double(column) * cell + gap / 2, y: grid.minY + Double(row) * cell + gap / 2,
                 width: cell - gap, height: cell - gap)
        }
    }

    private func columnLabelBase(_ L: Layout) -> Double {
        columnLabelPosition == .bottom ? L.grid.maxY : L.grid.minY
    }

    private var maskedLegend: String? {
        maskedLegendText(values.joined(), anyHidden: hidden?.joined().contains(true) ?? false)
    }

    func geometry(cell c: Double, _ m: TextMeasurer) -> CellGeometry {
        let labelSize = min(FigureStyle.labelSize, max(6, c / 1.25))
        let rows = rowCount, cols = columnCount

        // Row labels (the highlighted one is bold).
        var rowLabelWidth = 0.0
        for (r, label) in rowLabels.enumerated() {
            rowLabelWidth = max(rowLabelWidth, m.width(label, size: labelSize, weight: r == highlightRow ? .bold : .regular))
        }
        let rowLabelArea = rowLabelWidth + Geometry.rowLabelGap
        var left = rowLabelArea
        left += AttentionAxisTitles.rowTitleWidth(m, yAxisTitle)

        // Column labels: horizontal if they fit their column, else at 45°, else vertical.
        let bottom = columnLabelPosition == .bottom
        let axisLabels = AxisLabels(labels: columnLabels, size: labelSize, m, slot: c,
                                    below: bottom, gap: Geometry.columnLabelGap)
        let extent = axisLabels.extent
        var axisBlock = extent
        axisBlock += AttentionAxisTitles.columnTitleHeight(m, xAxisTitle)
        left = max(left, -axisLabels.minX)

        // Numbers in cells.
        var valueSize = min(FigureStyle.labelSize, max(7, c * 0.27))
        let widest = values.joined().filter(\.isFinite)
            .map { m.width(formatNumber(Double($0), format: valueFormat), size: valueSize) }.max() ?? 0
        let fits = widest <= c - 6 && valueSize >= 8
        let show = showValues ?? fits
        if show && !fits && widest > 0 {
            valueSize = max(5, valueSize * (c - 4) / widest)
        }

        // Colour bar.
        let colorBar = ColorBar(colorMap: colorMap, range: resolvedRange, label: colorBarLabel, maskedLegend: maskedLegend)
        let gridHeight = Double(rows) * c
        // Axis titles longer than the grid is wide (or tall) reach past it on both sides.
        let yTitleOverflow = max(0, (m.width(yAxisTitle, size: FigureStyle.axisTitleSize) - gridHeight) / 2)
        let xTitleOverflow = max(0, (m.width(xAxisTitle, size: FigureStyle.axisTitleSize) - Double(cols) * c) / 2)
        left = max(left, xTitleOverflow)
        let barHeight = max(gridHeight, Geometry.minColorBarHeight)
        let legendReserve = reservesMaskedLegend
            ? ColorBar.swatch + 6 + ColorBar.maskedLegends.map { m.width($0, size: FigureStyle.tickSize) }.max()! : 0
        let right = max(axisLabels.maxX - Double(cols) * c,
                        Geometry.colorBarGap + max(colorBar.width(height: barHeight, m), legendReserve), xTitleOverflow)
        let barOverhang = colorBar.overhang(m)
        let top = max(bottom ? 0 : axisBlock, barOverhang, yTitleOverflow)
        let bottomSpace = max(bottom ? axisBlock : 0,
                              barHeight - gridHeight + colorBar.heightBelow + barOverhang, yTitleOverflow)

        return CellGeometry(cell: c, labelSize: labelSize, columnLabels: axisLabels,
                            columnLabelExtent: extent, rowLabelArea: rowLabelArea, showValues: show,
                            valueSize: valueSize, colorBar: colorBar, colorBarHeight: barHeight,
                            left: left, right: right, top: top, bottom: bottomSpace)
    }

    func layout(in frame: Rect, _ m: TextMeasurer) -> Layout {
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let inner = frame.insetBy(FigureStyle.margin)
        let titleHeight = titles.height(m)
        let available = Rect(x: inner.minX, y: inner.minY + titleHeight, width: inner.width,
                             height: max(1, inner.height - titleHeight))
        let rows = Double(max(1, rowCount)), cols = Double(max(1, columnCount))

        func fit(_ g: CellGeometry) -> Double {
            min((available.width - g.left - g.right) / cols, (available.height - g.top - g.bottom) / rows)
        }
        // Start from the largest cell that could fit and shrink until the labels fit too.
        var c = min(available.width / cols, available.height / rows, max(Geometry.maxCell, preferredCell))
        var g = geometry(cell: max(1, c), m)
        for _ in 0..<60 {
            let f = fit(g)
            if f >= c - 1e-6 { break }
            c = max(1, min(f, c - 1e-3))
            g = geometry(cell: c, m)
            if c <= 1 { break }
        }
        let gridSize = Size(width: cols * c, height: rows * c)
        let blockWidth = g.left + gridSize.width + g.right
        let blockHeight = g.top + gridSize.height + g.bottom
        let x0 = available.minX + max(0, (available.width - blockWidth) / 2)
        let y0 = available.minY + max(0, (available.height - blockHeight) / 2)
        let grid = Rect(x: x0 + g.left, y: y0 + g.top, width: gridSize.width, height: gridSize.height)
        let bar = Rect(x: grid.maxX + Geometry.colorBarGap, y: grid.minY, width: g.colorBar.barWidth,
                       height: g.colorBarHeight)
        return Layout(geometry: g, titleTop: inner.minY, grid: grid, cell: c, colorBarRect: bar)
    }
}
