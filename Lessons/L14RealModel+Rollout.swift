import Analysis
import Foundation
import Figures
import InteractiveViews
import Localization
import ModelIO
import Terminal
import Transformer

/// The figure of lesson 14's rollout step, which `tx analyze rollout|flow` draws too.
package enum RolloutFigure {
    /// Raw attention of one query (mean of the heads) per layer, beside its rollout (and flow).
    package static func make(title: String, subtitle: String, labels: [String], query: Int,
                                     raw: [[Float]], rollout: [[Float]], flow: [[Float]]? = nil) -> PanelGrid {
        let layerLabels = (1...max(1, raw.count)).map { localized("layer \($0)") }
        let token = labels[query]
        let top = sharedTop(raw, rollout, flow ?? [])
        let scale = localized("one colour scale in every panel: 0 to \(formatNumber(top, decimals: 1))")
        // Cells a little smaller than a lone heatmap's, so the stacked panels with their key titles
        // still fit a 16:9 slide with readable text.
        let cell = min(34, max(20, 600 / Double(max(1, labels.count))))
        func panel(_ values: [[Float]], _ title: String, subtitle: String = "") -> Heatmap {
            // Rows are layers, so only the key axis gets the attention heatmaps' axis title.
            Heatmap(values: values, rowLabels: layerLabels, columnLabels: labels, title: title, subtitle: subtitle,
                    colorMap: .viridis, valueRange: 0...top, showValues: labels.count <= 14,
                    colorBarLabel: localized("share"), xAxisTitle: AttentionAxisTitles.key, cellSize: cell)
        }
        // The shared scale is said once, under the first panel's title.
        var panels: [any Chart] = [panel(raw, localized("Raw attention of \"\(token)\" (mean of the heads)"), subtitle: scale),
                                   panel(rollout, localized("Rollout: the input tokens in \"\(token)\""))]
        if let flow { panels.append(panel(flow, localized("Flow: max-flow from each input token (each alone, at most 1)"))) }
        // Each panel is wide and short (layers × tokens): stacked, the figure is near 16:9 and its
        // text stays readable on a slide; side by side it was 3.7:1.
        return PanelGrid(title: title, columns: 1, panels: panels, gap: 0, subtitle: subtitle)
    }

    /// The top of the colour scale all panels share: their largest value rounded up to a fifth (at
    /// most 1, at least 0.2), so one colour means one share in every panel, and the colour bar's
    /// ticks (steps of 0.1 or 0.2) land on both ends.
    package static func sharedTop(_ panels: [[Float]]...) -> Float {
        let largest = panels.joined().joined().filter(\.isFinite).max() ?? 1
        return min(1, max(0.2, (largest * 5 - 1e-4).rounded(.up) / 5))
    }

    /// Row `query` of every layer's head-averaged weights: [L][T].
    package static func meanAttention(of query: Int, layers: [[[[Float]]]]) -> [[Float]] {
        layers.map { heads in
            (0..<(heads.first?[query].count ?? 0)).map { j in heads.reduce(Float(0)) { $0 + $1[query][j] } / Float(heads.count) }
        }
    }
}

/// Lesson 14's step on attention rollout (Abnar & Zuidema 2020).
extension RealModelLesson {

    func rolloutStep(_ figures: FigureWriter, _ narrator: Narrator, model: BertEncoderModel, trace: AttentionTrace,
                     tokens: [String]) throws -> PagerStep {
        let prose = narrator.prose
        guard let it = tokens.firstIndex(of: "it") else {
            return PagerStep(title: localized("Rollout"), body: prose("The sentence has no \"it\" to follow."))
        }
        let c = model.configuration
        let layers = (0..<c.layerCount).map { l in (0..<c.headCount).map { h in trace.weights(layer: l, head: h, kind: .encoderSelf) ?? [] } }
        let raw = RolloutFigure.meanAttention(of: it, layers: layers)
        let rollout = AttentionRollout.rollout(layers).map { $0[it].map(Float.init) }
        let path = try figures.write(RolloutFigure.make(
            title: localized("all-MiniLM-L6-v2: where \"it\" gets its information, layer by layer"),
            subtitle: localized("\"\(Self.tired)\" · rollout multiplies 0.5·A + 0.5·I over the layers (Abnar & Zuidema 2020)"),
            labels: tokens, query: it, raw: raw, rollout: rollout), as: "06-rollout-it.png")
        // The interactive page of the same trace, with queries and keys for its neuron view.
        let withQK = try ProbedModel.bert(model).run(ids: model.encode(Self.tired), labels: tokens, recordQueriesKeys: true).trace
        var pageTrace = withQK
        pageTrace.model = "all-MiniLM-L6-v2"
        pageTrace.text = Self.tired
        pageTrace.tokenIDs = model.encode(Self.tired)
        let page = (figures.directory as NSString).appendingPathComponent("minilm-attention.html")
        try writeFileAtomically(Array(AttentionPage.html(trace: pageTrace, title: "all-MiniLM-L6-v2: \"\(Self.tired)\"").utf8),
                                to: page)

        let last = c.layerCount - 1
        func share(_ row: [Float], _ token: String) -> String {
            guard let j = tokens.firstIndex(of: token) else { return "–" }
            return formatNumber(row[j], decimals: 2)
        }
        func best(_ row: [Float]) -> String {
            let order = row.indices.sorted { row[$0] > row[$1] }
            return order.prefix(3).map { "\(tokens[$0]) \(formatNumber(row[$0], decimals: 2))" }.joined(separator: ", ")
        }
        let rolledTop = rollout[last].indices.max { rollout[last][$0] < rollout[last][$1] } ?? 0
        let sinks = ["[CLS]", "[SEP]"].compactMap { tokens.firstIndex(of: $0) }
        let rolledSinks = sinks.reduce(Float(0)) { $0 + rollout[last][$1] }
        let rawSinks = sinks.reduce(Float(0)) { $0 + raw[last][$1] }
        func nouns(_ row: [Float]) -> String {
            guard let a = tokens.firstIndex(of: "animal"), let s = tokens.firstIndex(of: "street") else { return "" }
            return row[a] > row[s] ? localized("favours \"animal\"") : row[a] < row[s] ? localized("favours \"street\"") : localized("splits evenly")
        }
        let sinkSentence = sinks.contains(rolledTop) && rolledSinks > rawSinks
            ? localized("Rollout hands \(tokens[rolledTop]) the largest share: [CLS] and [SEP] together hold \(formatNumber(rolledSinks, decimals: 2)) of \"it\" by rollout against \(formatNumber(rawSinks, decimals: 2)) of the last layer's raw attention, because the habit of parking attention on them (the model view) compounds when the layers are multiplied. Read rollout as \"how much of the whole sentence has been pooled into it\", not as an answer to which noun it is.")
            : localized("Rollout's largest share goes to \"\(tokens[rolledTop])\".")
        return PagerStep(title: localized("What rollout changes for \"it\""), body: prose("""
            A head's weights say where "it" looks in one layer, but in layer \(c.layerCount) "it" looks at \
            vectors that the layers below have already mixed. Attention rollout (Abnar & Zuidema 2020) follows \
            the mixing back to the input words: average each layer's heads, add the residual \
            connection as 0.5·A + 0.5·I, and multiply the layers. Attention flow treats the same \
            layers as a network of pipes and computes the maximum flow from each word: another \
            approximation (exact only as the answer to its own pipe problem), and one max-flow \
            problem per word (tx analyze flow), where rollout is one matrix product per layer.

            In the last layer the raw attention of "it" (mean of the \(c.headCount) heads) goes most to \
            \(best(raw[last])); "animal" gets \(share(raw[last], "animal")), "street" \
            \(share(raw[last], "street")), so it \(nouns(raw[last])). The rollout of the same row, what \
            "it" is made of after all \(c.layerCount) layers: \(best(rollout[last])); "animal" \
            \(share(rollout[last], "animal")), "street" \(share(rollout[last], "street")), so it \
            \(nouns(rollout[last])). \(sinkSentence)

            The same attention as an interactive page (head view: hover a token; model view: \
            click a head; neuron view: one query, one key, their product and the weight): open \
            \(page) in a browser. It works offline.
            """) + "\n\n" + narrator.figureLine(path))
    }
}
