import Foundation
import Localization

/// The whole model at a glance, as in BertViz's model view: a layers × heads matrix of small attention
/// thumbnails ("Layer 1…" down the left, "Head 1…" along the top), one shared colour scale and bar.
/// Token labels go along the first column's thumbnails (queries) and under the last row's (keys) when
/// they are big enough to read; otherwise a note under the grid lists the token order. The "query"
/// and "key" axis titles sit beside them, as on every attention figure.
public struct ModelView: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// [layer][head][query][key].
    public var weights: [[[[Float]]]]
    /// One label per query (the rows of every thumbnail).
    public var rowLabels: [String]
    /// One label per key (the columns of every thumbnail).
    public var columnLabels: [String]
    /// nil: "Layer 1", "Layer 2", …
    public var layerLabels: [String]?
    /// nil: "Head 1", "Head 2", …
    public var headLabels: [String]?
    /// The colour scale all thumbnails share.
    public var colorMap: ColorMap
    /// The values at the two ends of the colour scale (0...1 by default).
    public var valueRange: ClosedRange<Float>
    /// Side of one thumbnail in user units.
    public var thumbnailSize: Double
    /// The caption of the colour bar ("weight" by default, localised).
    public var colorBarLabel: String
    /// [query][key], shared by every layer and head: true where a mask hid the key (drawn hatched).
    public var hidden: [[Bool]]?
    /// Grow the thumbnails until every token has a legible label, however many tokens there are
    /// (without it, only up to `labelledTokenLimit`). For a few heads: twelve would be far too wide.
    public var labelsEveryToken: Bool

    /// A model view of `weights`, [layer][head][query][key] with layers and heads from 0.
    public init(title: String, subtitle: String = "", weights: [[[[Float]]]], rowLabels: [String],
                columnLabels: [String], layerLabels: [String]? = nil, headLabels: [String]? = nil,
                colorMap: ColorMap = .viridis, valueRange: ClosedRange<Float> = 0...1, thumbnailSize: Double = 120,
                colorBarLabel: String = localized("weight"), hidden: [[Bool]]? = nil, labelsEveryToken: Bool = false) {
        self.title = title
        self.subtitle = subtitle
        self.weights = weights
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.layerLabels = layerLabels
        self.headLabels = headLabels
        self.colorMap = colorMap
        self.valueRange = valueRange
        self.thumbnailSize = thumbnailSize
        self.colorBarLabel = colorBarLabel
        self.hidden = hidden
        self.labelsEveryToken = labelsEveryToken
    }

    /// The number of layers (rows of thumbnails).
    public var layerCount: Int { weights.count }
    /// The number of heads per layer (columns of thumbnails), from the first layer.
    public var headCount: Int { weights.first?.count ?? 0 }
    private var queryCount: Int { weights.first?.first?.count ?? 0 }
    private var keyCount: Int { weights.first?.first?.first?.count ?? 0 }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !weights.isEmpty else { throw FigureError.invalidData("model view has no layers") }
        guard headCount > 0 else { throw FigureError.invalidData("model view layer 1 has no heads") }
        for (l, layer) in weights.enumerated() {
            guard layer.count == headCount else {
                throw FigureError.invalidData("model view layers are ragged: layer 1 has \(headCount) heads, layer \(l + 1) has \(layer.count)")
            }
            for (h, head) in layer.enumerated() {
                try validateMatrix(head, rowLabels: rowLabels, columnLabels: columnLabels,
                                   what: "layer \(l + 1) head \(h + 1)")
                try validateHidden(hidden, rows: head.count, columns: head.first?.count ?? 0,
                                   what: "layer \(l + 1) head \(h + 1)")
            }
        }
        if let layerLabels, layerLabels.count != layerCount {
            throw FigureError.invalidData("\(layerCount) layers but \(layerLabels.count) layer labels")
        }
        if let headLabels, headLabels.count != headCount {
            throw FigureError.invalidData("\(headCount) heads but \(headLabels.count) head labels")
        }
        guard thumbnailSize.isFinite, thumbnailSize >= 8 else {
            throw FigureError.invalidData("thumbnailSize \(thumbnailSize) must be at least 8")
        }
        try validateRange(valueRange)
    }

    /// `layerLabels`, or "Layer 1", "Layer 2", … (numbered from 1 for the reader, localised).
    public var resolvedLayerLabels: [String] { layerLabels ?? (0..<layerCount).map { localized("Layer \($0 + 1)") } }
    /// `headLabels`, or "Head 1", "Head 2", … (numbered from 1 for the reader, localised).
    public var resolvedHeadLabels: [String] { headLabels ?? (0..<headCount).map { localized("Head \($0 + 1)") } }

    /// The colour a value gets (every thumbnail shares this scale).
    public func color(for value: Float) -> RGB { mappedColor(value, colorMap, valueRange) }

    /// Token labels smaller than this are not drawn: too small to read on a slide.
    static let minimumTokenLabelSize = 10.0
    /// Inputs up to this many tokens always get token labels.
    public static let labelledTokenLimit = 16

    // MARK: Layout

    private enum Geometry {
        static let gap = 12.0
        static let axisLabelGap = 10.0
        static let colorBarGap = 24.0
        static let noteGap = 14.0
        static let noteSize = FigureStyle.tickSize
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        var thumbnails: [[Rect]]   // [layer][head]
        var cellWidth: Double
        var cellHeight: Double
        var showsTokens: Bool
        var texts: [TextItem]
        var colorBar: ColorBar
        var colorBarRect: Rect

        func cellRect(layer: Int, head: Int, row: Int, column: Int) -> Rect {
            let t = thumbnails[layer][head]
            return Rect(x: t.minX + Double(column) * cellWidth, y: t.minY + Double(row) * cellHeight,
                        width: cellWidth, height: cellHeight)
        }
    }

    /// The note under the grid: the token order, when the tokens are too many to label (labelled
    /// thumbnails need none: the axis titles say what rows and columns are).
    private func note(showsTokens: Bool) -> String {
        if showsTokens { return "" }
        let same = rowLabels == columnLabels
        let order = same ? rowLabels.joined(separator: " · ")
            : localized("queries \(rowLabels.joined(separator: " · ")); keys \(columnLabels.joined(separator: " · "))")
        return localized("Rows are queries, columns are keys, in token order (too many to label each thumbnail): \(order)")
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let q = Double(max(1, queryCount)), k = Double(max(1, keyCount))
        // Up to 16 tokens (any number with `labelsEveryToken`) the thumbnails grow until every row and
        // column can carry its label.
        let labelled = max(q, k) <= Double(Self.labelledTokenLimit) || labelsEveryToken
            ? max(q, k) * Self.minimumTokenLabelSize * 1.25 : 0
        let t = max(thumbnailSize, labelled)
        let cw = t / k, ch = t / q
        let tokenSize = min(FigureStyle.labelSize, min(cw, ch) / 1.25)
        let showsTokens = tokenSize >= Self.minimumTokenLabelSize
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let layers = resolvedLayerLabels, headsText = resolvedHeadLabels
        let axisSize = FigureStyle.labelSize

        let layerLabelWidth = layers.map { m.width($0, size: axisSize, weight: .bold) }.max() ?? 0
        let rowTokenArea = showsTokens
            ? (rowLabels.map { m.width($0, size: tokenSize) }.max() ?? 0) + MatrixBlock.rowLabelGap : 0
        // Key labels stay upright when a slightly smaller size (still legible) lets them fit their column.
        let widestKey = columnLabels.map { m.width($0, size: tokenSize) }.max() ?? 0
        var keySize = tokenSize
        if widestKey > cw - 6, widestKey > 0 {
            let upright = (tokenSize * (cw - 6) / widestKey * 4).rounded(.down) / 4
            if upright >= Self.minimumTokenLabelSize { keySize = upright }
        }
        let axis = AxisLabels(labels: columnLabels, size: keySize, m, slot: cw, below: true,
                              gap: MatrixBlock.columnLabelGap)
        let headLabelHeight = m.lineHeight(headsText.joined(), size: axisSize, weight: .bold) + 8
        // Head labels wider than a thumbnail widen the pitch.
        let headLabelWidth = headsText.map { m.width($0, size: axisSize, weight: .bold) }.max() ?? 0
        let pitchX = max(t, headLabelWidth) + Geometry.gap
        let pitchY = t + Geometry.gap

        let gridLeft = margin + max(layerLabelWidth + Geometry.axisLabelGap + AttentionAxisTitles.rowTitleWidth(m) + rowTokenArea,
                                    showsTokens ? -axis.minX : 0) + max(0, headLabelWidth - t) / 2
        let gridTop = margin + titles.height(m) + headLabelHeight
        var thumbnails: [[Rect]] = []
        var texts: [TextItem] = []
        for l in 0..<layerCount {
            var row: [Rect] = []
            for h in 0..<headCount {
                row.append(Rect(x: gridLeft + Double(h) * pitchX, y: gridTop + Double(l) * pitchY, width: t, height: t))
            }
            thumbnails.append(row)
        }
        let nHeads = Double(max(1, headCount)), nLayers = Double(max(1, layerCount))
        let gridRight = gridLeft + (nHeads - 1) * pitchX + t
        let gridBottom = gridTop + (nLayers - 1) * pitchY + t

        for (h, label) in headsText.enumerated() {
            texts.append(TextItem(text: label, at: Point(x: gridLeft + Double(h) * pitchX + t / 2, y: gridTop - 8),
                                  size: axisSize, weight: .bold, alignment: .center, verticalAlignment: .bottom))
        }
        for (l, label) in layers.enumerated() {
            texts.append(TextItem(text: label, at: Point(x: margin, y: gridTop + Double(l) * pitchY + t / 2),
                                  size: axisSize, weight: .bold, verticalAlignment: .middle))
        }
        var labelsBottom = gridBottom
        // Axis titles: "query" beside each layer's first thumbnail, "key" under each head's last one.
        for l in 0..<layerCount where headCount > 0 {
            let thumb = thumbnails[l][0]
            texts.append(AttentionAxisTitles.rowTitle(labelsLeft: thumb.minX - rowTokenArea, centerY: thumb.midY, m))
        }
        for h in 0..<headCount where layerCount > 0 {
            let thumb = thumbnails[layerCount - 1][h]
            texts.append(AttentionAxisTitles.columnTitle(labelsEdge: thumb.maxY + (showsTokens ? axis.extent : 0),
                                                         centerX: thumb.midX))
        }
        if showsTokens && layerCount > 0 && headCount > 0 {
            for l in 0..<layerCount {
                let thumb = thumbnails[l][0]
                for (r, label) in rowLabels.enumerated() {
                    texts.append(TextItem(text: label, at: Point(x: thumb.minX - MatrixBlock.rowLabelGap,
                                                                 y: thumb.minY + (Double(r) + 0.5) * ch),
                                          size: tokenSize, color: FigureStyle.secondaryText, alignment: .right,
                                          verticalAlignment: .middle))
                }
            }
            for h in 0..<headCount {
                let thumb = thumbnails[layerCount - 1][h]
                for (j, label) in columnLabels.enumerated() where j < axis.placements.count {
                    let p = axis.placements[j]
                    texts.append(TextItem(text: label, at: Point(x: thumb.minX + p.anchor.x, y: thumb.maxY + p.anchor.y),
                                          size: keySize, color: FigureStyle.secondaryText, alignment: p.alignment,
                                          verticalAlignment: p.verticalAlignment, rotation: axis.rotation))
                }
            }
            labelsBottom += axis.extent
        }
        labelsBottom += AttentionAxisTitles.columnTitleHeight(m)

        let allValues = weights.joined().joined().joined()
        let bar = ColorBar(colorMap: colorMap, range: Double(valueRange.lowerBound)...Double(valueRange.upperBound),
                           label: colorBarLabel,
                           maskedLegend: maskedLegendText(allValues, anyHidden: hidden?.joined().contains(true) ?? false))
        let barHeight = max(gridBottom - gridTop, 120)
        let barRect = Rect(x: gridRight + max(0, headLabelWidth - t) / 2 + Geometry.colorBarGap, y: gridTop,
                           width: bar.barWidth, height: barHeight)
        let contentRight = barRect.minX + bar.width(height: barHeight, m)
        let width = max(contentRight + margin, titles.width(m) + 2 * margin, 360)

        // The note, wrapped to the width of the grid.
        let noteWidth = max(300, contentRight - margin)
        let noteLines = balancedWrap(note(showsTokens: showsTokens), size: Geometry.noteSize, maxWidth: noteWidth, m)
        var y = max(labelsBottom, barRect.maxY + bar.overhang(m) + bar.heightBelow) + (noteLines.isEmpty ? 0 : Geometry.noteGap)
        let lineHeight = m.lineHeight(size: Geometry.noteSize) + 2
        for line in noteLines {
            texts.append(TextItem(text: line, at: Point(x: (margin + contentRight) / 2, y: y), size: Geometry.noteSize,
                                  color: FigureStyle.mutedText, alignment: .center, verticalAlignment: .top))
            y += lineHeight
        }

        var layout = Layout(size: Size(width: width.rounded(.up), height: (y + margin).rounded(.up)), titleTop: margin,
                            thumbnails: thumbnails, cellWidth: cw, cellHeight: ch, showsTokens: showsTokens,
                            texts: texts, colorBar: bar, colorBarRect: barRect)
        let shift = (width - (contentRight + margin)) / 2
        if shift > 0 {
            layout.thumbnails = thumbnails.map { $0.map { $0.offsetBy(dx: shift, dy: 0) } }
            layout.texts = texts.map { $0.offsetBy(dx: shift, dy: 0) }
            layout.colorBarRect = barRect.offsetBy(dx: shift, dy: 0)
        }
        return layout
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// True when token labels are drawn along the first column and last row of thumbnails.
    public var showsTokenLabels: Bool { layout(TextMeasurer()).showsTokens }

    /// Exactly where cell (`row`, `column`) of the thumbnail of `layer`, `head` is drawn inside `frame`.
    public func cellRect(layer: Int, head: Int, row: Int, column: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.cellRect(layer: layer, head: head, row: row, column: column))
    }

    /// Where the thumbnail of `layer`, `head` is drawn inside `frame`.
    public func thumbnailRect(layer: Int, head: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.thumbnails[layer][head])
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            for (l, layer) in weights.enumerated() {
                for (h, head) in layer.enumerated() {
                    drawMatrixCells(head, hidden: hidden, on: canvas, colorMap: colorMap, range: valueRange, gap: 0) { r, c in
                        L.cellRect(layer: l, head: h, row: r, column: c)
                    }
                    canvas.strokeRect(L.thumbnails[l][h].insetBy(-0.5), color: RGB(hex: 0x888888), width: 0.75)
                }
            }
            for item in L.texts { item.draw(on: canvas) }
            L.colorBar.draw(on: canvas, bar: L.colorBarRect)
        }
        try canvas.checkStatus("draw model view")
    }
}
