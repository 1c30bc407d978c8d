import Foundation

/// Word vectors flattened to two dimensions (usually their first two principal components): one
/// labelled dot per word, optional arrows between pairs of words (man → woman and king → queen drawn
/// in one colour show that the two offsets are nearly the same), and an optional highlighted result
/// (king − man + woman) with a dashed arrow from the word it starts at.
///
/// Both axes share one scale, so lengths and angles on the page are lengths and angles in the
/// projection: parallel arrows really are parallel. Labels go next to their dot (right, left, above,
/// below, then the diagonals, a little further out each round) where they cover no dot, no other
/// label and, if possible, no arrow. The arrows' legend sits under the plot.
///
/// `EmbeddingPlot.Point` is a data point; screen positions are `Figures.Point`.
public struct EmbeddingPlot: Chart, Sendable {
    /// One word's dot: its coordinates in the projection (data units, not screen units) and its
    /// label.
    public struct Point: Sendable, Equatable {
        /// The first coordinate (e.g. the first principal component), in data units.
        public var x: Double
        /// The second coordinate, in data units.
        public var y: Double
        /// The word written next to the dot.
        public var label: String

        /// A dot at (x, y) in data units labelled `label`.
        public init(x: Double, y: Double, label: String) {
            self.x = x
            self.y = y
            self.label = label
        }
    }

    /// An arrow from `points[from]` to `points[to]`. Arrows with the same `legend` text share one
    /// legend entry; nil: no entry.
    public struct Arrow: Sendable, Equatable {
        /// The index in `points` where the arrow starts (0-based).
        public var from: Int
        /// The index in `points` where the arrow ends (0-based).
        public var to: Int
        /// The arrow's colour.
        public var color: RGB
        /// The arrow's legend text; nil: no legend entry.
        public var legend: String?

        /// An arrow from `points[from]` to `points[to]`.
        public init(from: Int, to: Int, color: RGB, legend: String? = nil) {
            self.from = from
            self.to = to
            self.color = color
            self.legend = legend
        }
    }

    /// The highlighted point, e.g. the vector king − man + woman, drawn as a ringed dot in the
    /// highlight colour with a dashed arrow from `points[from]` (nil: no arrow).
    public struct Result: Sendable, Equatable {
        /// The first coordinate, in data units.
        public var x: Double
        /// The second coordinate, in data units.
        public var y: Double
        /// The label written next to the result, e.g. "king − man + woman".
        public var label: String
        /// The index in `points` the dashed arrow starts from (0-based); nil: no arrow.
        public var from: Int?
        /// The dashed arrow's legend text; nil: no legend entry.
        public var legend: String?

        /// A result at (x, y) in data units.
        public init(x: Double, y: Double, label: String, from: Int? = nil, legend: String? = nil) {
            self.x = x
            self.y = y
            self.label = label
            self.from = from
            self.legend = legend
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The horizontal axis title; empty: none.
    public var xLabel: String
    /// The vertical axis title; empty: none.
    public var yLabel: String
    /// The words' dots.
    public var points: [Point]
    /// Arrows between pairs of `points`.
    public var arrows: [Arrow]
    /// The highlighted point; nil: none.
    public var result: Result?
    /// The colour of the dots.
    public var pointColor: RGB
    /// The colour of the result and its dashed arrow.
    public var resultColor: RGB
    /// The larger side of the plotting area; the other follows the data's aspect (at least 60%).
    public var plotExtent: Double

    /// A plot of `points`, with optional arrows and result.
    public init(title: String, subtitle: String = "", xLabel: String = "", yLabel: String = "",
                points: [Point], arrows: [Arrow] = [], result: Result? = nil,
                pointColor: RGB = RGB(hex: 0x4E79A7), resultColor: RGB = FigureStyle.highlight,
                plotExtent: Double = 560) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.arrows = arrows
        self.result = result
        self.pointColor = pointColor
        self.resultColor = resultColor
        self.plotExtent = plotExtent
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !points.isEmpty else { throw FigureError.invalidData("embedding plot has no points") }
        for p in points where !(p.x.isFinite && p.y.isFinite) {
            throw FigureError.invalidData("point \"\(p.label)\" (\(p.x), \(p.y)) is not finite")
        }
        for a in arrows {
            guard points.indices.contains(a.from), points.indices.contains(a.to) else {
                throw FigureError.invalidData("arrow \(a.from) → \(a.to) points outside the \(points.count) points")
            }
        }
        if let r = result {
            guard r.x.isFinite, r.y.isFinite else { throw FigureError.invalidData("result \"\(r.label)\" is not finite") }
            if let from = r.from, !points.indices.contains(from) {
                throw FigureError.invalidData("the result's arrow starts at point \(from), outside the \(points.count) points")
            }
        }
        guard plotExtent.isFinite, plotExtent >= 100 else {
            throw FigureError.invalidData("plotExtent \(plotExtent) must be at least 100")
        }
    }

    /// Every string the chart draws (to check glyph coverage).
    public var labels: [String] {
        [title, subtitle, xLabel, yLabel].filter { !$0.isEmpty } + points.map(\.label).filter { !$0.isEmpty }
            + (result.map { [$0.label] } ?? []) + legendEntries.map(\.label)
    }

    // MARK: Geometry, for tests and callers that annotate

    /// Where each point's dot is drawn when the chart fills `frame`.
    public func markerPositions(in frame: Rect) -> [Figures.Point] { layout(in: frame, TextMeasurer()).markers }

    /// Where the result's dot is drawn (nil without a result).
    public func resultPosition(in frame: Rect) -> Figures.Point? { layout(in: frame, TextMeasurer()).resultMarker }

    /// Every arrow drawn, tail to tip: the `arrows` in order, then the result's dashed arrow.
    public func arrowSegments(in frame: Rect) -> [(from: Figures.Point, to: Figures.Point)] {
        layout(in: frame, TextMeasurer()).arrows.map { (from: $0.from, to: $0.to) }
    }

    /// The rectangles of the point labels (points in order, then the result's).
    public func labelRects(in frame: Rect) -> [Rect] { layout(in: frame, TextMeasurer()).labelRects }

    /// The plotting area inside `frame`.
    public func plotRect(in frame: Rect) -> Rect { layout(in: frame, TextMeasurer()).plot }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let plot = plotSize
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let legend = legendLayout(maxWidth: plot.width, m)
        let left = yLabel.isEmpty ? 0 : m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) + Self.axisGap
        let bottom = (xLabel.isEmpty ? 0 : m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) + Self.axisGap)
            + (legend.map { $0.size.height + Self.legendGap } ?? 0)
        let width = max(left + plot.width, titles.width(m)) + 2 * FigureStyle.margin
        let height = 2 * FigureStyle.margin + titles.height(m) + plot.height + bottom
        return Size(width: width.rounded(.up), height: height.rounded(.up))
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: frame.minY + FigureStyle.margin)
        canvas.fillRect(L.plot, color: RGB(hex: 0xFAFAFA))
        canvas.strokeRect(L.plot, color: FigureStyle.grid, width: 1)
        if !xLabel.isEmpty {
            canvas.text(xLabel, at: Figures.Point(x: L.plot.midX, y: L.plot.maxY + Self.axisGap), size: FigureStyle.axisTitleSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        }
        if !yLabel.isEmpty {
            let h = m.lineHeight(yLabel, size: FigureStyle.axisTitleSize)
            canvas.text(yLabel, at: Figures.Point(x: L.plot.minX - Self.axisGap - h / 2, y: L.plot.midY),
                        size: FigureStyle.axisTitleSize, color: FigureStyle.secondaryText, alignment: .center,
                        verticalAlignment: .middle, rotation: 90)
        }
        // Arrows under the dots, label plates over the arrows, then dots and labels on top.
        for a in L.arrows {
            if a.dashed {
                let (base, head) = Self.arrowHead(from: a.from, to: a.to)
                canvas.line(from: a.from, to: base, color: a.color, width: 2, dash: [6, 4])
                canvas.fillPolygon(head, color: a.color)
            } else {
                canvas.arrow(from: a.from, to: a.to, color: a.color, width: 2.2, headLength: 11, headWidth: 8)
            }
        }
        for rect in L.labelRects { canvas.fillRect(rect.insetBy(dx: -2, dy: -0.5), color: .white, opacity: 0.8) }
        for (a, b) in L.leaders { canvas.line(from: a, to: b, color: FigureStyle.mutedText, width: 0.8) }
        for c in L.markers {
            canvas.circle(center: c, radius: Self.markerRadius, fill: pointColor, stroke: .white, strokeWidth: 1.2)
        }
        if let c = L.resultMarker {
            canvas.circle(center: c, radius: Self.markerRadius + 3.5, fill: nil, stroke: resultColor, strokeWidth: 2)
            canvas.circle(center: c, radius: Self.markerRadius, fill: resultColor, stroke: .white, strokeWidth: 1.2)
        }
        for item in L.labelItems { item.draw(on: canvas) }
        L.legend?.draw(on: canvas)
        try canvas.checkStatus("draw embedding plot")
    }

    // MARK: Layout

    static let markerRadius = 5.0
    static let labelSize = 13.0
    static let axisGap = 8.0
    static let legendGap = 14.0

    /// The plotting area's size: `plotExtent` along the data's longer side, the other side in
    /// proportion (60% at least, so a flat cloud still leaves room for labels).
    var plotSize: Size {
        let (xs, ys) = dataExtent
        let aspect = min(max(ys.1 - ys.0, 1e-12) / max(xs.1 - xs.0, 1e-12), 1 / 0.6)
        return aspect <= 1 ? Size(width: plotExtent, height: plotExtent * max(aspect, 0.6))
            : Size(width: plotExtent * max(1 / aspect, 0.6), height: plotExtent)
    }

    /// The data's range on each axis, padded so the outermost labels fit.
    private var dataExtent: ((Double, Double), (Double, Double)) {
        var xs = points.map(\.x), ys = points.map(\.y)
        if let r = result { xs.append(r.x); ys.append(r.y) }
        let xr = (xs.min() ?? 0, xs.max() ?? 1), yr = (ys.min() ?? 0, ys.max() ?? 1)
        let span = max(xr.1 - xr.0, yr.1 - yr.0, 1e-9)
        // Labels reach further sideways than up and down: more room left and right.
        let padX = span * 0.16, padY = span * 0.08
        return ((xr.0 - padX, xr.1 + padX), (yr.0 - padY, yr.1 + padY))
    }

    struct DrawnArrow {
        var from: Figures.Point
        var to: Figures.Point
        var color: RGB
        var dashed: Bool
    }

    struct Layout {
        var plot: Rect
        var markers: [Figures.Point]
        var resultMarker: Figures.Point?
        var arrows: [DrawnArrow]
        var labelItems: [TextItem]
        var labelRects: [Rect]
        /// Thin lines from a dot to its label when the label had to move away from it.
        var leaders: [(Figures.Point, Figures.Point)]
        var legend: LegendLayout?
    }

    var legendEntries: [LegendEntry] {
        var seen = Set<String>()
        var entries: [LegendEntry] = []
        for a in arrows {
            if let text = a.legend, seen.insert(text).inserted {
                entries.append(LegendEntry(sample: .marker(color: a.color, line: true), label: text))
            }
        }
        if let r = result, let text = r.legend, seen.insert(text).inserted {
            entries.append(LegendEntry(sample: .marker(color: resultColor, line: false), label: text))
        }
        return entries
    }

    func legendLayout(maxWidth: Double, _ m: TextMeasurer) -> LegendLayout? {
        let entries = legendEntries
        return entries.isEmpty ? nil : LegendLayout.rows(entries, maxWidth: maxWidth, m)
    }

    func layout(in frame: Rect, _ m: TextMeasurer) -> Layout {
        let natural = preferredSize
        // Drawn at the preferred size, centred in a larger frame (figures are rendered at that size).
        let origin = Figures.Point(x: frame.minX + max(0, (frame.width - natural.width) / 2),
                                   y: frame.minY + max(0, (frame.height - natural.height) / 2))
        let plotSize = self.plotSize
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let left = yLabel.isEmpty ? 0 : m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) + Self.axisGap
        let contentWidth = natural.width - 2 * FigureStyle.margin
        let plotX = origin.x + FigureStyle.margin + left + max(0, (contentWidth - left - plotSize.width) / 2)
        let plot = Rect(x: plotX, y: origin.y + FigureStyle.margin + titles.height(m),
                        width: plotSize.width, height: plotSize.height)

        // One scale for both axes, the data centred.
        let ((x0, x1), (y0, y1)) = dataExtent
        let scale = min(plot.width / max(x1 - x0, 1e-12), plot.height / max(y1 - y0, 1e-12))
        let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
        func position(_ x: Double, _ y: Double) -> Figures.Point {
            Figures.Point(x: plot.midX + (x - cx) * scale, y: plot.midY - (y - cy) * scale)
        }
        let markers = points.map { position($0.x, $0.y) }
        let resultMarker = result.map { position($0.x, $0.y) }

        // Arrows stop short of the dots they join, so heads stay visible.
        func shortened(_ a: Figures.Point, _ b: Figures.Point, start: Double, end: Double) -> (Figures.Point, Figures.Point)? {
            let dx = b.x - a.x, dy = b.y - a.y
            let length = (dx * dx + dy * dy).squareRoot()
            guard length > start + end + 4 else { return nil }
            let ux = dx / length, uy = dy / length
            return (Figures.Point(x: a.x + ux * start, y: a.y + uy * start), Figures.Point(x: b.x - ux * end, y: b.y - uy * end))
        }
        var drawn: [DrawnArrow] = []
        let gap = Self.markerRadius + 2
        for a in arrows {
            if let (p, q) = shortened(markers[a.from], markers[a.to], start: gap, end: gap) {
                drawn.append(DrawnArrow(from: p, to: q, color: a.color, dashed: false))
            }
        }
        if let r = result, let from = r.from, let target = resultMarker,
           let (p, q) = shortened(markers[from], target, start: gap, end: gap + 3.5) {
            drawn.append(DrawnArrow(from: p, to: q, color: resultColor, dashed: true))
        }

        // Labels: greedy, points in order, the result last (in its colour, bold).
        let r = Self.markerRadius + 1.5
        var obstacles = markers.map { Rect(x: $0.x - r, y: $0.y - r, width: 2 * r, height: 2 * r) }
        if let c = resultMarker { obstacles.append(Rect(x: c.x - r - 3.5, y: c.y - r - 3.5, width: 2 * r + 7, height: 2 * r + 7)) }
        let bounds = plot.insetBy(2)
        var placed: [Rect] = [], items: [TextItem] = []
        var leaders: [(Figures.Point, Figures.Point)] = []
        var labelled: [(c: Figures.Point, text: String, weight: FontWeight, color: RGB)] =
            zip(markers, points).map { ($0, $1.label, .regular, FigureStyle.text) }
        if let c = resultMarker, let res = result {
            labelled.append((c, res.label, .bold, ScatterLayout.labelColor(resultColor)))
        }
        for (c, text, weight, color) in labelled where !text.isEmpty {
            let mt = m.metrics(text, size: Self.labelSize, weight: weight)
            let w = mt.width, h = mt.height
            var best: (rect: Rect, cost: Double, ring: Int)? = nil
            for ring in 0..<8 {
                if let best, best.cost <= Double(ring) { break }
                let d = Self.markerRadius + 4 + Double(ring) * 7
                let e = d * 0.75
                let candidates = [
                    Rect(x: c.x + d, y: c.y - h / 2, width: w, height: h),
                    Rect(x: c.x - d - w, y: c.y - h / 2, width: w, height: h),
                    Rect(x: c.x - w / 2, y: c.y - d - h, width: w, height: h),
                    Rect(x: c.x - w / 2, y: c.y + d, width: w, height: h),
                    Rect(x: c.x + e, y: c.y - e - h, width: w, height: h),
                    Rect(x: c.x + e, y: c.y + e, width: w, height: h),
                    Rect(x: c.x - e - w, y: c.y - e - h, width: w, height: h),
                    Rect(x: c.x - e - w, y: c.y + e, width: w, height: h),
                ]
                for rect in candidates {
                    guard bounds.contains(rect) else { continue }
                    let padded = rect.insetBy(dx: -4, dy: -1.5)
                    if placed.contains(where: { $0.intersects(padded) }) { continue }
                    if obstacles.contains(where: { $0.intersects(rect) }) { continue }
                    if leaders.contains(where: { segmentIntersects($0.0, $0.1, padded) }) { continue }
                    if ring >= 2, let (p, q) = ScatterLayout.leader(from: c, to: rect),
                       placed.contains(where: { segmentIntersects(p, q, $0) }) { continue }
                    // Covering an arrow costs as much as moving three rounds further out.
                    let crossings = Double(drawn.filter { segmentIntersects($0.from, $0.to, rect) }.count)
                    let cost = Double(ring) + 3 * crossings
                    if best == nil || cost < best!.cost { best = (rect, cost, ring) }
                }
            }
            let rect = best?.rect ?? Rect(x: min(c.x + Self.markerRadius + 4, bounds.maxX - w),
                                          y: min(max(c.y - h / 2, bounds.minY), bounds.maxY - h), width: w, height: h)
            placed.append(rect)
            if (best?.ring ?? 2) >= 2, let leader = ScatterLayout.leader(from: c, to: rect) { leaders.append(leader) }
            items.append(TextItem(text: text, at: Figures.Point(x: rect.minX, y: rect.minY), size: Self.labelSize,
                                  weight: weight, color: color, verticalAlignment: .top))
        }

        var legend = legendLayout(maxWidth: plot.width, m)
        if let l = legend {
            let top = plot.maxY + (xLabel.isEmpty ? 0 : m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) + Self.axisGap)
                + Self.legendGap
            legend = l.offsetBy(dx: plot.midX - l.size.width / 2, dy: top)
        }
        return Layout(plot: plot, markers: markers, resultMarker: resultMarker, arrows: drawn, labelItems: items,
                      labelRects: placed, leaders: leaders, legend: legend)
    }

    /// The base of a dashed arrow's shaft and its filled head (the same shape as `Canvas.arrow`).
    static func arrowHead(from a: Figures.Point, to b: Figures.Point) -> (Figures.Point, [Figures.Point]) {
        let dx = b.x - a.x, dy = b.y - a.y
        let length = max((dx * dx + dy * dy).squareRoot(), 1e-9)
        let ux = dx / length, uy = dy / length
        let head = min(11, length)
        let base = Figures.Point(x: b.x - ux * head, y: b.y - uy * head)
        let px = -uy * 4, py = ux * 4
        return (base, [b, Figures.Point(x: base.x + px, y: base.y + py), Figures.Point(x: base.x - px, y: base.y - py)])
    }
}
