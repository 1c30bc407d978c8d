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
        // Everything that can be checked without the model is checked first, so a typo costs
        // no loading time and writes nothing.
        try checkDestination(c.out)
        if let json = c.json {
            guard json.lowercased().hasSuffix(".json") else { throw CLIError("--json needs a path ending in .json, got \(json)") }
            try checkDestination(json.dropLast(5) + ".png")
        }
        try c.checkTraceDestinations()
        guard !c.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("--text is empty: give the sentence to run the model on")
        }
        if c.kind != nil || c.weights != nil || c.target != nil {
            throw CLIError("--kind, --weights and --target go with --arch; a real model (--model) has one kind of attention")
        }

        let model = try RealModel.load(modelArgument)
        let layers = model.layerCount, heads = model.headCount
        guard (1...layers).contains(c.layer) else {
            throw CLIError("--layer \(c.layer) is out of range: \(model.name) has layers 1…\(layers)")
        }
        guard (1...heads).contains(c.head) else {
            throw CLIError("--head \(c.head) is out of range: \(model.name) has heads 1…\(heads)")
        }
        let limit = min(model.positionLimit, Self.figureTokenLimit)
        let reason = model.positionLimit <= Self.figureTokenLimit
            ? "\(model.name) has positions for" : "an attention figure shows"
        let tokens = try realModelTokens(model, text: c.text, limit: limit, limitReason: reason, truncate: c.truncate)
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
        let entries = trace.entries(kind: kind).filter { $0.layer == c.layer - 1 }.sorted { $0.head < $1.head }
        guard entries.count == heads else { throw CLIError("the trace of \(model.name) is incomplete") }
        let labels = tokens.labels
        let chart = AttentionCharts.realModel(c.view, modelName: model.name, text: c.text, trace: trace, kind: kind,
                                              labels: labels, layer: c.layer, head: c.head)
        do {
            // The figure and the trace files are published together, or none of them.
            let outputs = StagedOutputs()
            try outputs.stage(chart, to: c.out)
            try c.stageTraceFiles(trace, title: "\(model.name): attention over \"\(c.text)\"", into: outputs)
            try outputs.publish()
        } catch {
            throw CLIError("\(error) (nothing was written)")
        }

        let weights = entries[c.head - 1].weights
        var report = "\(model.summary)\n"
        report += "Tokens (\(labels.count)): \(labels.joined(separator: " · "))\n\n"
        report += "Layer \(c.layer), head \(c.head)"
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
        writeOut(report + "\n")
    }

    private func formatWeight(_ value: Float) -> String {
        String(format: "%.2f", Double(value))
    }
}
