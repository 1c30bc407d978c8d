import Foundation
import Localization

/// Teacher forcing in one picture: the encoder–decoder's "shifted right" decoder input.
///
///     source (encoder)          我    是    一个   学生
///                                ╲ ╱ ╲ ╱  ╳  ╲ ╱        cross-attention (opacity ∝ weight)
///     decoder input            <s>    I    am    a    student        ┌ causal ┐
///                                ↓    ↓     ↓    ↓      ↓            │  mask  │
///     target (to predict)        I   am     a  student  </s>         └────────┘
///
/// The decoder input is the target with a start token in front (`<s> I am a student`), and the
/// target row is the same sentence with an end token at the back (`I am a student </s>`): at
/// position t the decoder has read `<s>` and the first t target tokens and must predict target
/// token t. A vertical arrow joins each decoder-input box to the token it must predict. The causal
/// mask beside the rows (filled = visible, grey hatched = hidden) shows that position t sees
/// positions 0…t of the decoder input and nothing later. Optional cross-attention weights
/// ([decoder positions × source tokens], e.g. the last layer's head average) are drawn as lines from
/// each decoder-input box up to the source tokens, more opaque where the weight is larger.
/// A legend at the bottom says what arrows, lines and mask cells mean.
///
/// Plain data in: token strings and numbers. Chinese tokens are drawn in the CJK font (chosen per
/// string, as everywhere in Figures).
public struct ShiftRightDiagram: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The source sentence's tokens (the encoder input).
    public var sourceTokens: [String]
    /// The target sentence's tokens without start or end token.
    public var targetTokens: [String]
    /// The token put in front of the target to make the decoder input ("<s>").
    public var startToken: String
    /// The token put after the target as the last one to predict ("</s>").
    public var endToken: String
    /// [decoder positions][source tokens], decoder positions = `targetTokens.count + 1` (one per
    /// decoder-input box); nil draws no lines. Each row is usually a softmax row (sums to 1).
    public var crossAttention: [[Float]]?

    /// A diagram of the given sentences; `crossAttention` is optional.
    public init(title: String, subtitle: String = "", sourceTokens: [String], targetTokens: [String],
                startToken: String = "<s>", endToken: String = "</s>", crossAttention: [[Float]]? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.sourceTokens = sourceTokens
        self.targetTokens = targetTokens
        self.startToken = startToken
        self.endToken = endToken
        self.crossAttention = crossAttention
    }

    /// `<s>` + the target: what the decoder reads (the same as `shiftedRight` in Transformer).
    public var decoderInputTokens: [String] { [startToken] + targetTokens }
    /// The target + `</s>`: what the decoder must predict at each position.
    public var labelTokens: [String] { targetTokens + [endToken] }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !sourceTokens.isEmpty else { throw FigureError.invalidData("shift-right diagram has no source tokens") }
        guard !targetTokens.isEmpty else { throw FigureError.invalidData("shift-right diagram has no target tokens") }
        if let weights = crossAttention {
            let positions = targetTokens.count + 1
            guard weights.count == positions else {
                throw FigureError.invalidData("cross-attention has \(weights.count) rows but the decoder input has "
                    + "\(positions) positions (the target's \(targetTokens.count) tokens + the start token)")
            }
            for (t, row) in weights.enumerated() {
                guard row.count == sourceTokens.count else {
                    throw FigureError.invalidData("cross-attention row \(t) has \(row.count) weights but the source has "
                        + "\(sourceTokens.count) tokens")
                }
                if let bad = row.first(where: { !$0.isFinite || $0 < 0 }) {
                    throw FigureError.invalidData("cross-attention weight \(bad) in row \(t) is not a finite number ≥ 0")
                }
            }
        }
    }

    // MARK: Colours

    /// Box fills of the three rows: source (encoder) green, decoder input blue, target orange.
    public static let sourceFill = RGB(hex: 0xD9F0D3)
    /// The fill of the decoder-input boxes (blue).
    public static let decoderInputFill = RGB(hex: 0xC6DBEF)
    /// The fill of the target boxes (orange).
    public static let targetFill = RGB(hex: 0xFDD0A2)
    static let sourceStroke = RGB(hex: 0x4D9A57)
    static let decoderInputStroke = RGB(hex: 0x4A7FB0)
    static let targetStroke = RGB(hex: 0xC0661A)
    /// Visible mask cells (as `MaskPattern`); hidden ones are grey and hatched.
    public static let maskVisibleColor = RGB(hex: 0x2166AC)
    /// The arrows from each decoder-input position to its target.
    public static let arrowColor = RGB(hex: 0x333333)
    /// The cross-attention lines.
    public static let attentionColor = RGB(hex: 0xD6604D)

    static var rowNames: [(String, String)] {
        [(localized("source"), localized("encoder input")), (localized("decoder input"), localized("target shifted right")),
         (localized("target"), localized("what to predict"))]
    }
    static var arrowLegend: String { localized("input at position t → the token it must predict") }
    static var attentionLegend: String { localized("cross-attention to the source (opacity ∝ weight)") }
    static var visibleLegend: String { localized("mask: visible") }
    static var hiddenLegend: String { localized("mask: hidden (future)") }
    static var maskTitle: String { localized("causal mask (decoder self-attention)") }
    static var maskAxisNote: String { localized("row t: what position t may look at") }
    static var crossAttentionNote: String { localized("every decoder position also reads the whole source (cross-attention)") }

    // MARK: Layout

    private enum Geometry {
        static let tokenSize = 18.0
        static let rowNameSize = 16.0
        static let rowNoteSize = 12.5
        static let boxHeight = 42.0
        static let padX = 12.0
        static let minBoxWidth = 54.0
        static let columnGap = 14.0
        static let attentionBand = 130.0     // source row bottom → decoder input top
        static let emptyAttentionBand = 84.0 // the same without lines: room for the note only
        static let arrowBand = 64.0          // decoder input bottom → target top
        static let positionSize = 12.5
        static let positionGap = 6.0
        static let rowNameGap = 22.0
        static let maskGap = 70.0
        static let legendGap = 34.0
        static let legendSwatch = 16.0
        static let legendSample = 40.0
        static let legendTextSize = 14.0
        static let legendRowHeight = 26.0
        static let legendEntryGap = 30.0
        static let minimumWidth = 1100.0
    }

    /// Where everything goes, in the figure's own units (top-left at 0, 0; `size` = `preferredSize`).
    public struct Layout: Sendable {
        /// The whole figure's size, equal to `preferredSize`.
        public var size: Size
        /// Token boxes per row: [0] source, [1] decoder input, [2] target.
        public var rows: [[Rect]]
        /// The causal mask's grid (decoder positions × decoder positions).
        public var maskGrid: Rect
        /// The side of one mask cell, in user units.
        public var maskCell: Double
        /// One rectangle per legend entry's sample (arrow, line, visible, hidden).
        public var legendSamples: [Rect]
        var texts: [TextItem]

        /// The source token boxes, left to right.
        public var sourceBoxes: [Rect] { rows[0] }
        /// The decoder-input token boxes, left to right (`<s>` first).
        public var decoderInputBoxes: [Rect] { rows[1] }
        /// The target token boxes, left to right (the end token last).
        public var targetBoxes: [Rect] { rows[2] }

        /// The mask cell for query `row`, key `column` (without the white gap between cells).
        public func maskCellRect(row: Int, column: Int) -> Rect {
            let gap = cellGap(maskCell)
            return Rect(x: maskGrid.minX + Double(column) * maskCell + gap / 2,
                        y: maskGrid.minY + Double(row) * maskCell + gap / 2,
                        width: maskCell - gap, height: maskCell - gap)
        }
    }

    private func boxWidths(_ tokens: [String], _ m: TextMeasurer) -> [Double] {
        tokens.map { max(Geometry.minBoxWidth, m.width($0, size: Geometry.tokenSize) + 2 * Geometry.padX) }
    }

    private func rowBoxes(widths: [Double], centerX: Double, top: Double) -> [Rect] {
        let total = widths.reduce(0, +) + Double(max(0, widths.count - 1)) * Geometry.columnGap
        var x = centerX - total / 2
        return widths.map { w in
            defer { x += w + Geometry.columnGap }
            return Rect(x: x, y: top, width: w, height: Geometry.boxHeight)
        }
    }

    private var legendEntries: [String] {
        [Self.arrowLegend] + (crossAttention == nil ? [] : [Self.attentionLegend]) + [Self.visibleLegend, Self.hiddenLegend]
    }

    private func legendSampleWidth(_ index: Int) -> Double {
        let text = legendEntries[index]
        return text == Self.arrowLegend || text == Self.attentionLegend ? Geometry.legendSample : Geometry.legendSwatch
    }

    /// The figure's geometry at its preferred size.
    public func layout() -> Layout { layout(TextMeasurer()) }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let titles = TitleBlock(title: title, subtitle: subtitle, gapBelow: 28)
        let decoder = decoderInputTokens, labels = labelTokens
        let positions = decoder.count

        // Row names: a bold name and a small note under it, right-aligned before the boxes.
        let nameWidth = Self.rowNames.map {
            max(m.width($0.0, size: Geometry.rowNameSize, weight: .bold), m.width($0.1, size: Geometry.rowNoteSize))
        }.max() ?? 0
        let contentLeft = margin + nameWidth + Geometry.rowNameGap

        // One column per decoder position, as wide as the wider of its input and its target token.
        let decoderWidths = zip(boxWidths(decoder, m), boxWidths(labels, m)).map { max($0, $1) }
        let sourceWidths = boxWidths(sourceTokens, m)
        func span(_ widths: [Double]) -> Double { widths.reduce(0, +) + Double(max(0, widths.count - 1)) * Geometry.columnGap }
        let bodyWidth = max(span(decoderWidths), span(sourceWidths))

        // The causal mask: cells shrink for long sentences so the grid stays about 260 units tall at most.
        let cell = min(30, max(16, (260 / Double(positions)).rounded(.down)))
        let block = MatrixBlock(title: Self.maskTitle, rows: positions, columns: positions, rowLabels: decoder,
                                columnLabels: decoder, cell: cell, titleSize: FigureStyle.labelSize + 1,
                                titleWeight: .bold, axisTitles: true, m)
        let noteWidth = m.width(Self.maskAxisNote, size: FigureStyle.tickSize)
        let maskLeft = contentLeft + bodyWidth + Geometry.maskGap
        // The note is centred under the grid and may reach past the block on either side.
        let gridMid = block.gridOrigin.x + Double(positions) * cell / 2
        let noteLeft = min(0, gridMid - noteWidth / 2)
        let maskWidth = max(block.size.width, gridMid + noteWidth / 2) - noteLeft

        // Legend entries, side by side (wrapping if the figure is narrow).
        let entryWidths = legendEntries.indices.map {
            legendSampleWidth($0) + 8 + m.width(legendEntries[$0], size: Geometry.legendTextSize)
        }

        var width = max(maskLeft + maskWidth + margin, titles.width(m) + 2 * margin, Geometry.minimumWidth)
        let legendFlow = flowRows(widths: entryWidths, maxWidth: width - 2 * margin, gap: Geometry.legendEntryGap,
                                  rowHeight: Geometry.legendRowHeight)
        width = max(width, legendFlow.size.width + 2 * margin).rounded(.up)
        // Centre the rows and the mask together when the figure is wider than they need.
        let used = maskLeft + maskWidth + margin
        let shift = max(0, (width - used) / 2)

        var texts: [TextItem] = []
        let titleTop = margin
        var y = titleTop + titles.height(m)
        let centerX = shift + contentLeft + bodyWidth / 2

        let sourceTop = y
        let sourceBoxes = rowBoxes(widths: sourceWidths, centerX: centerX, top: sourceTop)
        let band = crossAttention == nil ? Geometry.emptyAttentionBand : Geometry.attentionBand
        let decoderTop = sourceTop + Geometry.boxHeight + band
        let decoderBoxes = rowBoxes(widths: decoderWidths, centerX: centerX, top: decoderTop)
        let targetTop = decoderTop + Geometry.boxHeight + Geometry.arrowBand
        let targetBoxes = rowBoxes(widths: decoderWidths, centerX: centerX, top: targetTop)

        // (A row may be empty for data `validate` rejects; `preferredSize` is asked first and must not trap.)
        let rowTops = [sourceTop, decoderTop, targetTop]
        for (row, (tokens, boxes)) in [(sourceTokens, sourceBoxes), (decoder, decoderBoxes), (labels, targetBoxes)].enumerated() {
            for (token, box) in zip(tokens, boxes) {
                let special = token == startToken || token == endToken
                texts.append(TextItem(text: token, at: box.center, size: Geometry.tokenSize,
                                      weight: special ? .regular : .bold,
                                      color: special ? FigureStyle.secondaryText : FigureStyle.text,
                                      alignment: .center, verticalAlignment: .middle))
            }
            let nameX = shift + contentLeft - Geometry.rowNameGap
            let midY = rowTops[row] + Geometry.boxHeight / 2
            texts.append(TextItem(text: Self.rowNames[row].0, at: Point(x: nameX, y: midY - 1), size: Geometry.rowNameSize,
                                  weight: .bold, alignment: .right, verticalAlignment: .bottom))
            texts.append(TextItem(text: Self.rowNames[row].1, at: Point(x: nameX, y: midY + 2), size: Geometry.rowNoteSize,
                                  color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .top))
        }

        // Positions under the target row: position t of the decoder is row t of the mask.
        for (t, box) in targetBoxes.enumerated() {
            texts.append(TextItem(text: "t = \(t)", at: Point(x: box.midX, y: box.maxY + Geometry.positionGap),
                                  size: Geometry.positionSize, color: FigureStyle.secondaryText, alignment: .center,
                                  verticalAlignment: .top))
        }
        let positionBottom = targetTop + Geometry.boxHeight + Geometry.positionGap
            + m.lineHeight(size: Geometry.positionSize)
        if crossAttention == nil {
            texts.append(TextItem(text: Self.crossAttentionNote, at: Point(x: centerX, y: decoderTop - band / 2),
                                  size: Geometry.rowNoteSize, color: FigureStyle.secondaryText, alignment: .center,
                                  verticalAlignment: .middle))
        }

        // The mask block: grid top level with the decoder-input row, title above, note below it.
        var blockOrigin = Point(x: shift + maskLeft - noteLeft,
                                y: decoderTop - block.gridOrigin.y)
        // Never above the source row's top (the title stays clear of the figure title).
        if blockOrigin.y < sourceTop { blockOrigin.y = sourceTop }
        texts += block.texts(at: blockOrigin)
        let grid = block.grid(at: blockOrigin)
        let noteTop = blockOrigin.y + block.size.height + 8
        texts.append(TextItem(text: Self.maskAxisNote, at: Point(x: grid.midX, y: noteTop), size: FigureStyle.tickSize,
                              color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top))
        let noteBottom = noteTop + m.lineHeight(Self.maskAxisNote, size: FigureStyle.tickSize)

        y = max(positionBottom, noteBottom) + Geometry.legendGap
        var legendSamples: [Rect] = []
        let legendLeft = (width - legendFlow.size.width) / 2
        for (i, offset) in legendFlow.offsets.enumerated() {
            let midY = y + offset.y + Geometry.legendRowHeight / 2
            let sampleWidth = legendSampleWidth(i)
            let sampleHeight = sampleWidth == Geometry.legendSwatch ? Geometry.legendSwatch : 12
            let x = legendLeft + offset.x
            legendSamples.append(Rect(x: x, y: midY - sampleHeight / 2, width: sampleWidth, height: sampleHeight))
            texts.append(TextItem(text: legendEntries[i], at: Point(x: x + sampleWidth + 8, y: midY),
                                  size: Geometry.legendTextSize, color: FigureStyle.text, verticalAlignment: .middle))
        }
        y += legendFlow.size.height + margin
        return Layout(size: Size(width: width, height: y.rounded(.up)), rows: [sourceBoxes, decoderBoxes, targetBoxes],
                      maskGrid: grid, maskCell: cell, legendSamples: legendSamples, texts: texts)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout().size }

    /// Every string the figure draws (to check glyph coverage).
    public var labels: [String] {
        [title, subtitle].filter { !$0.isEmpty } + layout().texts.map(\.text)
    }

    /// Where mask cell (`row`, `column`) is drawn inside `frame`.
    public func maskCellRect(row: Int, column: Int, in frame: Rect) -> Rect {
        let L = layout()
        return Placement(natural: L.size, in: frame).rect(L.maskCellRect(row: row, column: column))
    }

    /// Where token box `index` of `row` (0 source, 1 decoder input, 2 target) is drawn inside `frame`.
    public func boxRect(row: Int, index: Int, in frame: Rect) -> Rect {
        let L = layout()
        return Placement(natural: L.size, in: frame).rect(L.rows[row][index])
    }

    // MARK: Drawing

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout()
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle, gapBelow: 28).draw(on: canvas, centerX: L.size.width / 2,
                                                                             top: FigureStyle.margin)
            // Cross-attention lines first, so the boxes sit on top of their ends.
            if let weights = crossAttention {
                let largest = weights.flatMap { $0 }.max() ?? 0
                if largest > 0 {
                    for (t, row) in weights.enumerated() {
                        let from = Point(x: L.decoderInputBoxes[t].midX, y: L.decoderInputBoxes[t].minY)
                        for (s, w) in row.enumerated() {
                            let strength = Double(w / largest)
                            guard strength >= 0.02 else { continue }
                            let to = Point(x: L.sourceBoxes[s].midX, y: L.sourceBoxes[s].maxY)
                            canvas.line(from: from, to: to, color: Self.attentionColor, width: 1 + 3.5 * strength,
                                        opacity: 0.9 * strength)
                        }
                    }
                }
            }
            let fills = [Self.sourceFill, Self.decoderInputFill, Self.targetFill]
            let strokes = [Self.sourceStroke, Self.decoderInputStroke, Self.targetStroke]
            for (row, boxes) in L.rows.enumerated() {
                for box in boxes {
                    canvas.roundedRect(box, radius: 6, fill: fills[row], stroke: strokes[row], strokeWidth: 1.5)
                }
            }
            // Arrows: decoder input t → target t.
            for (a, b) in zip(L.decoderInputBoxes, L.targetBoxes) {
                canvas.arrow(from: Point(x: a.midX, y: a.maxY + 5), to: Point(x: b.midX, y: b.minY - 5),
                             color: Self.arrowColor, width: 2, headLength: 11, headWidth: 9)
            }
            // The causal mask: query t sees keys 0…t.
            let positions = decoderInputTokens.count
            let mask = (0..<positions).map { q in (0..<positions).map { k in k <= q } }
            drawMaskCells(mask, on: canvas, visibleColor: Self.maskVisibleColor, gap: cellGap(L.maskCell)) { r, c in
                L.maskCellRect(row: r, column: c)
            }
            canvas.strokeRect(L.maskGrid, color: RGB(hex: 0x888888), width: 0.75)
            // Legend samples.
            for (i, r) in L.legendSamples.enumerated() {
                switch legendEntries[i] {
                case Self.arrowLegend:
                    canvas.arrow(from: Point(x: r.minX, y: r.midY), to: Point(x: r.maxX, y: r.midY),
                                 color: Self.arrowColor, width: 2, headLength: 10, headWidth: 8)
                case Self.attentionLegend:
                    canvas.line(from: Point(x: r.minX, y: r.minY + 2), to: Point(x: r.maxX, y: r.maxY - 2),
                                color: Self.attentionColor, width: 4, opacity: 0.9)
                    canvas.line(from: Point(x: r.minX, y: r.maxY - 2), to: Point(x: r.maxX, y: r.minY + 2),
                                color: Self.attentionColor, width: 1.5, opacity: 0.3)
                case Self.visibleLegend:
                    canvas.fillRect(r, color: Self.maskVisibleColor)
                default:
                    drawMaskedCell(on: canvas, r, text: nil, textSize: 0)
                    canvas.strokeRect(r, color: RGB(hex: 0x888888), width: 0.75)
                }
            }
            for item in L.texts { item.draw(on: canvas) }
        }
        try canvas.checkStatus("draw shift-right diagram")
    }
}
