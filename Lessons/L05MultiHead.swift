import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import TrainedModels
import Transformer
import Tokenizers
import Training

/// Lesson 5: multi-head attention. Split d_model into h heads, attend in each, concatenate,
/// project with W_O.
struct MultiHeadLesson {
    let context: LessonContext
    static let modelDimension = 16
    static let heads = 4

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("multi-head")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let d = Self.modelDimension, h = Self.heads, dh = d / h
        let tokens = WordTokenizer().tokenize(AttentionLesson.sentence)
        let x = try ToyEmbedding(dimension: d, seed: context.seed).embed(tokens)
            + sinusoidalPositionalEncoding(length: tokens.count, dimension: d)
        var generator = SeededGenerator(seed: context.seed)
        let attention = try MultiHeadAttention(modelDimension: d, heads: h, using: &generator)
        let result = try attention(query: x, keyValue: x)
        let headWeights: [[[Float]]] = (0..<h).map { head in
            (0..<tokens.count).map { q in (0..<tokens.count).map { k in result.weights[head, q, k] } }
        }
        let seedNote = localized("random weights, seed \(context.seed): untrained")

        steps.append(PagerStep(title: localized("Why more than one head?"), body: prose("""
            One attention head produces one weighted average per word: a single opinion about which \
            other words matter. But a word relates to others in several ways at once. For "it" in \
            "\(AttentionLesson.sentence)" one relation is "what does it refer to?" (animal), another \
            "what is said about it?" (tired), another is plain grammar (was).

            Think of taking in a lecture: you can take notes, record the sound and film the board. \
            Each captures something the others miss. Multi-head attention runs h heads side by \
            side, each with its own W_Q, W_K, W_V, so each can learn its own kind of relation, then \
            puts their results together.
            """)))

        // Splitting.
        let q = try attention.query(x)                 // (T, d)
        let split = try q.splitHeads(h)                // (h, T, d/h)
        let firstRow = q.row(0).map { formatNumber($0, decimals: 2) }
        let perHead = (0..<h).map { head in
            "    " + localized("head \(head + 1)") + ": [" + (0..<dh).map { formatNumber(split[head, 0, $0], decimals: 2) }.joined(separator: ", ") + "]"
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Split d_model into h heads"), body: prose("""
            With d_model = \(d) and h = \(h) heads, each head works in d_k = d_model / h = \(dh) \
            dimensions. The projections are computed once at full width, Q = X·W_Q is \(tokens.count) × \(d), \
            and then cut into \(h) slices of \(dh) columns: a reshape to \(tokens.count) × \(h) × \(dh) and a \
            transpose to \(h) × \(tokens.count) × \(dh). No numbers change, they are only regrouped. \
            The query of "\(tokens[0])":

                \(narrator.hanging("q(\(tokens[0])) = [\(firstRow.joined(separator: ", "))]", continuation: 12))

            becomes \(h) head queries of \(dh) numbers each:
            """) + "\n\n" + perHead + "\n\n" + prose("""
            The same happens to K and V. Because each head is \(h) times narrower, h heads cost about \
            as much as one full-width head.
            """)))

        // Per-head attention.
        let gridPath = try figures.write(HeadGrid(title: localized("\(h) heads, \(h) attention patterns"),
                                                  subtitle: localized("\(seedNote) · one shared colour scale"),
                                                  heads: headWeights, rowLabels: tokens, columnLabels: tokens),
                                         as: "01-heads.png")
        var headText = ""
        for head in 0..<h {
            let weights = try Tensor(headWeights[head])
            headText += context.style.bold(localized("head \(head + 1)")) + "\n"
                + narrator.heat(weights, rows: tokens, columns: tokens, range: 0...1, showValues: false) + "\n\n"
        }
        steps.append(PagerStep(title: localized("Each head attends on its own"), body: prose("""
            Each head runs exactly the scaled dot-product attention of lesson 3 on its own slice: \
            softmax(Q_h K_hᵀ / √\(dh)) V_h. Here are the \(h) weight matrices (brighter = more weight):
            """) + "\n\n" + headText + figureLine(gridPath)))

        // Concatenate and project.
        let counts = attention.parameterCount
        steps.append(PagerStep(title: localized("Concatenate, then project with W_O"), body: prose("""
            Each head returns \(tokens.count) × \(dh) values. Side by side (concatenated) they form \
            \(tokens.count) × \(d) again, and one last matrix W_O (\(d) × \(d)) mixes the heads' results:

                MultiHead(Q, K, V) = Concat(head_1, …, head_\(h)) · W_O
                head_i = Attention(X W_Q^i, X W_K^i, X W_V^i)

            The output has the same shape as the input, \(tokens.count) × \(d), so layers can be stacked. \
            This layer holds four \(d) × \(d) matrices plus four biases: 4·(\(d)·\(d) + \(d)) = \(counts) \
            parameters, the same whatever h is.

            The output rows:
            """) + "\n\n" + narrator.matrix(result.output, rows: tokens, columns: (1...d).map { "\($0)" }, decimals: 1)))

        // Different heads, different patterns.
        let focus = tokens.firstIndex(of: "it") ?? 0
        let table: [[Float]] = headWeights.map { weights in
            let row = weights[focus]
            let meanEntropy = weights.map { entropy($0) }.reduce(0, +) / Float(weights.count)
            let best = row.enumerated().max { $0.element < $1.element }!
            return [meanEntropy, Float(best.offset), best.element]
        }
        let tableText = table.enumerated().map { head, values in
            "    " + localized("head \(head + 1):  mean entropy \(formatNumber(values[0])) nats   \"it\" looks most at \"\(tokens[Int(values[1])])\" (\(formatNumber(values[2])))")
        }.joined(separator: "\n")
        let linesPath = try figures.write(HeadView(title: localized("Head view: lines from each word to the words it attends to"),
                                                   subtitle: localized("one colour per head · line opacity ∝ weight (scaled to the largest) · \(seedNote)"),
                                                   queryTokens: tokens, keyTokens: tokens, heads: headWeights),
                                          as: "02-head-view.png")
        let itPath = try figures.write(HeadView(title: localized("Where does \"it\" look? One colour per head"),
                                                subtitle: seedNote, queryTokens: tokens, keyTokens: tokens,
                                                heads: headWeights, highlightQuery: focus),
                                       as: "03-head-view-it.png")
        steps.append(PagerStep(title: localized("Different heads, different patterns"), body: prose("""
            Even untrained, the heads differ, because each has its own random W_Q and W_K. A low \
            entropy means a head concentrates on few words, a high one (up to ln \(tokens.count) = \
            \(formatNumber(log(Float(tokens.count))))) that it spreads evenly:
            """) + "\n\n" + tableText + "\n\n" + prose("""
            In trained models heads specialise: some attend to the previous word, some to the \
            sentence's end or to punctuation. Whether one links "it" to the noun it stands for is \
            a question lesson 14 puts to every head of a real pre-trained model.
            """) + "\n\n" + figureLine(linesPath) + "\n" + figureLine(itPath)))

        // The same mechanism, trained: the translator's cross-attention heads.
        let translator = try TrainedModels.translator()
        let chinese = ParallelCorpus.tokenizeChinese("我昨天在花园里看到了一只猫")
        let english = try translator.translate(chinese)
        let decoderInput = ["<s>"] + english
        let targetIDs = Dictionary(translator.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let trace = try translator.model.trace(source: translator.sourceIDs(chinese),
                                               decoderInput: decoderInput.map { targetIDs[$0] ?? 0 },
                                               sourceTokens: chinese, decoderTokens: decoderInput)
        let lastLayer = trace.layers(kind: .cross) - 1
        let crossHeads = trace.entries(kind: .cross).filter { $0.layer == lastLayer }.sorted { $0.head < $1.head }
        let trainedPath = try figures.write(
            HeadGrid(title: localized("Trained heads: the translator's cross-attention, layer \(lastLayer + 1)"),
                     subtitle: localized("the encoder–decoder trained by this project (tx train translator) · row \"a → b\": the decoder reads a and writes b · columns: Chinese source"),
                     heads: crossHeads.map(\.weights),
                     rowLabels: zip(decoderInput, english + ["</s>"]).map { "\($0) → \($1)" }, columnLabels: chinese),
            as: "04-trained-translator-heads.png")
        let yesterday = decoderInput.firstIndex(of: "yesterday")
        let headLines = crossHeads.map { entry -> String in
            guard let yesterday else { return "" }
            let row = entry.weights[yesterday - 1 < 0 ? 0 : yesterday - 1]
            let best = row.indices.max { row[$0] < row[$1] }!
            return "    " + localized("head \(entry.head + 1): while writing \"yesterday\" it looks most at \"\(chinese[best])\" (\(formatNumber(row[best])))")
        }.joined(separator: "\n")
        let written = english + ["</s>"]
        let peaks = crossHeads.map { Self.peaksOnTranslation($0.weights, written: written, source: chinese) }
        let peakLines = zip(crossHeads, peaks).map { entry, peak in
            "    " + localized("head \(entry.head + 1): \(peak.hits) of \(peak.rows) rows")
        }.joined(separator: "\n")
        let mostly = peaks.filter { 2 * $0.hits > $0.rows }.count
        let peakVerdict = mostly == peaks.count
            ? localized("In every head most rows are one bright cell on the character being translated.")
            : mostly == 0
            ? localized("""
                In no head do most rows peak on the character being translated. The heads are not a \
                dictionary: each gathers whatever helps predict the next word.
                """)
            : localized("""
                Only \(mostly) of the \(peaks.count) heads put most rows on the character being \
                translated. The heads are not a dictionary: each gathers whatever helps predict \
                the next word.
                """)
        steps.append(PagerStep(title: localized("Trained heads"), body: prose("""
            Random heads only show the mechanics. Here are four heads that learned something: the \
            cross-attention of the small translator this project trained (tx train translator; \
            2 + 2 layers, 4 heads, d_model 64, shipped with the package), translating \
            \(chinese.joined()) into "\(english.joined(separator: " "))". Each row is a position of \
            the decoder: its query looks at the encoder's keys for the Chinese characters. The row \
            of the token before "yesterday" is where the model decides to write "yesterday":
            """) + "\n\n" + headLines + "\n\n" + prose("""
            Does a row look at the character it translates? For the rows whose word has \
            characters of its own (a dictionary check, as in lesson 7), how many have their \
            brightest cell on them:
            """) + "\n\n" + peakLines + "\n\n" + prose("""
            \(peakVerdict) Concatenated and projected by W_O, the heads together give each position what it \
            needs. Lesson 14 looks inside a real pre-trained model.
            """) + "\n\n" + figureLine(trainedPath) + "\n\n" + narrator.figuresWritten(figures.written)
            + "\n\n" + localized("Explore these heads yourself, key by key (Tab switches the kind of attention):") + "\n"
            + "    tx explore --model translator --text \"\(chinese.joined())\""))

        return LessonRun(steps: steps, figures: figures.written)
    }

    /// For one head's weights (row t writes `written[t]`): of the rows whose word has a gloss
    /// (`EncoderDecoderLesson.gloss`), how many have their largest weight on a character of it.
    static func peaksOnTranslation(_ weights: [[Float]], written: [String], source: [String]) -> (hits: Int, rows: Int) {
        var hits = 0, rows = 0
        for (t, row) in weights.enumerated() where t < written.count {
            guard let gloss = EncoderDecoderLesson.gloss[written[t].lowercased()],
                  source.contains(where: { $0.allSatisfy { gloss.contains($0) } }) else { continue }
            rows += 1
            let best = row.indices.max { row[$0] < row[$1] } ?? 0
            if source[best].allSatisfy({ gloss.contains($0) }) { hits += 1 }
        }
        return (hits, rows)
    }
}
