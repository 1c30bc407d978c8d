// Draw your own attention matrix as a slide-ready PNG.
// Run from the package root:  swift run AttentionFigureExample
import Figures
import Foundation

// "我 是 学 生" ("I am a student"): each row is one query token, each column a key token.
let tokens = ["我", "是", "学", "生"]
let attention: [[Float]] = [
    [1.00, 0.00, 0.00, 0.00],  // 我 can only look at itself (causal attention)
    [0.45, 0.55, 0.00, 0.00],
    [0.20, 0.30, 0.50, 0.00],
    [0.10, 0.15, 0.35, 0.40],  // 生 looks mostly at 学 and itself
]

let figure = Heatmap(
    values: attention, rowLabels: tokens, columnLabels: tokens,
    title: "Causal self-attention: 我是学生", subtitle: "each row sums to 1",
    showValues: true, colorBarLabel: "attention weight",
    xAxisTitle: "key (attended to)", yAxisTitle: "query", highlightRow: 3)

do {
    try FileManager.default.createDirectory(atPath: "Output", withIntermediateDirectories: true)
    let path = "Output/example-attention.png"
    try render(figure, to: path)
    let size = figure.preferredSize
    print("wrote \(path) (\(Int(size.width * 2))×\(Int(size.height * 2)) pixels)")
} catch {
    print("could not draw the figure: \(error)")
    exit(1)
}
