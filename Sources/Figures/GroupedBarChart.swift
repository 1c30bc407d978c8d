import Foundation

/// Grouped vertical bars: for each category, one bar per series side by side (e.g. measured rates next
/// to the rates BERT uses), the value printed on each bar, a legend of the series under the title, y
/// from 0. With a percentage `valueFormat` ("%.1f%%", the default) the y ticks get a "%" too.
public struct GroupedBarChart: Chart, Sendable {
    /// One bar per category in one colour, with its name in the legend.
    public struct Series: Sendable {
        /// The name in the legend.
        public var name: String
        /// One value per category.
        public var values: [Double]
        /// The colour of the series' bars.
        public var color: RGB

        /// A series with one value per category.
        public init(name: String, values: [Double], color: RGB) {
            self.name = name
            self.values = values
            self.color = color
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The category names along the x axis, left to right.
    public var categories: [String]
    /// The series, drawn side by side within each category in this order.
    public var series: [Series]
    /// The vertical axis title (may be empty).
    public var yLabel: String
    /// The horizontal axis title (may be empty).
    public var xLabel: String
    /// printf format for the value labels; it receives a Double. Ending in "%%" marks percentages.
    public var valueFormat: String
    /// nil: a nice range including 0 and every value.
    public var yRange: ClosedRange<Double>?

    /// A grouped bar chart; values print as percentages ("%.1f%%") unless `valueFormat` says
    /// otherwise.
    public init(title: String, subtitle: String = "", categories: [String], series: [Series],
                yLabel: String = "", valueFormat: String = "%.1f%%", yRange: ClosedRange<Double>? = nil,
                xLabel: String = "") {
        self.title = title
        self.subtitle = subtitle
        self.categories = categories
        self.series = series
        self.yLabel = yLabel
        self.xLabel = xLabel
        self.valueFormat = valueFormat
        self.yRange = yRange
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !categories.isEmpty else { throw FigureError.invalidData("grouped bar chart has no categories") }
        guard !series.isEmpty else { throw FigureError.invalidData("grouped bar chart has no series") }
        for s in series {
            guard s.values.count == categories.count else {
                throw FigureError.invalidData("series \"\(s.name)\" has \(s.values.count) values but there are \(categories.count) categories")
            }
            if let bad = s.values.first(where: { !$0.isFinite }) {
                throw FigureError.invalidData("series \"\(s.name)\" has a value \(bad) that is not finite")
            }
        }
        if let yRange, !(yRange.upperBound > yRange.lowerBound) || !yRange.lowerBound.isFinite || !yRange.upperBound.isFinite {
            throw FigureError.invalidData("yRange \(yRange) must be a finite, non-empty range")
        }
    }

    /// True when the values are percentages (the format ends in "%%").
    public var isPercentage: Bool { valueFormat.hasSuffix("%%") }

    private var allValues: [Double] { series.flatMap(\.values).filter(\.isFinite) }

    /// The y range drawn: `yRange` when set, else a nice range including 0 and every finite value.
    public var resolvedYRange: ClosedRange<Double> {
        if let yRange { return yRange }
        return niceRange(min(0, allValues.min() ?? 0), max(0, allValues.max() ?? 1))
    }

    /// The printed value of each bar: [series][category].
    var valueTexts: [[String]] { series.map { $0.values.map { formatNumber($0, format: valueFormat) } } }

    /// Every string the chart draws (to check glyph coverage).
    public var labels: [String] {
        [title, subtitle, yLabel, xLabel].filter { !$0.isEmpty } + categories + series.map(\.name) + valueTexts.flatMap { $0 }
    }

    // MARK: Layout

    private enum Geometry {
        static let tickLength = 5.0
        static let tickGap = 4.0
        static let axisTitleGap = 10.0
        static let valueGap = 4.0
        static let groupFraction = 0.8
        static let barGap = 3.0
        static let minBarWidth = 26.0
        static let minPlotHeight = 300.0
        static let legendGap = 12.0
        static let rightPad = 12.0
    }

    private var plotHeight: Double {
        max(Geometry.minPlotHeight, TextMeasurer().width(yLabel, size: FigureStyle.axisTitleSize) + 16)
    }

    private func yTicks(plotHeight: Double) -> [Double] {
        let r = resolvedYRange
        return niceTicks(from: r.lowerBound, to: r.upperBound, maxCount: max(2, min(8, Int(plotHeight / 45) + 1)))
    }

    private func yTickLabels(_ ticks: [Double]) -> [String] {
        tickLabels(ticks).map { isPercentage ? $0 + "%" : $0 }
    }

    private func leftArea(_ m: TextMeasurer, plotHeight: Double) -> Double {
        let labels = yTickLabels(yTicks(plotHeight: plotHeight))
        var w = (labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0) + Geometry.tickLength + Geometry.tickGap
        if !yLabel.isEmpty { w += Geometry.axisTitleGap + m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) }
        return w
    }

    private func categoryMetrics(_ m: TextMeasurer) -> [TextMetrics] {
        categories.map { m.metrics($0, size: FigureStyle.labelSize) }
    }

    private var hasNegative: Bool { allValues.contains { $0 < 0 } }

    private func legend(maxWidth: Double, _ m: TextMeasurer) -> LegendLayout {
        LegendLayout.rows(series.map { LegendEntry(sample: .swatch(fill: $0.color, stroke: nil), label: $0.name) },
                          maxWidth: maxWidth, m)
    }

    private func topReserve(_ m: TextMeasurer) -> Double {
        m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap
    }

    private func bottomArea(_ m: TextMeasurer, _ labels: AxisLabels) -> Double {
        var h = labels.extent
        if hasNegative { h += m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap }
        if !xLabel.isEmpty { h += Geometry.axisTitleGap + m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) }
        return h
    }

    /// The slot (category width) at the preferred size: room for every bar's value label and, when it is
    /// not too long, the category label.
    private var preferredSlot: Double {
        let m = TextMeasurer()
        let valueW = valueTexts.joined().map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        let bar = max(Geometry.minBarWidth, valueW + 6)
        let s = Double(series.count)
        var slot = (s * bar + (s - 1) * Geometry.barGap) / Geometry.groupFraction
        let categoryW = categoryMetrics(m).map(\.width).max() ?? 0
        if categoryW + 16 <= 180 { slot = max(slot, categoryW + 16) }
        return slot
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let n = Double(max(1, categories.count))
        let plotWidth = max(320, preferredSlot * n, m.width(xLabel, size: FigureStyle.axisTitleSize) + 16)
        let labels = AxisLabels(metrics: categoryMetrics(m), slot: plotWidth / n, below: true)
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let left = max(leftArea(m, plotHeight: plotHeight), -labels.minX)
        let right = max(Geometry.rightPad, labels.maxX - plotWidth)
        let width = max(left + plotWidth + right, titles.width(m), legend(maxWidth: .infinity, m).size.width)
        let legendHeight = legend(maxWidth: width, m).size.height + Geometry.legendGap
        let height = titles.height(m) + legendHeight + topReserve(m) + plotHeight + bottomArea(m, labels)
        return Size(width: (width + 2 * FigureStyle.margin).rounded(.up), height: (height + 2 * FigureStyle.margin).rounded(.up))
    }

    struct Layout {
        var titleTop: Double
        var legend: LegendLayout
        var plot: Rect
        var labels: AxisLabels
        var slot: Double { plot.width / Double(max(1, labels.placements.count)) }
    }

    func layout(in frame: Rect, _ m: TextMeasurer) -> Layout {
        let inner = frame.insetBy(FigureStyle.margin)
        let titles = TitleBlock(title: title, subtitle: subtitle)
        var legend = legend(maxWidth: inner.width, m)
        legend = legend.offsetBy(dx: inner.midX - legend.size.width / 2, dy: inner.minY + titles.height(m))
        let top = inner.minY + titles.height(m) + legend.size.height + Geometry.legendGap + topReserve(m)
        let n = Double(max(1, categories.count))
        // The label layout depends on the slot width, which depends on the labels' overhang: iterate.
        var plotWidth = inner.width - leftArea(m, plotHeight: plotHeight) - Geometry.rightPad
        var labels = AxisLabels(metrics: categoryMetrics(m), slot: max(1, plotWidth / n), below: true)
        var left = 0.0, right = 0.0
        for _ in 0..<4 {
            let plotHeight = max(20, inner.maxY - top - bottomArea(m, labels))
            left = max(leftArea(m, plotHeight: plotHeight), -labels.minX)
            right = max(Geometry.rightPad, labels.maxX - plotWidth)
            plotWidth = max(20, inner.width - left - right)
            labels = AxisLabels(metrics: categoryMetrics(m), slot: plotWidth / n, below: true)
        }
        let plotHeight = max(20, inner.maxY - top - bottomArea(m, labels))
        let plot = Rect(x: inner.minX + left, y: top, width: plotWidth, height: plotHeight)
        return Layout(titleTop: inner.minY, legend: legend, plot: plot, labels: labels)
    }

    private func y(_ v: Double, _ plot: Rect) -> Double {
        let r = resolvedYRange
        return plot.maxY - (v - r.lowerBound) / (r.upperBound - r.lowerBound) * plot.height
    }

    /// Exactly where the bar of `series` in `category` is drawn inside `frame` (clamped to the plot area).
    public func barRect(category: Int, series: Int, in frame: Rect) -> Rect {
        barRect(category: category, series: series, layout(in: frame, TextMeasurer()))
    }

    private func barWidth(_ L: Layout) -> Double {
        let s = Double(series.count)
        return max(1, (L.slot * Geometry.groupFraction - (s - 1) * Geometry.barGap) / s)
    }

    private func barRect(category: Int, series index: Int, _ L: Layout) -> Rect {
        let plot = L.plot
        let w = barWidth(L)
        let s = Double(series.count)
        let group = s * w + (s - 1) * Geometry.barGap
        let x = plot.minX + (Double(category) + 0.5) * L.slot - group / 2 + Double(index) * (w + Geometry.barGap)
        let clamp = { (v: Double) in min(max(v, plot.minY), plot.maxY) }
        let y0 = clamp(y(0, plot)), y1 = clamp(y(series[index].values[category], plot))
        return Rect(x: x, y: min(y0, y1), width: w, height: abs(y1 - y0))
    }

    // MARK: Drawing

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        let plot = L.plot
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: L.titleTop)
        L.legend.draw(on: canvas)

        // Horizontal gridlines, y ticks and labels.
        let ticks = yTicks(plotHeight: plot.height)
        let yLabelsLeft = drawValueAxis(on: canvas, plot: plot, ticks: ticks, labels: yTickLabels(ticks),
                                        tickLength: Geometry.tickLength, tickGap: Geometry.tickGap) { y($0, plot) }

        // Bars with their values; the value labels shrink if a narrow frame leaves them too little room.
        let texts = valueTexts
        let room = barWidth(L) + Geometry.barGap - 2
        let widest = texts.joined().map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        let valueSize = widest > room ? max(7, FigureStyle.tickSize * room / widest) : FigureStyle.tickSize
        for (k, s) in series.enumerated() {
            for c in categories.indices {
                let rect = barRect(category: c, series: k, L)
                canvas.fillRect(rect, color: s.color)
                let negative = s.values[c] < 0
                canvas.text(texts[k][c], at: Point(x: rect.midX, y: negative ? rect.maxY + Geometry.valueGap : rect.minY - Geometry.valueGap),
                            size: valueSize, color: FigureStyle.text, alignment: .center,
                            verticalAlignment: negative ? .top : .bottom)
            }
        }
        let zeroY = min(max(y(0, plot), plot.minY), plot.maxY)
        canvas.line(from: Point(x: plot.minX, y: zeroY), to: Point(x: plot.maxX, y: zeroY), color: FigureStyle.axis, width: 1.2)

        var labelTop = plot.maxY
        if hasNegative { labelTop += m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap }
        L.labels.draw(categories, on: canvas, origin: Point(x: plot.minX, y: labelTop), size: FigureStyle.labelSize)
        if !xLabel.isEmpty {
            canvas.text(xLabel, at: Point(x: plot.midX, y: labelTop + L.labels.extent + Geometry.axisTitleGap),
                        size: FigureStyle.axisTitleSize, color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        }
        if !yLabel.isEmpty {
            let h = m.lineHeight(yLabel, size: FigureStyle.axisTitleSize)
            canvas.text(yLabel, at: Point(x: yLabelsLeft - Geometry.axisTitleGap - h / 2, y: plot.midY),
                        size: FigureStyle.axisTitleSize, color: FigureStyle.secondaryText, alignment: .center,
                        verticalAlignment: .middle, rotation: 90)
        }
        try canvas.checkStatus("draw grouped bar chart")
    }
}
