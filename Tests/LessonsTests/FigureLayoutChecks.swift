import Figures
import Foundation
import Testing

/// Layout faults in the figures a lesson run rendered: a text box outside its canvas, or two text
/// boxes overlapping (boxes are collected while drawing, rotated labels as rotated rectangles).
/// One line per fault, naming the file and the texts.
func figureLayoutFaults(_ log: RenderLog) -> [String] {
    var faults: [String] = []
    for entry in log.entries {
        let name = (entry.path as NSString).lastPathComponent
        let canvas = Rect(origin: .zero, size: entry.size).insetBy(-0.5)
        for text in entry.texts where !canvas.contains(text.box) {
            faults.append("\(name): \"\(text.text)\" at \(text.box) leaves the \(entry.size.width)×\(entry.size.height) canvas")
        }
        let texts = entry.texts
        for i in texts.indices {
            for j in texts.indices where j > i && texts[i].box.intersects(texts[j].box) && texts[i].overlaps(texts[j]) {
                faults.append("\(name): \"\(texts[i].text)\" overlaps \"\(texts[j].text)\"")
            }
        }
    }
    return faults
}

/// Figures whose width is not one of the widths allowed for their kind (`FigureWidths`): a series
/// of one kind then has one width, so one text size on slides.
func figureWidthFaults(_ log: RenderLog) -> [String] {
    log.entries.compactMap { entry in
        let name = (entry.path as NSString).lastPathComponent
        guard let allowed = FigureWidths.allowed[entry.kind] else {
            return "\(name): kind \(entry.kind) has no allowed widths in FigureWidths"
        }
        return allowed.contains(entry.size.width) ? nil
            : "\(name): \(entry.kind) is \(entry.size.width) wide, allowed \(allowed)"
    }
}

/// Series whose figures do not share one width (so not one text size on slides): figures of one
/// kind in one lesson whose names differ only in their numbers ("01-step-1.png" … "09-step-9.png",
/// the decoding steps), and lesson 3's stage heatmaps.
func seriesWidthFaults(_ log: RenderLog) -> [String] {
    var widths: [String: Set<Double>] = [:]
    for entry in log.entries {
        let parts = entry.path.split(separator: "/").suffix(2).map(String.init)
        guard parts.count == 2 else { continue }
        let stem = parts[1].filter { !$0.isNumber }
        let key = parts[0] == "03-attention" && entry.kind == "Heatmap" ? "03-attention stages"
            : "\(parts[0]) \(entry.kind) \(stem)"
        widths[key, default: []].insert(entry.size.width)
    }
    return widths.filter { $0.value.count > 1 }.map { "series \($0.key) has widths \($0.value.sorted())" }
}

/// Series (as `seriesWidthFaults`, without lesson 3's stages, whose matrices differ in rows) whose
/// figures do not share one height: shown one after another, they should not jump (lesson 7's
/// decoding step 5 was taller when its query label was drawn rotated).
func seriesHeightFaults(_ log: RenderLog) -> [String] {
    var heights: [String: Set<Double>] = [:]
    for entry in log.entries {
        let parts = entry.path.split(separator: "/").suffix(2).map(String.init)
        guard parts.count == 2, !(parts[0] == "03-attention" && entry.kind == "Heatmap") else { continue }
        let stem = parts[1].filter { !$0.isNumber }
        heights["\(parts[0]) \(entry.kind) \(stem)", default: []].insert(entry.size.height)
    }
    return heights.filter { $0.value.count > 1 }.map { "series \($0.key) has heights \($0.value.sorted())" }
}

/// The scale a figure (rendered at scale 2) is shown at on a 16:9 slide of 1920 × 1080 pixels:
/// whole, so limited by its width and its height, and never enlarged beyond its own scale 2.
func slideScale(_ size: Size) -> Double {
    min(2, 1920 / size.width, 1080 / size.height)
}

/// The smallest text of a figure in pixels when the figure is shown whole on a 1920 × 1080 slide:
/// its smallest font size × `slideScale`.
func smallestSlideTextPixels(_ entry: RenderLog.Entry) -> Double {
    let smallest = entry.texts.map(\.size).min() ?? .infinity
    return smallest * slideScale(entry.size)
}

/// The posters: figures laid out to be shown whole on a 16:9 slide of 1920 × 1080 pixels. Each
/// prints its smallest text at 14 pixels or more there. Not posters (yet):
/// - lesson 14's MiniLM model view (6 layers × 12 heads of labelled maps): 72 maps cannot keep
///   14-pixel labels on one slide; it is a figure to zoom into (the single-head figures and the
///   interactive page are the slide versions).
let slidePosters = ["03-attention/00-overview.png", "04-masks/01-padding-mask.png", "04-masks/02-causal-mask.png",
                    "08-architectures/01-architectures.png", "08-architectures/02-masks.png",
                    "08-architectures/03-attention-weights.png", "09-bert-data/04-tiny-bert-fills-in.png",
                    "13-chatgpt-training/06-ppo-curves.png", "14-real-model/06-rollout-it.png"]

/// Posters whose smallest text is under 14 pixels on a 1920 × 1080 slide.
func slideTextFaults(_ log: RenderLog) -> [String] {
    log.entries.compactMap { entry in
        let name = entry.path.split(separator: "/").suffix(2).joined(separator: "/")
        guard slidePosters.contains(name) else { return nil }
        let pixels = smallestSlideTextPixels(entry)
        return pixels >= 14 ? nil
            : "\(name): smallest text \(pixels) px on a 1920 × 1080 slide (at least 14); \(entry.size.width) × \(entry.size.height) units"
    }
}

/// Every poster a lesson lists must be written by it: a renamed figure cannot silently leave the list.
func missingPosters(_ log: RenderLog, lesson directory: String) -> [String] {
    let written = Set(log.entries.map { $0.path.split(separator: "/").suffix(2).joined(separator: "/") })
    return slidePosters.filter { $0.hasPrefix(directory + "/") && !written.contains($0) }
        .map { "\($0) is a listed poster but lesson \(directory) did not write it" }
}
