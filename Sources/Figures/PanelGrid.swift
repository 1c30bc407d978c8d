import Foundation

/// Several charts in a grid under one overall title, e.g. four attention heads side by side.
/// Each column is as wide as its widest panel, each row as tall as its tallest; every panel keeps its
/// aspect ratio and is drawn at its own preferred size, scaled down uniformly when the grid has to
/// shrink (so text shrinks with the panel instead of crowding it), centred in its cell.
public struct PanelGrid: Chart {
    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// Panels per row.
    public var columns: Int
    /// The charts, filled in row by row.
    public var panels: [any Chart]
    /// Space between panels, in user units (≥ 0).
    public var gap: Double
    /// Put "(a)", "(b)", … at the top-left of each panel.
    public var panelLetters: Bool
    /// One legend for all panels, centred under the title (line samples and names): when every
    /// panel draws the same lines, once is enough. Empty: none.
    public var legend: [LegendEntry] = []

    /// A line sample and its name in the shared legend.
    public struct LegendEntry: Sendable {
        /// The name beside the sample.
        public var name: String
        /// The line's colour.
        public var color: RGB
        /// The line's width.
        public var lineWidth: Double

        /// An entry for a line of `color`.
        public init(name: String, color: RGB, lineWidth: Double = 2) {
            self.name = name
            self.color = color
            self.lineWidth = lineWidth
        }
    }

    private static let legendSample = 30.0
    private static let legendRow = 24.0
    private static let legendGap = 28.0

    private func legendWidths(_ m: TextMeasurer) -> [Double] {
        legend.map { Self.legendSample + 8 + m.width($0.name, size: FigureStyle.labelSize) }
    }

    private var legendHeight: Double { legend.isEmpty ? 0 : Self.legendRow + 8 }

    /// A grid of `panels`, `columns` per row.
    public init(title: String, columns: Int, panels: [any Chart], gap: Double = 24, subtitle: String = "",
                panelLetters: Bool = false) {
        self.title = title
        self.subtitle = subtitle
        self.columns = columns
        self.panels = panels
        self.gap = gap
        self.panelLetters = panelLetters
    }

    /// The number of rows the panels fill (0 when `columns` is not positive).
    public var rows: Int {
        columns > 0 ? (panels.count + columns - 1) / columns : 0
    }

    private var usedColumns: Int { max(1, min(columns, panels.count)) }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !panels.isEmpty else { throw FigureError.invalidData("panel grid has no panels") }
        guard columns > 0 else { throw FigureError.invalidData("panel grid needs at least one column (got \(columns))") }
        guard gap >= 0, gap.isFinite else { throw FigureError.invalidData("gap \(gap) must be ≥ 0") }
    }

    /// Column widths and row heights at the preferred size: the largest preferred width of the panels
    /// in each column, the largest preferred height of the panels in each row.
    private var naturalTracks: (columns: [Double], rows: [Double]) {
        let cols = usedColumns
        var widths = [Double](repeating: 0, count: cols)
        var heights = [Double](repeating: 0, count: max(1, (panels.count + cols - 1) / cols))
        for (i, panel) in panels.enumerated() {
            let size = panel.preferredSize
            widths[i % cols] = max(widths[i % cols], size.width)
            heights[i / cols] = max(heights[i / cols], size.height)
        }
        return (widths, heights)
    }

    /// The figure's title is larger than its panels' titles (which are `FigureStyle.titleSize`).
    private var titles: TitleBlock {
        TitleBlock(title: title, subtitle: subtitle, gapBelow: 8, titleSize: FigureStyle.titleSize + 4)
    }

    private func titleHeight(_ m: TextMeasurer) -> Double {
        (titles.isEmpty ? 0 : FigureStyle.margin + titles.height(m)) + legendHeight
    }

    /// Panels bring their own margins; the grid adds a small outer margin.
    private var outer: Double { FigureStyle.margin / 2 }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let m = TextMeasurer()
        let tracks = naturalTracks
        let gridWidth = tracks.columns.reduce(0, +) + Double(tracks.columns.count - 1) * gap
        let gridHeight = tracks.rows.reduce(0, +) + Double(tracks.rows.count - 1) * gap
        let width = max(gridWidth + 2 * outer, titles.width(m) + 2 * FigureStyle.margin)
        let height = titleHeight(m) + gridHeight + 2 * outer
        return Size(width: width.rounded(.up), height: height.rounded(.up))
    }

    /// The cell of panel `index` when drawn into `frame`: the grid keeps its proportions, shrinks
    /// uniformly if the frame is too small (never grows), and is centred under the title.
    public func cellRect(_ index: Int, in frame: Rect) -> Rect {
        let m = TextMeasurer()
        let tracks = naturalTracks
        let gridWidth = tracks.columns.reduce(0, +) + Double(tracks.columns.count - 1) * gap
        let gridHeight = tracks.rows.reduce(0, +) + Double(tracks.rows.count - 1) * gap
        let top = frame.minY + titleHeight(m) + outer
        let area = Rect(x: frame.minX + outer, y: top, width: max(1, frame.width - 2 * outer),
                        height: max(1, frame.maxY - outer - top))
        let k = min(1, area.width / gridWidth, area.height / gridHeight)
        let x0 = area.minX + (area.width - gridWidth * k) / 2
        let y0 = area.minY + (area.height - gridHeight * k) / 2
        let cols = tracks.columns.count
        let c = index % cols, r = index / cols
        let x = x0 + (tracks.columns[..<c].reduce(0, +) + Double(c) * gap) * k
        let y = y0 + (tracks.rows[..<r].reduce(0, +) + Double(r) * gap) * k
        return Rect(x: x, y: y, width: tracks.columns[c] * k, height: tracks.rows[r] * k)
    }

    /// Where panel `index` is drawn: its preferred size scaled to fit its cell (never enlarged), centred
    /// across and at the top of its cell, so the panel titles of a row line up.
    public func panelRect(_ index: Int, in frame: Rect) -> Rect {
        let cell = cellRect(index, in: frame)
        let preferred = panels[index].preferredSize
        let s = min(1, cell.width / preferred.width, cell.height / preferred.height)
        let w = preferred.width * s, h = preferred.height * s
        return Rect(x: cell.midX - w / 2, y: cell.minY, width: w, height: h)
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        if !titles.isEmpty {
            titles.draw(on: canvas, centerX: frame.midX, top: frame.minY + FigureStyle.margin)
        }
        if !legend.isEmpty {
            let m = TextMeasurer()
            let widths = legendWidths(m)
            let total = widths.reduce(0, +) + Double(widths.count - 1) * Self.legendGap
            var x = frame.midX - total / 2
            let y = frame.minY + titleHeight(m) - legendHeight + Self.legendRow / 2
            for (entry, width) in zip(legend, widths) {
                canvas.line(from: Point(x: x, y: y), to: Point(x: x + Self.legendSample, y: y), color: entry.color,
                            width: entry.lineWidth)
                canvas.text(entry.name, at: Point(x: x + Self.legendSample + 8, y: y), size: FigureStyle.labelSize,
                            color: FigureStyle.text, verticalAlignment: .middle)
                x += width + Self.legendGap
            }
        }
        for (i, panel) in panels.enumerated() {
            let target = panelRect(i, in: frame)
            let preferred = panel.preferredSize
            let s = target.width / preferred.width
            try canvas.withSavedState {
                canvas.clip(to: cellRect(i, in: frame))
                canvas.translate(dx: target.minX, dy: target.minY)
                canvas.scaleBy(s)
                try panel.draw(on: canvas, in: Rect(origin: .zero, size: preferred))
            }
            if panelLetters {
                let letter = "(" + String(UnicodeScalar(UInt8(97 + i % 26))) + ")"
                canvas.text(letter, at: Point(x: target.minX + 6, y: target.minY + 6), size: FigureStyle.labelSize + 2,
                            weight: .bold, color: FigureStyle.text, verticalAlignment: .top)
            }
        }
        try canvas.checkStatus("draw panel grid")
    }
}
