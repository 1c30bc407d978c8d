import Foundation
import Localization

/// BERT's masked-LM corruption of one sentence, as token boxes in three aligned rows:
///
///     original      [CLS]  the  cat   sat  on  …  warm   mat  [SEP]
///     model input   [CLS]  the [MASK] sat  on  …  piano  mat  [SEP]
///                               MASK               RAND
///     label           —     —   cat    —   —  …   warm    —
///
/// Chosen positions are highlighted: their input box is filled in the colour of what happened to it
/// ([MASK], a random token, or kept as it was), the same colour outlines the original token, a short tag
/// ("MASK", "RAND", "KEEP") under the input box says it without colour, and the label row shows the token
/// the model must predict there. A legend explains the three kinds. Special tokens ([CLS], [SEP], …) are
/// grey. A long sentence wraps onto several lines of the same three rows, never clipped.
public struct CorruptionStrip: Chart, Sendable {
    /// What happened at a chosen position: replaced by [MASK], replaced by a random token, or kept.
    public enum Kind: Sendable, CaseIterable { case mask, random, kept }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The sentence's tokens before corruption (the top row).
    public var originalTokens: [String]
    /// The tokens the model reads, one per original token (the middle row).
    public var inputTokens: [String]
    /// One per position: nil where the position was not chosen.
    public var choices: [Kind?]
    /// The widest a line of token boxes may get before the sentence wraps (row names not included).
    public var maximumRowWidth: Double
    /// The names at the left of the three rows.
    public var rowNames: [String]
    /// Tokens drawn in grey (when not chosen).
    public var specialTokens: Set<String>

    /// [CLS], [SEP], [PAD], [UNK], <s>, </s>, <pad> and <unk>.
    public static let defaultSpecialTokens: Set<String> = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "<s>", "</s>", "<pad>", "<unk>"]

    /// A strip of one sentence; `originalTokens`, `inputTokens` and `choices` must have one entry
    /// per position.
    public init(title: String, subtitle: String = "", originalTokens: [String], inputTokens: [String],
                choices: [Kind?], maximumRowWidth: Double = 1100,
                rowNames: [String] = [localized("original"), localized("model input"), localized("label")],
                specialTokens: Set<String> = CorruptionStrip.defaultSpecialTokens) {
        self.title = title
        self.subtitle = subtitle
        self.originalTokens = originalTokens
        self.inputTokens = inputTokens
        self.choices = choices
        self.maximumRowWidth = maximumRowWidth
        self.rowNames = rowNames
        self.specialTokens = specialTokens
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !originalTokens.isEmpty else { throw FigureError.invalidData("corruption strip has no tokens") }
        guard inputTokens.count == originalTokens.count else {
            throw FigureError.invalidData("\(originalTokens.count) original tokens but \(inputTokens.count) input tokens")
        }
        guard choices.count == originalTokens.count else {
            throw FigureError.invalidData("\(originalTokens.count) tokens but \(choices.count) choices")
        }
        guard rowNames.count == 3 else {
            throw FigureError.invalidData("corruption strip needs 3 row names (got \(rowNames.count))")
        }
        guard maximumRowWidth.isFinite, maximumRowWidth >= 100 else {
            throw FigureError.invalidData("maximumRowWidth \(maximumRowWidth) must be at least 100")
        }
    }

    /// The fill of a chosen input box and of its legend swatch (Okabe–Ito blue, vermillion and yellow:
    /// distinct under every common colour-vision deficiency).
    public static func color(for kind: Kind) -> RGB {
        switch kind {
        case .mask: return RGB(hex: 0x0072B2)
        case .random: return RGB(hex: 0xC0560A)
        case .kept: return RGB(hex: 0xF0E442)
        }
    }

    /// The darker shade for tags and outlines (legible on white).
    static func inkColor(for kind: Kind) -> RGB {
        kind == .kept ? color(for: kind).mixed(with: .black, 0.5) : color(for: kind)
    }

    /// The tag under a chosen input box and in the legend.
    public static func tag(for kind: Kind) -> String {
        switch kind {
        case .mask: return localized("MASK")
        case .random: return localized("RAND")
        case .kept: return localized("KEEP")
        }
    }

    static func legendText(for kind: Kind) -> String {
        switch kind {
        case .mask: return localized("replaced by [MASK]")
        case .random: return localized("replaced by a random token")
        case .kept: return localized("chosen, left as it was")
        }
    }

    /// What an unchosen position shows in the label row.
    static let noLabel = "—"

    // Layouts must not crash on data `validate` rejects (`preferredSize` is asked first): these read
    // missing entries as empty.
    private func input(_ i: Int) -> String { i < inputTokens.count ? inputTokens[i] : "" }
    private func choice(_ i: Int) -> Kind? { i < choices.count ? choices[i] : nil }
    private func rowName(_ row: Int) -> String { row < rowNames.count ? rowNames[row] : "" }

    func isSpecial(_ position: Int) -> Bool {
        choice(position) == nil && specialTokens.contains(originalTokens[position])
    }

    /// Every string the figure draws (to check glyph coverage).
    public var labels: [String] {
        let L = layout(TextMeasurer())
        return [title, subtitle].filter { !$0.isEmpty } + L.texts.map(\.text) + L.legend.texts.map(\.text)
    }

    // MARK: Layout

    private enum Geometry {
        static let tokenSize = FigureStyle.labelSize
        static let tagSize = 10.5
        static let rowNameSize = FigureStyle.tickSize
        static let boxHeight = 28.0
        static let padX = 8.0
        static let minBoxWidth = 30.0
        static let columnGap = 6.0
        static let rowGap = 8.0
        static let tagGap = 3.0
        static let labelGap = 4.0
        static let lineGap = 22.0
        static let rowNameGap = 12.0
        static let legendGap = 20.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        /// The positions on each wrapped line.
        var lines: [Range<Int>]
        /// [row][position]: row 0 original, 1 model input, 2 label (the label slot even where none is drawn).
        var boxes: [[Rect]]
        var texts: [TextItem]
        var legend: LegendLayout
    }

    private func tokenWeight(_ position: Int, row: Int) -> FontWeight {
        choice(position) != nil && row > 0 ? .bold : .regular
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let n = originalTokens.count
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let lineHeightTag = m.lineHeight(size: Geometry.tagSize, weight: .bold)

        // Column widths: every row of a position shares one width.
        let widths: [Double] = (0..<n).map { i in
            var w = max(m.width(originalTokens[i], size: Geometry.tokenSize),
                        m.width(input(i), size: Geometry.tokenSize, weight: tokenWeight(i, row: 1)))
            if let kind = choice(i) {
                w = max(w, m.width(originalTokens[i], size: Geometry.tokenSize, weight: .bold),
                        m.width(Self.tag(for: kind), size: Geometry.tagSize, weight: .bold) - 2 * Geometry.padX + 10)
            }
            return max(Geometry.minBoxWidth, w + 2 * Geometry.padX)
        }
        let lines = balancedBoxLines(widths: widths, gap: Geometry.columnGap, maxWidth: maximumRowWidth)
        let lineWidths = lines.map { r in r.map { widths[$0] }.reduce(0, +) + Double(max(0, r.count - 1)) * Geometry.columnGap }
        let namesWidth = (0..<3).map { m.width(rowName($0), size: Geometry.rowNameSize) }.max() ?? 0
        let bodyWidth = namesWidth + Geometry.rowNameGap + (lineWidths.max() ?? 0)

        // Legend: one row when the figure is (or may become) wide enough.
        let entries = Kind.allCases.map { kind in
            LegendEntry(sample: .taggedSwatch(fill: Self.color(for: kind), tag: Self.tag(for: kind), tagColor: Self.inkColor(for: kind)),
                        label: Self.legendText(for: kind))
        }
        let oneRow = entries.map { LegendLayout.entryWidth($0, m) }.reduce(0, +) + Double(entries.count - 1) * LegendLayout.entryGap
        let legendMax = max(bodyWidth, titles.width(m), min(oneRow, namesWidth + Geometry.rowNameGap + maximumRowWidth))
        var legend = LegendLayout.rows(entries, maxWidth: legendMax, m)
        let contentWidth = max(bodyWidth, titles.width(m), legend.size.width)
        let width = contentWidth + 2 * margin
        let centerX = width / 2

        var y = margin + titles.height(m)
        legend = legend.offsetBy(dx: centerX - legend.size.width / 2, dy: y)
        y += legend.size.height + Geometry.legendGap

        var texts: [TextItem] = []
        var boxes = [[Rect]](repeating: [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: n), count: 3)
        let bodyLeft = centerX - bodyWidth / 2
        let rowsLeft = bodyLeft + namesWidth + Geometry.rowNameGap
        let h = Geometry.boxHeight
        for (k, line) in lines.enumerated() {
            if k > 0 { y += Geometry.lineGap }
            let top0 = y
            let top1 = top0 + h + Geometry.rowGap
            let tagTop = top1 + h + Geometry.tagGap
            let top2 = tagTop + lineHeightTag + Geometry.labelGap
            for (row, top) in [top0, top1, top2].enumerated() {
                texts.append(TextItem(text: rowName(row), at: Point(x: rowsLeft - Geometry.rowNameGap, y: top + h / 2),
                                      size: Geometry.rowNameSize, color: FigureStyle.secondaryText, alignment: .right,
                                      verticalAlignment: .middle))
            }
            var x = rowsLeft
            for i in line {
                let w = widths[i]
                for (row, top) in [top0, top1, top2].enumerated() {
                    boxes[row][i] = Rect(x: x, y: top, width: w, height: h)
                }
                let special = isSpecial(i)
                let plain = special ? FigureStyle.maskedText : FigureStyle.text
                texts.append(TextItem(text: originalTokens[i], at: boxes[0][i].center, size: Geometry.tokenSize,
                                      color: plain, alignment: .center, verticalAlignment: .middle))
                if let kind = choice(i) {
                    texts.append(TextItem(text: input(i), at: boxes[1][i].center, size: Geometry.tokenSize, weight: .bold,
                                          color: Self.color(for: kind).contrastingTextColor, alignment: .center,
                                          verticalAlignment: .middle))
                    texts.append(TextItem(text: Self.tag(for: kind), at: Point(x: x + w / 2, y: tagTop), size: Geometry.tagSize,
                                          weight: .bold, color: Self.inkColor(for: kind), alignment: .center,
                                          verticalAlignment: .top))
                    texts.append(TextItem(text: originalTokens[i], at: boxes[2][i].center, size: Geometry.tokenSize, weight: .bold,
                                          color: FigureStyle.text, alignment: .center, verticalAlignment: .middle))
                } else {
                    texts.append(TextItem(text: input(i), at: boxes[1][i].center, size: Geometry.tokenSize,
                                          color: plain, alignment: .center, verticalAlignment: .middle))
                    if !special {
                        texts.append(TextItem(text: Self.noLabel, at: boxes[2][i].center, size: Geometry.tokenSize,
                                              color: FigureStyle.mutedText, alignment: .center, verticalAlignment: .middle))
                    }
                }
                x += w + Geometry.columnGap
            }
            y = top2 + h
        }
        return Layout(size: Size(width: width.rounded(.up), height: (y + margin).rounded(.up)), titleTop: margin,
                      lines: lines, boxes: boxes, texts: texts, legend: legend)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Exactly where the box of `position` in `row` (0 original, 1 model input, 2 label) is drawn inside
    /// `frame`. In the label row of an unchosen position no box is drawn; this is where its "—" is centred.
    public func boxRect(position: Int, row: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.boxes[row][position])
    }

    /// How many lines the sentence wraps onto.
    public var lineCount: Int { layout(TextMeasurer()).lines.count }

    // MARK: Drawing

    static let plainFill = RGB.white
    static let plainStroke = RGB(hex: 0xB5B5B5)
    static let specialFill = RGB(hex: 0xE8E8E8)

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            L.legend.draw(on: canvas)
            let radius = 4.0
            for i in originalTokens.indices {
                let special = isSpecial(i)
                let fill = special ? Self.specialFill : Self.plainFill
                let stroke = special ? Self.specialFill : Self.plainStroke
                if let kind = choices[i] {
                    let ink = Self.inkColor(for: kind)
                    canvas.roundedRect(L.boxes[0][i].insetBy(1), radius: radius, fill: .white, stroke: ink, strokeWidth: 2)
                    canvas.roundedRect(L.boxes[1][i], radius: radius, fill: Self.color(for: kind),
                                       stroke: kind == .kept ? ink : nil, strokeWidth: 1.5)
                    canvas.roundedRect(L.boxes[2][i].insetBy(0.5), radius: radius,
                                       fill: Self.color(for: kind).mixed(with: .white, 0.8), stroke: ink, strokeWidth: 1.2)
                } else {
                    canvas.roundedRect(L.boxes[0][i].insetBy(0.5), radius: radius, fill: fill, stroke: stroke, strokeWidth: 1)
                    canvas.roundedRect(L.boxes[1][i].insetBy(0.5), radius: radius, fill: fill, stroke: stroke, strokeWidth: 1)
                }
            }
            for item in L.texts { item.draw(on: canvas) }
        }
        try canvas.checkStatus("draw corruption strip")
    }
}
