import Foundation

/// Lines through (x, y) points with nice ticks, gridlines, axis titles and a legend outside the plot
/// (right of it, or below it in a narrow frame) so it never covers data. The x axis can be log₂, for
/// sweeps such as d_k = 1, 2, 4, …, 512.
public struct LineChart: Chart, Sendable {
    /// How x values are placed: evenly (linear) or by log₂ (for sweeps over powers of two).
    public enum XScale: Sendable { case linear, log2 }

    /// One line: its points, colour and style, and its name in the legend.
    public struct Series: Sendable {
        /// The name in the legend.
        public var name: String
        /// The points in the order they are joined.
        public var points: [(x: Double, y: Double)]
        /// The line's colour (and its markers').
        public var color: RGB
        /// Draw the line dashed.
        public var dashed: Bool
        /// Draw a marker at each point.
        public var showMarkers: Bool
        /// The line's width, in user units.
        public var lineWidth: Double
        /// Set when built from two arrays of different lengths (drawing then throws invalidData).
        var lengthMismatch: (Int, Int)?

        /// A series of (x, y) points.
        public init(name: String, points: [(x: Double, y: Double)], color: RGB, dashed: Bool = false,
                    showMarkers: Bool = true, lineWidth: Double = 2.5) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
            self.showMarkers = showMarkers
            self.lineWidth = lineWidth
        }

        /// A series from parallel arrays of x and y values; when their lengths differ, drawing
        /// throws `FigureError.invalidData`.
        public init(name: String, x: [Double], y: [Double], color: RGB, dashed: Bool = false,
                    showMarkers: Bool = true, lineWidth: Double = 2.5) {
            self.init(name: name, points: zip(x, y).map { (x: $0, y: $1) }, color: color, dashed: dashed,
                      showMarkers: showMarkers, lineWidth: lineWidth)
            if x.count != y.count { lengthMismatch = (x.count, y.count) }
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The horizontal axis title (may be empty).
    public var xLabel: String
    /// The vertical axis title (may be empty).
    public var yLabel: String
    /// The lines, drawn in order and listed in the legend in order.
    public var series: [Series]
    /// Linear or log₂ x axis.
    public var xScale: XScale
    /// nil: a nice range around the data (from 0 when the data is non-negative and starts near 0).
    public var yRange: ClosedRange<Double>?
    /// nil: the data's range with a little padding.
    public var xRange: ClosedRange<Double>?
    /// Size of the plotting area at the preferred size.
    public var plotSize: Size
    /// False draws no legend (panels of a `PanelGrid` that shows one legend for all of them).
    public var showsLegend = true

    /// A line chart; ranges default to the data's, the plot to 560 × 340 units.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], xScale: XScale = .linear,
                yRange: ClosedRange<Double>? = nil, subtitle: String = "", xRange: ClosedRange<Double>? = nil,
                plotSize: Size = Size(width: 560, height: 340)) {
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yRange = yRange
        self.xRange = xRange
        self.plotSize = plotSize
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !series.isEmpty else { throw FigureError.invalidData("line chart has no series") }
        for s in series {
            if let (nx, ny) = s.lengthMismatch {
                throw FigureError.invalidData("series \"\(s.name)\" has \(nx) x values but \(ny) y values")
            }
        }
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { throw FigureError.invalidData("line chart has no finite points") }
        if xScale == .log2 {
            if let bad = finite.first(where: { $0.x <= 0 }) {
                throw FigureError.invalidData("x = \(bad.x) cannot be shown on a log₂ axis (x must be > 0)")
            }
            if let xRange, xRange.lowerBound <= 0 {
                throw FigureError.invalidData("xRange \(xRange) must be positive on a log₂ axis")
            }
        }
        if let yRange, !(yRange.upperBound > yRange.lowerBound) || !yRange.upperBound.isFinite || !yRange.lowerBound.isFinite {
            throw FigureError.invalidData("yRange \(yRange) must be a finite, non-empty range")
        }
    }

    // MARK: Scales

    private var finitePoints: [(x: Double, y: Double)] {
        series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (xScale == .linear || $0.x > 0) }
    }

    private func transform(_ x: Double) -> Double { xScale == .log2 ? Foundation.log2(x) : x }

    /// The x domain in transformed units (log₂ x for a log axis).
    private var xDomain: ClosedRange<Double> {
        if let xRange {
            let a = transform(xRange.lowerBound), b = transform(xRange.upperBound)
            return a < b ? a...b : (a - 1)...(a + 1)
        }
        let xs = finitePoints.map { transform($0.x) }
        guard let lo = xs.min(), let hi = xs.max() else { return 0...1 }
        if lo == hi { return (lo - 1)...(hi + 1) }
        let pad = (hi - lo) * 0.04
        return (lo - pad)...(hi + pad)
    }

    /// The y range drawn: `yRange` when set, else a nice range around the finite data.
    public var resolvedYRange: ClosedRange<Double> {
        if let yRange { return yRange }
        let ys = finitePoints.map(\.y)
        guard var lo = ys.min(), let hi = ys.max() else { return 0...1 }
        if lo >= 0 && lo <= 0.3 * hi { lo = 0 }
        return niceRange(lo, hi)
    }

    private func xTicks(plotWidth: Double, _ m: TextMeasurer) -> (values: [Double], labels: [String]) {
        let domain = xDomain
        switch xScale {
        case .linear:
            let ticks = niceTicks(from: domain.lowerBound, to: domain.upperBound, maxCount: max(2, Int(plotWidth / 80) + 1))
            return (ticks, tickLabels(ticks))
        case .log2:
            let first = domain.lowerBound.rounded(.up), last = domain.upperBound.rounded(.down)
            guard last >= first else { return ([], []) }
            let exponents = Array(stride(from: first, through: last, by: 1))
            let labels = exponents.map { k -> String in
                let v = pow(2, k)
                return k >= 0 && k < 53 ? String(Int64(v)) : formatNumber(v, format: "%g")
            }
            // Thin the labels if they would collide.
            let widest = labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
            let spacing = plotWidth / max(1e-9, domain.upperBound - domain.lowerBound)
            let every = max(1, Int(((widest + 10) / max(1, spacing)).rounded(.up)))
            let kept = labels.enumerated().map { $0.offset % every == 0 ? $0.element : "" }
            return (exponents, kept)
        }
    }

    private func yTicks(plotHeight: Double) -> [Double] {
        let r = resolvedYRange
        return niceTicks(from: r.lowerBound, to: r.upperBound, maxCount: max(2, min(9, Int(plotHeight / 45) + 1)))
    }

    // MARK: Layout

    private enum Geometry {
        static let tickLength = 5.0
        static let tickGap = 4.0
        static let axisTitleGap = 10.0
        static let legendGap = 24.0
        static let legendSample = 30.0
        static let legendRow = 24.0
    }

    struct Layout {
        var titleTop: Double
        var plot: Rect
        var legendOrigin: Point
        var legendBelow: Bool
        var legendOffsets: [Point]
    }

    /// Where each legend entry goes, relative to the legend's top-left corner, and the legend's size.
    /// Right of the plot: one entry per line. Below it: entries side by side, wrapped at `maxWidth`.
    private func legendEntries(_ m: TextMeasurer, below: Bool, maxWidth: Double = .infinity) -> (offsets: [Point], size: Size) {
        guard showsLegend else { return ([], .zero) }
        let widths = series.map { Geometry.legendSample + 8 + m.width($0.name, size: FigureStyle.labelSize) }
        guard below else {
            let offsets = widths.indices.map { Point(x: 0, y: Double($0) * Geometry.legendRow) }
            return (offsets, Size(width: widths.max() ?? 0, height: Double(series.count) * Geometry.legendRow))
        }
        return flowRows(widths: widths, maxWidth: maxWidth, gap: 20, rowHeight: Geometry.legendRow)
    }

    private func leftArea(_ m: TextMeasurer, plotHeight: Double) -> Double {
        let labels = tickLabels(yTicks(plotHeight: plotHeight))
        var w = (labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0) + Geometry.tickLength + Geometry.tickGap
        if !yLabel.isEmpty { w += Geometry.axisTitleGap + m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) }
        return w
    }

    private func bottomArea(_ m: TextMeasurer) -> Double {
        var h = Geometry.tickLength + Geometry.tickGap + m.lineHeight(size: FigureStyle.tickSize)
        if !xLabel.isEmpty { h += Geometry.axisTitleGap + m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) }
        return h
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let legend = legendEntries(m, below: false).size
        let tickOverhang = m.lineHeight(size: FigureStyle.tickSize) / 2
        // Tall enough for the rotated y-axis title, wide enough for the x-axis title.
        let plotHeight = max(plotSize.height, m.width(yLabel, size: FigureStyle.axisTitleSize) + 16)
        let plotWidth = max(plotSize.width, m.width(xLabel, size: FigureStyle.axisTitleSize) + 16)
        let width = 2 * FigureStyle.margin + leftArea(m, plotHeight: plotHeight) + plotWidth
            + (showsLegend ? Geometry.legendGap + legend.width : 0) + tickOverhang
        let height = 2 * FigureStyle.margin + titles.height(m) + tickOverhang
            + max(plotHeight, legend.height) + bottomArea(m)
        return Size(width: max(width, titles.width(m) + 2 * FigureStyle.margin).rounded(.up), height: height.rounded(.up))
    }

    func layout(in frame: Rect, _ m: TextMeasurer) -> Layout {
        let inner = frame.insetBy(FigureStyle.margin)
        let titleHeight = TitleBlock(title: title, subtitle: subtitle).height(m)
        let tickOverhang = m.lineHeight(size: FigureStyle.tickSize) / 2
        var legend = legendEntries(m, below: false)
        let below = legend.size.width + Geometry.legendGap > inner.width * 0.4
        if below { legend = legendEntries(m, below: true, maxWidth: inner.width) }
        let top = inner.minY + titleHeight + tickOverhang
        var plotHeight = inner.maxY - top - bottomArea(m) - (below ? legend.size.height + 12 : 0)
        plotHeight = max(20, plotHeight)
        let left = inner.minX + leftArea(m, plotHeight: plotHeight)
        let right = inner.maxX - tickOverhang - (below || !showsLegend ? 0 : Geometry.legendGap + legend.size.width)
        let plot = Rect(x: left, y: top, width: max(20, right - left), height: plotHeight)
        var legendOrigin = below
            ? Point(x: plot.midX - legend.size.width / 2, y: plot.maxY + bottomArea(m) + 12)
            : Point(x: plot.maxX + Geometry.legendGap, y: plot.minY)
        legendOrigin.x = max(inner.minX, min(legendOrigin.x, inner.maxX - legend.size.width))
        return Layout(titleTop: inner.minY, plot: plot, legendOrigin: legendOrigin, legendBelow: below,
                      legendOffsets: legend.offsets)
    }

    /// The plotting area when drawn into `frame`.
    public func plotRect(in frame: Rect) -> Rect {
        layout(in: frame, TextMeasurer()).plot
    }

    /// Where the data point (x, y) lands when drawn into `frame`.
    public func position(x: Double, y: Double, in frame: Rect) -> Point {
        position(x: x, y: y, plot: plotRect(in: frame))
    }

    private func position(x: Double, y: Double, plot: Rect) -> Point {
        let xd = xDomain, yd = resolvedYRange
        let tx = (transform(x) - xd.lowerBound) / (xd.upperBound - xd.lowerBound)
        let ty = (y - yd.lowerBound) / (yd.upperBound - yd.lowerBound)
        return Point(x: plot.minX + tx * plot.width, y: plot.maxY - ty * plot.height)
    }

    // MARK: Drawing

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        let plot = L.plot
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: L.titleTop)

        let xd = xDomain, yd = resolvedYRange
        func px(_ t: Double) -> Double { plot.minX + (t - xd.lowerBound) / (xd.upperBound - xd.lowerBound) * plot.width }
        func py(_ y: Double) -> Double { plot.maxY - (y - yd.lowerBound) / (yd.upperBound - yd.lowerBound) * plot.height }

        // Gridlines.
        let (xTickValues, xTickLabels) = xTicks(plotWidth: plot.width, m)
        let yTickValues = yTicks(plotHeight: plot.height)
        for t in xTickValues where t >= xd.lowerBound - 1e-9 && t <= xd.upperBound + 1e-9 {
            canvas.line(from: Point(x: px(t), y: plot.minY), to: Point(x: px(t), y: plot.maxY), color: FigureStyle.grid, width: 1)
        }
        for v in yTickValues {
            canvas.line(from: Point(x: plot.minX, y: py(v)), to: Point(x: plot.maxX, y: py(v)), color: FigureStyle.grid, width: 1)
        }

        // Axes: left and bottom spines with outward ticks.
        canvas.line(from: Point(x: plot.minX, y: plot.minY), to: Point(x: plot.minX, y: plot.maxY), color: FigureStyle.axis, width: 1)
        canvas.line(from: Point(x: plot.minX, y: plot.maxY), to: Point(x: plot.maxX, y: plot.maxY), color: FigureStyle.axis, width: 1)
        for (t, label) in zip(xTickValues, xTickLabels) where t >= xd.lowerBound - 1e-9 && t <= xd.upperBound + 1e-9 {
            let x = px(t)
            canvas.line(from: Point(x: x, y: plot.maxY), to: Point(x: x, y: plot.maxY + Geometry.tickLength), color: FigureStyle.axis, width: 1)
            if !label.isEmpty {
                canvas.text(label, at: Point(x: x, y: plot.maxY + Geometry.tickLength + Geometry.tickGap), size: FigureStyle.tickSize,
                            color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
            }
        }
        var yLabelsLeft = plot.minX
        for (v, label) in zip(yTickValues, tickLabels(yTickValues)) {
            let y = py(v)
            canvas.line(from: Point(x: plot.minX - Geometry.tickLength, y: y), to: Point(x: plot.minX, y: y), color: FigureStyle.axis, width: 1)
            let r = canvas.text(label, at: Point(x: plot.minX - Geometry.tickLength - Geometry.tickGap, y: y), size: FigureStyle.tickSize,
                                color: FigureStyle.secondaryText, alignment: .right, verticalAlignment: .middle)
            yLabelsLeft = min(yLabelsLeft, r.minX)
        }
        if !xLabel.isEmpty {
            let y = plot.maxY + Geometry.tickLength + Geometry.tickGap + m.lineHeight(size: FigureStyle.tickSize) + Geometry.axisTitleGap
            canvas.text(xLabel, at: Point(x: plot.midX, y: y), size: FigureStyle.axisTitleSize, color: FigureStyle.secondaryText,
                        alignment: .center, verticalAlignment: .top)
        }
        if !yLabel.isEmpty {
            let h = m.lineHeight(yLabel, size: FigureStyle.axisTitleSize)
            canvas.text(yLabel, at: Point(x: yLabelsLeft - Geometry.axisTitleGap - h / 2, y: plot.midY), size: FigureStyle.axisTitleSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle, rotation: 90)
        }

        // Series, clipped to the plot (with room for markers on the edges).
        canvas.withClip(plot.insetBy(-6)) {
            for s in series {
                // Split at non-finite points so gaps show as gaps.
                var segments: [[Point]] = [[]]
                for p in s.points {
                    if p.x.isFinite && p.y.isFinite && (xScale == .linear || p.x > 0) {
                        segments[segments.count - 1].append(Point(x: px(transform(p.x)), y: py(p.y)))
                    } else if !segments[segments.count - 1].isEmpty {
                        segments.append([])
                    }
                }
                for segment in segments {
                    canvas.polyline(segment, color: s.color, width: s.lineWidth, dash: s.dashed ? [7, 5] : nil)
                }
                if s.showMarkers {
                    for point in segments.joined() {
                        canvas.circle(center: point, radius: s.lineWidth + 1.5, fill: s.color, stroke: .white, strokeWidth: 1.2)
                    }
                }
            }
        }

        // Legend.
        for (s, offset) in zip(series, L.legendOffsets) {
            let y = L.legendOrigin.y + offset.y + Geometry.legendRow / 2
            let x = L.legendOrigin.x + offset.x
            let a = Point(x: x, y: y), b = Point(x: x + Geometry.legendSample, y: y)
            canvas.line(from: a, to: b, color: s.color, width: s.lineWidth, dash: s.dashed ? [7, 5] : nil)
            if s.showMarkers {
                canvas.circle(center: Point(x: (a.x + b.x) / 2, y: y), radius: s.lineWidth + 1.5, fill: s.color,
                              stroke: .white, strokeWidth: 1.2)
            }
            canvas.text(s.name, at: Point(x: b.x + 8, y: y), size: FigureStyle.labelSize, color: FigureStyle.text,
                        verticalAlignment: .middle)
        }
        try canvas.checkStatus("draw line chart")
    }
}
