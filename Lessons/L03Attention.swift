import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import Transformer

/// Lesson 3: scaled dot-product attention, one stage at a time.
///
/// Attention(Q, K, V) = softmax(QKᵀ / √d_k) V: projections, scores, the scale, an optional
/// causal mask, softmax, and the output as a weighted sum of value rows; then an experiment
/// showing why the √d_k is there.
struct AttentionLesson {
    static let sentence = "The animal didn't cross the street because it was too tired"
    static let modelDimension = 8
    static let keyDimension = 4

    let context: LessonContext
    var style: TerminalStyle { context.style }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("attention")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let demo = try AttentionDemo(text: Self.sentence, seed: context.seed,
                                     options: .init(modelDimension: Self.modelDimension, keyDimension: Self.keyDimension))
        let tokens = demo.tokens
        let stages = demo.stages
        let causal = try scaledDotProductAttention(query: stages.query, key: stages.key, value: stages.value,
                                                   mask: causalMask(size: tokens.count))
        let focus = tokens.firstIndex(of: "it") ?? tokens.count - 1
        let keyNames = ["d1", "d2", "d3", "d4"]
        let seedNote = localized("random head, seed \(context.seed): untrained, so the pattern is noise, not meaning")

        var steps: [PagerStep] = []
        let narrator = Narrator(style: style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        func matrix(_ tensor: Tensor, rows: [String], columns: [String]) -> String {
            narrator.matrix(tensor, rows: rows, columns: columns)
        }
        func heat(_ tensor: Tensor, tokens: [String], colors: @escaping TerminalHeatmap.ColorFunction,
                  decimals: Int, symmetric: Bool, range: ClosedRange<Float>? = nil) -> String {
            narrator.heat(tensor, rows: tokens, columns: tokens, colors: colors, decimals: decimals,
                          symmetric: symmetric, range: range)
        }

        // 1. Why attention
        steps.append(PagerStep(title: localized("Why attention?"), body: prose("""
            Read this sentence:

                "\(Self.sentence)."

            What does "it" mean? You know at once: the animal. Change the last word to "narrow" and "it" \
            becomes the street. To understand one word you have to look at the other words and decide \
            which of them matter. Attention is exactly that, written as arithmetic.

            Every word asks a question (its query, Q). Every word also carries a label saying what it \
            can answer (its key, K), and the content it will hand over if chosen (its value, V). A word \
            compares its query with every key, turns the matches into weights that add up to 1, and \
            takes that mix of the values as its new meaning:

                Attention(Q, K, V) = softmax( Q Kᵀ / √d_k ) · V

            This lesson computes that formula one stage at a time on the sentence above, prints every \
            matrix, and draws each stage as a figure in \(figures.directory)/.

            One honest warning: the weights in this lesson are random (seed \(context.seed)). A random \
            head does all the same arithmetic as a trained one, so every stage is real, but its \
            pattern carries no meaning. Trained heads come in lesson 5 (a translator this project trains) and lesson 14 (real pre-trained models).
            """)))

        // 2. Tokens and X
        let tokenList = tokens.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: "  ")
        steps.append(PagerStep(title: localized("From words to a matrix X"), body: prose("""
            First the sentence is cut into tokens, and each token becomes a vector of \
            d_model = \(Self.modelDimension) numbers (its embedding). Stacked as rows they form the \
            input matrix X, \(tokens.count) tokens × \(Self.modelDimension) dimensions:

                \(Narrator(style: style).hanging(tokenList, continuation: 4))
            """) + "\n\n" + matrix(demo.input, rows: tokens, columns: (1...Self.modelDimension).map { "e\($0)" }) + "\n\n" + prose("""
            Look at rows "The" and "the": they are identical. Our toy embedding gives one vector per \
            word, and nothing here says where a word stands. Attention on its own is blind to word \
            order; lesson 2 (positional encoding) fixes that.
            """)))

        // 3. Projections
        steps.append(PagerStep(title: localized("Three views of every word: Q, K and V"), body: prose("""
            The head owns three weight matrices, W_Q, W_K and W_V, each \(Self.modelDimension) × \
            \(Self.keyDimension). Multiplying X by each gives three new matrices with one row per word:

                Q = X · W_Q   [\(tokens.count)×\(Self.modelDimension)]·[\(Self.modelDimension)×\(Self.keyDimension)] = [\(tokens.count)×\(Self.keyDimension)]   the question each word asks
                K = X · W_K                            the label each word answers to
                V = X · W_V                            what each word passes on when chosen

            d_k = \(Self.keyDimension) is the length of a query or key vector. Training would shape W_Q, \
            W_K and W_V so that useful questions meet the right answers; here they are random.

            Q:
            """) + "\n" + matrix(stages.query, rows: tokens, columns: keyNames) + "\n\nK:\n"
            + matrix(stages.key, rows: tokens, columns: keyNames)))

        // 4. Scores
        let q = stages.query.row(focus)
        let animal = tokens.firstIndex(of: "animal") ?? 0
        let k = stages.key.row(animal)
        let products = zip(q, k).map { "(\(formatNumber($0)))·(\(formatNumber($1)))" }.joined(separator: " + ")
        // Raw and scaled scores share one colour scale, so the ÷√d_k shrink shows as paler colours.
        let scoreScale = Self.scoreScale(stages)
        let scoresPath = try figures.write(Self.stage(Self.scoresHeatmap(stages.scores, tokens: tokens, largest: scoreScale,
                                                              title: localized("1 · Scores: Q Kᵀ"), subtitle: seedNote)),
                                           as: "01-scores.png")
        steps.append(PagerStep(title: localized("Stage 1 · scores = Q Kᵀ"), body: prose("""
            How well does word i's question match word j's label? Their dot product says so: \
            large and positive for a good match, negative for a poor one. Doing it for every pair \
            at once is one matrix product, Q Kᵀ: a table of \(tokens.count) × \(tokens.count) scores. Row = the \
            word asking (query), column = the word being looked at (key).

            One cell worked out, query "it" against key "animal":

                q(it) · k(animal) = \(Narrator(style: style).hanging(products, indent: 24, continuation: 24))
                                  = \(formatNumber(stages.scores[focus, animal], decimals: 3))
            """) + "\n\n" + heat(stages.scores, tokens: tokens, colors: TerminalColors.diverging, decimals: 1,
                                 symmetric: true) + "\n\n" + figureLine(scoresPath)))

        // 5. Scale
        let scaledPath = try figures.write(Self.stage(Self.scoresHeatmap(stages.scaledScores, tokens: tokens, largest: scoreScale,
                                                              title: localized("2 · Scaled scores: Q Kᵀ / √d_k"),
                                                              subtitle: localized("divided by √\(Self.keyDimension) = \(formatNumber(1 / stages.scale, decimals: 0)), on stage 1's colour scale · \(seedNote)"))),
                                           as: "02-scaled-scores.png")
        steps.append(PagerStep(title: localized("Stage 2 · divide by √d_k"), body: prose("""
            Every score is divided by √d_k = √\(Self.keyDimension) = \(formatNumber(1 / stages.scale, decimals: 0)). \
            The pattern does not change, only its size: the scores shrink toward zero.

            Why bother? A dot product adds up d_k products, so the bigger d_k, the larger the scores \
            grow, and the next stage (softmax) turns large scores into an all-or-nothing choice. \
            Dividing by √d_k keeps them at the same size whatever d_k is. Step 9 measures this.
            """) + "\n\n" + heat(stages.scaledScores, tokens: tokens, colors: TerminalColors.diverging,
                                 decimals: 1, symmetric: true) + "\n\n" + figureLine(scaledPath)))

        // 6. Mask
        let maskedPath = try figures.write(Self.stage(Self.scoresHeatmap(causal.maskedScores, tokens: tokens, largest: scoreScale,
                                                              title: localized("3 · Causal mask: the future set to −∞"),
                                                              subtitle: localized("query i may only see keys 0…i · \(seedNote)"))),
                                           as: "03-masked-scores-causal.png")
        let visible = visibleKeys(mask: causal.mask, queries: tokens.count, keys: tokens.count)
        let visibility = [0, 1, focus].map { row in
            "    " + localized("\(pad(tokens[row], to: 7)) sees \(visible[row].map { tokens[$0] }.joined(separator: " "))")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Stage 3 (decoders only) · the mask"), body: prose("""
            This head reads the whole sentence at once, as an encoder (BERT) does: "it" may look at \
            "tired", which comes later. A decoder that writes text word by word (GPT) must not peek \
            at words it has not written yet. It adds a causal mask: every score above the diagonal \
            is set to −∞ before the softmax, and e^−∞ = 0, so those words get no weight at all.

            Which keys each query may see under the causal mask:
            """) + "\n" + visibility + "\n\n" + prose("""
            The masked scores (−∞ marks a hidden key). The main path of this lesson stays unmasked; lesson 4 \
            covers masks in depth:
            """) + "\n\n" + heat(causal.maskedScores, tokens: tokens, colors: TerminalColors.diverging,
                                 decimals: 1, symmetric: true) + "\n\n" + figureLine(maskedPath)))

        // 7. Softmax
        let weightsPath = try figures.write(Self.stage(Heatmap(values: stages.weights.rows, rowLabels: tokens, columnLabels: tokens,
                                                    title: localized("4 · Attention weights: softmax(Q Kᵀ / √d_k)"),
                                                    subtitle: localized("each row sums to 1 · row \"it\" outlined · \(seedNote)"),
                                                    colorMap: .viridis, valueRange: 0...1, showValues: true,
                                                    colorBarLabel: localized("weight"),
                                                    xAxisTitle: AttentionAxisTitles.key,
                                                    yAxisTitle: AttentionAxisTitles.query, highlightRow: focus)),
                                            as: "04-weights.png")
        let causalWeightsPath = try figures.write(Self.stage(Heatmap(values: causal.weights.rows, rowLabels: tokens, columnLabels: tokens,
                                                          title: localized("5 · Weights under the causal mask"),
                                                          subtitle: localized("masked keys (hatched) are never looked at · \(seedNote)"),
                                                          colorMap: .viridis, valueRange: 0...1, showValues: true,
                                                          colorBarLabel: localized("weight"),
                                                          xAxisTitle: AttentionAxisTitles.key,
                                                          yAxisTitle: AttentionAxisTitles.query,
                                                          hidden: Self.hiddenKeys(causal.mask, count: tokens.count))),
                                                  as: "05-weights-causal.png")
        let focusRow = stages.weights.row(focus)
        // The three largest weights of row "it", each a word and its weight, so that a translation
        // can punctuate the list its own way (the lesson's sentence always has more than 3 tokens).
        let top = focusRow.enumerated().sorted { $0.element > $1.element }.prefix(3)
            .map { (word: tokens[$0.offset], weight: formatNumber($0.element)) }
        steps.append(PagerStep(title: localized("Stage 4 · softmax turns scores into weights"), body: prose("""
            Softmax works on one row at a time: raise e to each score, then divide by the row's total.

                weight(i, j) = e^score(i, j) / Σ_j' e^score(i, j')

            Every weight lands between 0 and 1 and each row adds up to exactly 1 (the Σ row column). \
            Bigger scores get a bigger share, but nothing is thrown away completely. (The code first \
            subtracts each row's largest score, which changes nothing mathematically and keeps e^x \
            from overflowing.)
            """) + "\n\n" + MatrixPrinter(decimals: 2, showRowSums: true, style: style)
            .format(stages.weights.rows, rowLabels: tokens, columnLabels: tokens) + "\n\n" + prose("""
            Row "it" puts most weight on "\(top[0].word)" \(top[0].weight), "\(top[1].word)" \(top[1].weight), \
            "\(top[2].word)" \(top[2].weight). This random head has no reason to prefer \
            "animal". Would a trained one? Lesson 14 searches every head of a real trained model \
            for one that points "it" at "animal" and finds no head that simply does.
            """) + "\n" + "\n\n" + heat(stages.weights, tokens: tokens, colors: TerminalColors.viridis, decimals: 2,
                                 symmetric: false, range: 0...1) + "\n\n" + figureLine(weightsPath) + "\n\n" + prose("""
            Under the causal mask the same softmax gives the table below. The first row is \
            [1, 0, 0, …]: "The" sees only itself, so it gives itself all of its weight, and word 1 \
            gives 0 weight to words 2 to \(tokens.count). Every row still sums to 1, over the \
            words it is allowed to see.
            """) + "\n\n" + heat(causal.weights, tokens: tokens, colors: TerminalColors.viridis, decimals: 2,
                                 symmetric: false, range: 0...1) + "\n\n" + figureLine(causalWeightsPath)))

        // 8. Output
        let values = stages.value.rows
        let output = stages.output.row(focus)
        // The weights are row "it" of figure 4 (no mask), not of the causal figure 5 just before:
        // the subtitle says so after the formula.
        var sumFigure = WeightedSumFigure(title: localized("6 · The output for \"it\" is a weighted sum of value rows"),
                                          queryLabel: "it", tokens: tokens, weights: focusRow,
                                          values: values, output: output)
        sumFigure.subtitle = sumFigure.formula + " · " + localized("weights: row \"it\" of 4 (no mask)")
        let sumPath = try figures.write(sumFigure, as: "06-weighted-sum-it.png")
        var terms: [String] = []
        for (index, token) in tokens.enumerated() {
            let vector = values[index].map { pad(formatNumber($0), to: 6, alignRight: true) }.joined()
            let lead = index == 0 ? "  " : "+ "
            terms.append("    \(lead)\(formatNumber(focusRow[index])) × [\(vector) ]   v(\(token))")
        }
        let outputVector = output.map { pad(formatNumber($0), to: 6, alignRight: true) }.joined()
        let shortSum = focusRow.prefix(3).enumerated()
            .map { "\(formatNumber($0.element))·v(\(tokens[$0.offset]))" }.joined(separator: " + ")
        steps.append(PagerStep(title: localized("Stage 5 · the output: weights × V"), body: prose("""
            The last step multiplies the weights by V. For one word that means: take every word's \
            value vector, scale it by the weight, add them up. The new vector for "it" is

                z(it) = \(shortSum) + …
            """) + "\n\n" + terms.joined(separator: "\n") + "\n    " + String(repeating: "─", count: 44) + "\n"
            + "    = [\(outputVector) ]   z(it)\n\n" + prose("""
            Do that for every row and you get the output Z = weights · V, one new \(Self.keyDimension)-number \
            vector per word, each a blend of the words it attended to:
            """) + "\n\n" + matrix(stages.output, rows: tokens, columns: keyNames) + "\n\n" + figureLine(sumPath)))

        // 9. Why √d_k
        let experiment = ScaleExperiment.run(keyCount: tokens.count, samples: 300, seed: context.seed)
        let chartPath = try figures.write(experiment.chart, as: "07-entropy-vs-dk.png")
        steps.append(PagerStep(title: localized("Why divide by √d_k? An experiment"), body: prose("""
            Take a query and \(tokens.count) keys with random numbers (mean 0, variance 1) in each of \
            their d_k dimensions. A dot product adds d_k such products, so its spread grows like √d_k. \
            Feed the scores to softmax and measure the entropy of the weights: \
            ln(\(tokens.count)) = \(formatNumber(experiment.maximumEntropy)) means attention spread evenly over all \
            words, 0 means every bit of weight on one word. \(experiment.samples) random trials per d_k:
            """) + "\n\n" + experiment.table(style: style) + "\n\n" + prose("""
            Without the scale, a larger d_k makes softmax ever more winner-take-all: at d_k=512 the \
            largest weight is almost 1 and the rest almost 0. A saturated softmax has gradients near \
            zero, so training stalls. Dividing by √d_k brings the spread back to about 1 and the \
            entropy stays level for every d_k. That is the whole reason for the "scaled" in scaled \
            dot-product attention.
            """) + "\n\n" + figureLine(chartPath)))

        // 10. Summary
        try figures.write(Self.overview(stages: stages, causal: causal, tokens: tokens, seedNote: seedNote),
                          as: "00-overview.png")
        steps.append(PagerStep(title: localized("Summary"), body: prose("""
            What you just did, in one line:

                Z = softmax( Q Kᵀ / √d_k  [+ mask] ) · V
                    with  Q = X W_Q,  K = X W_K,  V = X W_V

            - Q Kᵀ scores every pair of words: how well word i's question fits word j's label.
            - Dividing by √d_k keeps those scores at a size softmax can work with.
            - A mask sets forbidden scores to −∞ (a decoder hides the future).
            - Softmax turns each row into weights that sum to 1.
            - Each output row is the weighted sum of the value rows.

            Figures written:
            """) + "\n" + figures.written.map { "    " + $0 }.joined(separator: "\n") + "\n\n" + prose("""
            Lesson 4 hides keys with masks (padding and the future), and lesson 5 runs several of \
            these heads side by side. Try another seed with --seed, or your own sentence:
                tx attention --text "…" --out Output/mine.png
            """)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    // MARK: - Printing and drawing helpers

    /// The overview as a pipeline, laid out for a 16:9 slide: four heatmaps in one row, each computed
    /// from the one before (the softmax is the softmax of the masked scores it follows). The three
    /// score stages share one colour scale, so the ÷√d_k shrink shows in colour; the rows are the
    /// same queries in every stage, so their labels are drawn once.
    static func overview(stages: AttentionStages, causal: AttentionStages, tokens: [String],
                         seedNote: String) -> HeatmapPipeline {
        let largest = scoreScale(stages)
        let hidden = hiddenKeys(causal.mask, count: tokens.count)
        return HeatmapPipeline(
            title: localized("Scaled dot-product attention, stage by stage"),
            subtitle: localized("each panel is computed from the one before · \(seedNote)"),
            rowLabels: tokens, columnLabels: tokens, stages: [
                .init(values: stages.scores.rows, title: "1 · Q Kᵀ",
                      subtitle: localized("how well each query matches each key"), valueFormat: "%.1f"),
                .init(values: stages.scaledScores.rows, title: "2 · ÷ √d_k",
                      subtitle: localized("same colour scale as 1: the scores shrink"), valueFormat: "%.1f"),
                .init(values: causal.maskedScores.rows, title: localized("3 · + causal mask"),
                      subtitle: localized("the future set to −∞"), valueFormat: "%.1f"),
                .init(values: causal.weights.rows, title: localized("4 · softmax of 3"),
                      subtitle: localized("each row sums to 1 over the keys it may see"), hidden: hidden),
            ], scales: [
                .init(colorMap: .diverging, range: -largest...largest, label: localized("score"), stages: 0..<3),
                .init(colorMap: .viridis, range: 0...1, label: localized("weight"), stages: 3..<4),
            ], minimumCell: overviewCell)
    }

    /// The overview's smallest cell side: four 11-column grids of it, with the row labels once,
    /// fit a 1,920-unit-wide slide at scale 1 with every number at 14 units.
    static let overviewCell = 38.0

    /// A figure of the stage series 01–05: room kept for the masked-cell legend in every one, so that
    /// the grids of the series sit at one place, masked or not.
    static func stage(_ heatmap: Heatmap) -> Heatmap {
        var heatmap = heatmap
        heatmap.reservesMaskedLegend = true
        return heatmap
    }

    /// The largest raw score: the end of the colour scale every score figure shares.
    static func scoreScale(_ stages: AttentionStages) -> Float {
        max(1e-6, stages.scores.scalars.filter(\.isFinite).map(abs).max() ?? 1)
    }

    /// True where a mask [T, T] hides the key (1 = hidden).
    static func hiddenKeys(_ mask: Tensor?, count: Int) -> [[Bool]]? {
        guard let mask, mask.scalars.count == count * count else { return nil }
        return (0..<count).map { q in (0..<count).map { k in mask.scalars[q * count + k] != 0 } }
    }

    /// Scores are signed, so they use the diverging map centred on zero, from −largest to +largest.
    static func scoresHeatmap(_ tensor: Tensor, tokens: [String], largest: Float, title: String,
                              subtitle: String, cellSize: Double? = nil) -> Heatmap {
        Heatmap(values: tensor.rows, rowLabels: tokens, columnLabels: tokens, title: title, subtitle: subtitle,
                       colorMap: .diverging, valueRange: -largest...largest, showValues: true, valueFormat: "%.1f",
                       colorBarLabel: localized("score"), xAxisTitle: AttentionAxisTitles.key,
                       yAxisTitle: AttentionAxisTitles.query, cellSize: cellSize)
    }
}

/// The √d_k experiment: random unit-variance queries and keys, softmax with and without the
/// scale, average entropy and largest weight of the resulting row, for d_k = 1, 2, 4, … 512.
struct ScaleExperiment {
    struct Row {
        let keyDimension: Int
        let scoreDeviation: Float
        let entropyUnscaled: Float
        let entropyScaled: Float
        let maxWeightUnscaled: Float
        let maxWeightScaled: Float
    }

    let rows: [Row]
    let keyCount: Int
    let samples: Int
    var maximumEntropy: Float { log(Float(keyCount)) }

    static func run(keyCount: Int, samples: Int, seed: UInt64) -> ScaleExperiment {
        var generator = SeededGenerator(seed: seed &+ 0x5CA1E)
        var rows: [Row] = []
        for power in 0...9 {
            let d = 1 << power
            var sumSquares: Float = 0
            var entropyUnscaled: Float = 0, entropyScaled: Float = 0
            var maxUnscaled: Float = 0, maxScaled: Float = 0
            for _ in 0..<samples {
                let query = (0..<d).map { _ in generator.nextNormal() }
                let scores: [Float] = (0..<keyCount).map { _ in
                    var dot: Float = 0
                    for i in 0..<d { dot += query[i] * generator.nextNormal() }
                    return dot
                }
                sumSquares += scores.reduce(0) { $0 + $1 * $1 }
                let plain = Tensor(scores).softmax().scalars
                let scaled = (Tensor(scores) * (1 / Float(d).squareRoot())).softmax().scalars
                entropyUnscaled += entropy(plain)
                entropyScaled += entropy(scaled)
                maxUnscaled += plain.max() ?? 0
                maxScaled += scaled.max() ?? 0
            }
            let n = Float(samples)
            rows.append(Row(keyDimension: d, scoreDeviation: (sumSquares / (n * Float(keyCount))).squareRoot(),
                            entropyUnscaled: entropyUnscaled / n, entropyScaled: entropyScaled / n,
                            maxWeightUnscaled: maxUnscaled / n, maxWeightScaled: maxScaled / n))
        }
        return ScaleExperiment(rows: rows, keyCount: keyCount, samples: samples)
    }

    func table(style: TerminalStyle) -> String {
        let values = rows.map { row in
            [Float(row.keyDimension).squareRoot(), row.scoreDeviation, row.entropyUnscaled, row.entropyScaled,
             row.maxWeightUnscaled, row.maxWeightScaled]
        }
        return MatrixPrinter(decimals: 2, maxLabelWidth: 10, style: style).format(
            values, rowLabels: rows.map { "d_k=\($0.keyDimension)" },
            columnLabels: ["√d_k", localized("spread"), localized("H raw"), localized("H scaled"), localized("max raw"), localized("max scaled")])
            + "\n" + style.dim(localized("spread = standard deviation of q·k;  H = entropy of the weights (nats);"))
            + "\n" + style.dim(localized("max = largest weight"))
    }

    var chart: LineChart {
        LineChart(title: localized("Why divide by √d_k: softmax saturates as d_k grows"),
                  xLabel: localized("d_k (dimensions of a query/key vector)"),
                  yLabel: localized("entropy of one row of weights (nats)"),
                  series: [
                    .init(name: localized("scaled: softmax(q·k / √d_k)"),
                          points: rows.map { (x: Double($0.keyDimension), y: Double($0.entropyScaled)) },
                          color: RGB(hex: 0x2166AC)),
                    .init(name: localized("unscaled: softmax(q·k)"),
                          points: rows.map { (x: Double($0.keyDimension), y: Double($0.entropyUnscaled)) },
                          color: RGB(hex: 0xB2182B)),
                    .init(name: localized("uniform over \(keyCount) keys (ln \(keyCount))"),
                          points: [(x: 1, y: Double(maximumEntropy)), (x: 512, y: Double(maximumEntropy))],
                          color: RGB(hex: 0x777777), dashed: true, showMarkers: false),
                  ],
                  xScale: .log2, yRange: 0...Double(maximumEntropy) * 1.1)
    }
}
