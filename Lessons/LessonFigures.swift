import Figures
import Foundation
import Localization
import Terminal

/// Writes a lesson's figures into its own folder under the output root, remembering each path.
final class FigureWriter {
    let directory: String
    let scale: Double
    private(set) var written: [String] = []

    init(context: LessonContext, lesson directoryName: String) throws {
        directory = (context.outputRoot as NSString).appendingPathComponent(directoryName)
        scale = context.figureScale
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FigureError.notWritable(path: directory)
        }
    }

    /// Renders `chart` as `<directory>/<name>` at its kind's published width (one width per kind,
    /// so a series of figures has one text size on slides) and returns the path.
    @discardableResult
    func write(_ chart: Chart, as name: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try render(PublishedFigure(chart), to: path, scale: scale)
        written.append(path)
        return path
    }
}

/// The colour maps the figures use, as functions the terminal heatmap can call, so the
/// terminal and the PNG show the same colours.
enum TerminalColors {
    static let viridis: TerminalHeatmap.ColorFunction = { t in ColorMap.viridis.color(at: t).bytes }
    static let diverging: TerminalHeatmap.ColorFunction = { t in ColorMap.diverging.color(at: t).bytes }
}

/// A figure's subtitle with " · ␣ = space" added when its token labels show spaces as ␣ (byte-level
/// BPE tokens such as SmolLM2's carry their leading space), so a slide explains its own labels.
public func withSpaceNote(_ subtitle: String, labels: [String]) -> String {
    guard labels.contains(where: { $0.contains("␣") }) else { return subtitle }
    return subtitle + " · " + localized("␣ = space")
}
