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
