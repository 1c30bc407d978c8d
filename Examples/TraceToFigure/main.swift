// Reads an attention trace written as JSON (by `tx attention --arch … --json trace.json`, or by
// your own tool following docs/trace-schema.md) and draws one head as a heatmap.
//
//   swift run tx attention --text "我是一个学生" --target "I am a student" --arch encoder-decoder --json Output/trace.json
//   swift run TraceToFigureExample Output/trace.json cross 1 1 Output/cross-1-1.png
import Figures
import Foundation
import Transformer

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 5, let kind = AttentionKind(rawValue: arguments[1]),
      let layer = Int(arguments[2]), let head = Int(arguments[3]) else {
    print("usage: TraceToFigureExample TRACE.json KIND LAYER HEAD OUT.png")
    print("       KIND is one of: \(AttentionKind.allCases.map(\.rawValue).joined(separator: ", ")); LAYER and HEAD count from 1")
    exit(2)
}
do {
    let data = try Data(contentsOf: URL(fileURLWithPath: arguments[0]))
    let trace = try AttentionTrace(jsonData: data)
    guard let entry = trace.entries.first(where: { $0.kind == kind && $0.layer == layer - 1 && $0.head == head - 1 }) else {
        print("no \(kind.rawValue) attention at layer \(layer), head \(head) in \(arguments[0])")
        exit(1)
    }
    try render(Heatmap(values: entry.weights, rowLabels: entry.queryTokens, columnLabels: entry.keyTokens,
                       title: "\(trace.architecture): \(kind.rawValue), layer \(layer), head \(head)",
                       colorMap: .viridis, valueRange: 0...1, colorBarLabel: "weight",
                       xAxisTitle: "key", yAxisTitle: "query"),
               to: arguments[4])
    print("Wrote \(arguments[4])")
} catch {
    print("error: \(error)")
    exit(1)
}
