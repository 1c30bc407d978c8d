import CCairo
import Foundation

/// Something that can be drawn into a rectangle of a canvas.
public protocol Chart {
    /// The size (in user units) the chart looks best at; `render` makes figures this size.
    var preferredSize: Size { get }
    /// Draws the chart inside `frame`. Throws `FigureError.invalidData` for data it cannot draw.
    func draw(on canvas: Canvas, in frame: Rect) throws
}

/// A chart with a title; PNG files carry it (an iTXt "Title" chunk), so a gallery can caption them.
public protocol TitledChart: Chart {
    var title: String { get }
}

extension ArchitectureComparison: TitledChart {}
extension BarChart: TitledChart {}
extension BlockDiagram: TitledChart {}
extension CorruptionStrip: TitledChart {}
extension EmbeddingPlot: TitledChart {}
extension GroupedBarChart: TitledChart {}
extension HeadGrid: TitledChart {}
extension HeadView: TitledChart {}
extension Heatmap: TitledChart {}
extension LineChart: TitledChart {}
extension MaskPattern: TitledChart {}
extension ModelView: TitledChart {}
extension PanelGrid: TitledChart {}
extension PipelineDiagram: TitledChart {}
extension SamplingFigure: TitledChart {}
extension DecodingStepFigure: TitledChart {}
extension ScatterChart: TitledChart {}
extension SentencePairFigure: TitledChart {}
extension ShiftRightDiagram: TitledChart {}
extension WeightedSumFigure: TitledChart {}

/// Renders `chart` at its preferred size into a canvas of `format` and returns the file contents.
public func renderData(_ chart: any Chart, format: FigureFormat, scale: Double = 2) throws -> [UInt8] {
    try renderCanvas(chart, format: format, scale: scale).bytes
}

/// Renders `chart` and returns the file contents with the canvas it was drawn on.
func renderCanvas(_ chart: any Chart, format: FigureFormat, scale: Double) throws -> (bytes: [UInt8], canvas: Canvas) {
    let size = chart.preferredSize
    let canvas = try Canvas(format: format, size: size, scale: scale)
    if let titled = chart as? any TitledChart, !titled.title.isEmpty { canvas.documentTitle = titled.title }
    canvas.fillBackground()
    try chart.draw(on: canvas, in: Rect(origin: .zero, size: size))
    return (try canvas.fileData(), canvas)
}

/// What `render(_:to:)` drew while a log is installed (`RenderLog.$current.withValue`): for tests
/// that check every figure of a whole lesson run (sizes, text inside the canvas, no overlaps).
package final class RenderLog: @unchecked Sendable {
    // @unchecked: the one mutable array is only touched while holding `lock`.
    private let lock = NSLock()
    private var recorded: [Entry] = []

    package struct Entry: Sendable {
        package var path: String
        /// The chart's kind (its type, e.g. "Heatmap"; see `FigureWidths.kind(of:)`).
        package var kind: String
        /// Canvas size in user units.
        package var size: Size
        package var texts: [DrawnText]
    }

    @TaskLocal package static var current: RenderLog?

    package init() {}

    package var entries: [Entry] { lock.withLock { recorded } }

    func append(_ entry: Entry) { lock.withLock { recorded.append(entry) } }
}

/// The PNG file contents for `chart` at its preferred size, `scale` pixels per unit.
public func renderPNGData(_ chart: any Chart, scale: Double = 2) throws -> [UInt8] {
    try renderData(chart, format: .png, scale: scale)
}

/// Renders a chart to a file; the format comes from the extension (.png, .svg, .pdf, any case).
/// `scale` is device pixels per user unit for PNG (default 2: crisp on slides); vector formats ignore it.
///
/// Checks first that the extension is known (`FigureError.unsupportedFormat`) and that the directory
/// exists (`.directoryMissing`) and is writable (`.notWritable`). The whole figure is drawn in memory,
/// written to a temporary file in the same directory, then renamed over `path`: readers never see a
/// half-written figure, and on any error neither the figure nor the temporary file is left behind.
public func render(_ chart: any Chart, to path: String, scale: Double = 2) throws {
    let format = try FigureFormat(path: path)
    let directory = try checkWritableDirectory(for: path)
    let (bytes, canvas) = try renderCanvas(chart, format: format, scale: scale)
    try writeAtomically(bytes, to: path, directory: directory)
    RenderLog.current?.append(RenderLog.Entry(path: path, kind: FigureWidths.kind(of: chart),
                                              size: canvas.size, texts: canvas.textBoxes))
}

/// The directory `path` would be written into, after checking it exists and is writable.
/// `isWritable` is the access(2) check; injectable so the error path can be tested as root.
func checkWritableDirectory(for path: String,
                            isWritable: (String) -> Bool = { access($0, W_OK | X_OK) == 0 }) throws -> String {
    let parent = (path as NSString).deletingLastPathComponent
    let directory = parent.isEmpty ? "." : parent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw FigureError.directoryMissing(path: directory)
    }
    guard isWritable(directory) else {
        throw FigureError.notWritable(path: directory)
    }
    return directory
}

/// Writes `bytes` to a fresh temporary file next to `path`, flushes it, and renames it over `path`
/// (see `StagedOutputs`, which also names the cause of a failure and refuses a FIFO or device).
func writeAtomically(_ bytes: [UInt8], to path: String, directory: String) throws {
    try writeOneFileAtomically(bytes, to: path)
}
