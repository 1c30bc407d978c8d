import Figures
import Foundation
import TensorCore
import Transformer
import Training

// What `tx train lm` and `tx train bert` print and draw after training.
extension Train {
    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    static func reportText(_ report: LanguageModelTrainingReport) -> String {
        let score = report.heldOut
        var lines = [
            "",
            "Model: \(report.parameterCount) parameters; \(report.trainSentenceCount) training sentences, "
                + "vocabulary \(report.vocabulary.count) words",
            "Steps: \(report.options.steps) in \(duration(report.seconds)) (\(Int(report.tokensPerSecond.rounded())) tokens/s); "
                + "evaluation \(duration(report.evaluationSeconds))",
            "Loss: \(String(format: "%.3f", report.losses.first ?? .nan)) at step 1, "
                + "\(String(format: "%.4f", report.finalLoss)) at step \(report.options.steps)",
            "Next-word accuracy on \(score.positions) held-out positions: \(percent(score.accuracy)) "
                + "(perplexity \(String(format: "%.2f", exp(score.meanLoss))))",
            listItem("baselines: always the most frequent word \(percent(score.unigramAccuracy)); "
                + "the most frequent word after the previous one \(percent(score.bigramAccuracy))"),
            "",
            "Greedy continuations:",
        ]
        for example in report.examples {
            lines.append(listItem("\(example.start) … → \(example.start) \(example.continuation)"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func reportText(_ report: MaskedLMTrainingReport) -> String {
        let score = report.heldOut
        var lines = [
            "",
            "Model: \(report.parameterCount) parameters; \(report.trainPairCount) training pairs, "
                + "vocabulary \(report.vocabulary.count) tokens (Chinese characters and English words)",
            "Steps: \(report.options.steps) in \(duration(report.seconds)) (\(Int(report.tokensPerSecond.rounded())) tokens/s); "
                + "evaluation \(duration(report.evaluationSeconds))",
            "Loss: \(String(format: "%.3f", report.losses.first ?? .nan)) at step 1, "
                + "\(String(format: "%.4f", report.finalLoss)) at step \(report.options.steps)",
            "Top-1 accuracy at the \(score.positions) hidden positions of the held-out pairs: \(percent(score.accuracy)) "
                + "(always the most frequent token: \(percent(score.unigramAccuracy)))",
        ]
        for choice in MaskChoice.allCases {
            guard let count = score.countByChoice[choice], let accuracy = score.accuracyByChoice[choice] else { continue }
            let what = switch choice {
            case .mask: "replaced by [MASK]"
            case .random: "replaced by a random token"
            case .kept: "left unchanged"
            }
            lines.append("  \(what): \(percent(accuracy)) of \(count)")
        }
        lines.append("")
        lines.append("Held-out gaps (the model's three best guesses):")
        for example in report.examples {
            var shown = example.input
            shown[example.position] = "[\(example.original)?]"
            lines.append(listItem("\(shown.joined(separator: " ")) → \(example.guesses.joined(separator: ", ")) \(example.isRight ? "✓" : "✗")"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Head-averaged attention of one layer [h, T, T] as rows.
    static func meanOverHeads(_ entries: [AttentionTrace.Entry]) -> [[Float]] {
        guard let first = entries.first else { return [] }
        return first.weights.indices.map { row in
            first.weights[row].indices.map { column in
                entries.map { $0.weights[row][column] }.reduce(0, +) / Float(entries.count)
            }
        }
    }

    static func drawFigures(_ result: (model: LanguageModel, report: LanguageModelTrainingReport), folder: String, outputs: StagedOutputs) throws -> [String] {
        let report = result.report
        let lossPath = (folder as NSString).appendingPathComponent("language-model-loss.png")
        try outputs.stage(lossChart(report.losses, title: "Training the language model: loss per step",
                             subtitle: "\(report.options.steps) steps · final loss \(String(format: "%.4f", report.finalLoss)) · "
                                 + "held-out next-word accuracy \(percent(report.heldOut.accuracy)) (unigram \(percent(report.heldOut.unigramAccuracy)))"),
                   to: lossPath)
        let sentence = ParallelCorpus.tokenizeEnglish("The teacher found a ball in the park yesterday.")
        let trace = try result.model.trace(sentence)
        let last = trace.layers(kind: .decoderSelf) - 1
        let mean = meanOverHeads(trace.entries(kind: .decoderSelf).filter { $0.layer == last })
        let attentionPath = (folder as NSString).appendingPathComponent("language-model-attention.png")
        try outputs.stage(Heatmap(values: mean, rowLabels: ["<s>"] + sentence, columnLabels: ["<s>"] + sentence,
                           title: "Causal self-attention of the trained language model",
                           subtitle: "last layer, mean of \(trace.heads) heads · each row predicts the next word; the hatched keys are hidden",
                           colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: "weight",
                           xAxisTitle: "earlier word (key)", yAxisTitle: "position reading (query)",
                           hidden: trace.entries(kind: .decoderSelf).first?.hiddenKeys),
                   to: attentionPath)
        return [lossPath, attentionPath]
    }

    static func drawFigures(_ result: (model: TinyBERT, report: MaskedLMTrainingReport), folder: String, outputs: StagedOutputs) throws -> [String] {
        let report = result.report
        let lossPath = (folder as NSString).appendingPathComponent("tiny-bert-loss.png")
        try outputs.stage(lossChart(report.losses, title: "Training the tiny BERT (masked LM): loss per step",
                             subtitle: "\(report.options.steps) steps · final loss \(String(format: "%.4f", report.finalLoss)) · "
                                 + "held-out top-1 at hidden positions \(percent(report.heldOut.accuracy))"),
                   to: lossPath)
        let bert = result.model
        let pair = bert.encodePair(ParallelCorpus.tokenizeChinese("她昨天在图书馆买了一本书。"),
                                   ParallelCorpus.tokenizeEnglish("she bought a book in the library yesterday."))
        var tokens = pair.tokens
        if let cat = tokens.firstIndex(of: "book") { tokens[cat] = "[MASK]" }
        let trace = try bert.trace(tokens: tokens, segments: pair.segments)
        // The head whose English tokens look most at the Chinese sentence: where the model
        // lines the two languages up.
        let english = pair.segments.indices.filter { pair.segments[$0] == 1 && tokens[$0] != "[SEP]" }
        let chinese = pair.segments.indices.filter { pair.segments[$0] == 0 && !["[CLS]", "[SEP]"].contains(tokens[$0]) }
        func crossMass(_ entry: AttentionTrace.Entry) -> Float {
            english.map { q in chinese.map { entry.weights[q][$0] }.reduce(0, +) }.reduce(0, +)
        }
        let entries = trace.entries(kind: .encoderSelf)
        guard let best = entries.max(by: { crossMass($0) < crossMass($1) }) else { return [lossPath] }
        let attentionPath = (folder as NSString).appendingPathComponent("tiny-bert-attention.png")
        try outputs.stage(Heatmap(values: best.weights, rowLabels: tokens, columnLabels: tokens,
                           title: "Self-attention of the trained tiny BERT: layer \(best.layer + 1), head \(best.head + 1)",
                           subtitle: "the head whose English tokens look most at the Chinese sentence · \"book\" hidden as [MASK]",
                           colorMap: .viridis, showValues: false, colorBarLabel: "weight",
                           xAxisTitle: "key (what is looked at)", yAxisTitle: "query (who is looking)"),
                   to: attentionPath)
        return [lossPath, attentionPath]
    }
}
