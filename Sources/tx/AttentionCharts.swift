import Figures
import Lessons
import Transformer

/// The figures `tx attention` draws from a trace, shared with `tx explore` so that its `s` key
/// writes the very figure `tx attention` would for the same layer and head.
enum AttentionCharts {
    /// A real pre-trained model (`--model`). `head` nil: the heatmap of the mean of the layer's
    /// heads (only `tx explore` asks for that). `layer` and `head` are 1-based.
    static func realModel(_ view: Attention.View, modelName: String, text: String, trace: AttentionTrace,
                          kind: AttentionKind, labels: [String], layer: Int, head: Int?) -> any Chart {
        let layers = trace.layers(kind: kind)
        let entries = trace.entries(kind: kind).filter { $0.layer == layer - 1 }.sorted { $0.head < $1.head }
        let heads = entries.count
        let quoted = "\"\(shown(text.count > 60 ? String(text.prefix(57)) + "…" : text))\""
        let causalNote = kind == .decoderSelf ? " · causal: the hatched keys are hidden" : ""
        let hidden = entries[0].hiddenKeys
        // Byte-level BPE labels show a leading space as ␣: the figure says so, as the lessons' do.
        let subtitle = withSpaceNote(quoted + causalNote, labels: labels)
        switch view {
        case .heatmap:
            return Heatmap(values: head.map { entries[$0 - 1].weights } ?? mean(entries), rowLabels: labels, columnLabels: labels,
                           title: "\(modelName): layer \(layer), " + (head.map { "head \($0)" } ?? "mean of the \(heads) heads"),
                           subtitle: subtitle,
                           colorMap: .viridis, valueRange: 0...1, showValues: labels.count <= 16, colorBarLabel: "weight",
                           xAxisTitle: AttentionAxisTitles.key, yAxisTitle: AttentionAxisTitles.query, hidden: hidden)
        case .grid:
            return HeadGrid(title: "\(modelName): the \(heads) heads of layer \(layer)", subtitle: subtitle,
                            heads: entries.map(\.weights), rowLabels: labels, columnLabels: labels, hidden: hidden)
        case .model:
            let all = (0..<layers).map { l in
                (0..<heads).map { h in trace.weights(layer: l, head: h, kind: kind) ?? [] }
            }
            return ModelView(title: "\(modelName): every layer and head", subtitle: subtitle,
                             weights: all, rowLabels: labels, columnLabels: labels,
                             thumbnailSize: layers * heads > 100 ? 56 : 72, hidden: hidden)
        case .lines:
            return HeadView(title: "\(modelName): layer \(layer), lines by head", subtitle: withSpaceNote(quoted, labels: labels),
                            queryTokens: labels, keyTokens: labels, heads: entries.map(\.weights))
        }
    }

    /// One of the three small architectures (`--arch`), trained or untrained. `head` nil: the
    /// mean of the layer's heads. `layer` and `head` are 1-based.
    static func architecture(_ view: Attention.View, architecture: ArchitectureDemo.Architecture, trace: AttentionTrace,
                             kind: AttentionKind, layer: Int, head: Int?, weights: ArchitectureDemo.Weights,
                             seed: UInt64) throws -> any Chart {
        let entries = trace.entries(kind: kind).filter { $0.layer == layer - 1 }.sorted { $0.head < $1.head }
        let rows = entries[0].queryTokens.map(shown), columns = entries[0].keyTokens.map(shown)
        let what = "\(architecture.title), \(ArchitectureDemo.describe(kind))"
        let note = weights == .trained ? "trained (shipped with the package)" : "untrained, seed \(seed)"
        switch view {
        case .heatmap:
            return Heatmap(values: head.map { entries[$0 - 1].weights } ?? mean(entries), rowLabels: rows, columnLabels: columns,
                           title: "\(what): layer \(layer), " + (head.map { "head \($0)" } ?? "mean of the \(entries.count) heads"),
                           subtitle: note,
                           colorMap: .viridis, valueRange: 0...1, showValues: rows.count <= 16, colorBarLabel: "weight",
                           xAxisTitle: "key", yAxisTitle: "query", hidden: entries[0].hiddenKeys)
        case .grid:
            return HeadGrid(title: "\(what): every head of layer \(layer)", subtitle: note,
                            heads: entries.map(\.weights), rowLabels: rows, columnLabels: columns,
                            hidden: entries[0].hiddenKeys)
        case .model:
            guard let modelView = ArchitectureDemo.modelView(of: trace, architecture: architecture, kind: kind,
                                                             weights: weights, seed: seed) else {
                throw CLIError("no attention of kind \(kind.rawValue)")
            }
            return modelView
        case .lines:
            return HeadView(title: "\(what): layer \(layer), lines by head", subtitle: note,
                            queryTokens: rows, keyTokens: columns, heads: entries.map(\.weights))
        }
    }

    /// The element-wise mean of the heads' weight matrices.
    private static func mean(_ entries: [AttentionTrace.Entry]) -> [[Float]] {
        let first = entries[0].weights
        return first.indices.map { q in
            first[q].indices.map { k in entries.map { $0.weights[q][k] }.reduce(0, +) / Float(entries.count) }
        }
    }
}
