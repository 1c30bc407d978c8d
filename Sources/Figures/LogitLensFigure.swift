import Localization

/// The logit-lens table (after nostalgebraist's figures): one row per layer, one column per
/// input position; each cell names the top next token that layer's residual stream gives when
/// read through the model's final norm and unembedding, with its probability, and is shaded by
/// that probability. Cells whose token is the model's final answer at that position are bold,
/// and the first layer where that happens is outlined.
public struct LogitLensFigure: Chart {
    /// One cell: a layer's top next token at one position and its probability.
    public struct Cell: Sendable {
        /// The top next token.
        public var token: String
        /// Its probability, 0...1 (the cell's shade).
        public var probability: Float
        /// Whether this is the model's own (last-layer) top token at this position.
        public var isFinalAnswer: Bool

        /// A cell naming `token` with `probability`.
        public init(token: String, probability: Float, isFinalAnswer: Bool) {
            self.token = token
            self.probability = probability
            self.isFinalAnswer = isFinalAnswer
        }
    }

    /// The heading above the table.
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// [rows][positions], top row first.
    public var cells: [[Cell]]
    /// One label per row of `cells`, top row first.
    public var rowLabels: [String]
    /// The input token at each position (the column's label).
    public var columnLabels: [String]
    /// Per column, the row to outline (the first layer with the final answer), if any.
    public var outlinedRows: [Int?]

    /// A table of `cells`, [row][position]; `outlinedRows` has one entry per column.
    public init(title: String, subtitle: String, cells: [[Cell]], rowLabels: [String], columnLabels: [String],
                outlinedRows: [Int?]) {
        self.title = title
        self.subtitle = subtitle
        self.cells = cells
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.outlinedRows = outlinedRows
    }

    /// Tall enough that the token (top) and its probability (bottom) never touch: 12 + 9 pt
    /// of text, their line gaps and a few units of air.
    static let cellHeight = 34.0
    static var caption: String {
        localized("shade: the probability of the cell's token (dark 0, bright 1) · bold: the model's final answer · red outline: the first layer where it is top-1")
    }
    static let tokenSize = 12.0
    static let probabilitySize = 9.0

    private var cellWidth: Double {
        let m = TextMeasurer()
        let widest = cells.joined().map { m.width(Self.clip($0.token), size: Self.tokenSize, weight: .bold) }.max() ?? 40
        let labels = columnLabels.map { m.width($0, size: FigureStyle.labelSize) }.max() ?? 40
        return min(150, max(64, widest + 12, labels + 10))
    }

    private var rowLabelWidth: Double {
        let m = TextMeasurer()
        return (rowLabels.map { m.width($0, size: FigureStyle.labelSize) }.max() ?? 40) + 12
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let width = 2 * FigureStyle.margin + rowLabelWidth + Double(columnLabels.count) * cellWidth
        let height = 2 * FigureStyle.margin + titles.height(m) + 28 + Double(cells.count) * Self.cellHeight + 30
        let widest = max(width, titles.width(m) + 2 * FigureStyle.margin,
                         m.width(Self.caption, size: FigureStyle.tickSize) + 2 * FigureStyle.margin)
        return Size(width: widest.rounded(.up), height: height.rounded(.up))
    }

    /// Long tokens are cut so a cell stays readable.
    static func clip(_ token: String) -> String {
        token.count > 14 ? String(token.prefix(13)) + "…" : token
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        guard !cells.isEmpty, !columnLabels.isEmpty, cells.allSatisfy({ $0.count == columnLabels.count }),
              rowLabels.count == cells.count, outlinedRows.count == columnLabels.count else {
            throw FigureError.invalidData("the logit-lens table needs one label per row and per column and equal rows")
        }
        let m = TextMeasurer()
        let titles = TitleBlock(title: title, subtitle: subtitle)
        titles.draw(on: canvas, centerX: frame.midX, top: frame.minY + FigureStyle.margin)
        let w = cellWidth, h = Self.cellHeight
        let gridWidth = Double(columnLabels.count) * w
        let left = frame.minX + (frame.width - gridWidth - rowLabelWidth) / 2 + rowLabelWidth
        let top = frame.minY + FigureStyle.margin + titles.height(m) + 28
        for (c, label) in columnLabels.enumerated() {
            canvas.text(label, at: Point(x: left + (Double(c) + 0.5) * w, y: top - 8), size: FigureStyle.labelSize,
                        weight: .bold, alignment: .center, verticalAlignment: .bottom)
        }
        for (r, row) in cells.enumerated() {
            let y = top + Double(r) * h
            canvas.text(rowLabels[r], at: Point(x: left - 8, y: y + h / 2), size: FigureStyle.labelSize,
                        color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .middle)
            for (c, cell) in row.enumerated() {
                let rect = Rect(x: left + Double(c) * w, y: y, width: w, height: h)
                let color = ColorMap.viridis.color(at: Double(max(0, min(1, cell.probability))))
                canvas.fillRect(rect, color: color)
                canvas.strokeRect(rect, color: .white, width: 1)
                let ink = color.contrastingTextColor
                canvas.text(Self.clip(cell.token), at: Point(x: rect.midX, y: rect.minY + 3), size: Self.tokenSize,
                            weight: cell.isFinalAnswer ? .bold : .regular, color: ink, alignment: .center,
                            verticalAlignment: .top)
                canvas.text(formatNumber(Double(cell.probability), format: "%.2f"),
                            at: Point(x: rect.midX, y: rect.maxY - 3), size: Self.probabilitySize, color: ink,
                            alignment: .center, verticalAlignment: .bottom)
            }
        }
        for (c, row) in outlinedRows.enumerated() {
            guard let row, (0..<cells.count).contains(row) else { continue }
            let rect = Rect(x: left + Double(c) * w, y: top + Double(row) * h, width: w, height: h)
            canvas.strokeRect(rect, color: .white, width: 4)
            canvas.strokeRect(rect, color: FigureStyle.highlight, width: 2)
        }
        canvas.text(Self.caption,
                    at: Point(x: frame.midX, y: top + Double(cells.count) * h + 10), size: FigureStyle.tickSize,
                    color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        try canvas.checkStatus("draw the logit lens")
    }
}
