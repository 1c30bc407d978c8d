import Foundation
import Localization

/// One attention output row as a weighted sum of value rows, written out vertically:
///
///       key     weight           value vector
///       The     0.05  ▆▁▁▁▁  ×  [ v(The) ]
///     + animal  0.31  ▆▆▆▁▁  ×  [ v(animal) ]
///     + …
///     ───────────────────────────────────────
///     = z(it)                    [ z ]
///
/// Value rows and the output share one symmetric colour scale (shown by the colour bar), every cell in
/// its true colour so the bar can be read off any of them; each row's weight is its grey bar, and the
/// labels of light rows are faded, so the eye still sees which rows make up z.
public struct WeightedSumFigure: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// nil: a formula with the largest terms, e.g. "z(it) = 0.42·v(animal) + 0.18·v(it) + …"; "" for none.
    public var subtitle: String?
    /// The query token whose output is shown, as in "z(it)".
    public var queryLabel: String
    /// The key tokens, one row each.
    public var tokens: [String]
    /// The attention weight of each key token (one row of the weights matrix).
    public var weights: [Float]
    /// The value vector of each key token, [token][d_v].
    public var values: [[Float]]
    /// The weighted sum of the value rows, z (d_v values).
    public var output: [Float]
    /// The colour scale of values and output (diverging by default, symmetric about 0).
    public var colorMap: ColorMap
    /// printf format for the printed numbers (weights and cells); it receives a Double.
    public var valueFormat: String
    /// Fade a row's labels (key, weight, ×) in proportion to its weight. Its value cells are never
    /// faded: a faded cell would no longer have the colour of its value on the colour bar.
    public var fadeLowWeights: Bool

    /// A figure of one output row; `tokens`, `weights` and `values` need one entry per key.
    public init(title: String, queryLabel: String, tokens: [String], weights: [Float], values: [[Float]],
                output: [Float], colorMap: ColorMap = .diverging, subtitle: String? = nil,
                valueFormat: String = "%.2f", fadeLowWeights: Bool = true) {
        self.title = title
        self.subtitle = subtitle
        self.queryLabel = queryLabel
        self.tokens = tokens
        self.weights = weights
        self.values = values
        self.output = output
        self.colorMap = colorMap
        self.valueFormat = valueFormat
        self.fadeLowWeights = fadeLowWeights
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !tokens.isEmpty else { throw FigureError.invalidData("weighted sum has no tokens") }
        guard weights.count == tokens.count else {
            throw FigureError.invalidData("\(tokens.count) tokens but \(weights.count) weights")
        }
        guard values.count == tokens.count else {
            throw FigureError.invalidData("\(tokens.count) tokens but \(values.count) value rows")
        }
        guard !output.isEmpty else { throw FigureError.invalidData("the output row is empty") }
        for (j, row) in values.enumerated() where row.count != output.count {
            throw FigureError.invalidData("value row \(j) has \(row.count) numbers but the output has \(output.count)")
        }
        if weights.contains(where: { !$0.isFinite }) || values.joined().contains(where: { !$0.isFinite })
            || output.contains(where: { !$0.isFinite }) {
            throw FigureError.invalidData("weights, values and output must be finite")
        }
    }

    /// The output's label: "z(it)".
    public var outputLabel: String { "z(\(queryLabel))" }

    /// The symmetric value range shared by every value cell and the output.
    public var valueRange: ClosedRange<Double> {
        let m = (values.joined().map { abs(Double($0)) } + output.map { abs(Double($0)) })
            .filter(\.isFinite).max() ?? 1
        return m > 0 ? -m...m : -1...1
    }

    /// The colour a value gets (every value cell and output cell is drawn in it).
    public func color(for value: Float) -> RGB {
        let r = valueRange
        return colorMap.color(at: (Double(value) - r.lowerBound) / (r.upperBound - r.lowerBound))
    }

    /// The formula line, e.g. "z(it) = 0.42·v(animal) + 0.18·v(it) + 0.09·v(street) + …".
    public var formula: String {
        let order = weights.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        let top = order.prefix(3)
        var terms = top.map { "\(formatNumber(Double(weights[$0]), format: valueFormat))·v(\(tokens[$0]))" }
        if order.count > top.count { terms.append("…") }
        return "\(outputLabel) = " + terms.joined(separator: " + ")
    }

    private var resolvedSubtitle: String { subtitle ?? (tokens.isEmpty ? "" : formula) }

    // MARK: Layout (natural size; scaled down uniformly if the frame is smaller)

    private enum Geometry {
        static let rowHeight = 34.0
        static let cellHeight = 28.0
        static let barWidth = 130.0
        static let barHeight = 12.0
        static let operatorSize = 18.0
        static let valueSize = 11.5
        static let headerSize = 12.0
        static let colorBarGap = 28.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        var headerY: Double
        var firstRowTop: Double
        var operatorX: Double
        var tokenRight: Double
        var weightRight: Double
        var barX: Double
        var timesX: Double
        var stripX: Double
        var cellWidth: Double
        var showNumbers: Bool
        var ruleY: Double
        var outputTop: Double
        var colorBar: Rect
        var colorBarSpec: ColorBar
        var footnoteTop: Double
    }

    static var footnote: String {
        localized("Cells: value vectors before weighting, in the colour bar's colours · grey bars: weights")
    }

    private func cellNumber(_ v: Float) -> String { formatNumber(Double(v), format: valueFormat) }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let titles = TitleBlock(title: title, subtitle: resolvedSubtitle)
        let d = Double(max(1, output.count))
        let widestNumber = (values.joined().map(cellNumber) + output.map(cellNumber))
            .map { m.width($0, size: Geometry.valueSize, weight: .bold) }.max() ?? 0
        var cellWidth = max(46, widestNumber + 10)
        if d * cellWidth > 520 { cellWidth = max(10, 520 / d) }
        let showNumbers = widestNumber + 6 <= cellWidth

        let operatorWidth = max(m.width("+", size: Geometry.operatorSize), m.width("=", size: Geometry.operatorSize))
        let tokenWidth = max(tokens.map { m.width($0, size: FigureStyle.labelSize) }.max() ?? 0,
                             m.width(outputLabel, size: FigureStyle.labelSize + 1, weight: .bold),
                             m.width(localized("key"), size: Geometry.headerSize))
        let weightWidth = max(weights.map { m.width(cellNumber($0), size: FigureStyle.labelSize) }.max() ?? 0,
                              m.width(localized("weight"), size: Geometry.headerSize) - Geometry.barWidth / 2)
        let timesWidth = m.width("×", size: Geometry.operatorSize)

        let operatorX = margin + operatorWidth / 2
        let tokenRight = margin + operatorWidth + 10 + tokenWidth
        let weightRight = tokenRight + 16 + weightWidth
        let barX = weightRight + 8
        let timesX = barX + Geometry.barWidth + 16 + timesWidth / 2
        let stripX = timesX + timesWidth / 2 + 16
        let stripRight = stripX + d * cellWidth

        let titleTop = margin
        let headerY = titleTop + titles.height(m)
        let headerHeight = m.lineHeight(size: Geometry.headerSize) + 6
        let firstRowTop = headerY + headerHeight
        let rowsBottom = firstRowTop + Double(tokens.count) * Geometry.rowHeight
        let ruleY = rowsBottom + 8
        let outputTop = ruleY + 10
        let outputBottom = outputTop + Geometry.rowHeight

        let bar = Rect(x: stripRight + Geometry.colorBarGap, y: firstRowTop + 3, width: 16,
                       height: max(80, outputBottom - 3 - firstRowTop - 3))
        let spec = ColorBar(colorMap: colorMap, range: valueRange, label: localized("value"), maskedLegend: nil)
        let tickOverhang = spec.overhang(m)
        let footnoteWidth = m.width(Self.footnote, size: Geometry.headerSize)
        let width = max(bar.minX + spec.width(height: bar.height, m) + margin, titles.width(m) + 2 * margin,
                        footnoteWidth + 2 * margin)
        let footnoteTop = max(outputBottom, bar.maxY + tickOverhang) + 10
        let height = footnoteTop + m.lineHeight(size: Geometry.headerSize) + margin
        return Layout(size: Size(width: width.rounded(.up), height: height.rounded(.up)), titleTop: titleTop,
                      headerY: headerY, firstRowTop: firstRowTop, operatorX: operatorX, tokenRight: tokenRight,
                      weightRight: weightRight, barX: barX, timesX: timesX, stripX: stripX, cellWidth: cellWidth,
                      showNumbers: showNumbers, ruleY: ruleY, outputTop: outputTop, colorBar: bar, colorBarSpec: spec,
                      footnoteTop: footnoteTop)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// The uniform scale and offset that fit the natural layout into `frame` (never enlarged).
    private func placement(in frame: Rect, _ L: Layout) -> (scale: Double, dx: Double, dy: Double) {
        let s = min(1, frame.width / L.size.width, frame.height / L.size.height)
        return (s, frame.minX + (frame.width - L.size.width * s) / 2, frame.minY + (frame.height - L.size.height * s) / 2)
    }

    /// Where output cell `index` (of z) is drawn inside `frame`.
    public func outputCellRect(_ index: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return map(cellRect(index, top: L.outputTop, L), placement(in: frame, L))
    }

    /// Where value cell `index` of key row `row` is drawn inside `frame`.
    public func valueCellRect(row: Int, index: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return map(cellRect(index, top: L.firstRowTop + Double(row) * Geometry.rowHeight, L), placement(in: frame, L))
    }

    /// Where the weight bar's track of key row `row` (its full length standing for weight 1) is drawn inside `frame`.
    func weightTrackRect(row: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return map(weightTrack(row: row, L), placement(in: frame, L))
    }

    private func weightTrack(row: Int, _ L: Layout) -> Rect {
        let midY = L.firstRowTop + (Double(row) + 0.5) * Geometry.rowHeight
        return Rect(x: L.barX, y: midY - Geometry.barHeight / 2, width: Geometry.barWidth, height: Geometry.barHeight)
    }

    private func map(_ r: Rect, _ p: (scale: Double, dx: Double, dy: Double)) -> Rect {
        Rect(x: p.dx + r.x * p.scale, y: p.dy + r.y * p.scale, width: r.width * p.scale, height: r.height * p.scale)
    }

    private func cellRect(_ index: Int, top: Double, _ L: Layout) -> Rect {
        let inset = (Geometry.rowHeight - Geometry.cellHeight) / 2
        let gap = L.cellWidth >= 20 ? 1.0 : 0
        return Rect(x: L.stripX + Double(index) * L.cellWidth + gap / 2, y: top + inset,
                    width: L.cellWidth - gap, height: Geometry.cellHeight)
    }

    // MARK: Drawing

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(m)
        let p = placement(in: frame, L)
        try canvas.withSavedState {
            canvas.translate(dx: p.dx, dy: p.dy)
            canvas.scaleBy(p.scale)
            try drawNatural(on: canvas, L, m)
        }
        try canvas.checkStatus("draw weighted sum")
    }

    private func drawNatural(on canvas: Canvas, _ L: Layout, _ m: TextMeasurer) throws {
        TitleBlock(title: title, subtitle: resolvedSubtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
        let header = FigureStyle.secondaryText
        let stripWidth = Double(output.count) * L.cellWidth
        canvas.text(localized("key"), at: Point(x: L.tokenRight, y: L.headerY), size: Geometry.headerSize, color: header,
                    alignment: .right, verticalAlignment: .top)
        canvas.text(localized("weight"), at: Point(x: L.barX + Geometry.barWidth / 2, y: L.headerY), size: Geometry.headerSize,
                    color: header, alignment: .center, verticalAlignment: .top)
        canvas.text(localized("value vector v"), at: Point(x: L.stripX + stripWidth / 2, y: L.headerY), size: Geometry.headerSize,
                    color: header, alignment: .center, verticalAlignment: .top)

        let maxWeight = Double(weights.max() ?? 1)
        let bestRow = weights.indices.max { weights[$0] < weights[$1] }
        for (j, token) in tokens.enumerated() {
            let top = L.firstRowTop + Double(j) * Geometry.rowHeight
            let midY = top + Geometry.rowHeight / 2
            let w = Double(weights[j])
            let fade = fadeLowWeights && maxWeight > 0 ? 0.35 + 0.65 * max(0, w) / maxWeight : 1
            let strong = j == bestRow
            let textColor = FigureStyle.text.mixed(with: .white, (1 - fade) * 0.6)

            if j > 0 {
                canvas.text("+", at: Point(x: L.operatorX, y: midY), size: Geometry.operatorSize,
                            color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle)
            }
            canvas.text(token, at: Point(x: L.tokenRight, y: midY), size: FigureStyle.labelSize,
                        weight: strong ? .bold : .regular, color: textColor, alignment: .right, verticalAlignment: .middle)
            canvas.text(cellNumber(weights[j]), at: Point(x: L.weightRight, y: midY), size: FigureStyle.labelSize,
                        weight: strong ? .bold : .regular, color: textColor, alignment: .right, verticalAlignment: .middle)
            let track = weightTrack(row: j, L)
            canvas.fillRect(track, color: RGB(hex: 0xEEEEEE))
            let length = min(max(w, 0), 1) * Geometry.barWidth
            if length > 0 {
                canvas.fillRect(Rect(x: track.minX, y: track.minY, width: length, height: track.height), color: RGB(hex: 0x555555))
            }
            canvas.text("×", at: Point(x: L.timesX, y: midY), size: Geometry.operatorSize,
                        color: FigureStyle.secondaryText.mixed(with: .white, (1 - fade) * 0.6),
                        alignment: .center, verticalAlignment: .middle)
            for (i, v) in values[j].enumerated() {
                let rect = cellRect(i, top: top, L)
                let color = self.color(for: v)
                canvas.fillRect(rect, color: color)
                if L.showNumbers {
                    canvas.text(cellNumber(v), at: rect.center, size: Geometry.valueSize, color: color.contrastingTextColor,
                                alignment: .center, verticalAlignment: .middle)
                }
            }
        }

        // The rule and the result.
        canvas.line(from: Point(x: FigureStyle.margin, y: L.ruleY), to: Point(x: L.stripX + stripWidth, y: L.ruleY),
                    color: FigureStyle.axis, width: 1.2)
        let midY = L.outputTop + Geometry.rowHeight / 2
        canvas.text("=", at: Point(x: L.operatorX, y: midY), size: Geometry.operatorSize, color: FigureStyle.text,
                    alignment: .center, verticalAlignment: .middle)
        canvas.text(outputLabel, at: Point(x: L.tokenRight, y: midY), size: FigureStyle.labelSize + 1, weight: .bold,
                    color: FigureStyle.text, alignment: .right, verticalAlignment: .middle)
        canvas.text(localized("Σ weights = \(formatNumber(Double(weights.reduce(0, +)), format: valueFormat))"),
                    at: Point(x: L.barX + Geometry.barWidth / 2, y: midY), size: Geometry.headerSize,
                    color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle)
        for (i, v) in output.enumerated() {
            let rect = cellRect(i, top: L.outputTop, L)
            let color = self.color(for: v)
            canvas.fillRect(rect, color: color)
            if L.showNumbers {
                canvas.text(cellNumber(v), at: rect.center, size: Geometry.valueSize, weight: .bold,
                            color: color.contrastingTextColor, alignment: .center, verticalAlignment: .middle)
            }
        }
        let first = cellRect(0, top: L.outputTop, L)
        canvas.strokeRect(Rect(x: L.stripX - 1, y: first.minY - 1, width: stripWidth + 2, height: first.height + 2),
                          color: FigureStyle.text, width: 1.5)

        L.colorBarSpec.draw(on: canvas, bar: L.colorBar)
        canvas.text(Self.footnote, at: Point(x: FigureStyle.margin, y: L.footnoteTop), size: Geometry.headerSize,
                    color: FigureStyle.mutedText, verticalAlignment: .top)
    }
}
