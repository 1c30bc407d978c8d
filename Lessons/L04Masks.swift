import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import Transformer

/// Lesson 4: the padding mask and the causal (look-ahead) mask, and what −∞ does in a softmax.
struct MasksLesson {
    let context: LessonContext

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("masks")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let dimension = 8
        let embedding = ToyEmbedding(dimension: dimension, seed: context.seed)
        var generator = SeededGenerator(seed: context.seed)
        let head = AttentionHead(modelDimension: dimension, keyDimension: 4, valueDimension: 4, using: &generator)
        let seedNote = localized("random head, seed \(context.seed)")

        steps.append(PagerStep(title: localized("Two reasons to hide a word"), body: prose("""
            A mask tells attention which keys a query must not look at. Transformers need one for \
            two different reasons:

            - Padding. Sentences in a batch have different lengths, but a batch is one rectangular \
            tensor, so short sentences are filled up with [PAD] tokens. Those are not words; no one \
            may attend to them.
            - The future. A decoder is trained to predict word t+1 from words 0…t. If word t could \
            look at word t+1, the task would be copying, not predicting. The causal (look-ahead) \
            mask hides every later word.

            Both work the same way: before the softmax, the score of a hidden key is set to −∞. Since \
            e^−∞ = 0, that key gets exactly zero weight, and the remaining weights still sum to 1.
            """)))

        // Padding.
        let short = ["I", "love", "you"], long = ["The", "cat", "sat", "on", "the", "mat"]
        let length = long.count
        let padded = short + Array(repeating: "[PAD]", count: length - short.count)
        let batch = try Tensor.concatenate([embedding.embed(padded).reshaped([1, length, dimension]),
                                            embedding.embed(long).reshaped([1, length, dimension])], axis: 0)
        let padding = paddingMask(lengths: [short.count, long.count], length: length)   // (B, 1, 1, T)
        let keyMask = try padding.reshaped([2, 1, length])                               // (B, 1, T) for (B, T, T) scores
        let padded3 = try head(batch, mask: keyMask)
        let shortScores = try padded3.maskedScores.slice(axis: 0, range: 0..<1).reshaped([length, length])
        let shortWeights = try padded3.weights.slice(axis: 0, range: 0..<1).reshaped([length, length])
        let shortMask = try keyMask.slice(axis: 0, range: 0..<1).reshaped([length])
        let paddingVisible = (0..<length).map { _ in (0..<length).map { shortMask[$0] == 0 } }
        let paddingPath = try figures.write(PanelGrid(title: localized("Padding mask: [PAD] keys get −∞, then zero weight"), columns: 3, panels: [
            MaskPattern(title: localized("mask (blue = may attend)"), mask: paddingVisible, rowLabels: padded, columnLabels: padded,
                        caption: localized("every query, only real keys"), cellSize: Self.cell),
            scoreMap(shortScores, tokens: padded, title: localized("masked scores")),
            weightMap(shortWeights, tokens: padded, title: localized("weights (rows sum to 1)"), maskedScores: shortScores),
        ], subtitle: localized("\"I love you\" padded to the length of \"The cat sat on the mat\" · \(seedNote)")), as: "01-padding-mask.png")
        steps.append(PagerStep(title: localized("The padding mask"), body: prose("""
            A batch of two sentences, "I love you" (3 tokens) and "The cat sat on the mat" (6). The \
            short one is padded to 6. The padding mask comes from the lengths alone: key j of sentence \
            b is hidden when j ≥ length(b). Per sentence (1 = hidden):
            """) + "\n\n" + narrator.matrix(try keyMask.reshaped([2, length]), rows: [localized("short"), localized("long")],
                                             columns: (0..<length).map { localized("key \($0)") }, decimals: 0) + "\n\n" + prose("""
            The scores of the short sentence after masking: the three [PAD] columns are −∞.
            """) + "\n\n" + narrator.heat(shortScores, rows: padded, columns: padded, colors: TerminalColors.diverging,
                                          decimals: 1, symmetric: true) + "\n\n" + prose("""
            And after the softmax: every query gives the [PAD] keys exactly 0, and its weights over \
            the 3 real words still sum to 1. (The [PAD] rows themselves are computed but thrown away \
            later: no loss is taken at pad positions.)
            """) + "\n\n" + narrator.matrix(shortWeights, rows: padded, columns: padded, rowSums: true)
            + "\n\n" + figureLine(paddingPath)))

        // Causal.
        let target = ["<s>", "I", "am", "a", "student"]
        let causal = causalMask(size: target.count)
        let causalStages = try head(embedding.embed(target), mask: causal)
        let causalVisible = (0..<target.count).map { i in (0..<target.count).map { causal[i, $0] == 0 } }
        let causalPath = try figures.write(PanelGrid(title: localized("Causal mask: position i sees positions 0…i only"), columns: 3, panels: [
            MaskPattern(title: localized("mask (blue = may attend)"), mask: causalVisible, rowLabels: target, columnLabels: target,
                        caption: localized("lower triangle"), cellSize: Self.cell),
            scoreMap(causalStages.maskedScores, tokens: target, title: localized("masked scores")),
            weightMap(causalStages.weights, tokens: target, title: localized("weights (rows sum to 1)"),
                      maskedScores: causalStages.maskedScores),
        ], subtitle: localized("the decoder input \"<s> I am a student\" · \(seedNote)")), as: "02-causal-mask.png")
        let visible = visibleKeys(mask: causal, queries: target.count, keys: target.count)
        let seesList = visible.enumerated().map { query, keys in
            "    " + pad(target[query], to: 8) + " " + localized("sees \(keys.map { target[$0] }.joined(separator: " "))")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("The causal (look-ahead) mask"), body: prose("""
            In a decoder, position i may attend to positions 0…i. The mask is 1 strictly above the \
            diagonal, for the decoder input "<s> I am a student":
            """) + "\n\n" + narrator.matrix(causal, rows: target, columns: target, decimals: 0) + "\n\n" + seesList
            + "\n\n" + prose("After masking and the softmax:") + "\n\n"
            + narrator.matrix(causalStages.weights, rows: target, columns: target, rowSums: true) + "\n\n" + prose("""
            Row 0 is [1, 0, 0, 0, 0]: word 0 gives 0 weight to words 1 to 4, because it cannot see \
            them, and all of its weight to itself. Each later row spreads its weight over one more \
            word. This is what lets a decoder be trained on a whole sentence at once: every position \
            predicts its next word without ever seeing it.
            """) + "\n\n" + figureLine(causalPath)))

        // Combined.
        let causalSix = causalMask(size: length)
        let combined = try combineMasks(causalSix, keyMask)   // (B, T, T)
        let combinedShort = try combined.slice(axis: 0, range: 0..<1).reshaped([length, length])
        let combinedVisible = (0..<length).map { i in (0..<length).map { combinedShort[i, $0] == 0 } }
        let combinedPath = try figures.write(PanelGrid(title: localized("Padding + causal = the decoder's mask in a batch"), columns: 3, panels: [
            MaskPattern(title: localized("padding"), mask: paddingVisible, rowLabels: padded, columnLabels: padded),
            MaskPattern(title: localized("causal"), mask: (0..<length).map { i in (0..<length).map { causalSix[i, $0] == 0 } },
                        rowLabels: padded, columnLabels: padded),
            MaskPattern(title: localized("combined (hidden if either hides)"), mask: combinedVisible, rowLabels: padded, columnLabels: padded),
        ], subtitle: localized("a key is hidden when it is padding OR in the future")), as: "03-combined-mask.png")
        steps.append(PagerStep(title: localized("Both at once"), body: prose("""
            A decoder trained on a batch needs both masks: a key is hidden if it is padding or if it \
            lies in the future. Combining is a logical OR (1 where either mask has 1):
            """) + "\n\n" + narrator.matrix(combinedShort, rows: padded, columns: padded, decimals: 0)
            + "\n\n" + figureLine(combinedPath)))

        // Fully masked row.
        let allHidden = try Tensor([[-.infinity, -.infinity, -.infinity]])
        let naive = allHidden.scalars.map { exp($0) / allHidden.scalars.map { exp($0) }.reduce(0, +) }
        let safe = allHidden.softmax().scalars
        steps.append(PagerStep(title: localized("When a query can see nothing"), body: prose("""
            Masks can combine so that some query has no visible key at all. Then every score in its \
            row is −∞, and the textbook softmax computes e^−∞ / Σ e^−∞ = 0 / 0:
            """) + "\n\n" + softmaxLines(naive: naive, safe: safe) + "\n\n" + prose("""
            One NaN spreads through every later matrix product and ruins the whole batch. The project's \
            softmax subtracts the row maximum first (so e^x never overflows) and gives a row of \
            zeros when everything is hidden: that query receives nothing rather than garbage.

            Summary: padding masks hide [PAD] keys; causal masks hide the future; both set scores to \
            −∞ before the softmax so hidden keys get exactly zero weight; combine them with OR.
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    /// "naive softmax([−∞, −∞, −∞]) = [NaN, NaN, NaN]" over the project's row of zeros, the "=" aligned.
    private func softmaxLines(naive: [Float], safe: [Float]) -> String {
        let argument = "([−∞, −∞, −∞])"
        let labels = [localized("naive softmax") + argument, localized("our softmax") + argument]
        let width = labels.map(displayWidth).max() ?? 0
        let values = [naive.map { $0.isNaN ? "NaN" : formatNumber($0) }, safe.map { formatNumber($0) }]
        return zip(labels, values).map { "    " + pad($0, to: width) + " = [" + $1.joined(separator: ", ") + "]" }
            .joined(separator: "\n")
    }

    private func scoreMap(_ scores: Tensor, tokens: [String], title: String) -> Heatmap {
        let largest = scores.scalars.filter(\.isFinite).map(abs).max() ?? 1
        return Heatmap(values: scores.rows, rowLabels: tokens, columnLabels: tokens, title: title,
                       colorMap: .diverging, valueRange: -largest...largest, showValues: true, valueFormat: "%.1f",
                       colorBarLabel: localized("score"), xAxisTitle: AttentionAxisTitles.key, yAxisTitle: AttentionAxisTitles.query, cellSize: Self.cell)
    }

    /// Weights with the keys the mask hid (−∞ in `maskedScores`) hatched: a hidden key is not a learned 0.
    private func weightMap(_ weights: Tensor, tokens: [String], title: String, maskedScores: Tensor) -> Heatmap {
        Heatmap(values: weights.rows, rowLabels: tokens, columnLabels: tokens, title: title,
                colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: localized("weight"),
                xAxisTitle: AttentionAxisTitles.key, yAxisTitle: AttentionAxisTitles.query, cellSize: Self.cell,
                hidden: maskedScores.rows.map { $0.map { !$0.isFinite } })
    }

    /// One cell side for the masks and maps: three panels side by side, each with its "query" and
    /// "key" titles, still fit a slide 1920 pixels wide with their smallest text at 14 pixels or more.
    static let cell = 50.0
}
