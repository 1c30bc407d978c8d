import Foundation
import Localization

/// Next-sentence prediction pairs, one under the other. Each pair is a row of token boxes
/// "[CLS] A … [SEP] B … [SEP]": boxes of segment A in one colour, of segment B in another, the segment
/// id (0 or 1) under each token, and the pair's label as a badge at the right: "✓ IsNext" (green) or
/// "✗ NotNext" (red), with text so it reads without colour. An optional caption goes above a pair.
/// Long pairs wrap onto several lines; a legend under the title explains the two colours.
public struct SentencePairFigure: Chart, Sendable {
    /// One sentence pair: its tokens, their segment ids and whether B follows A.
    public struct Pair: Sendable {
        /// The tokens, "[CLS] A … [SEP] B … [SEP]".
        public var tokens: [String]
        /// 0 (segment A) or 1 (segment B), one per token.
        public var segmentIDs: [Int]
        /// True when B is the sentence that follows A (badge "IsNext"), false for a random B
        /// ("NotNext").
        public var isNext: Bool
        /// Text above the pair (may be empty).
        public var caption: String

        /// A pair; `segmentIDs` has one entry per token.
        public init(tokens: [String], segmentIDs: [Int], isNext: Bool, caption: String = "") {
            self.tokens = tokens
            self.segmentIDs = segmentIDs
            self.isNext = isNext
            self.caption = caption
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The pairs, top to bottom.
    public var pairs: [Pair]
    /// The widest a line of token boxes may get before a pair wraps (the badge not included).
    public var maximumRowWidth: Double
    /// Tokens whose text is drawn in grey ([CLS], [SEP], …); their box keeps its segment colour.
    public var specialTokens: Set<String>

    /// A figure of `pairs`.
    public init(title: String, subtitle: String = "", pairs: [Pair], maximumRowWidth: Double = 1100,
                specialTokens: Set<String> = CorruptionStrip.defaultSpecialTokens) {
        self.title = title
        self.subtitle = subtitle
        self.pairs = pairs
        self.maximumRowWidth = maximumRowWidth
        self.specialTokens = specialTokens
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !pairs.isEmpty else { throw FigureError.invalidData("sentence-pair figure has no pairs") }
        for (k, pair) in pairs.enumerated() {
            guard !pair.tokens.isEmpty else { throw FigureError.invalidData("pair \(k + 1) has no tokens") }
            guard pair.segmentIDs.count == pair.tokens.count else {
                throw FigureError.invalidData("pair \(k + 1) has \(pair.tokens.count) tokens but \(pair.segmentIDs.count) segment ids")
            }
            if let bad = pair.segmentIDs.first(where: { $0 != 0 && $0 != 1 }) {
                throw FigureError.invalidData("pair \(k + 1) has segment id \(bad); segment ids are 0 or 1")
            }
        }
        guard maximumRowWidth.isFinite, maximumRowWidth >= 100 else {
            throw FigureError.invalidData("maximumRowWidth \(maximumRowWidth) must be at least 100")
        }
    }

    /// The box fills of segment A (id 0) and segment B (id 1): light blue and light orange.
    public static let segmentColors: (RGB, RGB) = (RGB(hex: 0xC6DBEF), RGB(hex: 0xFDD0A2))
    /// The outlines of segment A and B boxes.
    static let segmentStrokes: (RGB, RGB) = (RGB(hex: 0x4A7FB0), RGB(hex: 0xD2691E))
    /// Badge fills: green for IsNext, red for NotNext (white text on both).
    public static let isNextColor = RGB(hex: 0x1B7F3B)
    /// The badge fill for NotNext (red).
    public static let notNextColor = RGB(hex: 0xC62828)

    /// The text of a pair's badge.
    public static func badgeText(isNext: Bool) -> String { isNext ? "✓ IsNext" : "✗ NotNext" }

    static func fill(segment: Int) -> RGB { segment == 0 ? segmentColors.0 : segmentColors.1 }
    static func stroke(segment: Int) -> RGB { segment == 0 ? segmentStrokes.0 : segmentStrokes.1 }

    static var legendLabels: [String] { [localized("segment A (id 0)"), localized("segment B (id 1)")] }

    /// Every string the figure draws (to check glyph coverage).
    public var labels: [String] {
        let L = layout(TextMeasurer())
        return [title, subtitle].filter { !$0.isEmpty } + L.texts.map(\.text) + L.legend.texts.map(\.text)
    }

    // MARK: Layout

    private enum Geometry {
        static let tokenSize = FigureStyle.labelSize
        static let idSize = 11.0
        static let captionSize = FigureStyle.labelSize
        static let badgeSize = FigureStyle.labelSize
        static let boxHeight = 28.0
        static let padX = 8.0
        static let minBoxWidth = 28.0
        static let columnGap = 5.0
        static let idGap = 3.0
        static let lineGap = 12.0
        static let captionGap = 8.0
        static let pairGap = 30.0
        static let badgeGap = 28.0
        static let badgePadX = 12.0
        static let badgeHeight = 28.0
        static let legendGap = 20.0
    }

    struct Layout {
        var size: Size
        var titleTop: Double
        /// [pair][position].
        var boxes: [[Rect]]
        var badges: [Rect]
        /// Thin rules between pairs.
        var separators: [(Point, Point)]
        var texts: [TextItem]
        var legend: LegendLayout
    }

    func layout(_ m: TextMeasurer) -> Layout {
        let margin = FigureStyle.margin
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let h = Geometry.boxHeight
        let idHeight = m.lineHeight(size: Geometry.idSize)

        let widths: [[Double]] = pairs.map { pair in
            pair.tokens.map { max(Geometry.minBoxWidth, m.width($0, size: Geometry.tokenSize) + 2 * Geometry.padX) }
        }
        let lines = widths.map { balancedBoxLines(widths: $0, gap: Geometry.columnGap, maxWidth: maximumRowWidth) }
        func lineWidth(_ k: Int, _ r: Range<Int>) -> Double {
            r.map { widths[k][$0] }.reduce(0, +) + Double(max(0, r.count - 1)) * Geometry.columnGap
        }
        let rowsWidth = pairs.indices.flatMap { k in lines[k].map { lineWidth(k, $0) } }.max() ?? 0
        let badgeWidth = [true, false].map { m.width(Self.badgeText(isNext: $0), size: Geometry.badgeSize, weight: .bold) }.max()!
            + 2 * Geometry.badgePadX
        // Captions wrap to the width of the rows (never narrower than 240).
        let captionWidth = max(rowsWidth + Geometry.badgeGap + badgeWidth, 240)
        let captions = pairs.map { wrapText($0.caption, size: Geometry.captionSize, maxWidth: captionWidth, m) }
        let bodyWidth = max(rowsWidth + Geometry.badgeGap + badgeWidth,
                            captions.joined().map { m.width($0, size: Geometry.captionSize) }.max() ?? 0)

        let entries = [0, 1].map { LegendEntry(sample: .swatch(fill: Self.fill(segment: $0), stroke: Self.stroke(segment: $0)),
                                               label: Self.legendLabels[$0]) }
        var legend = LegendLayout.rows(entries, maxWidth: max(bodyWidth, titles.width(m)), m)
        let contentWidth = max(bodyWidth, titles.width(m), legend.size.width)
        let width = contentWidth + 2 * margin
        let centerX = width / 2

        var y = margin + titles.height(m)
        legend = legend.offsetBy(dx: centerX - legend.size.width / 2, dy: y)
        y += legend.size.height + Geometry.legendGap

        let left = centerX - bodyWidth / 2
        let badgeX = left + rowsWidth + Geometry.badgeGap
        var boxes: [[Rect]] = [], badges: [Rect] = [], texts: [TextItem] = []
        var separators: [(Point, Point)] = []
        for (k, pair) in pairs.enumerated() {
            if k > 0 {
                let sy = y + Geometry.pairGap / 2
                separators.append((Point(x: left, y: sy), Point(x: left + bodyWidth, y: sy)))
                y += Geometry.pairGap
            }
            for line in captions[k] {
                texts.append(TextItem(text: line, at: Point(x: left, y: y), size: Geometry.captionSize,
                                      color: FigureStyle.secondaryText, verticalAlignment: .top))
                y += m.lineHeight(line, size: Geometry.captionSize) + 2
            }
            if !captions[k].isEmpty { y += Geometry.captionGap - 2 }
            let rowsTop = y
            var rects = [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: pair.tokens.count)
            for (j, line) in lines[k].enumerated() {
                if j > 0 { y += Geometry.lineGap }
                var x = left
                for i in line {
                    let r = Rect(x: x, y: y, width: widths[k][i], height: h)
                    rects[i] = r
                    let special = specialTokens.contains(pair.tokens[i])
                    texts.append(TextItem(text: pair.tokens[i], at: r.center, size: Geometry.tokenSize,
                                          color: special ? FigureStyle.maskedText : FigureStyle.text,
                                          alignment: .center, verticalAlignment: .middle))
                    let id = i < pair.segmentIDs.count ? String(pair.segmentIDs[i]) : "?"
                    texts.append(TextItem(text: id, at: Point(x: r.midX, y: r.maxY + Geometry.idGap),
                                          size: Geometry.idSize, color: FigureStyle.secondaryText, alignment: .center,
                                          verticalAlignment: .top))
                    x += widths[k][i] + Geometry.columnGap
                }
                y += h + Geometry.idGap + idHeight
            }
            boxes.append(rects)
            // The badge, centred on the pair's boxes.
            let boxesBottom = rects.map(\.maxY).max() ?? y
            let badge = Rect(x: badgeX, y: (rowsTop + boxesBottom) / 2 - Geometry.badgeHeight / 2, width: badgeWidth,
                             height: Geometry.badgeHeight)
            badges.append(badge)
            texts.append(TextItem(text: Self.badgeText(isNext: pair.isNext), at: badge.center, size: Geometry.badgeSize,
                                  weight: .bold, color: .white, alignment: .center, verticalAlignment: .middle))
        }
        return Layout(size: Size(width: width.rounded(.up), height: (y + margin).rounded(.up)), titleTop: margin,
                      boxes: boxes, badges: badges, separators: separators, texts: texts, legend: legend)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size { layout(TextMeasurer()).size }

    /// Exactly where token `position` of pair `pair` is drawn inside `frame`.
    public func boxRect(pair: Int, position: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.boxes[pair][position])
    }

    /// Where the IsNext / NotNext badge of `pair` is drawn inside `frame`.
    public func badgeRect(pair: Int, in frame: Rect) -> Rect {
        let L = layout(TextMeasurer())
        return Placement(natural: L.size, in: frame).rect(L.badges[pair])
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let L = layout(TextMeasurer())
        Placement(natural: L.size, in: frame).apply(to: canvas) {
            TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: L.size.width / 2, top: L.titleTop)
            L.legend.draw(on: canvas)
            for (a, b) in L.separators { canvas.line(from: a, to: b, color: FigureStyle.grid, width: 1) }
            for (k, pair) in pairs.enumerated() {
                for (i, r) in L.boxes[k].enumerated() {
                    let s = pair.segmentIDs[i]
                    canvas.roundedRect(r.insetBy(0.5), radius: 4, fill: Self.fill(segment: s), stroke: Self.stroke(segment: s),
                                       strokeWidth: 1)
                }
                canvas.roundedRect(L.badges[k], radius: L.badges[k].height / 2,
                                   fill: pair.isNext ? Self.isNextColor : Self.notNextColor)
            }
            for item in L.texts { item.draw(on: canvas) }
        }
        try canvas.checkStatus("draw sentence-pair figure")
    }
}
