import Foundation

/// Stages in a row, left to right, joined by arrows: a rounded box per stage with a bold heading
/// and a few lines of text, and an optional label on each arrow (what one stage hands to the
/// next). Lesson 13 draws ChatGPT's four training stages with it.
public struct PipelineDiagram: Chart, Sendable {
    /// One box: a bold heading and a few lines of text, in one colour.
    public struct Stage: Sendable, Equatable {
        /// The bold first line of the box.
        public var heading: String
        /// The lines of text under the heading.
        public var lines: [String]
        /// The box's outline; its fill is a light tint of it and its heading a darker shade.
        public var color: RGB

        /// A stage with this heading, text and colour.
        public init(heading: String, lines: [String], color: RGB) {
            self.heading = heading
            self.lines = lines
            self.color = color
        }
    }

    /// The heading above the figure (also the PNG's "Title").
    public var title: String
    /// A second line under the title (may be empty).
    public var subtitle: String
    /// The stages, left to right.
    public var stages: [Stage]
    /// One label per arrow (stages.count − 1); shorter arrays leave the rest unlabelled.
    public var arrowLabels: [String]

    static let boxPadding = 12.0
    static let lineGap = 5.0
    static let arrowLength = 64.0
    static let bodySize = 12.5
    static let headingSize = 14.5

    /// A diagram of `stages` joined by arrows.
    public init(title: String, subtitle: String = "", stages: [Stage], arrowLabels: [String] = []) {
        self.title = title
        self.subtitle = subtitle
        self.stages = stages
        self.arrowLabels = arrowLabels
    }

    /// Checks that the data can be drawn; throws `FigureError.invalidData` naming the first
    /// problem.
    public func validate() throws {
        guard !stages.isEmpty else { throw FigureError.invalidData("a pipeline diagram needs at least one stage") }
    }

    /// Width of each box: its widest line plus padding.
    func boxWidths(_ measurer: TextMeasurer) -> [Double] {
        stages.map { stage in
            let widths = [measurer.width(stage.heading, size: Self.headingSize, weight: .bold)]
                + stage.lines.map { measurer.width($0, size: Self.bodySize) }
            return (widths.max() ?? 0) + 2 * Self.boxPadding
        }
    }

    func boxHeight(_ measurer: TextMeasurer) -> Double {
        let lines = stages.map(\.lines.count).max() ?? 0
        let heading = measurer.lineHeight(size: Self.headingSize, weight: .bold)
        let body = measurer.lineHeight(size: Self.bodySize)
        return 2 * Self.boxPadding + heading + Double(lines) * (body + Self.lineGap) + Self.lineGap
    }

    func arrowWidths(_ measurer: TextMeasurer) -> [Double] {
        (0..<max(stages.count - 1, 0)).map { index in
            let label = index < arrowLabels.count ? arrowLabels[index] : ""
            let words = label.split(separator: "\n").map { measurer.width(String($0), size: FigureStyle.tickSize) }
            return max(Self.arrowLength, (words.max() ?? 0) + 16)
        }
    }

    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    public var preferredSize: Size {
        let measurer = TextMeasurer()
        let margin = FigureStyle.margin
        let width = boxWidths(measurer).reduce(0, +) + arrowWidths(measurer).reduce(0, +)
        let titleWidth = max(measurer.width(title, size: FigureStyle.titleSize, weight: .bold),
                             measurer.width(subtitle, size: FigureStyle.subtitleSize))
        let header = 34.0 + (subtitle.isEmpty ? 0 : 22)
        return Size(width: max(width, titleWidth) + 2 * margin, height: header + boxHeight(measurer) + 2 * margin)
    }

    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        try validate()
        let measurer = TextMeasurer()
        let margin = FigureStyle.margin
        var y = frame.minY + margin + 20
        canvas.text(title, at: Point(x: frame.minX + margin, y: y), size: FigureStyle.titleSize, weight: .bold)
        if !subtitle.isEmpty {
            y += 22
            canvas.text(subtitle, at: Point(x: frame.minX + margin, y: y), size: FigureStyle.subtitleSize,
                        color: FigureStyle.secondaryText)
        }
        let top = y + 14
        let height = boxHeight(measurer)
        let widths = boxWidths(measurer), arrows = arrowWidths(measurer)
        let headingHeight = measurer.lineHeight(size: Self.headingSize, weight: .bold)
        let bodyHeight = measurer.lineHeight(size: Self.bodySize)
        var x = frame.minX + margin
        for (index, stage) in stages.enumerated() {
            let box = Rect(x: x, y: top, width: widths[index], height: height)
            canvas.roundedRect(box, radius: 10, fill: stage.color.mixed(with: .white, 0.78), stroke: stage.color,
                               strokeWidth: 2)
            var lineY = top + Self.boxPadding
            canvas.text(stage.heading, at: Point(x: box.minX + Self.boxPadding, y: lineY), size: Self.headingSize,
                        weight: .bold, color: stage.color.mixed(with: RGB(hex: 0x000000), 0.35), verticalAlignment: .top)
            lineY += headingHeight + Self.lineGap
            for line in stage.lines {
                canvas.text(line, at: Point(x: box.minX + Self.boxPadding, y: lineY), size: Self.bodySize,
                            verticalAlignment: .top)
                lineY += bodyHeight + Self.lineGap
            }
            x += widths[index]
            if index < arrows.count {
                let middle = top + height / 2
                canvas.arrow(from: Point(x: x + 6, y: middle), to: Point(x: x + arrows[index] - 6, y: middle),
                             color: FigureStyle.axis, width: 2)
                if index < arrowLabels.count {
                    let parts = arrowLabels[index].split(separator: "\n").map(String.init)
                    for (row, part) in parts.enumerated() {
                        canvas.text(part, at: Point(x: x + arrows[index] / 2, y: middle - 8 - Double(parts.count - 1 - row) * 15),
                                    size: FigureStyle.tickSize, color: FigureStyle.secondaryText, alignment: .center)
                    }
                }
                x += arrows[index]
            }
        }
    }
}
