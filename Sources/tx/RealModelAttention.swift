import Figures
import Foundation
import ModelIO
import Terminal
import Transformer

/// `tx attention --model …`: a real pre-trained model's attention on the user's sentence, in the
/// same four views as the tiny models (one head, a layer's heads, every head, lines).
struct RealModelAttention {
    /// More tokens make cells too small to read and the figures tens of megapixels.
    static let figureTokenLimit = 64
    /// Above this many tokens the terminal shows each query's strongest key, not the whole grid.
    static let terminalGridLimit = 14

    let command: Attention
    let modelArgument: String
    let style: TerminalStyle

    func run() throws {
        let c = command
        // The arguments first (the text, the model, the layer and head in its range, the text's
        // length), then the output folders, then the run: a wrong --layer beside a missing
        // folder reports the layer.
        guard !c.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("--text is empty: give the sentence to run the model on")
        }
        let model = try RealModel.load(modelArgument)
        let layers = model.layerCount, heads = model.headCount
        let layer = c.layerNumber, head = c.headNumber
        guard (1...layers).contains(layer) else {
            throw CLIError("--layer \(layer) is out of range: \(model.name) has layers 1…\(layers)")
        }
        guard (1...heads).contains(head) else {
            throw CLIError("--head \(head) is out of range: \(model.name) has heads 1…\(heads)")
        }
        let limit = min(model.positionLimit, Self.figureTokenLimit)
        let reason = model.positionLimit <= Self.figureTokenLimit
            ? "\(model.name) has positions for" : "an attention figure shows"
        let tokens = try realModelTokens(model, text: c.text, limit: limit, limitReason: reason, truncate: c.truncate)
        try c.checkOutputs()
        var trace: AttentionTrace
        do {
            if c.withQueriesKeys {
                trace = try model.probed.run(ids: tokens.ids, labels: tokens.labels, recordQueriesKeys: true).trace
            } else {
                trace = try model.trace(tokens.ids)
            }
        } catch let error as CLIError { throw error } catch {
            throw CLIError("running \(model.name): \(error)")
        }
        // Before anything is printed, drawn or written as JSON.
        try checkFinite(trace, modelName: model.name)
        trace.model = model.name
        trace.text = c.text
        trace.tokenIDs = tokens.ids

        let kind = model.attentionKind
        let entries = trace.entries(kind: kind).filter { $0.layer == layer - 1 }.sorted { $0.head < $1.head }
        guard entries.count == heads else { throw CLIError("the trace of \(model.name) is incomplete") }
        let labels = tokens.labels
        let chart = AttentionCharts.realModel(c.view, modelName: model.name, text: c.text, trace: trace, kind: kind,
                                              labels: labels, layer: layer, head: head)
        try c.publish(chart, trace: trace, title: "\(model.name): attention over \"\(c.text)\"")

        let weights = entries[head - 1].weights
        var report = "\(model.summary)\n"
        report += "Tokens (\(labels.count)): \(labels.joined(separator: " · "))\n\n"
        report += "Layer \(layer), head \(head)"
        if labels.count <= Self.terminalGridLimit {
            let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                       color: { ColorMap.viridis.color(at: $0).bytes })
                .format(weights, rowLabels: labels, columnLabels: labels, range: 0...1)
            report += " (rows: queries, columns: keys; each row sums to 1):\n\n\(grid)\n"
        } else {
            report += ": where each token looks most\n\n"
            let width = labels.map { displayWidth($0) }.max() ?? 0
            for (query, row) in weights.enumerated() {
                let best = row.indices.max { row[$0] < row[$1] } ?? 0
                report += "  " + pad(labels[query], to: width) + "  → " + labels[best]
                    + "  " + formatWeight(row[best]) + "\n"
            }
        }
        report += "\nWrote \(c.out)"
        report += c.tracePaths
        c.report(report + "\n")
    }

    private func formatWeight(_ value: Float) -> String {
        String(format: "%.2f", Double(value))
    }
}
