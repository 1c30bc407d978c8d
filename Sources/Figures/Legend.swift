import Foundation

// A legend of samples and labels, laid out ahead of drawing (like `TextItem`) so layouts can check it
// for overlap: entries side by side, wrapped and centred (under a title), or one per line (beside a plot).
// Also the wrapping of token boxes into lines. Used by GroupedBarChart, CorruptionStrip, SentencePairFigure and ScatterChart; LineChart shares its
// row wrapping (`flowRows`).

/// Places items of the given widths left to right, starting a new row when the next one would pass
/// `maxWidth`; `gap` between items in a row. Offsets are relative to the block's top-left corner.
func flowRows(widths: [Double], maxWidth: Double, gap: Double, rowHeight: Double) -> (offsets: [Point], size: Size) {
    var offsets: [Point] = []
    var x = 0.0, y = 0.0, width = 0.0
    for w in widths {
        if x > 0 && x + w > maxWidth {
            x = 0
            y += rowHeight
        }
        offsets.append(Point(x: x, y: y))
        width = max(width, x + w)
        x += w + gap
    }
    return (offsets, Size(width: width, height: widths.isEmpty ? 0 : y + rowHeight))
}

/// Splits boxes of the given widths (in order, `gap` apart) into lines no wider than `maxWidth` (a box
/// wider than that gets a line of its own), with lines of even length: the narrowest width that needs
/// no more lines than `maxWidth` does, so the last line is never one lonely box.
func balancedBoxLines(widths: [Double], gap: Double, maxWidth: Double) -> [Range<Int>] {
    func greedy(_ limit: Double) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = 0, x = 0.0
        for (i, w) in widths.enumerated() {
            if i > start && x + gap + w > limit {
                lines.append(start..<i)
                start = i
                x = w
            } else {
                x += (i > start ? gap : 0) + w
            }
        }
        if start < widths.count { lines.append(start..<widths.count) }
        return lines
    }
    let lines = greedy(maxWidth)
    guard lines.count > 1 else { return lines }
    var lo = widths.max() ?? 0, hi = maxWidth
    if greedy(lo).count <= lines.count { return greedy(lo) }
    for _ in 0..<40 where hi - lo > 0.5 {
        let mid = (lo + hi) / 2
        if greedy(mid).count <= lines.count { hi = mid } else { lo = mid }
    }
    return greedy(hi)
}

struct LegendEntry {
    enum Sample {
        /// A filled square, optionally outlined.
        case swatch(fill: RGB, stroke: RGB?)
        /// A filled square followed by a short bold tag in `tagColor` (a kind drawn both ways in the figure).
        case taggedSwatch(fill: RGB, tag: String, tagColor: RGB)
        /// A round marker as in a scatter or line chart, on a short line when `line` is true.
        case marker(color: RGB, line: Bool)
    }

    var sample: Sample
    var label: String
}

/// A laid-out legend: where each sample and text goes. Positions are absolute once `offsetBy` has moved it.
struct LegendLayout {
    static let swatch = 14.0
    static let sampleGap = 6.0
    static let entryGap = 18.0
    static let rowHeight = 22.0
    static let textSize = FigureStyle.tickSize
    static let tagSize = 11.0
    static let lineSample = 26.0
    static let markerRadius = 4.5

    var entries: [LegendEntry]
    /// The sample area of each entry (the swatch, or the line/marker's box).
    var samples: [Rect]
    var texts: [TextItem]
    var size: Size

    private static func sampleWidth(_ sample: LegendEntry.Sample, _ m: TextMeasurer) -> Double {
        switch sample {
        case .swatch: return swatch
        case .taggedSwatch(_, let tag, _): return swatch + 5 + m.width(tag, size: tagSize, weight: .bold)
        case .marker(_, let line): return line ? lineSample : 2 * markerRadius + 2
        }
    }

    static func entryWidth(_ entry: LegendEntry, _ m: TextMeasurer) -> Double {
        sampleWidth(entry.sample, m) + sampleGap + m.width(entry.label, size: textSize)
    }

    /// Entries side by side, wrapped at `maxWidth`, each row centred; top-left at (0, 0).
    static func rows(_ entries: [LegendEntry], maxWidth: Double, _ m: TextMeasurer) -> LegendLayout {
        let widths = entries.map { entryWidth($0, m) }
        let flow = flowRows(widths: widths, maxWidth: maxWidth, gap: entryGap, rowHeight: rowHeight)
        // Centre each row within the block.
        var rowWidths: [Double: Double] = [:]
        for (o, w) in zip(flow.offsets, widths) { rowWidths[o.y] = max(rowWidths[o.y] ?? 0, o.x + w) }
        let offsets = flow.offsets.map { Point(x: $0.x + (flow.size.width - (rowWidths[$0.y] ?? 0)) / 2, y: $0.y) }
        return place(entries, offsets: offsets, size: flow.size, m)
    }

    /// One entry per line; top-left at (0, 0).
    static func column(_ entries: [LegendEntry], _ m: TextMeasurer) -> LegendLayout {
        let offsets = entries.indices.map { Point(x: 0, y: Double($0) * rowHeight) }
        let width = entries.map { entryWidth($0, m) }.max() ?? 0
        return place(entries, offsets: offsets, size: Size(width: width, height: Double(entries.count) * rowHeight), m)
    }

    private static func place(_ entries: [LegendEntry], offsets: [Point], size: Size, _ m: TextMeasurer) -> LegendLayout {
        var samples: [Rect] = [], texts: [TextItem] = []
        for (entry, o) in zip(entries, offsets) {
            let midY = o.y + rowHeight / 2
            let w = sampleWidth(entry.sample, m)
            switch entry.sample {
            case .swatch:
                samples.append(Rect(x: o.x, y: midY - swatch / 2, width: swatch, height: swatch))
            case .taggedSwatch(_, let tag, let tagColor):
                samples.append(Rect(x: o.x, y: midY - swatch / 2, width: swatch, height: swatch))
                texts.append(TextItem(text: tag, at: Point(x: o.x + swatch + 5, y: midY), size: tagSize, weight: .bold,
                                      color: tagColor, verticalAlignment: .middle))
            case .marker:
                samples.append(Rect(x: o.x, y: midY - markerRadius - 1, width: w, height: 2 * markerRadius + 2))
            }
            texts.append(TextItem(text: entry.label, at: Point(x: o.x + w + sampleGap, y: midY), size: textSize,
                                  color: FigureStyle.text, verticalAlignment: .middle))
        }
        return LegendLayout(entries: entries, samples: samples, texts: texts, size: size)
    }

    func offsetBy(dx: Double, dy: Double) -> LegendLayout {
        var l = self
        l.samples = samples.map { $0.offsetBy(dx: dx, dy: dy) }
        l.texts = texts.map { $0.offsetBy(dx: dx, dy: dy) }
        return l
    }

    /// The bounds of the legend's ink.
    var frame: Rect? {
        guard let first = samples.first else { return nil }
        return samples.dropFirst().reduce(first) { $0.union($1) }
    }

    /// Draws the samples (the texts are in `texts`; `draw` draws them too).
    func draw(on canvas: Canvas) {
        for (entry, r) in zip(entries, samples) {
            switch entry.sample {
            case .swatch(let fill, let stroke):
                canvas.fillRect(r, color: fill)
                if let stroke { canvas.strokeRect(r.insetBy(0.5), color: stroke, width: 1) }
            case .taggedSwatch(let fill, _, let tagColor):
                canvas.roundedRect(r.insetBy(0.5), radius: 3, fill: fill, stroke: tagColor, strokeWidth: 1)
            case .marker(let color, let line):
                if line {
                    canvas.line(from: Point(x: r.minX, y: r.midY), to: Point(x: r.maxX, y: r.midY), color: color, width: 2)
                }
                canvas.circle(center: r.center, radius: Self.markerRadius, fill: color, stroke: .white, strokeWidth: 1.2)
            }
        }
        for item in texts { item.draw(on: canvas) }
    }
}
