import Foundation

/// Labelled points, coloured by group, on linear or log₁₀ axes: e.g. parameter counts against depth
/// and width. Log axes get ticks at powers of ten (with 2× and 5× when the data spans few decades) and
/// compact labels (10M, 100M, 1B, 10B, 100B; 1, 10, 100), minor ticks in between. Each point's label is
/// placed next to it without overlapping other labels or markers (greedy: right, left, above, below,
/// then the diagonals, then further out, with a thin leader line once it is far from its point). Points of a group can be joined in the
/// order given. The legend of the groups sits right of the plot (below it in a narrow frame).
///
/// `ScatterChart.Point` is a data point; screen positions are `Figures.Point`.
public struct ScatterChart: Chart, Sendable {
    /// How an axis places values: evenly (linear) or by log₁₀.
    public enum Scale: Sendable { case linear, log10 }

    /// One data point with its label (data units, not screen units).
    public struct Point: Sendable {
        /// The horizontal value, in data units.
        public var x: Double
        /// The vertical value, in data units.
        public var y: Double
        /// Drawn next to the point; "" for none.
        public var label: String

        /// A point at (x, y) labelled `label` ("" for none).
        public init(x: Double, y: Double, label: String) {
            self.x = x
            self.y = y
            self.label = label
        }
    }

    /// Points that share a colour and a legend entry, optionally joined by a line.
    public struct Group: Sendable {
        /// The name in the legend.
        public var name: String
        /// The group's points, in the order they are joined.
        public var points: [Point]
        /// The colour of the group's markers and line.
        public var color: RGB
        /// Join the points with a line, in the order given.
        public var connect: Bool

        /// A group of `points`, joined by a line unless `connect` is false.
        public init(name: String, points: [Point], color: RGB, connect: Bool = true) {
            self.name = name
            self.points = points
            self.color = color
            self.connect = connect
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The horizontal axis title.
    public var xLabel: String
    /// The vertical axis title.
    public var yLabel: String
    /// The groups of points, listed in the legend in order.
    public var groups: [Group]
    /// Linear or log₁₀ x axis.
    public var xScale: Scale
    /// Linear or log₁₀ y axis.
    public var yScale: Scale
    /// Formats the tick labels of both axes; nil: compact numbers (1, 10, 100, 10K, 10M, 1B).
    public var valueFormatter: (@Sendable (Double) -> String)?
    /// Size of the plotting area at the preferred size.
    public var plotSize: Size

    /// A scatter chart; both axes linear and the plot 560 × 400 units by default.
    public init(title: String, subtitle: String = "", xLabel: String, yLabel: String, groups: [Group],
                xScale: Scale = .linear, yScale: Scale = .linear, valueFormatter: (@Sendable (Double) -> String)? = nil,
                plotSize: Size = Size(width: 560, height: 400)) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.groups = groups
        self.xScale = xScale
        self.yScale = yScale
        self.valueFormatter = valueFormatter
        self.plotSize = plotSize
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !groups.isEmpty else { throw FigureError.invalidData("scatter chart has no groups") }
        for g in groups {
            guard !g.points.isEmpty else { throw FigureError.invalidData("group \"\(g.name)\" has no points") }
            for p in g.points {
                guard p.x.isFinite, p.y.isFinite else {
                    throw FigureError.invalidData("point \"\(p.label)\" (\(p.x), \(p.y)) of group \"\(g.name)\" is not finite")
                }
                if xScale == .log10 && p.x <= 0 {
                    throw FigureError.invalidData("x = \(p.x) of \"\(p.label)\" cannot be shown on a log₁₀ axis (x must be > 0)")
                }
                if yScale == .log10 && p.y <= 0 {
                    throw FigureError.invalidData("y = \(p.y) of \"\(p.label)\" cannot be shown on a log₁₀ axis (y must be > 0)")
                }
            }
        }
        guard plotSize.width.isFinite, plotSize.height.isFinite, plotSize.width >= 100, plotSize.height >= 100 else {
            throw FigureError.invalidData("plotSize \(plotSize.width)×\(plotSize.height) must be at least 100×100")
        }
    }

    /// Every string the chart draws at its preferred size (to check glyph coverage).
    public var labels: [String] {
        let L = layout(in: Rect(origin: .zero, size: preferredSize), TextMeasurer())
        return [title, subtitle, xLabel, yLabel].filter { !$0.isEmpty } + L.legend.texts.map(\.text)
            + L.labelItems.map(\.text) + L.xTicks.labels + L.yTicks.labels
    }

    // MARK: Geometry

    /// The points that can be drawn (finite, positive on log axes).
    private var drawable: [[(x: Double, y: Double, label: String)]] {
        groups.map { g in
            g.points.filter { p in
                p.x.isFinite && p.y.isFinite && (xScale == .linear || p.x > 0) && (yScale == .linear || p.y > 0)
            }.map { (x: $0.x, y: $0.y, label: $0.label) }
        }
    }

    private var xAxis: ScatterAxis { ScatterAxis(log: xScale == .log10, values: drawable.joined().map(\.x)) }
    private var yAxis: ScatterAxis { ScatterAxis(log: yScale == .log10, values: drawable.joined().map(\.y)) }

    func layout(in frame: Rect, _ m: TextMeasurer) -> ScatterLayout {
        ScatterLayout(frame: frame, title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel,
                      groups: groups.map { (name: $0.name, color: $0.color, connect: $0.connect) }, points: drawable,
                      xAxis: xAxis, yAxis: yAxis, formatter: valueFormatter, m)
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        ScatterLayout.preferredSize(title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel,
                                    groups: groups.map { (name: $0.name, color: $0.color, connect: $0.connect) },
                                    xAxis: xAxis, yAxis: yAxis, formatter: valueFormatter, plotSize: plotSize, TextMeasurer())
    }

    /// The plotting area when drawn into `frame`.
    public func plotRect(in frame: Rect) -> Rect { layout(in: frame, TextMeasurer()).plot }

    /// Where the data point (x, y) lands when drawn into `frame` (a screen point, not a data point).
    public func position(x: Double, y: Double, in frame: Rect) -> Figures.Point {
        layout(in: frame, TextMeasurer()).position(x: x, y: y)
    }

    /// Where each point's label is drawn inside `frame`: groups in order, points in order (points without a
    /// label, or that cannot be drawn, are left out).
    public func labelRects(in frame: Rect) -> [Rect] {
        layout(in: frame, TextMeasurer()).labelRects
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        L.draw(on: canvas, title: title, subtitle: subtitle, xLabel: xLabel, yLabel: yLabel, frame: frame, m)
        try canvas.checkStatus("draw scatter chart")
    }
}

// MARK: - Axes

/// One axis of a scatter chart: linear or log₁₀, its domain in transformed units (log₁₀ v on a log axis).
struct ScatterAxis {
    var log: Bool
    var domain: ClosedRange<Double>

    init(log: Bool, values: [Double]) {
        self.log = log
        let ts = values.map { log ? Foundation.log10($0) : $0 }.filter(\.isFinite)
        guard var lo = ts.min(), var hi = ts.max() else {
            domain = 0...1
            return
        }
        if hi == lo {
            let pad = log ? 0.5 : (lo == 0 ? 1 : abs(lo) * 0.5)
            lo -= pad
            hi += pad
        } else {
            // Room around the outermost points for their markers and labels.
            let pad = max((hi - lo) * 0.1, log ? 0.1 : 0)
            lo -= pad
            hi += pad
        }
        domain = lo...hi
    }

    func transform(_ v: Double) -> Double { log ? Foundation.log10(v) : v }

    /// 0 at the start of the domain, 1 at its end.
    func fraction(_ v: Double) -> Double {
        (transform(v) - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
    }
}

struct ScatterTicks {
    /// Labelled ticks (with gridlines), in data units.
    var values: [Double]
    var labels: [String]
    /// Unlabelled minor ticks, in data units.
    var minor: [Double]
}

/// 1, 2.5, 10, 0.5, 20K, 1.5M, 175B: the number divided by the largest of K, M, B, T it reaches.
func compactNumber(_ v: Double) -> String {
    let a = abs(v)
    for (unit, suffix) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] where a >= unit * (1 - 1e-9) {
        return formatNumber(v / unit, format: "%g") + suffix
    }
    return formatNumber(v, format: "%g")
}

extension ScatterAxis {
    /// Ticks for an axis `length` units long. `horizontal` axes need room for each label's width,
    /// vertical ones for its height.
    func ticks(length: Double, horizontal: Bool, formatter: ((Double) -> String)?, _ m: TextMeasurer) -> ScatterTicks {
        let size = FigureStyle.tickSize
        func format(_ values: [Double], linear: Bool) -> [String] {
            if let formatter { return values.map(formatter) }
            let largest = values.map(abs).max() ?? 0
            if largest >= 1e4 { return values.map(compactNumber) }
            return linear ? tickLabels(values) : values.map { formatNumber($0, format: "%g") }
        }
        func fits(_ values: [Double], _ labels: [String]) -> Bool {
            let positions = values.map { fraction($0) * length }
            for i in positions.indices.dropFirst() {
                let gap = positions[i] - positions[i - 1]
                let need = horizontal
                    ? (m.width(labels[i], size: size) + m.width(labels[i - 1], size: size)) / 2 + 10
                    : m.lineHeight(size: size) + 4
                if gap < need { return false }
            }
            return true
        }
        guard log else {
            let count = horizontal ? Int(length / 80) + 1 : min(9, Int(length / 45) + 1)
            var values = niceTicks(from: domain.lowerBound, to: domain.upperBound, maxCount: max(2, count))
            var labels = format(values, linear: true)
            while values.count > 2 && !fits(values, labels) {
                values = niceTicks(from: domain.lowerBound, to: domain.upperBound, maxCount: values.count - 1)
                labels = format(values, linear: true)
            }
            return ScatterTicks(values: values, labels: labels, minor: [])
        }
        // Log axis: the multiples of each power of ten inside the domain.
        let first = Int(domain.lowerBound.rounded(.down)), last = Int(domain.upperBound.rounded(.up))
        func multiples(_ ms: [Double]) -> [Double] {
            var out: [Double] = []
            for e in first...max(first, last) {
                for k in ms {
                    let v = k * pow(10, Double(e))
                    let t = Foundation.log10(v)
                    if t >= domain.lowerBound - 1e-9 && t <= domain.upperBound + 1e-9 { out.append(v) }
                }
            }
            return out
        }
        let all = multiples([1, 2, 3, 4, 5, 6, 7, 8, 9])
        // Densest labelling that fits, but powers of ten alone once they give three ticks.
        var chosen = multiples([1])
        if chosen.count < 3 {
            for ms in [[1.0, 2, 5], [1.0, 2, 3, 4, 5, 6, 7, 8, 9]] {
                let candidate = multiples(ms)
                if fits(candidate, format(candidate, linear: false)) { chosen = candidate }
                if candidate.count >= 3 { break }
            }
        }
        var labels = format(chosen, linear: false)
        // Thin the labels if even powers of ten collide (many decades on a short axis).
        if !fits(chosen, labels) {
            var every = 2
            while every < chosen.count {
                let kept = chosen.enumerated().filter { $0.offset % every == 0 }.map(\.element)
                if fits(kept, format(kept, linear: false)) { break }
                every += 1
            }
            labels = chosen.enumerated().map { $0.offset % every == 0 ? labels[$0.offset] : "" }
        }
        let labelled = Set(chosen.map { Foundation.log10($0) }.map { ($0 * 1e6).rounded() })
        let decadeLength = length / max(1e-9, domain.upperBound - domain.lowerBound)
        let minor = decadeLength >= 30
            ? all.filter { !labelled.contains((Foundation.log10($0) * 1e6).rounded()) } : []
        return ScatterTicks(values: chosen, labels: labels, minor: minor)
    }
}

// MARK: - Layout

/// A scatter chart laid out in a frame: plot, ticks, legend, markers and placed labels.
struct ScatterLayout {
    typealias GroupStyle = (name: String, color: RGB, connect: Bool)

    enum Geometry {
        static let tickLength = 5.0
        static let minorTickLength = 3.0
        static let tickGap = 4.0
        static let axisTitleGap = 10.0
        static let legendGap = 24.0
        static let markerRadius = LegendLayout.markerRadius
        static let labelSize = 11.5
        static let labelGap = 3.0
        static let leaderStep = 9.0
        static let lineWidth = 2.0
    }

    var titleTop: Double
    var plot: Rect
    var xAxis: ScatterAxis
    var yAxis: ScatterAxis
    var xTicks: ScatterTicks
    var yTicks: ScatterTicks
    var legend: LegendLayout
    var groups: [GroupStyle]
    /// Marker centres, [group][point].
    var markers: [[Point]]
    var labelItems: [TextItem]
    var labelRects: [Rect]
    /// Thin lines from a marker to its label when the label had to move away.
    var leaders: [(Point, Point)]

    func position(x: Double, y: Double) -> Point {
        Point(x: plot.minX + xAxis.fraction(x) * plot.width, y: plot.maxY - yAxis.fraction(y) * plot.height)
    }

    private static func legendEntries(_ groups: [GroupStyle]) -> [LegendEntry] {
        groups.map { LegendEntry(sample: .marker(color: $0.color, line: $0.connect), label: $0.name) }
    }

    private static func leftArea(_ yTicks: ScatterTicks, yLabel: String, _ m: TextMeasurer) -> Double {
        var w = (yTicks.labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0) + Geometry.tickLength + Geometry.tickGap
        if !yLabel.isEmpty { w += Geometry.axisTitleGap + m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) }
        return w
    }

    private static func bottomArea(xLabel: String, _ m: TextMeasurer) -> Double {
        var h = Geometry.tickLength + Geometry.tickGap + m.lineHeight(size: FigureStyle.tickSize)
        if !xLabel.isEmpty { h += Geometry.axisTitleGap + m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) }
        return h
    }

    /// How far the last x tick label reaches past the plot's right edge.
    private static func rightOverhang(_ xTicks: ScatterTicks, _ xAxis: ScatterAxis, plotWidth: Double, _ m: TextMeasurer) -> Double {
        var overhang = m.lineHeight(size: FigureStyle.tickSize) / 2
        for (v, label) in zip(xTicks.values, xTicks.labels) {
            overhang = max(overhang, xAxis.fraction(v) * plotWidth + m.width(label, size: FigureStyle.tickSize) / 2 - plotWidth)
        }
        return overhang
    }

    static func preferredSize(title: String, subtitle: String, xLabel: String, yLabel: String, groups: [GroupStyle],
                              xAxis: ScatterAxis, yAxis: ScatterAxis, formatter: ((Double) -> String)?, plotSize: Size,
                              _ m: TextMeasurer) -> Size {
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let legend = LegendLayout.column(legendEntries(groups), m).size
        let plotHeight = max(plotSize.height, m.width(yLabel, size: FigureStyle.axisTitleSize) + 16)
        let plotWidth = max(plotSize.width, m.width(xLabel, size: FigureStyle.axisTitleSize) + 16)
        let xTicks = xAxis.ticks(length: plotWidth, horizontal: true, formatter: formatter, m)
        let yTicks = yAxis.ticks(length: plotHeight, horizontal: false, formatter: formatter, m)
        let tickOverhang = m.lineHeight(size: FigureStyle.tickSize) / 2
        let width = 2 * FigureStyle.margin + leftArea(yTicks, yLabel: yLabel, m) + plotWidth
            + max(rightOverhang(xTicks, xAxis, plotWidth: plotWidth, m), Geometry.legendGap + legend.width)
        let height = 2 * FigureStyle.margin + titles.height(m) + tickOverhang + max(plotHeight, legend.height)
            + bottomArea(xLabel: xLabel, m)
        return Size(width: max(width, titles.width(m) + 2 * FigureStyle.margin).rounded(.up), height: height.rounded(.up))
    }

    init(frame: Rect, title: String, subtitle: String, xLabel: String, yLabel: String, groups: [GroupStyle],
         points: [[(x: Double, y: Double, label: String)]], xAxis: ScatterAxis, yAxis: ScatterAxis,
         formatter: ((Double) -> String)?, _ m: TextMeasurer) {
        let inner = frame.insetBy(FigureStyle.margin)
        let titleHeight = TitleBlock(title: title, subtitle: subtitle).height(m)
        let tickOverhang = m.lineHeight(size: FigureStyle.tickSize) / 2
        let entries = Self.legendEntries(groups)
        var legend = LegendLayout.column(entries, m)
        let below = legend.size.width + Geometry.legendGap > inner.width * 0.4
        if below { legend = LegendLayout.rows(entries, maxWidth: inner.width, m) }
        let top = inner.minY + titleHeight + tickOverhang
        let bottomArea = Self.bottomArea(xLabel: xLabel, m)
        let plotHeight = max(20, inner.maxY - top - bottomArea - (below ? legend.size.height + 12 : 0))
        let yTicks = yAxis.ticks(length: plotHeight, horizontal: false, formatter: formatter, m)
        let left = inner.minX + Self.leftArea(yTicks, yLabel: yLabel, m)
        // The right edge leaves room for the legend (or the last x tick label): solve for the plot width.
        var right = inner.maxX - (below ? tickOverhang : Geometry.legendGap + legend.size.width)
        var xTicks = xAxis.ticks(length: max(20, right - left), horizontal: true, formatter: formatter, m)
        for _ in 0..<3 {
            let overhang = Self.rightOverhang(xTicks, xAxis, plotWidth: max(20, right - left), m)
            let reserve = below ? overhang : max(overhang, Geometry.legendGap + legend.size.width)
            right = inner.maxX - reserve
            xTicks = xAxis.ticks(length: max(20, right - left), horizontal: true, formatter: formatter, m)
        }
        let plot = Rect(x: left, y: top, width: max(20, right - left), height: plotHeight)
        let legendOrigin = below
            ? Point(x: max(inner.minX, plot.midX - legend.size.width / 2), y: plot.maxY + bottomArea + 12)
            : Point(x: plot.maxX + Geometry.legendGap, y: plot.minY)
        legend = legend.offsetBy(dx: legendOrigin.x, dy: legendOrigin.y)

        self.titleTop = inner.minY
        self.plot = plot
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.xTicks = xTicks
        self.yTicks = yTicks
        self.legend = legend
        self.groups = groups
        self.markers = []
        self.labelItems = []
        self.labelRects = []
        self.leaders = []
        markers = points.map { g in g.map { position(x: $0.x, y: $0.y) } }
        placeLabels(points, m)
    }

    /// The colour of a group's labels: its colour, darkened until it reads on white.
    static func labelColor(_ color: RGB) -> RGB {
        var c = color
        var t = 0.0
        while c.contrastRatio(with: .white) < 4.5 && t < 0.9 {
            t += 0.1
            c = color.mixed(with: .black, t)
        }
        return c
    }

    /// Greedy placement: each label takes the first spot (right, left, above, below, the diagonals, then the
    /// same further out) that stays in the plot and clears every marker and every label placed so far;
    /// crossing a connecting line counts as three steps further out.
    private mutating func placeLabels(_ points: [[(x: Double, y: Double, label: String)]], _ m: TextMeasurer) {
        let r = Geometry.markerRadius + 1.5
        let obstacles = markers.joined().map { Rect(x: $0.x - r, y: $0.y - r, width: 2 * r, height: 2 * r) }
        var segments: [(Point, Point)] = []
        for (g, group) in groups.enumerated() where group.connect {
            for i in markers[g].indices.dropFirst() { segments.append((markers[g][i - 1], markers[g][i])) }
        }
        let bounds = plot.insetBy(2)
        var placed: [Rect] = []
        // Labels keep a word space apart side by side, a little less one above the other.
        let padX = 5.0, padY = 1.5
        for (g, group) in points.enumerated() {
            let color = Self.labelColor(groups[g].color)
            for (i, p) in group.enumerated() where !p.label.isEmpty {
                let c = markers[g][i]
                let mt = m.metrics(p.label, size: Geometry.labelSize)
                let w = mt.width, h = mt.height
                var best: (rect: Rect, ring: Int, cost: Double)? = nil
                for ring in 0..<9 {
                    // Crossing a connecting line costs as much as moving three steps further out.
                    if let best, best.cost <= Double(ring) { break }
                    let d = Geometry.markerRadius + Geometry.labelGap + Double(ring) * Geometry.leaderStep
                    let e = d * 0.75
                    let candidates = [
                        Rect(x: c.x + d, y: c.y - h / 2, width: w, height: h),            // right
                        Rect(x: c.x - d - w, y: c.y - h / 2, width: w, height: h),        // left
                        Rect(x: c.x - w / 2, y: c.y - d - h, width: w, height: h),        // above
                        Rect(x: c.x - w / 2, y: c.y + d, width: w, height: h),            // below
                        Rect(x: c.x + e, y: c.y - e - h, width: w, height: h),            // above right
                        Rect(x: c.x + e, y: c.y + e, width: w, height: h),                // below right
                        Rect(x: c.x - e - w, y: c.y - e - h, width: w, height: h),        // above left
                        Rect(x: c.x - e - w, y: c.y + e, width: w, height: h),            // below left
                    ]
                    for rect in candidates {
                        guard bounds.contains(rect) else { continue }
                        let padded = rect.insetBy(dx: -padX, dy: -padY)
                        if placed.contains(where: { $0.intersects(padded) }) { continue }
                        if obstacles.contains(where: { $0.intersects(rect) }) { continue }
                        if leaders.contains(where: { segmentIntersects($0.0, $0.1, padded) }) { continue }
                        if ring >= Self.leaderRing, let (a, b) = Self.leader(from: c, to: rect),
                           placed.contains(where: { segmentIntersects(a, b, $0) }) { continue }
                        let crossings = Double(segments.filter { segmentIntersects($0.0, $0.1, Self.plate(rect)) }.count)
                        let cost = Double(ring) + 3 * crossings
                        if best == nil || cost < best!.cost { best = (rect, ring, cost) }
                    }
                }
                // Nowhere free nearby: the nearest free spot straight above or below, right or left of
                // the point (with a leader line), else right of the point.
                var fallback: Rect? = nil
                if best == nil {
                    let d = Geometry.markerRadius + Geometry.labelGap
                    search: for k in 0..<40 {
                        for dy in (k == 0 ? [0.0] : [Double(k), -Double(k)]).map({ $0 * (h / 2 + padY) }) {
                            for x in [c.x + d, c.x - d - w] {
                                let rect = Rect(x: x, y: c.y - h / 2 + dy, width: w, height: h)
                                let padded = rect.insetBy(dx: -padX, dy: -padY)
                                if bounds.contains(rect), !placed.contains(where: { $0.intersects(padded) }),
                                   !obstacles.contains(where: { $0.intersects(rect) }) {
                                    fallback = rect
                                    break search
                                }
                            }
                        }
                    }
                }
                let rect = best?.rect ?? fallback ?? Rect(x: min(c.x + Geometry.markerRadius + Geometry.labelGap, bounds.maxX - w),
                                                          y: min(max(c.y - h / 2, bounds.minY), bounds.maxY - h), width: w, height: h)
                placed.append(rect)
                labelRects.append(rect)
                labelItems.append(TextItem(text: p.label, at: Point(x: rect.minX, y: rect.minY), size: Geometry.labelSize,
                                           color: color, verticalAlignment: .top))
                if (best?.ring ?? Self.leaderRing) >= Self.leaderRing, let leader = Self.leader(from: c, to: rect) { leaders.append(leader) }
            }
        }
    }

    /// Labels this many steps out or further get a leader line; closer ones still read as their point's.
    static let leaderRing = 2

    /// The leader from the edge of the marker at `c` to the nearest point of the label `rect`.
    static func leader(from c: Point, to rect: Rect) -> (Point, Point)? {
        let q = Point(x: min(max(c.x, rect.minX), rect.maxX), y: min(max(c.y, rect.minY), rect.maxY))
        let dx = q.x - c.x, dy = q.y - c.y
        let len = (dx * dx + dy * dy).squareRoot()
        guard len > Geometry.markerRadius + 2 else { return nil }
        let s = (Geometry.markerRadius + 1) / len
        return (Point(x: c.x + dx * s, y: c.y + dy * s), q)
    }

    /// The light plate behind a label: it hides connecting lines and gridlines behind the text and
    /// reaches the marker of a label placed right beside it.
    static func plate(_ rect: Rect) -> Rect { rect.insetBy(dx: -2.5, dy: -0.5) }

    // MARK: Drawing

    func draw(on canvas: Canvas, title: String, subtitle: String, xLabel: String, yLabel: String, frame: Rect,
              _ m: TextMeasurer) {
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: titleTop)
        let x = { (v: Double) in plot.minX + xAxis.fraction(v) * plot.width }
        let y = { (v: Double) in plot.maxY - yAxis.fraction(v) * plot.height }

        // Gridlines at the labelled ticks.
        for v in xTicks.values { canvas.line(from: Point(x: x(v), y: plot.minY), to: Point(x: x(v), y: plot.maxY), color: FigureStyle.grid, width: 1) }
        for v in yTicks.values { canvas.line(from: Point(x: plot.minX, y: y(v)), to: Point(x: plot.maxX, y: y(v)), color: FigureStyle.grid, width: 1) }

        // Axes with outward ticks.
        canvas.line(from: Point(x: plot.minX, y: plot.minY), to: Point(x: plot.minX, y: plot.maxY), color: FigureStyle.axis, width: 1)
        canvas.line(from: Point(x: plot.minX, y: plot.maxY), to: Point(x: plot.maxX, y: plot.maxY), color: FigureStyle.axis, width: 1)
        for v in xTicks.minor {
            canvas.line(from: Point(x: x(v), y: plot.maxY), to: Point(x: x(v), y: plot.maxY + Geometry.minorTickLength), color: FigureStyle.axis, width: 0.8)
        }
        for v in yTicks.minor {
            canvas.line(from: Point(x: plot.minX - Geometry.minorTickLength, y: y(v)), to: Point(x: plot.minX, y: y(v)), color: FigureStyle.axis, width: 0.8)
        }
        for (v, label) in zip(xTicks.values, xTicks.labels) {
            canvas.line(from: Point(x: x(v), y: plot.maxY), to: Point(x: x(v), y: plot.maxY + Geometry.tickLength), color: FigureStyle.axis, width: 1)
            canvas.text(label, at: Point(x: x(v), y: plot.maxY + Geometry.tickLength + Geometry.tickGap), size: FigureStyle.tickSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        }
        var yLabelsLeft = plot.minX
        for (v, label) in zip(yTicks.values, yTicks.labels) {
            canvas.line(from: Point(x: plot.minX - Geometry.tickLength, y: y(v)), to: Point(x: plot.minX, y: y(v)), color: FigureStyle.axis, width: 1)
            let r = canvas.text(label, at: Point(x: plot.minX - Geometry.tickLength - Geometry.tickGap, y: y(v)), size: FigureStyle.tickSize,
                                color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .middle)
            if !label.isEmpty { yLabelsLeft = min(yLabelsLeft, r.minX) }
        }
        if !xLabel.isEmpty {
            let ty = plot.maxY + Geometry.tickLength + Geometry.tickGap + m.lineHeight(size: FigureStyle.tickSize) + Geometry.axisTitleGap
            canvas.text(xLabel, at: Point(x: plot.midX, y: ty), size: FigureStyle.axisTitleSize, color: FigureStyle.secondaryText,
                        alignment: .center, verticalAlignment: .top)
        }
        if !yLabel.isEmpty {
            let h = m.lineHeight(yLabel, size: FigureStyle.axisTitleSize)
            canvas.text(yLabel, at: Point(x: yLabelsLeft - Geometry.axisTitleGap - h / 2, y: plot.midY), size: FigureStyle.axisTitleSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle, rotation: 90)
        }

        // Connecting lines, the labels' plates over them, leaders, markers, then the labels.
        canvas.withClip(plot.insetBy(-Geometry.markerRadius - 2)) {
            for (g, group) in groups.enumerated() where group.connect {
                canvas.polyline(markers[g], color: group.color, width: Geometry.lineWidth)
            }
            for rect in labelRects { canvas.fillRect(Self.plate(rect), color: .white, opacity: 0.85) }
            for (a, b) in leaders { canvas.line(from: a, to: b, color: FigureStyle.mutedText, width: 0.8) }
            for (g, group) in groups.enumerated() {
                for c in markers[g] {
                    canvas.circle(center: c, radius: Geometry.markerRadius, fill: group.color, stroke: .white, strokeWidth: 1.2)
                }
            }
        }
        for item in labelItems { item.draw(on: canvas) }
        legend.draw(on: canvas)
    }
}

/// True if the segment from `a` to `b` passes through `rect`.
func segmentIntersects(_ a: Point, _ b: Point, _ rect: Rect) -> Bool {
    // Liang–Barsky clipping.
    var t0 = 0.0, t1 = 1.0
    let dx = b.x - a.x, dy = b.y - a.y
    for (p, q) in [(-dx, a.x - rect.minX), (dx, rect.maxX - a.x), (-dy, a.y - rect.minY), (dy, rect.maxY - a.y)] {
        if p == 0 {
            if q < 0 { return false }
        } else {
            let t = q / p
            if p < 0 { if t > t1 { return false }; t0 = max(t0, t) } else { if t < t0 { return false }; t1 = min(t1, t) }
        }
    }
    return t0 <= t1
}
