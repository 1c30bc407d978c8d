import Foundation

/// One width per figure kind. A series of figures (lesson 0's nine steps, lesson 3's stages, the
/// decoding steps of lesson 7) is only useful on slides when every figure of it has the same width:
/// scaled to the slide, the text is then one size. Each kind has a short list of allowed canvas
/// widths (user units; a PNG at scale 2 is twice as many pixels); a published figure is drawn
/// centred on the smallest allowed width that holds it.
public enum FigureWidths {
    /// Allowed widths per chart kind (the chart's type name), smallest first.
    public static let allowed: [String: [Double]] = [
        "ArchitectureComparison": [1640],
        "BarChart": [640, 900],
        "BlockDiagram": [820],
        "CorruptionStrip": [1000],
        "DecodingStepFigure": [1100],
        "EmbeddingPlot": [800],
        "GroupedBarChart": [720, 880, 1200],
        "HeadGrid": [1000, 1340],
        "HeadView": [640, 800],
        "Heatmap": [640, 800, 900, 1000],
        "HeatmapPipeline": [1900],
        "LineChart": [900, 1000],
        "LogitLensFigure": [900],
        "MaskPattern": [640],
        "ModelView": [1000, 1150, 1600, 2700],
        "PanelGrid": [1100, 1600, 1900],
        "PipelineDiagram": [1200],
        "SamplingFigure": [1300],
        "ScatterChart": [800],
        "SentencePairFigure": [1100],
        "ShiftRightDiagram": [1100],
        "WeightedSumFigure": [700],
    ]

    /// The kind of a chart: its type name (a published figure counts as the chart inside it).
    public static func kind(of chart: any Chart) -> String {
        if let published = chart as? PublishedFigure { return kind(of: published.chart) }
        return String(describing: type(of: chart))
    }

    /// The width `chart` is published at: the smallest allowed width of its kind that holds its
    /// preferred width; its own width when it is wider than all of them (or its kind has no list).
    public static func publishedWidth(of chart: any Chart) -> Double {
        let natural = chart.preferredSize.width
        return allowed[kind(of: chart)]?.first { $0 >= natural } ?? natural
    }
}

/// A chart drawn at its kind's published width (see `FigureWidths`), centred, its height unchanged.
/// The lessons publish every figure this way.
public struct PublishedFigure: TitledChart {
    /// The chart drawn inside the published width.
    public let chart: any Chart

    /// Wraps `chart` (a `PublishedFigure` is not wrapped twice).
    public init(_ chart: any Chart) {
        self.chart = (chart as? PublishedFigure)?.chart ?? chart
    }

    /// The wrapped chart's title, or "" when it has none.
    public var title: String { (chart as? any TitledChart)?.title ?? "" }

    /// The published width of the chart's kind (`FigureWidths.publishedWidth(of:)`) and the chart's
    /// own height.
    public var preferredSize: Size {
        Size(width: FigureWidths.publishedWidth(of: chart), height: chart.preferredSize.height)
    }

    /// Draws the chart at its natural width, centred horizontally in `frame`.
    public func draw(on canvas: Canvas, in frame: Rect) throws {
        let natural = chart.preferredSize
        let dx = max(0, (frame.width - natural.width) / 2)
        try chart.draw(on: canvas, in: Rect(x: frame.minX + dx, y: frame.minY, width: frame.width - 2 * dx,
                                            height: frame.height))
    }
}
