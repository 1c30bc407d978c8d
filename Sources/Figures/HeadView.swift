import Foundation
import Localization

/// Attention as lines, as in BertViz's head view: query tokens in a left column, key tokens in a right
/// column, one line per (query, key) pair in the colour of the head that weighs that pair most, its
/// opacity and width the weight divided by the largest weight in the figure (so a head whose best
/// weight is 0.3 is still visible on a projector; the legend says so). One line per pair means two
/// heads never blend into a colour no head has. With `highlightQuery`, only that query's lines are
/// drawn and the query is marked, to answer "where does this word look?". Long inputs (40 tokens and
/// more) draw each query's strongest keys only, on tighter rows, so the figure stays near 16:9.
public struct HeadView: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The tokens of the left column (queries).
    public var queryTokens: [String]
    /// The tokens of the right column (keys).
    public var keyTokens: [String]
    /// [head][query][key].
    public var heads: [[[Float]]]
    /// nil: `HeadView.headPalette` (cycled for more than 12 heads).
    public var headColors: [RGB]?
    /// nil: "head 1", "head 2", …
    public var headLabels: [String]?
    /// The 0-based index into `queryTokens` whose lines alone are drawn; nil: every query's.
    public var highlightQuery: Int?
    /// Lines for smaller weights are not drawn (they would be invisible anyway).
    public var minimumWeight: Float
    /// Keys drawn per query (its strongest); nil: all of them below 40 tokens, 3 from 40 on.
    public var topK: Int?
    /// The weight drawn fully opaque, for figures meant to be compared (one scale for the pair);
    /// nil: the largest weight drawn in this figure.
    public var opacityScale: Float?

    /// A head view of `heads`, [head][query][key] with heads from 0.
    public init(title: String, subtitle: String = "", queryTokens: [String], keyTokens: [String],
                heads: [[[Float]]], headColors: [RGB]? = nil, headLabels: [String]? = nil,
                highlightQuery: Int? = nil, minimumWeight: Float = 0.02, topK: Int? = nil, opacityScale: Float? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.queryTokens = queryTokens
        self.keyTokens = keyTokens
        self.heads = heads
        self.headColors = headColors
        self.headLabels = headLabels
        self.highlightQuery = highlightQuery
        self.minimumWeight = minimumWeight
        self.topK = topK
        self.opacityScale = opacityScale
    }

    /// From this many tokens on, the view is "long": top-k lines, tighter rows.
    static let longInput = 40

    var isLong: Bool { max(queryTokens.count, keyTokens.count) >= Self.longInput }

    /// The number of keys drawn per query: `topK`, or every key for short inputs and 3 for long ones.
    public var resolvedTopK: Int? { topK ?? (isLong ? 3 : nil) }

    /// One line per (query, key): the head weighing the pair most and its weight.
    public struct Line: Equatable, Sendable {
        /// The 0-based query index.
        public var query: Int
        /// The 0-based key index.
        public var key: Int
        /// The 0-based head whose weight for this pair is largest (it gives the colour).
        public var head: Int
        /// That head's weight for the pair.
        public var weight: Float
    }

    /// The lines drawn, faintest first: for each query (only `highlightQuery` when set) its keys
    /// with a weight ≥ `minimumWeight` in some head, each in its strongest head, the strongest
    /// `resolvedTopK` per query.
    public var lines: [Line] {
        var result: [Line] = []
        for i in queryTokens.indices where highlightQuery == nil || highlightQuery == i {
            var row: [Line] = []
            for j in keyTokens.indices {
                var best = Line(query: i, key: j, head: 0, weight: -1)
                // Checked here too: `preferredSize` may be asked before `validate()`.
                for (h, head) in heads.enumerated()
                where i < head.count && j < head[i].count && head[i][j] > best.weight {
                    best.head = h
                    best.weight = head[i][j]
                }
                if best.weight >= minimumWeight && best.weight > 0 { row.append(best) }
            }
            if let k = resolvedTopK, row.count > k {
                row = Array(row.sorted { ($0.weight, -$0.key) > ($1.weight, -$1.key) }.prefix(max(0, k)))
            }
            result += row
        }
        return result.sorted { ($0.weight, $0.head, $0.query, $0.key) < ($1.weight, $1.head, $1.query, $1.key) }
    }

    /// The largest weight drawn: opacity and width are measured against it.
    public var largestWeight: Float { lines.map(\.weight).max() ?? 1 }

    /// The weight drawn fully opaque: `opacityScale` when set (and positive), else `largestWeight`.
    public var opaqueWeight: Float {
        if let opacityScale, opacityScale.isFinite, opacityScale > 0 { return opacityScale }
        return largestWeight
    }

    /// What the line colours and opacity mean, printed under the head legend.
    public var legendNote: String {
        var note = heads.count == 1 ? localized("each line: one query–key pair") : localized("each line: the head weighing the pair most")
        note += " · " + localized("opacity: weight ÷ \(formatNumber(Double(opaqueWeight)))")
        if opaqueWeight < 0.995 {
            note += " " + (opacityScale == nil ? localized("(the largest weight here)") : localized("(one scale for the pair)"))
        }
        if let k = resolvedTopK { note += " · " + localized("top \(k) keys per query") }
        return note
    }

    /// Twelve qualitative colours, distinct from each other and dark enough for thin lines on white
    /// (d3's category10 with its grey replaced, plus three more).
    public static let headPalette: [RGB] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B,
        0xE377C2, 0x17BECF, 0xBCBD22, 0x393B79, 0x7F7F7F, 0x1B9E77,
    ].map { RGB(hex: $0) }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !queryTokens.isEmpty else { throw FigureError.invalidData("head view has no query tokens") }
        guard !keyTokens.isEmpty else { throw FigureError.invalidData("head view has no key tokens") }
        guard !heads.isEmpty else { throw FigureError.invalidData("head view has no heads") }
        for (h, head) in heads.enumerated() {
            try validateMatrix(head, rowLabels: queryTokens, columnLabels: keyTokens, what: "head \(h + 1)")
            if head.joined().contains(where: { !$0.isFinite }) {
                throw FigureError.invalidData("head \(h + 1) has weights that are not finite")
            }
        }
        if let headColors, headColors.count < heads.count {
            throw FigureError.invalidData("\(heads.count) heads but only \(headColors.count) head colours")
        }
        if let headLabels, headLabels.count != heads.count {
            throw FigureError.invalidData("\(heads.count) heads but \(headLabels.count) head labels")
        }
        if let highlightQuery, !queryTokens.indices.contains(highlightQuery) {
            throw FigureError.invalidData("highlightQuery \(highlightQuery) is outside 0..<\(queryTokens.count)")
        }
        guard minimumWeight.isFinite, minimumWeight >= 0 else {
            throw FigureError.invalidData("minimumWeight \(minimumWeight) must be a number ≥ 0")
        }
    }

    /// The colour of head `index`.
    public func color(ofHead index: Int) -> RGB {
        if let headColors, headColors.indices.contains(index) { return headColors[index] }
        return Self.headPalette[index % Self.headPalette.count]
    }

    /// `headLabels`, or "head 1", "head 2", … (numbered from 1 for the reader, localised).
    public var resolvedHeadLabels: [String] { headLabels ?? heads.indices.map { localized("head \($0 + 1)") } }

    /// Line width for a weight: thin for small weights, 3.5 units at weight 1.
    static func lineWidth(_ weight: Float) -> Double { 1 + 2.5 * Double(min(max(weight, 0), 1)) }

    // MARK: Layout

    private enum Geometry {
        static let rowHeight = 26.0
        static let longRowHeight = 16.0
        static let noteGap = 6.0
        static let anchorGap = 8.0
        static let headingGap = 10.0
        static let legendSample = 22.0
        static let legendEntryGap = 18.0
        static let legendRow = 22.0
        static let legendGap = 18.0
        static let highlightPad = 4.0
        static let chip = 11.0
        static let chipGap = 2.0
        static let chipsGap = 16.0
    }

    /// The heading over the per-head weight chips shown with `highlightQuery` ("weight" when only
    /// one head is drawn: there is nothing per head to compare).
    var chipsHeading: String { heads.count == 1 ? localized("weight") : localized("weight per head") }

    struct Layout {
        var size: Size
        var titleTop: Double
        var queryAnchors: [Point]
        var keyAnchors: [Point]
        var texts: [TextItem]
        /// Legend samples: (head, line start, line end).
        var legend: [(Int, Point, Point)]
        var highlightRect: Rect?
        /// With a highlighted query: [key][head] squares showing that query's weights.
        var chips: [[Rect]]
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let tokenSize = isLong ? FigureStyle.tickSize : FigureStyle.labelSize
        let rowHeight = isLong ? Geometry.longRowHeight : Geometry.rowHeight
        let titles = TitleBlock(title: title, subtitle: subtitle)
        func weight(query i: Int) -> FontWeight { i == highlightQuery ? .bold : .regular }
        let queryWidth = queryTokens.indices.map { m.width(queryTokens[$0], size: tokenSize, weight: weight(query: $0)) }.max() ?? 0
        let keyWidth = keyTokens.map { m.width($0, size: tokenSize) }.max() ?? 0
        let headingSize = FigureStyle.axisTitleSize
        let queryHeading = localized("query"), keyHeading = localized("key")
        let leftColumn = max(queryWidth + (highlightQuery == nil ? 0 : Geometry.highlightPad),
                             m.width(queryHeading, size: headingSize))
        var rightColumn = max(keyWidth, m.width(keyHeading, size: headingSize))
        let rows = Double(max(queryTokens.count, keyTokens.count))
        var span = max(240, min(420, rows * 22))
        // Per-head weight chips beside the keys when one query is highlighted.
        let showChips = highlightQuery != nil
        let chipsWidth = Double(heads.count) * Geometry.chip + Double(max(0, heads.count - 1)) * Geometry.chipGap
        let chipsHeadingWidth = m.width(chipsHeading, size: FigureStyle.tickSize)
        let chipsOffset = rightColumn + Geometry.chipsGap   // from the key column's left edge
        if showChips { rightColumn = chipsOffset + max(chipsWidth, chipsHeadingWidth) }
        if isLong {
            // Widen the lines' span until the figure is about 16:9.
            let height = margin + titles.height(m) + 3 * Geometry.legendRow + rows * rowHeight + 2 * margin
            span = max(span, height * 16 / 9 - 2 * margin - leftColumn - rightColumn - 2 * Geometry.anchorGap)
        }
        let bodyWidth = leftColumn + 2 * Geometry.anchorGap + span + rightColumn

        // Legend: equal-width entries in rows, aligned in columns, the block centred.
        let labels = resolvedHeadLabels
        let entryWidth = labels.map { Geometry.legendSample + 6 + m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        let legendMax = max(bodyWidth, titles.width(m))
        let perRow = max(1, min(heads.count, Int((legendMax + Geometry.legendEntryGap) / (entryWidth + Geometry.legendEntryGap))))
        let legendWidth = Double(perRow) * entryWidth + Double(perRow - 1) * Geometry.legendEntryGap
        let contentWidth = max(bodyWidth, legendWidth, titles.width(m), m.width(legendNote, size: FigureStyle.tickSize))
        let width = contentWidth + 2 * margin
        let centerX = width / 2

        var texts: [TextItem] = []
        var legend: [(Int, Point, Point)] = []
        var y = margin + titles.height(m)
        let legendLeft = centerX - legendWidth / 2
        for h in labels.indices {
            let x = legendLeft + Double(h % perRow) * (entryWidth + Geometry.legendEntryGap)
            let midY = y + (Double(h / perRow) + 0.5) * Geometry.legendRow
            legend.append((h, Point(x: x, y: midY), Point(x: x + Geometry.legendSample, y: midY)))
            texts.append(TextItem(text: labels[h], at: Point(x: x + Geometry.legendSample + 6, y: midY),
                                  size: FigureStyle.tickSize, color: FigureStyle.text, verticalAlignment: .middle))
        }
        if !labels.isEmpty {
            y += Double((labels.count + perRow - 1) / perRow) * Geometry.legendRow + Geometry.noteGap
        }
        texts.append(TextItem(text: legendNote, at: Point(x: centerX, y: y), size: FigureStyle.tickSize,
                              color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top))
        y += m.lineHeight(size: FigureStyle.tickSize) + Geometry.legendGap

        // Columns, centred as a block.
        let bodyLeft = centerX - bodyWidth / 2
        let queryRight = bodyLeft + leftColumn
        let keyLeft = queryRight + 2 * Geometry.anchorGap + span
        texts.append(TextItem(text: queryHeading, at: Point(x: queryRight, y: y), size: headingSize,
                              color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .top))
        texts.append(TextItem(text: keyHeading, at: Point(x: keyLeft, y: y), size: headingSize,
                              color: FigureStyle.secondaryText, verticalAlignment: .top))
        let headingHeight = m.lineHeight(size: headingSize)
        if showChips {
            texts.append(TextItem(text: chipsHeading, at: Point(x: keyLeft + chipsOffset, y: y + headingHeight),
                                  size: FigureStyle.tickSize, color: FigureStyle.secondaryText, verticalAlignment: .bottom))
        }
        y += headingHeight + Geometry.headingGap
        let top = y
        let queryOffset = (rows - Double(queryTokens.count)) * rowHeight / 2
        let keyOffset = (rows - Double(keyTokens.count)) * rowHeight / 2
        var queryAnchors: [Point] = [], keyAnchors: [Point] = []
        var highlightRect: Rect? = nil
        for (i, token) in queryTokens.enumerated() {
            let midY = top + queryOffset + (Double(i) + 0.5) * rowHeight
            let isHighlighted = i == highlightQuery
            let item = TextItem(text: token, at: Point(x: queryRight, y: midY), size: tokenSize, weight: weight(query: i),
                                color: isHighlighted ? FigureStyle.highlight : FigureStyle.text,
                                alignment: .right, verticalAlignment: .middle)
            texts.append(item)
            if isHighlighted {
                let b = item.bounds(m)
                highlightRect = Rect(x: b.minX - Geometry.highlightPad, y: midY - rowHeight / 2 + 2,
                                     width: b.width + 2 * Geometry.highlightPad, height: rowHeight - 4)
            }
            queryAnchors.append(Point(x: queryRight + Geometry.anchorGap, y: midY))
        }
        var chips: [[Rect]] = []
        for (j, token) in keyTokens.enumerated() {
            let midY = top + keyOffset + (Double(j) + 0.5) * rowHeight
            texts.append(TextItem(text: token, at: Point(x: keyLeft, y: midY), size: tokenSize, verticalAlignment: .middle))
            keyAnchors.append(Point(x: keyLeft - Geometry.anchorGap, y: midY))
            if showChips {
                chips.append(heads.indices.map { h in
                    Rect(x: keyLeft + chipsOffset + Double(h) * (Geometry.chip + Geometry.chipGap),
                         y: midY - Geometry.chip / 2, width: Geometry.chip, height: Geometry.chip)
                })
            }
        }
        let bottom = top + rows * rowHeight
        return Layout(size: Size(width: width.rounded(.up), height: (bottom + margin).rounded(.up)), titleTop: margin,
                      queryAnchors: queryAnchors, keyAnchors: keyAnchors, texts: texts, legend: legend,
                      highlightRect: highlightRect, chips: chips)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Where the lines from query `index` start, inside `frame`.
    public func queryAnchor(_ index: Int, in frame: Rect) -> Point {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).point(L.queryAnchors[index])
    }

    /// Where the lines to key `index` end, inside `frame`.
    public func keyAnchor(_ index: Int, in frame: Rect) -> Point {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).point(L.keyAnchors[index])
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            if let r = L.highlightRect {
                canvas.roundedRect(r, radius: 4, fill: FigureStyle.highlight.mixed(with: .white, 0.88))
            }
            // Light guides at every anchor, so tokens without lines still show where they connect.
            for p in L.queryAnchors + L.keyAnchors {
                canvas.circle(center: p, radius: 2, fill: RGB(hex: 0xCCCCCC))
            }
            // One line per pair, faintest first, so strong lines stay in their head's own colour on top.
            let largest = max(opaqueWeight, 1e-6)
            for line in lines {
                let relative = min(line.weight / largest, 1)
                canvas.line(from: L.queryAnchors[line.query], to: L.keyAnchors[line.key], color: color(ofHead: line.head),
                            width: Self.lineWidth(relative), opacity: Double(relative))
            }
            if let q = highlightQuery {
                for (j, row) in L.chips.enumerated() {
                    for (h, chip) in row.enumerated() {
                        let w = Double(min(max(heads[h][q][j] / max(opaqueWeight, 1e-6), 0), 1))
                        canvas.fillRect(chip, color: color(ofHead: h).mixed(with: .white, 1 - w))
                        canvas.strokeRect(chip, color: RGB(hex: 0xBBBBBB), width: 0.5)
                    }
                }
            }
            for (h, a, b) in L.legend {
                canvas.line(from: a, to: b, color: color(ofHead: h), width: 3.5)
            }
            for item in L.texts { item.draw(on: canvas) }
        }
        try canvas.checkStatus("draw head view")
    }
}
