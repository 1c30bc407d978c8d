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

/// The smallest text of a figure in pixels when the figure (rendered at scale 2) is shown 1920
/// pixels wide on a slide: its smallest font size × 1920 / its width in units. Figures narrower
/// than 1920 pixels are not shrunk on a slide, so for them it is the font size at scale 2.
func smallestSlideTextPixels(_ entry: RenderLog.Entry) -> Double {
    let smallest = entry.texts.map(\.size).min() ?? .infinity
    return smallest * min(2, 1920 / entry.size.width)
}
