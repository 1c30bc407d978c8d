import Foundation

// MARK: - Numbers

/// "Nice" tick values (multiples of 1, 2, 2.5 or 5 × 10ⁿ) between `lo` and `hi`, at most `maxCount`.
func niceTicks(from lo: Double, to hi: Double, maxCount: Int = 6) -> [Double] {
    guard lo.isFinite, hi.isFinite else { return [] }
    guard hi > lo else { return [lo] }
    var step = niceStep((hi - lo) / Double(max(1, maxCount - 1)))
    var ticks = ticksWithStep(step, lo, hi)
    while ticks.count > max(2, maxCount) {
        step = niceStep(step * 1.01)
        ticks = ticksWithStep(step, lo, hi)
    }
    return ticks
}

/// The distance between consecutive ticks of `ticks` (0 for fewer than two).
func tickStep(_ ticks: [Double]) -> Double {
    ticks.count >= 2 ? ticks[1] - ticks[0] : 0
}

/// A range extended outwards to whole nice steps: `niceRange(0.07, 2.31)` is 0...2.5.
func niceRange(_ lo: Double, _ hi: Double, maxCount: Int = 6) -> ClosedRange<Double> {
    var lo = lo, hi = hi
    if !(lo.isFinite && hi.isFinite) { return 0...1 }
    if hi < lo { swap(&lo, &hi) }
    if hi == lo {
        let pad = lo == 0 ? 1 : abs(lo) * 0.5
        lo -= pad; hi += pad
    }
    let step = niceStep((hi - lo) / Double(max(1, maxCount - 1)))
    // Tolerant inwards: a bound already on a step stays where it is.
    let a = (lo / step + 1e-9).rounded(.down) * step
    let b = (hi / step - 1e-9).rounded(.up) * step
    return a...b
}

func niceStep(_ rough: Double) -> Double {
    guard rough > 0, rough.isFinite else { return 1 }
    let exponent = floor(log10(rough))
    let power = pow(10, exponent)
    let fraction = rough / power
    let nice: Double
    if fraction <= 1.0000001 { nice = 1 }
    else if fraction <= 2.0000001 { nice = 2 }
    else if fraction <= 2.5000001 { nice = 2.5 }
    else if fraction <= 5.0000001 { nice = 5 }
    else { nice = 10 }
    return nice * power
}

private func ticksWithStep(_ step: Double, _ lo: Double, _ hi: Double) -> [Double] {
    let first = (lo / step - 1e-9).rounded(.up)
    let last = (hi / step + 1e-9).rounded(.down)
    guard last >= first, last - first < 1000 else { return [] }
    return stride(from: first, through: last, by: 1).map { k in
        let v = k * step
        return abs(v) < step * 1e-9 ? 0 : v
    }
}

/// The number of decimals needed to print multiples of `step` exactly (0.25 → 2, 0.2 → 1, 5 → 0).
func decimals(forStep step: Double) -> Int {
    guard step > 0, step.isFinite else { return 0 }
    for d in 0...8 {
        let scaled = step * pow(10, Double(d))
        if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { return d }
    }
    return 8
}

/// Formats a number with a printf format (e.g. "%.2f"), using a real minus sign, no "−0.00", and
/// thousands separators in the whole part ("12,345.6", as the terminal prints counts).
func formatNumber(_ value: Double, format: String = "%.2f") -> String {
    if value.isNaN { return "NaN" }
    if value == .infinity { return "+∞" }
    if value == -.infinity { return "−∞" }
    var s = groupThousands(String(format: format, value))
    if s.hasPrefix("-") {
        let digits = s.dropFirst()
        if digits.allSatisfy({ $0 == "0" || $0 == "." || $0 == "," }) {
            s = String(digits)
        } else {
            s = "−" + digits
        }
    }
    return s
}

/// `text` with commas between groups of three in its first run of digits when that run is the whole
/// part of a plain number (four or more digits, not followed by an exponent): "-12345.60" →
/// "-12,345.60", "1000%" → "1,000%"; "1e+06" and "0.0001" are left alone.
func groupThousands(_ text: String) -> String {
    let chars = Array(text)
    var start = 0
    if start < chars.count, chars[start] == "-" || chars[start] == "+" { start += 1 }
    var end = start
    while end < chars.count, chars[end].isASCII, chars[end].isNumber { end += 1 }
    guard end - start > 3, !chars[end...].contains(where: { $0 == "e" || $0 == "E" }) else { return text }
    var digits = String(chars[start..<end])
    var index = digits.count - 3
    while index > 0 {
        digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
        index -= 3
    }
    return String(chars[..<start]) + digits + String(chars[end...])
}

/// Tick labels sharing one number of decimals.
func tickLabels(_ ticks: [Double]) -> [String] {
    let d = decimals(forStep: tickStep(ticks))
    return ticks.map { formatNumber($0, format: "%.\(d)f") }
}

// MARK: - Title block

/// A centred title with an optional subtitle under it.
struct TitleBlock {
    var title: String
    var subtitle: String
    /// Space between the block and what follows.
    var gapBelow = 18.0
    /// A figure made of panels titles itself larger, so its panels' titles read as smaller.
    var titleSize = FigureStyle.titleSize

    var isEmpty: Bool { title.isEmpty && subtitle.isEmpty }

    func height(_ m: TextMeasurer) -> Double {
        if isEmpty { return 0 }
        var h = 0.0
        if !title.isEmpty { h += m.lineHeight(title, size: titleSize, weight: .bold) }
        if !subtitle.isEmpty {
            if !title.isEmpty { h += 4 }
            h += m.lineHeight(subtitle, size: FigureStyle.subtitleSize)
        }
        return h + gapBelow
    }

    func width(_ m: TextMeasurer) -> Double {
        max(m.width(title, size: titleSize, weight: .bold),
            m.width(subtitle, size: FigureStyle.subtitleSize))
    }

    /// Draws the block with its top at `top`, centred on `centerX`.
    func draw(on canvas: Canvas, centerX: Double, top: Double) {
        var y = top
        if !title.isEmpty {
            let r = canvas.text(title, at: Point(x: centerX, y: y), size: titleSize, weight: .bold,
                                color: FigureStyle.text, alignment: .center, verticalAlignment: .top)
            y = r.maxY + 4
        }
        if !subtitle.isEmpty {
            canvas.text(subtitle, at: Point(x: centerX, y: y), size: FigureStyle.subtitleSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .top)
        }
    }
}

// MARK: - Colour bar

/// A vertical colour bar: gradient, ticks with numbers at the right, an optional rotated label,
/// and optionally a swatch explaining masked cells.
struct ColorBar {
    var colorMap: ColorMap
    var range: ClosedRange<Double>
    var label: String
    var maskedLegend: String?
    var barWidth = 16.0
    var tickLength = 4.0
    var tickGap = 3.0
    var labelGap = 10.0
    static let swatch = 14.0
    static let swatchGap = 12.0

    func ticks(forHeight height: Double) -> [Double] {
        niceTicks(from: range.lowerBound, to: range.upperBound, maxCount: max(2, min(7, Int(height / 36) + 1)))
    }

    /// Width from the bar's left edge to the rightmost ink, for a bar of `height`.
    func width(height: Double, _ m: TextMeasurer) -> Double {
        let labels = tickLabels(ticks(forHeight: height))
        let tickW = labels.map { m.width($0, size: FigureStyle.tickSize) }.max() ?? 0
        var w = barWidth + tickLength + tickGap + tickW
        if !label.isEmpty { w += labelGap + m.lineHeight(label, size: FigureStyle.labelSize) }
        if let maskedLegend {
            w = max(w, Self.swatch + 6 + m.width(maskedLegend, size: FigureStyle.tickSize))
        }
        return w
    }

    /// Extra height below the bar (the masked-cell swatch).
    var heightBelow: Double { maskedLegend == nil ? 0 : Self.swatchGap + Self.swatch }

    /// Half a tick label sticks out above the top and below the bottom of the bar.
    func overhang(_ m: TextMeasurer) -> Double {
        m.lineHeight(size: FigureStyle.tickSize) / 2
    }

    func draw(on canvas: Canvas, bar: Rect) {
        canvas.fillGradient(bar, colorMap: colorMap)
        canvas.strokeRect(bar, color: RGB(hex: 0x888888), width: 0.75)
        let ticks = ticks(forHeight: bar.height)
        let labels = tickLabels(ticks)
        let span = range.upperBound - range.lowerBound
        var labelRight = bar.maxX
        for (value, text) in zip(ticks, labels) {
            let t = span > 0 ? (value - range.lowerBound) / span : 0.5
            let y = bar.maxY - t * bar.height
            canvas.line(from: Point(x: bar.maxX, y: y), to: Point(x: bar.maxX + tickLength, y: y),
                        color: FigureStyle.axis, width: 1)
            let r = canvas.text(text, at: Point(x: bar.maxX + tickLength + tickGap, y: y), size: FigureStyle.tickSize,
                                color: FigureStyle.secondaryText, verticalAlignment: .middle)
            labelRight = max(labelRight, r.maxX)
        }
        if !label.isEmpty {
            let h = canvas.textMetrics(label, size: FigureStyle.labelSize).height
            canvas.text(label, at: Point(x: labelRight + labelGap + h / 2, y: bar.midY), size: FigureStyle.labelSize,
                        color: FigureStyle.secondaryText, alignment: .center, verticalAlignment: .middle,
                        rotation: 90)
        }
        if let maskedLegend {
            let swatch = Rect(x: bar.minX, y: bar.maxY + Self.swatchGap, width: Self.swatch, height: Self.swatch)
            drawMaskedCell(on: canvas, swatch, text: nil, textSize: 0)
            canvas.strokeRect(swatch, color: RGB(hex: 0x888888), width: 0.75)
            canvas.text(maskedLegend, at: Point(x: swatch.maxX + 6, y: swatch.midY), size: FigureStyle.tickSize,
                        color: FigureStyle.secondaryText, verticalAlignment: .middle)
        }
    }
}

/// A cell holding a non-finite value: light grey, hatched, optionally labelled ("−∞").
func drawMaskedCell(on canvas: Canvas, _ rect: Rect, text: String?, textSize: Double) {
    canvas.fillRect(rect, color: FigureStyle.maskedFill)
    canvas.hatch(rect, color: FigureStyle.maskedHatch, spacing: 5, width: 1)
    if let text, textSize > 0 {
        // A small plate behind the text keeps it legible over the hatching.
        let m = canvas.textMetrics(text, size: textSize)
        let plate = Rect(x: rect.midX - m.width / 2 - 3, y: rect.midY - m.height / 2,
                         width: m.width + 6, height: m.height)
        if rect.contains(plate) { canvas.fillRect(plate, color: FigureStyle.maskedFill) }
        canvas.text(text, at: rect.center, size: textSize, color: FigureStyle.maskedText,
                    alignment: .center, verticalAlignment: .middle)
    }
}

// MARK: - Category labels along a horizontal axis

/// One label placed under (or over) a slot of a horizontal axis.
struct AxisLabelPlacement {
    /// Relative to the axis start (x) and the axis line (y).
    var anchor: Point
    var alignment: HorizontalAlignment
    var verticalAlignment: VerticalAlignment
    /// Axis-aligned bounds of the (possibly rotated) label, same coordinates as `anchor`.
    var bounds: Rect
}

/// Labels for consecutive slots of width `slot`: horizontal when every label fits its slot, else at 45°
/// (when the slots leave room between the slanted lines), else vertical. Rotated labels end at their
/// slot's centre (below the axis) or start there (above it), so they never overlap each other.
/// CJK labels are never slanted: vertical, they stack their characters upright (Pango's gravity)
/// and run top to bottom (rotation −90°), the way vertical Chinese is read; a Latin run inside such a
/// label turns with the line, so "BPE 分词" still reads B, P, E, 分, 词 from the top.
struct AxisLabels {
    var rotation: Double
    var placements: [AxisLabelPlacement]
    /// Horizontal extent of all labels relative to the axis start (may be negative / beyond the axis end).
    var minX: Double
    var maxX: Double
    /// How far the labels reach away from the axis line, gap included.
    var extent: Double

    /// Measures `labels` itself, both flat and as vertical labels (which differ for CJK).
    init(labels: [String], size: Double, _ m: TextMeasurer, slot: Double, below: Bool, gap: Double = 6) {
        let upright = labels.contains(where: containsCJK)
        self.init(metrics: labels.map { m.metrics($0, size: size) }, slot: slot, below: below, gap: gap,
                  noSlant: upright, verticalMetrics: upright ? labels.map { m.metrics($0, size: size, rotation: -90) } : nil,
                  verticalRotation: upright ? -90 : 90)
    }

    /// `noSlant`: vertical rather than 45° when the labels do not fit flat. `verticalMetrics`: the
    /// labels measured as drawn vertically, when that differs from `metrics`. `verticalRotation`:
    /// 90 (read bottom to top, Latin) or −90 (top to bottom, CJK).
    init(metrics: [TextMetrics], slot: Double, below: Bool, gap: Double = 6, noSlant: Bool = false,
         verticalMetrics: [TextMetrics]? = nil, verticalRotation: Double = 90) {
        let maxWidth = metrics.map(\.width).max() ?? 0
        let lineHeight = metrics.map(\.height).max() ?? 0
        // A lone label has no neighbour to collide with: flat while it is at most twice its slot,
        // so a one-column strip keeps one height whatever its label (lesson 7's decoding steps).
        if maxWidth <= slot - 6 || (metrics.count == 1 && maxWidth <= 2 * slot) { rotation = 0 }
        else if !noSlant && slot * sin(.pi / 4) >= lineHeight + 2 { rotation = 45 }
        else { rotation = verticalRotation }
        let metrics = abs(rotation) == 90 ? (verticalMetrics ?? metrics) : metrics
        let alignment: HorizontalAlignment
        let vertical: VerticalAlignment
        switch (rotation, below) {
        case (0, true): alignment = .center; vertical = .top
        case (0, false): alignment = .center; vertical = .bottom
        case (-90, true): alignment = .left; vertical = .middle
        case (-90, false): alignment = .right; vertical = .middle
        case (_, true): alignment = .right; vertical = .middle
        default: alignment = .left; vertical = .middle
        }
        var placements: [AxisLabelPlacement] = []
        var minX = 0.0, maxX = Double(metrics.count) * slot, extent = 0.0
        for (j, m) in metrics.enumerated() {
            let cx = (Double(j) + 0.5) * slot
            var b = m.bounds(at: Point(x: cx, y: 0), alignment: alignment, verticalAlignment: vertical, rotation: rotation)
            let dy = below ? gap - b.minY : -gap - b.maxY
            b = b.offsetBy(dx: 0, dy: dy)
            placements.append(AxisLabelPlacement(anchor: Point(x: cx, y: dy), alignment: alignment,
                                                 verticalAlignment: vertical, bounds: b))
            minX = min(minX, b.minX)
            maxX = max(maxX, b.maxX)
            extent = max(extent, below ? b.maxY : -b.minY)
        }
        self.placements = placements
        self.minX = minX
        self.maxX = maxX
        self.extent = extent
    }

    /// Draws the labels for an axis starting at `origin` (x: axis start, y: axis line).
    func draw(_ labels: [String], on canvas: Canvas, origin: Point, size: Double,
              weight: (Int) -> FontWeight = { _ in .regular }, color: (Int) -> RGB = { _ in FigureStyle.text }) {
        for (j, label) in labels.enumerated() where j < placements.count {
            let p = placements[j]
            canvas.text(label, at: Point(x: origin.x + p.anchor.x, y: origin.y + p.anchor.y), size: size,
                        weight: weight(j), color: color(j), alignment: p.alignment,
                        verticalAlignment: p.verticalAlignment, rotation: rotation)
        }
    }
}

/// The value axis of a bar chart: a horizontal gridline, a tick mark and a right-aligned label
/// for every tick, then the axis line itself. `position` maps a value to its y in the plot.
/// Returns the leftmost x the labels reach, so the axis title can sit clear of them.
func drawValueAxis(on canvas: Canvas, plot: Rect, ticks: [Double], labels: [String],
                   tickLength: Double, tickGap: Double, position: (Double) -> Double) -> Double {
    var labelsLeft = plot.minX
    for (value, label) in zip(ticks, labels) {
        let y = position(value)
        canvas.line(from: Point(x: plot.minX, y: y), to: Point(x: plot.maxX, y: y), color: FigureStyle.grid, width: 1)
        canvas.line(from: Point(x: plot.minX - tickLength, y: y), to: Point(x: plot.minX, y: y),
                    color: FigureStyle.axis, width: 1)
        let rect = canvas.text(label, at: Point(x: plot.minX - tickLength - tickGap, y: y),
                               size: FigureStyle.tickSize, color: FigureStyle.secondaryText, alignment: .right,
                               verticalAlignment: .middle)
        labelsLeft = min(labelsLeft, rect.minX)
    }
    canvas.line(from: Point(x: plot.minX, y: plot.minY), to: Point(x: plot.minX, y: plot.maxY), color: FigureStyle.axis, width: 1)
    return labelsLeft
}
