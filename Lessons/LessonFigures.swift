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

/// Figures an earlier run of a lesson left behind under names the latest run did not write (after a
/// figure was renamed), which the gallery would otherwise keep showing.
enum StaleFigures {
    /// True for a name a lesson's `FigureWriter` writes: two digits, a dash, anything, ".png"
    /// ("03-attention-weights.png").
    static func isLessonFigureName(_ name: String) -> Bool {
        let characters = Array(name)
        return characters.count > 7 && characters[0].isASCII && characters[0].isNumber
            && characters[1].isASCII && characters[1].isNumber && characters[2] == "-" && name.hasSuffix(".png")
    }

    /// Removes from `directory` every regular file named like a lesson figure that is not among
    /// `keeping` (paths; compared by file name). Other files and folders are never touched.
    /// Returns the removed names, sorted; throws `FigureError.notWritable` when one cannot be removed.
    @discardableResult
    static func remove(in directory: String, keeping: [String]) throws -> [String] {
        let manager = FileManager.default
        let kept = Set(keeping.map { ($0 as NSString).lastPathComponent })
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where isLessonFigureName(name) && !kept.contains(name) {
            let path = (directory as NSString).appendingPathComponent(name)
            let type = (try? manager.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
            guard type == .typeRegular else { continue }
            do {
                try manager.removeItem(atPath: path)
            } catch {
                throw FigureError.notWritable(path: path)
            }
            removed.append(name)
        }
        return removed
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
