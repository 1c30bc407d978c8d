import Foundation
import Localization

// Pieces shared by the attention views (HeadGrid, ModelView, HeadView), MaskPattern, BlockDiagram and
// ArchitectureComparison: a line of text laid out before it is drawn (so layouts can be checked for
// overlap), word wrapping, the "draw at natural size, scale down to fit" placement, small labelled
// matrices, and data validation.

// MARK: - Text laid out ahead of drawing

/// One line of text with everything needed to draw it, so a layout can list its text, tests can check
/// that nothing overlaps or leaves the figure, and `draw` just replays the list.
struct TextItem {
    var text: String
    var at: Point
    var size: Double
    var weight: FontWeight = .regular
    var color: RGB = FigureStyle.text
    var alignment: HorizontalAlignment = .left
    var verticalAlignment: VerticalAlignment = .baseline
    var rotation: Double = 0

    func bounds(_ m: TextMeasurer) -> Rect {
        m.metrics(text, size: size, weight: weight).bounds(at: at, alignment: alignment,
                                                           verticalAlignment: verticalAlignment, rotation: rotation)
    }

    func draw(on canvas: Canvas) {
        canvas.text(text, at: at, size: size, weight: weight, color: color, alignment: alignment,
                    verticalAlignment: verticalAlignment, rotation: rotation)
    }

    func offsetBy(dx: Double, dy: Double) -> TextItem {
        var copy = self
        copy.at = Point(x: at.x + dx, y: at.y + dy)
        return copy
    }
}

/// Splits `text` into lines no wider than `maxWidth` at spaces; a word wider than a line (or text
/// without spaces, such as Chinese) is broken between characters.
func wrapText(_ text: String, size: Double, weight: FontWeight = .regular, maxWidth: Double,
              _ m: TextMeasurer) -> [String] {
    guard !text.isEmpty else { return [] }
    var lines: [String] = []
    var current = ""
    func fits(_ s: String) -> Bool { m.width(s, size: size, weight: weight) <= maxWidth }
    for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
        let candidate = current.isEmpty ? word : current + " " + word
        if fits(candidate) {
            current = candidate
            continue
        }
        if !current.isEmpty { lines.append(current) }
        current = ""
        if fits(word) {
            current = word
        } else {
            // Break the word between characters.
            for ch in word {
                let next = current + String(ch)
                if current.isEmpty || fits(next) { current = next } else { lines.append(current); current = String(ch) }
            }
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

/// Like `wrapText`, but with lines of even length: the narrowest width that needs no more lines than
/// `maxWidth` does (so a caption never ends in one lonely word).
func balancedWrap(_ text: String, size: Double, weight: FontWeight = .regular, maxWidth: Double,
                  _ m: TextMeasurer) -> [String] {
    let lines = wrapText(text, size: size, weight: weight, maxWidth: maxWidth, m)
    guard lines.count > 1 else { return lines }
    var lo = 1.0, hi = maxWidth
    for _ in 0..<30 where hi - lo > 0.5 {
        let mid = (lo + hi) / 2
        if wrapText(text, size: size, weight: weight, maxWidth: mid, m).count <= lines.count { hi = mid } else { lo = mid }
    }
    return wrapText(text, size: size, weight: weight, maxWidth: hi, m)
}

// MARK: - Natural layout, scaled to fit

/// Figures laid out at a natural size and drawn into any frame: scaled down uniformly when the frame is
/// smaller (never enlarged), centred.
struct Placement {
    var scale: Double
    var dx: Double
    var dy: Double

    init(natural: Size, in frame: Rect) {
        let s = min(1, frame.width / max(1e-9, natural.width), frame.height / max(1e-9, natural.height))
        scale = s
        dx = frame.minX + (frame.width - natural.width * s) / 2
        dy = frame.minY + (frame.height - natural.height * s) / 2
    }

    func rect(_ r: Rect) -> Rect {
        Rect(x: dx + r.x * scale, y: dy + r.y * scale, width: r.width * scale, height: r.height * scale)
    }

    func point(_ p: Point) -> Point { Point(x: dx + p.x * scale, y: dy + p.y * scale) }

    /// Runs `body` with the canvas transformed so natural coordinates land in the frame.
    func apply(to canvas: Canvas, _ body: () throws -> Void) rethrows {
        try canvas.withSavedState {
            canvas.translate(dx: dx, dy: dy)
            canvas.scaleBy(scale)
            try body()
        }
    }
}

// MARK: - Cells

/// Colour-maps a value into `range` (values outside clamp to the ends of the map).
func mappedColor(_ value: Float, _ colorMap: ColorMap, _ range: ClosedRange<Float>) -> RGB {
    let lo = Double(range.lowerBound), hi = Double(range.upperBound)
    return colorMap.color(at: hi > lo ? (Double(value) - lo) / (hi - lo) : 0.5)
}

/// Space between neighbouring cells: a 1-unit white line when cells are big enough (as in `Heatmap`).
func cellGap(_ cell: Double) -> Double { cell >= 20 ? 1 : 0 }

/// Fills the cells of a matrix: finite values in their colour-map colour, non-finite ones and those
/// `hidden` flags (keys a mask hid: a weight of 0 that was never a choice) grey and hatched (as
/// `Heatmap` draws −∞). Without gaps, each fill reaches a little into its right and lower
/// neighbours, which are drawn after it, so antialiased edges leave no light seams between cells.
func drawMatrixCells(_ values: [[Float]], hidden: [[Bool]]? = nil, on canvas: Canvas, colorMap: ColorMap,
                     range: ClosedRange<Float>, gap: Double, cellRect: (Int, Int) -> Rect) {
    let rows = values.count
    for (r, row) in values.enumerated() {
        for (c, v) in row.enumerated() {
            var rect = cellRect(r, c)
            if gap == 0 {
                let overlap = min(1, rect.width / 2)
                if c + 1 < row.count { rect.size.width += overlap }
                if r + 1 < rows { rect.size.height += overlap }
            }
            if v.isFinite && !isHidden(hidden, r, c) {
                canvas.fillRect(rect, color: mappedColor(v, colorMap, range))
            } else {
                drawMaskedCell(on: canvas, rect, text: nil, textSize: 0)
            }
        }
    }
}

/// True when `hidden` flags the cell (a key the mask hid from the query).
func isHidden(_ hidden: [[Bool]]?, _ row: Int, _ column: Int) -> Bool {
    guard let hidden, row < hidden.count, column < hidden[row].count else { return false }
    return hidden[row][column]
}

/// The colour-bar note for hatched cells, if there are any: "masked (−∞)" for masked scores,
/// "masked" for weights whose keys a mask hid (`anyHidden`), "not finite" otherwise.
func maskedLegendText<S: Sequence>(_ values: S, anyHidden: Bool = false) -> String? where S.Element == Float {
    let nonFinite = values.filter { !$0.isFinite }
    if nonFinite.isEmpty { return anyHidden ? localized("masked") : nil }
    return nonFinite.allSatisfy({ $0 == -.infinity }) ? localized("masked (−∞)") : localized("not finite")
}

extension ColorBar {
    /// Every text `maskedLegendText` may return.
    static var maskedLegends: [String] { [localized("masked"), localized("masked (−∞)"), localized("not finite")] }
}

/// Checks that hidden flags, when given, have the matrix's shape.
func validateHidden(_ hidden: [[Bool]]?, rows: Int, columns: Int, what: String) throws {
    guard let hidden else { return }
    guard hidden.count == rows, hidden.allSatisfy({ $0.count == columns }) else {
        throw FigureError.invalidData("\(what): the hidden flags must be \(rows) × \(columns), like the values")
    }
}

// MARK: - A small labelled matrix

/// A grid of cells at a fixed cell size with an optional title above, row labels at the left and
/// column labels below (horizontal, 45° or vertical, as `Heatmap` chooses), and optionally the "query"
/// and "key" axis titles beside them. Positions are relative to the block's top-left corner; the
/// block's `size` holds all of its ink.
struct MatrixBlock {
    let title: String
    let rowLabels: [String]
    let columnLabels: [String]
    let rows: Int
    let columns: Int
    let cell: Double
    let labelSize: Double
    let titleSize: Double
    let titleWeight: FontWeight
    let axisLabels: AxisLabels
    let axisTitles: Bool
    /// Measures the axis titles when they are placed.
    private let measurer: TextMeasurer
    /// The grid's top-left corner relative to the block's.
    let gridOrigin: Point
    let size: Size
    /// Width of the row labels and their gap to the grid.
    let rowLabelArea: Double

    static let rowLabelGap = 8.0
    static let columnLabelGap = 6.0
    static let titleGap = 6.0

    init(title: String, rows: Int, columns: Int, rowLabels: [String], columnLabels: [String], cell: Double,
         titleSize: Double = FigureStyle.labelSize, titleWeight: FontWeight = .regular, minLabelSize: Double = 6,
         axisTitles: Bool = false, _ m: TextMeasurer) {
        self.axisTitles = axisTitles
        measurer = m
        self.title = title
        self.rows = rows
        self.columns = columns
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.cell = cell
        self.titleSize = titleSize
        self.titleWeight = titleWeight
        let labelSize = min(FigureStyle.labelSize, max(minLabelSize, cell / 1.25))
        self.labelSize = labelSize
        let axis = AxisLabels(labels: columnLabels, size: labelSize, m, slot: cell, below: true,
                              gap: Self.columnLabelGap)
        axisLabels = axis
        let gridWidth = Double(columns) * cell, gridHeight = Double(rows) * cell
        let rowLabelWidth = rowLabels.map { m.width($0, size: labelSize) }.max() ?? 0
        rowLabelArea = rowLabels.isEmpty ? 0 : rowLabelWidth + Self.rowLabelGap
        let titleWidth = title.isEmpty ? 0 : m.width(title, size: titleSize, weight: titleWeight)
        let titleHeight = title.isEmpty ? 0 : m.lineHeight(title, size: titleSize, weight: titleWeight) + Self.titleGap
        // The title is centred over the grid; labels sit left of and below it.
        // The "query" title goes with the row labels: a block that shares its neighbour's has neither.
        let rowTitleWidth = axisTitles && !rowLabels.isEmpty ? AttentionAxisTitles.rowTitleWidth(m) : 0
        let left = max(rowLabelArea + rowTitleWidth, -axis.minX, titleWidth / 2 - gridWidth / 2, 0)
        let right = max(axis.maxX - gridWidth, titleWidth / 2 - gridWidth / 2, 0)
        let bottom = (columnLabels.isEmpty ? 0 : axis.extent) + (axisTitles ? AttentionAxisTitles.columnTitleHeight(m) : 0)
        gridOrigin = Point(x: left, y: titleHeight)
        size = Size(width: left + gridWidth + right, height: titleHeight + gridHeight + bottom)
    }

    func grid(at origin: Point) -> Rect {
        Rect(x: origin.x + gridOrigin.x, y: origin.y + gridOrigin.y, width: Double(columns) * cell,
             height: Double(rows) * cell)
    }

    func cellRect(row: Int, column: Int, at origin: Point) -> Rect {
        let g = grid(at: origin)
        let gap = cellGap(cell)
        return Rect(x: g.minX + Double(column) * cell + gap / 2, y: g.minY + Double(row) * cell + gap / 2,
                    width: cell - gap, height: cell - gap)
    }

    /// The title and labels of the block placed at `origin`.
    func texts(at origin: Point, titleColor: RGB = FigureStyle.text) -> [TextItem] {
        let g = grid(at: origin)
        var items: [TextItem] = []
        if !title.isEmpty {
            items.append(TextItem(text: title, at: Point(x: g.midX, y: origin.y), size: titleSize, weight: titleWeight,
                                  color: titleColor, alignment: .center, verticalAlignment: .top))
        }
        for (r, label) in rowLabels.enumerated() {
            items.append(TextItem(text: label, at: Point(x: g.minX - Self.rowLabelGap, y: g.minY + (Double(r) + 0.5) * cell),
                                  size: labelSize, alignment: .right, verticalAlignment: .middle))
        }
        for (c, label) in columnLabels.enumerated() where c < axisLabels.placements.count {
            let p = axisLabels.placements[c]
            items.append(TextItem(text: label, at: Point(x: g.minX + p.anchor.x, y: g.maxY + p.anchor.y), size: labelSize,
                                  alignment: p.alignment, verticalAlignment: p.verticalAlignment,
                                  rotation: axisLabels.rotation))
        }
        if axisTitles && !rowLabels.isEmpty {
            items.append(AttentionAxisTitles.rowTitle(labelsLeft: g.minX - rowLabelArea, centerY: g.midY, measurer))
        }
        if axisTitles {
            items.append(AttentionAxisTitles.columnTitle(labelsEdge: g.maxY + (columnLabels.isEmpty ? 0 : axisLabels.extent),
                                                         centerX: g.midX))
        }
        return items
    }
}

// MARK: - The query and key axis titles

/// The axis titles of every attention matrix (heatmaps, head grids, mask panels, model views, the
/// comparison poster): "query" along the rows, rotated, left of the row labels; "key" along the
/// columns, under the column labels. One wording, size, colour and placement everywhere, so a reader
/// who has learnt to read one attention figure reads them all.
public enum AttentionAxisTitles {
    /// The row title of every attention heatmap.
    public static var query: String { localized("query") }
    /// The column title of every attention heatmap.
    public static var key: String { localized("key") }
    static let size = FigureStyle.axisTitleSize
    /// Between the labels and the title.
    static let gap = 10.0

    /// The room a row title takes left of the row labels, gap included (0 for no title).
    static func rowTitleWidth(_ m: TextMeasurer, _ text: String = query) -> Double {
        text.isEmpty ? 0 : m.lineHeight(text, size: size) + gap
    }

    /// The room a column title takes beyond the column labels, gap included (0 for no title).
    static func columnTitleHeight(_ m: TextMeasurer, _ text: String = key) -> Double {
        text.isEmpty ? 0 : m.lineHeight(text, size: size) + gap
    }

    /// The row title centred on `centerY`, `gap` left of `labelsLeft` (the left edge of the row labels).
    static func rowTitle(_ text: String = query, labelsLeft: Double, centerY: Double, _ m: TextMeasurer) -> TextItem {
        let h = m.lineHeight(text, size: size)
        return TextItem(text: text, at: Point(x: labelsLeft - gap - h / 2, y: centerY), size: size,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle, rotation: 90)
    }

    /// The column title centred on `centerX`, `gap` beyond `labelsEdge` (the far edge of the column
    /// labels): under them, or over them for labels above the grid.
    static func columnTitle(_ text: String = key, labelsEdge: Double, centerX: Double, above: Bool = false) -> TextItem {
        TextItem(text: text, at: Point(x: centerX, y: above ? labelsEdge - gap : labelsEdge + gap), size: size,
                 color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: above ? .bottom : .top)
    }
}

// MARK: - Validation

/// Checks that `values` is a non-empty rectangular matrix matching its labels; `what` names it in errors.
func validateMatrix<T>(_ values: [[T]], rowLabels: [String]?, columnLabels: [String]?, what: String) throws {
    guard let first = values.first, !first.isEmpty else {
        throw FigureError.invalidData("\(what) is empty")
    }
    for (i, row) in values.enumerated() where row.count != first.count {
        throw FigureError.invalidData("\(what) rows are ragged: row 0 has \(first.count) values, row \(i) has \(row.count)")
    }
    if let rowLabels, rowLabels.count != values.count {
        throw FigureError.invalidData("\(what) has \(values.count) rows but \(rowLabels.count) row labels")
    }
    if let columnLabels, columnLabels.count != first.count {
        throw FigureError.invalidData("\(what) has \(first.count) columns but \(columnLabels.count) column labels")
    }
}

func validateRange(_ range: ClosedRange<Float>) throws {
    guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
        throw FigureError.invalidData("valueRange \(range) must be finite and not empty")
    }
}
