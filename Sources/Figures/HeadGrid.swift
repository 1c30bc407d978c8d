import Foundation
import Localization

/// One attention heatmap per head in a grid under one title, all on ONE colour scale with one colour
/// bar, a title over each head. Rows are queries, columns keys. The panels share their axes: row labels
/// (and the "query" axis title) left of the first column of panels, column labels (and "key") under the
/// lowest panel of each column.
public struct HeadGrid: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// [head][query][key].
    public var heads: [[[Float]]]
    /// nil: "head 1", "head 2", …
    public var headTitles: [String]?
    /// One label per query (row), shared by every panel.
    public var rowLabels: [String]
    /// One label per key (column), shared by every panel.
    public var columnLabels: [String]
    /// nil: automatic (4 heads → 2 columns, 6 → 3, 8 → 4, …).
    public var columns: Int?
    /// The colour scale every panel shares.
    public var colorMap: ColorMap
    /// The values at the two ends of the colour scale.
    public var valueRange: ClosedRange<Float>
    /// nil: numbers are printed in the cells when they fit.
    public var showValues: Bool?
    /// printf format for the numbers in cells; it receives a Double.
    public var valueFormat: String
    /// The caption of the colour bar.
    public var colorBarLabel: String
    /// Side of a cell at the preferred size; nil picks one from the number of tokens and panel columns.
    public var cellSize: Double?
    /// [query][key], shared by every head: true where a mask hid the key (drawn hatched, no number).
    public var hidden: [[Bool]]?

    /// A grid of `heads`, [head][query][key] with heads from 0.
    public init(title: String, subtitle: String = "", heads: [[[Float]]], headTitles: [String]? = nil,
                rowLabels: [String], columnLabels: [String], columns: Int? = nil, colorMap: ColorMap = .viridis,
                valueRange: ClosedRange<Float> = 0...1, showValues: Bool? = nil, valueFormat: String = "%.2f",
                colorBarLabel: String = localized("weight"), cellSize: Double? = nil, hidden: [[Bool]]? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.heads = heads
        self.headTitles = headTitles
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.columns = columns
        self.colorMap = colorMap
        self.valueRange = valueRange
        self.showValues = showValues
        self.valueFormat = valueFormat
        self.colorBarLabel = colorBarLabel
        self.cellSize = cellSize
        self.hidden = hidden
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !heads.isEmpty else { throw FigureError.invalidData("head grid has no heads") }
        for (h, head) in heads.enumerated() {
            try validateMatrix(head, rowLabels: rowLabels, columnLabels: columnLabels, what: "head \(h + 1)")
            try validateHidden(hidden, rows: head.count, columns: head.first?.count ?? 0, what: "head \(h + 1)")
        }
        if let headTitles, headTitles.count != heads.count {
            throw FigureError.invalidData("\(heads.count) heads but \(headTitles.count) head titles")
        }
        if let columns, columns < 1 {
            throw FigureError.invalidData("head grid needs at least one column (got \(columns))")
        }
        if let cellSize, !(cellSize.isFinite && cellSize > 0) {
            throw FigureError.invalidData("cellSize \(cellSize) must be a positive number")
        }
        try validateRange(valueRange)
    }

    /// The number of panel columns used: `columns`, or 1…3 heads in one row, 4 in 2 × 2, 5–6 and 9 in
    /// rows of 3, otherwise rows of 4 (more for very many heads).
    public var resolvedColumns: Int {
        let n = max(1, heads.count)
        if let columns, columns > 0 { return min(columns, n) }
        switch n {
        case 1...3: return n
        case 4: return 2
        case 5, 6, 9: return 3
        default: return max(4, Int(Double(n).squareRoot().rounded(.up)))
        }
    }

    /// `headTitles`, or "head 1", "head 2", … (numbered from 1 for the reader, localised).
    public var resolvedHeadTitles: [String] {
        headTitles ?? heads.indices.map { localized("head \($0 + 1)") }
    }

    /// The colour a value gets (every head shares this scale).
    public func color(for value: Float) -> RGB { mappedColor(value, colorMap, valueRange) }

    private var queryCount: Int { heads.first?.count ?? 0 }
    private var keyCount: Int { heads.first?.first?.count ?? 0 }

    // MARK: Layout

    private enum Geometry {
        static let headTitleSize = FigureStyle.axisTitleSize
        static let headTitleGap = 6.0
        static let columnGap = 36.0
        static let rowGap = 22.0
        static let colorBarGap = 24.0
        static let minColorBarHeight = 120.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        /// The cell grid of each head.
        var grids: [Rect]
        var cell: Double
        var labelSize: Double
        var showValues: Bool
        var valueSize: Double
        var texts: [TextItem]
        var colorBar: ColorBar
        var colorBarRect: Rect

        func cellRect(head: Int, row: Int, column: Int) -> Rect {
            let g = grids[head], gap = cellGap(cell)
            return Rect(x: g.minX + Double(column) * cell + gap / 2, y: g.minY + Double(row) * cell + gap / 2,
                        width: cell - gap, height: cell - gap)
        }
    }

    private var preferredCell: Double {
        if let cellSize, cellSize > 0 { return cellSize }
        let n = Double(max(1, max(queryCount, keyCount)))
        // About 980 units of cells per row of panels: with the row labels and the "query" title the
        // grid of two panels still fits the kind's 1,340-unit width.
        return min(48, max(14, 980 / (Double(resolvedColumns) * n)))
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let c = preferredCell
        let cols = resolvedColumns
        let n = heads.count
        let labelSize = min(FigureStyle.labelSize, max(6, c / 1.25))
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let headTitles = resolvedHeadTitles

        // Shared axes: row labels at the far left, column labels under the lowest panel of each column.
        let rowLabelArea = (rowLabels.map { m.width($0, size: labelSize) }.max() ?? 0) + MatrixBlock.rowLabelGap
        let axis = AxisLabels(labels: columnLabels, size: labelSize, m, slot: c, below: true,
                              gap: MatrixBlock.columnLabelGap)
        let gridWidth = Double(keyCount) * c, gridHeight = Double(queryCount) * c
        let headTitleWidth = headTitles.map { m.width($0, size: Geometry.headTitleSize, weight: .bold) }.max() ?? 0
        let slotWidth = max(gridWidth, headTitleWidth)
        let headTitleHeight = m.lineHeight(headTitles.joined(), size: Geometry.headTitleSize, weight: .bold)
            + Geometry.headTitleGap
        // Neighbouring panels: the gap must hold the labels that reach past a grid's left edge.
        let columnGap = max(Geometry.columnGap, -axis.minX - (slotWidth - gridWidth) / 2 + 8)

        // Numbers in cells, sized as in Heatmap.
        var valueSize = min(FigureStyle.labelSize, max(7, c * 0.27))
        let widest = heads.joined().joined().filter(\.isFinite)
            .map { m.width(formatNumber(Double($0), format: valueFormat), size: valueSize) }.max() ?? 0
        let fits = widest <= c - 6 && valueSize >= 8
        let show = showValues ?? fits
        if show && !fits && widest > 0 { valueSize = max(5, valueSize * (c - 4) / widest) }

        let left = margin + AttentionAxisTitles.rowTitleWidth(m) + max(rowLabelArea, -axis.minX - (slotWidth - gridWidth) / 2, 0)
        let top = margin + titles.height(m)
        var grids: [Rect] = []
        var texts: [TextItem] = []
        for h in 0..<n {
            let pc = h % cols, pr = h / cols
            let slotX = left + Double(pc) * (slotWidth + columnGap)
            let panelTop = top + Double(pr) * (headTitleHeight + gridHeight + Geometry.rowGap)
            let grid = Rect(x: slotX + (slotWidth - gridWidth) / 2, y: panelTop + headTitleHeight,
                            width: gridWidth, height: gridHeight)
            grids.append(grid)
            texts.append(TextItem(text: headTitles[h], at: Point(x: grid.midX, y: panelTop), size: Geometry.headTitleSize,
                                  weight: .bold, alignment: .center, verticalAlignment: .top))
            if pc == 0 {
                texts.append(AttentionAxisTitles.rowTitle(labelsLeft: grid.minX - rowLabelArea, centerY: grid.midY, m))
                for (r, label) in rowLabels.enumerated() {
                    texts.append(TextItem(text: label, at: Point(x: grid.minX - MatrixBlock.rowLabelGap,
                                                                 y: grid.minY + (Double(r) + 0.5) * c),
                                          size: labelSize, alignment: .right, verticalAlignment: .middle))
                }
            }
            if h + cols >= n {   // nothing below this panel
                for (j, label) in columnLabels.enumerated() where j < axis.placements.count {
                    let p = axis.placements[j]
                    texts.append(TextItem(text: label, at: Point(x: grid.minX + p.anchor.x, y: grid.maxY + p.anchor.y),
                                          size: labelSize, alignment: p.alignment, verticalAlignment: p.verticalAlignment,
                                          rotation: axis.rotation))
                }
                texts.append(AttentionAxisTitles.columnTitle(labelsEdge: grid.maxY + (columnLabels.isEmpty ? 0 : axis.extent),
                                                             centerX: grid.midX))
            }
        }
        let usedColumns = min(cols, n)
        let gridsRight = left + Double(usedColumns) * slotWidth + Double(usedColumns - 1) * columnGap
        let firstGridTop = grids.first?.minY ?? top
        let lastGridBottom = grids.map(\.maxY).max() ?? top
        let barHeight = max(lastGridBottom - firstGridTop, Geometry.minColorBarHeight)
        let allValues = heads.joined().joined()
        let bar = ColorBar(colorMap: colorMap, range: Double(valueRange.lowerBound)...Double(valueRange.upperBound),
                           label: colorBarLabel,
                           maskedLegend: maskedLegendText(allValues, anyHidden: hidden?.joined().contains(true) ?? false))
        // Column labels of the last panel may reach past its grid.
        let labelOverhang = max(0, axis.maxX - gridWidth - (slotWidth - gridWidth) / 2)
        let barRect = Rect(x: gridsRight + labelOverhang + Geometry.colorBarGap, y: firstGridTop,
                           width: bar.barWidth, height: barHeight)
        let labelsBottom = (grids.map { $0.maxY + (columnLabels.isEmpty ? 0 : axis.extent) }.max() ?? top)
            + AttentionAxisTitles.columnTitleHeight(m)
        let contentBottom = max(labelsBottom, barRect.maxY + bar.overhang(m) + bar.heightBelow)
        let width = max(barRect.minX + bar.width(height: barHeight, m) + margin, titles.width(m) + 2 * margin)
        // Centre the block under the title when the title is the wider of the two.
        let contentWidth = barRect.minX + bar.width(height: barHeight, m) + margin
        let shift = (width - contentWidth) / 2
        var layout = Layout(size: Size(width: width.rounded(.up), height: (contentBottom + margin).rounded(.up)),
                            titleTop: margin, grids: grids, cell: c, labelSize: labelSize, showValues: show,
                            valueSize: valueSize, texts: texts, colorBar: bar, colorBarRect: barRect)
        if shift > 0 {
            layout.grids = grids.map { $0.offsetBy(dx: shift, dy: 0) }
            layout.texts = texts.map { $0.offsetBy(dx: shift, dy: 0) }
            layout.colorBarRect = barRect.offsetBy(dx: shift, dy: 0)
        }
        return layout
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Exactly where the cell (`row`, `column`) of head `head` is drawn inside `frame`.
    public func cellRect(head: Int, row: Int, column: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.cellRect(head: head, row: row, column: column))
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(m)
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            let gap = cellGap(L.cell)
            for (h, head) in heads.enumerated() {
                drawMatrixCells(head, hidden: hidden, on: canvas, colorMap: colorMap, range: valueRange, gap: gap) { r, c in
                    L.cellRect(head: h, row: r, column: c)
                }
                if L.showValues {
                    for (r, row) in head.enumerated() {
                        for (c, v) in row.enumerated() where v.isFinite && !isHidden(hidden, r, c) {
                            canvas.text(formatNumber(Double(v), format: valueFormat),
                                        at: L.cellRect(head: h, row: r, column: c).center, size: L.valueSize,
                                        color: color(for: v).contrastingTextColor, alignment: .center,
                                        verticalAlignment: .middle)
                        }
                    }
                }
            }
            for item in L.texts { item.draw(on: canvas) }
            L.colorBar.draw(on: canvas, bar: L.colorBarRect)
        }
        try canvas.checkStatus("draw head grid")
    }
}
