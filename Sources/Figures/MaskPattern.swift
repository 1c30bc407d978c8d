import Foundation
import Localization

/// Which position may see which: a boolean grid (true = visible) with visible cells filled in a colour
/// and hidden cells light grey and hatched (as masked cells look in `Heatmap`), row and column labels,
/// a small legend and an optional caption. Rows are queries, columns keys.
public struct MaskPattern: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// [query][key]: true where the query may attend to the key.
    public var mask: [[Bool]]
    /// One label per query (row).
    public var rowLabels: [String]
    /// One label per key (column).
    public var columnLabels: [String]
    /// A caption, wrapped to the figure's width (may be empty).
    public var caption: String
    /// The fill of visible cells (hidden cells are grey and hatched).
    public var visibleColor: RGB
    /// The side of one cell, in user units (at least 4).
    public var cellSize: Double
    /// The title under the columns (may be empty).
    public var xAxisTitle: String
    /// The title beside the rows (may be empty).
    public var yAxisTitle: String
    /// Draw the "visible / hidden" key under the grid.
    public var showLegend: Bool

    /// A mask pattern; visible cells are blue (#2166AC) and 28 units wide by default. The axis
    /// titles default to "key" and "query", as on every attention figure; "" leaves one out.
    public init(title: String, mask: [[Bool]], rowLabels: [String], columnLabels: [String], caption: String = "",
                visibleColor: RGB = RGB(hex: 0x2166AC), cellSize: Double = 28, xAxisTitle: String = localized("key"),
                yAxisTitle: String = localized("query"), showLegend: Bool = true) {
        self.title = title
        self.mask = mask
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.caption = caption
        self.visibleColor = visibleColor
        self.cellSize = cellSize
        self.xAxisTitle = xAxisTitle
        self.yAxisTitle = yAxisTitle
        self.showLegend = showLegend
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        try validateMatrix(mask, rowLabels: rowLabels, columnLabels: columnLabels, what: "mask")
        guard cellSize.isFinite, cellSize >= 4 else {
            throw FigureError.invalidData("cellSize \(cellSize) must be at least 4")
        }
    }

    static var visibleLegend: String { localized("visible") }
    static var hiddenLegend: String { localized("hidden (masked)") }

    // MARK: Layout

    private enum Geometry {
        static let legendGap = 14.0
        static let swatch = 14.0
        static let captionGap = 10.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        var block: MatrixBlock
        var blockOrigin: Point
        var texts: [TextItem]
        var visibleSwatch: Rect?
        var hiddenSwatch: Rect?

        func cellRect(row: Int, column: Int) -> Rect { block.cellRect(row: row, column: column, at: blockOrigin) }
        var grid: Rect { block.grid(at: blockOrigin) }
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let titles = TitleBlock(title: title, subtitle: "", gapBelow: 14)
        let rows = mask.count, cols = mask.first?.count ?? 0
        let block = MatrixBlock(title: "", rows: rows, columns: cols, rowLabels: rowLabels, columnLabels: columnLabels,
                                cell: cellSize, m)
        let axisSize = AttentionAxisTitles.size
        let yTitleWidth = AttentionAxisTitles.rowTitleWidth(m, yAxisTitle)
        let xTitleHeight = AttentionAxisTitles.columnTitleHeight(m, xAxisTitle)

        // Legend: [■] visible   [▨] hidden (masked)
        let legendSize = FigureStyle.tickSize
        let visibleWidth = Geometry.swatch + 6 + m.width(Self.visibleLegend, size: legendSize)
        let hiddenWidth = Geometry.swatch + 6 + m.width(Self.hiddenLegend, size: legendSize)
        let legendWidth = showLegend ? visibleWidth + 18 + hiddenWidth : 0
        let legendHeight = showLegend ? max(Geometry.swatch, m.lineHeight(size: legendSize)) : 0

        let gridHeight = Double(rows) * cellSize
        let xTitleWidth = m.width(xAxisTitle, size: axisSize)
        let yTitleLength = m.width(yAxisTitle, size: axisSize)
        // An x-axis title wider than the grid reaches past it on both sides.
        let gridMid = yTitleWidth + block.gridOrigin.x + Double(cols) * cellSize / 2
        let overflowLeft = max(0, xTitleWidth / 2 - gridMid)
        let overflowRight = max(0, xTitleWidth / 2 - (yTitleWidth + block.size.width - gridMid))
        // The figure is at least as wide as the labelled grid, the title and the legend; the caption wraps to it.
        let bodyWidth = overflowLeft + yTitleWidth + block.size.width + overflowRight
        var contentWidth = max(bodyWidth, titles.width(m), legendWidth)
        let captionSize = FigureStyle.labelSize
        var captionLines = balancedWrap(caption, size: captionSize, maxWidth: contentWidth, m)
        if captionLines.count > 2 {
            contentWidth = max(contentWidth, min(420, m.width(caption, size: captionSize) / 2 + 24))
            captionLines = balancedWrap(caption, size: captionSize, maxWidth: contentWidth, m)
        }
        let width = contentWidth + 2 * margin
        let centerX = width / 2

        var texts: [TextItem] = []
        var y = margin + titles.height(m)
        // The y-axis title may be longer than the grid is tall: start the grid lower.
        let extraTop = max(0, (yTitleLength - gridHeight) / 2)
        y += extraTop
        let blockOrigin = Point(x: centerX - bodyWidth / 2 + overflowLeft + yTitleWidth, y: y)
        texts += block.texts(at: blockOrigin)
        let grid = block.grid(at: blockOrigin)
        if !yAxisTitle.isEmpty {
            texts.append(AttentionAxisTitles.rowTitle(yAxisTitle, labelsLeft: blockOrigin.x, centerY: grid.midY, m))
        }
        y = blockOrigin.y + block.size.height
        if !xAxisTitle.isEmpty {
            texts.append(AttentionAxisTitles.columnTitle(xAxisTitle, labelsEdge: y, centerX: grid.midX))
            y += xTitleHeight
        }
        y = max(y, grid.maxY + extraTop)
        var visibleSwatch: Rect? = nil, hiddenSwatch: Rect? = nil
        if showLegend {
            y += Geometry.legendGap
            let x0 = centerX - legendWidth / 2
            let midY = y + legendHeight / 2
            visibleSwatch = Rect(x: x0, y: midY - Geometry.swatch / 2, width: Geometry.swatch, height: Geometry.swatch)
            texts.append(TextItem(text: Self.visibleLegend, at: Point(x: x0 + Geometry.swatch + 6, y: midY),
                                  size: legendSize, color: FigureStyle.secondaryText, verticalAlignment: .middle))
            let x1 = x0 + visibleWidth + 18
            hiddenSwatch = Rect(x: x1, y: midY - Geometry.swatch / 2, width: Geometry.swatch, height: Geometry.swatch)
            texts.append(TextItem(text: Self.hiddenLegend, at: Point(x: x1 + Geometry.swatch + 6, y: midY),
                                  size: legendSize, color: FigureStyle.secondaryText, verticalAlignment: .middle))
            y += legendHeight
        }
        if !captionLines.isEmpty {
            y += Geometry.captionGap
            for line in captionLines {
                texts.append(TextItem(text: line, at: Point(x: centerX, y: y), size: captionSize,
                                      color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top))
                y += m.lineHeight(line, size: captionSize) + 2
            }
        }
        return Layout(size: Size(width: width.rounded(.up), height: (y + margin).rounded(.up)), titleTop: margin,
                      block: block, blockOrigin: blockOrigin, texts: texts, visibleSwatch: visibleSwatch,
                      hiddenSwatch: hiddenSwatch)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Exactly where the cell (`row`, `column`) is drawn inside `frame`.
    public func cellRect(row: Int, column: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.cellRect(row: row, column: column))
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: "", gapBelow: 14).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            drawMaskCells(mask, on: canvas, visibleColor: visibleColor, gap: cellGap(cellSize)) { r, c in
                L.cellRect(row: r, column: c)
            }
            canvas.strokeRect(L.grid, color: RGB(hex: 0x888888), width: 0.75)
            if let v = L.visibleSwatch, let h = L.hiddenSwatch {
                drawMaskLegendSwatches(on: canvas, visible: v, hidden: h, visibleColors: [visibleColor])
            }
            for item in L.texts { item.draw(on: canvas) }
        }
        try canvas.checkStatus("draw mask pattern")
    }
}

/// Visible cells in `visibleColor`, hidden ones grey and hatched.
func drawMaskCells(_ mask: [[Bool]], on canvas: Canvas, visibleColor: RGB, gap: Double,
                   cellRect: (Int, Int) -> Rect) {
    for (r, row) in mask.enumerated() {
        for (c, visible) in row.enumerated() {
            let rect = cellRect(r, c)
            if visible {
                canvas.fillRect(rect, color: visibleColor)
            } else {
                drawMaskedCell(on: canvas, rect, text: nil, textSize: 0)
            }
        }
    }
}

/// The two legend swatches: the visible colour(s) (side by side when masks use several) and a hidden cell.
func drawMaskLegendSwatches(on canvas: Canvas, visible: Rect, hidden: Rect, visibleColors: [RGB]) {
    let colors = visibleColors.isEmpty ? [RGB(hex: 0x2166AC)] : visibleColors
    let w = visible.width / Double(colors.count)
    for (i, color) in colors.enumerated() {
        canvas.fillRect(Rect(x: visible.minX + Double(i) * w, y: visible.minY, width: w, height: visible.height),
                        color: color)
    }
    drawMaskedCell(on: canvas, hidden, text: nil, textSize: 0)
    canvas.strokeRect(hidden, color: RGB(hex: 0x888888), width: 0.75)
}
