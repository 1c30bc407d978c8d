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

/// The smallest text of a figure in pixels when the figure (rendered at scale 2) is shown 1920
/// pixels wide on a slide: its smallest font size × 1920 / its width in units. Figures narrower
/// than 1920 pixels are not shrunk on a slide, so for them it is the font size at scale 2.
func smallestSlideTextPixels(_ entry: RenderLog.Entry) -> Double {
    let smallest = entry.texts.map(\.size).min() ?? .infinity
    return smallest * min(2, 1920 / entry.size.width)
}

/// The posters: figures laid out to be shown whole on a 16:9 slide 1920 pixels wide. Each prints
/// its smallest text at 14 pixels or more there.
let slidePosters = ["03-attention/00-overview.png", "04-masks/01-padding-mask.png", "04-masks/02-causal-mask.png",
                    "08-architectures/01-comparison.png", "09-bert-data/04-tiny-bert-fills-in.png"]

/// Posters whose smallest text is under 14 pixels on a 1920-pixel slide.
func slideTextFaults(_ log: RenderLog) -> [String] {
    log.entries.compactMap { entry in
        let name = entry.path.split(separator: "/").suffix(2).joined(separator: "/")
        guard slidePosters.contains(name) else { return nil }
        let pixels = smallestSlideTextPixels(entry)
        return pixels >= 14 ? nil : "\(name): smallest text \(pixels) px on a 1920-px slide (at least 14)"
    }
}
