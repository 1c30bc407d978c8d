import Foundation

/// Vertical bars with category labels, the value printed on each bar, and an optional highlighted bar
/// (e.g. next-token probabilities with the chosen token highlighted).
public struct BarChart: Chart, Sendable {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// One label per bar, left to right.
    public var categories: [String]
    /// The bar heights, one per category; all must be finite.
    public var values: [Double]
    /// The horizontal axis title (may be empty).
    public var xLabel: String
    /// The vertical axis title (may be empty).
    public var yLabel: String
    /// The 0-based index of the bar drawn in `highlightColor`; nil: none.
    public var highlightIndex: Int?
    /// printf format for the value labels; it receives a Double.
    public var valueFormat: String
    /// The colour of ordinary bars.
    public var barColor: RGB
    /// The colour of the highlighted bar.
    public var highlightColor: RGB
    /// nil: a nice range including 0 and every value.
    public var yRange: ClosedRange<Double>?

    /// A bar chart of `values`, one per category.
    public init(title: String, categories: [String], values: [Double], subtitle: String = "",
                xLabel: String = "", yLabel: String = "", highlightIndex: Int? = nil, valueFormat: String = "%.2f",
                barColor: RGB = RGB(hex: 0x4E79A7), highlightColor: RGB = RGB(hex: 0xE15759),
                yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.categories = categories
        self.values = values
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.highlightIndex = highlightIndex
        self.valueFormat = valueFormat
        self.barColor = barColor
        self.highlightColor = highlightColor
        self.yRange = yRange
    }

    /// The same chart from `Float`s (probabilities straight from a model).
    public init(title: String, categories: [String], values: [Float], subtitle: String = "",
                xLabel: String = "", yLabel: String = "", highlightIndex: Int? = nil, valueFormat: String = "%.2f",
                barColor: RGB = RGB(hex: 0x4E79A7), highlightColor: RGB = RGB(hex: 0xE15759),
                yRange: ClosedRange<Double>? = nil) {
        self.init(title: title, categories: categories, values: values.map(Double.init), subtitle: subtitle,
                  xLabel: xLabel, yLabel: yLabel, highlightIndex: highlightIndex, valueFormat: valueFormat,
                  barColor: barColor, highlightColor: highlightColor, yRange: yRange)
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !values.isEmpty else { throw FigureError.invalidData("bar chart has no bars") }
        guard categories.count == values.count else {
            throw FigureError.invalidData("bar chart has \(values.count) values but \(categories.count) category labels")
        }
        if let bad = values.first(where: { !$0.isFinite }) {
            throw FigureError.invalidData("bar value \(bad) is not finite")
        }
        if let h = highlightIndex, !values.indices.contains(h) {
            throw FigureError.invalidData("highlightIndex \(h) is outside 0..<\(values.count)")
        }
        if let yRange, !(yRange.upperBound > yRange.lowerBound) {
            throw FigureError.invalidData("yRange \(yRange) is empty")
        }
    }

    /// The y range drawn: `yRange` when set, else a nice range including 0 and every finite value.
    public var resolvedYRange: ClosedRange<Double> {
        if let yRange { return yRange }
        let finite = values.filter(\.isFinite)
        return niceRange(min(0, finite.min() ?? 0), max(0, finite.max() ?? 1))
    }

    private enum Geometry {
        static let tickLength = 5.0
        static let tickGap = 4.0
        static let axisTitleGap = 10.0
        static let valueGap = 4.0
        static let barFraction = 0.68
        static let minPlotHeight = 300.0
    }

    /// Tall enough for the rotated y-axis title.
    private var plotHeight: Double {
        max(Geometry.minPlotHeight, TextMeasurer().width(yLabel, size: FigureStyle.axisTitleSize) + 16)
    }

    private var labelsText: [String] { values.map { formatNumber($0, format: valueFormat) } }

    private func yTicks(plotHeight: Double) -> [Double] {
        let r = resolvedYRange
        return niceTicks(from: r.lowerBound, to: r.upperBound, maxCount: max(2, min(8, Int(plotHeight / 45) + 1)))
    }

    private func leftArea(_ m: TextMeasurer, plotHeight: Double) -> Double {
        let labels = tickLabels(yTicks(plotHeight: plotHeight))
        var w = (labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0) + Geometry.tickLength + Geometry.tickGap
        if !yLabel.isEmpty { w += Geometry.axisTitleGap + m.lineHeight(yLabel, size: FigureStyle.axisTitleSize) }
        return w
    }

    private func categoryMetrics(_ m: TextMeasurer) -> [TextMetrics] {
        categories.enumerated().map { m.metrics($0.element, size: FigureStyle.labelSize, weight: $0.offset == highlightIndex ? .bold : .regular) }
    }

    private var preferredSlot: Double {
        let m = TextMeasurer()
        let valueW = labelsText.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        let categoryW = categoryMetrics(m).map(\.width).max() ?? 0
        var slot = max(52, valueW / Geometry.barFraction + 8)
        if categoryW + 12 <= 110 { slot = max(slot, categoryW + 12) }
        return slot
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let slot = preferredSlot
        let plotWidth = max(320, slot * Double(values.count), m.width(xLabel, size: FigureStyle.axisTitleSize) + 16)
        let labels = AxisLabels(metrics: categoryMetrics(m), slot: plotWidth / Double(max(1, values.count)), below: true)
        let titles = TitleBlock(title: title, subtitle: subtitle)
        let left = max(leftArea(m, plotHeight: plotHeight), -labels.minX)
        let right = max(12, labels.maxX - plotWidth)
        let width = 2 * FigureStyle.margin + left + plotWidth + right
        let height = 2 * FigureStyle.margin + titles.height(m) + topReserve(m) + plotHeight + bottomArea(m, labels)
        return Size(width: max(width, titles.width(m) + 2 * FigureStyle.margin).rounded(.up), height: height.rounded(.up))
    }

    private func topReserve(_ m: TextMeasurer) -> Double {
        m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap
    }

    private func bottomArea(_ m: TextMeasurer, _ labels: AxisLabels) -> Double {
        var h = labels.extent
        if values.contains(where: { $0 < 0 }) { h += m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap }
        if !xLabel.isEmpty { h += Geometry.axisTitleGap + m.lineHeight(xLabel, size: FigureStyle.axisTitleSize) }
        return h
    }

    struct Layout {
        var titleTop: Double
        var plot: Rect
        var labels: AxisLabels
        var slot: Double { plot.width / Double(max(1, labels.placements.count)) }
    }

    func layout(in frame: Rect, _ m: TextMeasurer) -> Layout {
        let inner = frame.insetBy(FigureStyle.margin)
        let top = inner.minY + TitleBlock(title: title, subtitle: subtitle).height(m) + topReserve(m)
        let n = Double(max(1, values.count))
        // The label layout depends on the slot width, which depends on the labels' overhang: iterate.
        var plotWidth = inner.width - leftArea(m, plotHeight: plotHeight) - 12
        var labels = AxisLabels(metrics: categoryMetrics(m), slot: max(1, plotWidth / n), below: true)
        var left = 0.0, right = 0.0
        for _ in 0..<4 {
            let plotHeight = max(20, inner.maxY - top - bottomArea(m, labels))
            left = max(leftArea(m, plotHeight: plotHeight), -labels.minX)
            right = max(12, labels.maxX - plotWidth)
            plotWidth = max(20, inner.width - left - right)
            labels = AxisLabels(metrics: categoryMetrics(m), slot: plotWidth / n, below: true)
        }
        let plotHeight = max(20, inner.maxY - top - bottomArea(m, labels))
        let plot = Rect(x: inner.minX + left, y: top, width: plotWidth, height: plotHeight)
        return Layout(titleTop: inner.minY, plot: plot, labels: labels)
    }

    private func y(_ v: Double, _ plot: Rect) -> Double {
        let r = resolvedYRange
        return plot.maxY - (v - r.lowerBound) / (r.upperBound - r.lowerBound) * plot.height
    }

    /// Exactly where bar `index` is drawn inside `frame` (clamped to the plot area).
    public func barRect(index: Int, in frame: Rect) -> Rect {
        barRect(index: index, layout(in: frame, TextMeasurer()))
    }

    private func barRect(index: Int, _ L: Layout) -> Rect {
        let plot = L.plot
        let slot = L.slot
        let w = slot * Geometry.barFraction
        let clamp = { (v: Double) in min(max(v, plot.minY), plot.maxY) }
        let y0 = clamp(y(0, plot)), y1 = clamp(y(values[index], plot))
        return Rect(x: plot.minX + (Double(index) + 0.5) * slot - w / 2, y: min(y0, y1), width: w, height: abs(y1 - y0))
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let m = TextMeasurer()
        let L = layout(in: frame, m)
        let plot = L.plot
        TitleBlock(title: title, subtitle: subtitle).draw(on: canvas, centerX: frame.midX, top: L.titleTop)

        // Horizontal gridlines, y ticks and labels.
        let ticks = yTicks(plotHeight: plot.height)
        let yLabelsLeft = drawValueAxis(on: canvas, plot: plot, ticks: ticks, labels: tickLabels(ticks),
                                        tickLength: Geometry.tickLength, tickGap: Geometry.tickGap) { y($0, plot) }

        // Bars with their values.
        let texts = labelsText
        for i in values.indices {
            let rect = barRect(index: i, L)
            let color = i == highlightIndex ? highlightColor : barColor
            canvas.fillRect(rect, color: color)
            let negative = values[i] < 0
            canvas.text(texts[i], at: Point(x: rect.midX, y: negative ? rect.maxY + Geometry.valueGap : rect.minY - Geometry.valueGap),
                        size: FigureStyle.tickSize, weight: i == highlightIndex ? .bold : .regular,
                        color: FigureStyle.text, alignment: .center, verticalAlignment: negative ? .top : .bottom)
        }
        // Baseline at zero (or the bottom of the range).
        let zeroY = min(max(y(0, plot), plot.minY), plot.maxY)
        canvas.line(from: Point(x: plot.minX, y: zeroY), to: Point(x: plot.maxX, y: zeroY), color: FigureStyle.axis, width: 1.2)

        // Category labels under the plot (below negative bars' value labels if any).
        var labelTop = plot.maxY
        if values.contains(where: { $0 < 0 }) { labelTop += m.lineHeight(size: FigureStyle.tickSize) + Geometry.valueGap }
        L.labels.draw(categories, on: canvas, origin: Point(x: plot.minX, y: labelTop), size: FigureStyle.labelSize,
                      weight: { $0 == highlightIndex ? .bold : .regular },
                      color: { $0 == highlightIndex ? highlightColor.mixed(with: .black, 0.25) : FigureStyle.text })

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
        try canvas.checkStatus("draw bar chart")
    }
}
