import Analysis
import ArgumentParser
import Figures
import Foundation
import Lessons
import ModelIO
import Terminal
import TrainedModels
import Transformer
import Training

/// `tx analyze …`: what attention does, measured, on any model the project runs.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attention rollout and flow, the logit lens, head ablation.",
        // The usage lines are written out (ArgumentParser does not wrap them) so that every
        // --help fits 80 columns.
        discussion: """
            Models: minilm, smollm2, lm (the trained language model), bert (the trained tiny BERT), \
            translator (ablate only), or a path to a .gguf / .safetensors model. Rollout and flow are for encoders, the lens \
            for decoders; ablation works on every one.

            Examples:
              tx analyze rollout --model minilm --query it \\
                  --text "The animal didn't cross the street because it was too tired"
              tx analyze flow --model minilm --query it \\
                  --text "The animal didn't cross the street because it was too tired"
              tx analyze lens --model smollm2 --text "The capital of France is"
              tx analyze ablate --model smollm2 --layer 4 --head 2 \\
                  --text "The capital of France is"
              tx analyze ablate --model bert --layer 2 --head 1 \\
                  --text "我是学生 [SEP] I am a [MASK]"
              tx analyze ablate --model translator --kind cross --layer 2 --head 3 \\
                  --text "我昨天在花园里看到了一只猫"
              tx analyze sweep --model lm --text "i saw a ball in the"
            """,
        subcommands: [Rollout.self, Flow.self, Lens.self, Ablate.self, Sweep.self]
    )
}

/// Options every analysis takes.
struct AnalysisOptions: ParsableArguments {
    @Option(help: "minilm, smollm2, lm, bert, or a path to a .gguf file, a .safetensors file or a model folder.",
            completion: .modelOrPath(Names.ablate))
    var model: String

    @Option(help: "The text to run. For bert: Chinese characters and English words, the two sentences split by [SEP], with a [MASK] to predict.")
    var text: String

    @Flag(help: "Keep the first tokens of a text too long for the model or the figure, instead of stopping.")
    var truncate = false

    @Flag(help: "No ANSI colour.")
    var noColor = false
}

/// A model loaded for the analyses, with the text tokenised for it.
struct AnalysisInput {
    let model: ProbedModel
    let name: String
    let ids: [Int]
    let labels: [String]
    let segments: [Int]?

    static let tokenLimit = RealModelAttention.figureTokenLimit

    static func load(_ options: AnalysisOptions) throws -> AnalysisInput {
        let text = options.text
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("--text is empty: give the text to analyse")
        }
        switch options.model.lowercased() {
        case "lm":
            let lm = try loadTrained { try TrainedModels.languageModel() }
            let words = ParallelCorpus.tokenizeEnglish(text)
            let unknown = words.filter { !lm.vocabulary.contains($0) }
            guard unknown.isEmpty, !words.isEmpty else {
                throw CLIError("the language model does not know \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); "
                               + "it knows the words of the project's corpus, e.g. --text \"i saw a ball in the\"")
            }
            let ids = lm.input(words)
            guard ids.count <= tokenLimit else { throw CLIError("the text is \(ids.count) tokens long; the limit is \(tokenLimit)") }
            return AnalysisInput(model: .stack(lm.model, vocabulary: lm.vocabulary), name: "the trained language model",
                                 ids: ids, labels: ["<s>"] + words, segments: nil)
        case "bert", "tiny-bert":
            let bert = try loadTrained { try TrainedModels.tinyBERT() }
            let halves = text.components(separatedBy: "[SEP]").map(Self.tinyBERTTokens)
            guard halves.count <= 2, !halves[0].isEmpty else {
                throw CLIError("give one or two sentences split by [SEP], e.g. --text \"我是学生 [SEP] I am a [MASK]\"")
            }
            let pair = bert.encodePair(halves[0], halves.count == 2 ? halves[1] : nil)
            let unknown = pair.tokens.enumerated().filter { pair.ids[$0.offset] == bert.unknownID }.map(\.element)
            guard unknown.isEmpty else {
                throw CLIError("the tiny BERT does not know \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); use the corpus's words")
            }
            guard pair.ids.count <= 64 else { throw CLIError("the text is \(pair.ids.count) tokens long; the tiny BERT reads at most 64") }
            return AnalysisInput(model: .stack(bert.model, vocabulary: bert.vocabulary), name: "the trained tiny BERT",
                                 ids: pair.ids, labels: pair.tokens, segments: pair.segments)
        default:
            if ModelStore.Name(rawValue: options.model.lowercased()) == nil, !options.model.contains("/"), !options.model.contains(".") {
                throw CLIError("unknown model '\(options.model)'; available: \(Names.analyze.joined(separator: ", ")), or a path to a model file or folder")
            }
            let real = try RealModel.load(options.model)
            let limit = min(real.positionLimit, tokenLimit)
            let tokens = try realModelTokens(real, text: text, limit: limit,
                                             limitReason: "an analysis figure shows", truncate: options.truncate)
            switch real {
            case let .encoder(model, name):
                return AnalysisInput(model: .bert(model), name: name, ids: tokens.ids, labels: tokens.labels, segments: nil)
            case let .decoder(model, name):
                return AnalysisInput(model: .llama(model), name: name, ids: tokens.ids, labels: tokens.labels, segments: nil)
            }
        }
    }

    /// Chinese one character per token, other text split at spaces ([MASK] kept whole).
    static func tinyBERTTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        for word in text.split(whereSeparator: \.isWhitespace).map(String.init) {
            if word.unicodeScalars.allSatisfy({ (0x4E00...0x9FFF).contains($0.value) }) {
                tokens += word.map(String.init)
            } else {
                tokens += ParallelCorpus.tokenizeEnglish(word).isEmpty || word == "[MASK]" ? [word] : ParallelCorpus.tokenizeEnglish(word)
            }
        }
        return tokens
    }

    private static func loadTrained<T>(_ load: () throws -> T) throws -> T {
        do { return try load() } catch { throw CLIError("cannot load the trained model: \(error)") }
    }

    /// Every layer's heads [L][h][T][T] from a probe run.
    func layers(_ run: ProbeResult) -> [[[[Float]]]] {
        (0..<model.layerCount).map { layer in
            (0..<model.headCount).map { head in
                run.trace.entries.first { $0.layer == layer && $0.head == head }?.weights ?? []
            }
        }
    }

    var quotedText: String {
        let joined = labels.joined(separator: " ")
        return "\"\(joined.count > 70 ? String(joined.prefix(67)) + "…" : joined)\""
    }
}

/// Runs `body`, turning any error that is not already a `CLIError` into one.
func analysisStep<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch { throw CLIError("\(what): \(error)") }
}

// MARK: Rollout and flow

/// The query position a rollout or flow follows: the first token equal to `query` (case
/// ignored), or the last token that is not [SEP] / [CLS].
func queryPosition(_ query: String?, labels: [String]) throws -> Int {
    if let query {
        if let index = labels.firstIndex(where: { $0.lowercased() == query.lowercased() }) { return index }
        if let index = Int(query), labels.indices.contains(index) { return index }
        throw CLIError("--query \(query): no such token; the tokens are \(labels.joined(separator: " · ")) (or give a position from 0)")
    }
    return labels.lastIndex { !["[SEP]", "[CLS]"].contains($0) } ?? labels.count - 1
}

struct RolloutReport {
    static func run(options: AnalysisOptions, query: String?, out: String, withFlow: Bool) throws {
        let input = try AnalysisInput.load(options)
        guard !input.model.isCausal else {
            throw CLIError("rollout and flow are for encoders (minilm, bert); for a decoder try tx analyze lens")
        }
        let position = try queryPosition(query, labels: input.labels)
        // The arguments first (model, text, query), then the output folder.
        try checkDestination(out, default: withFlow ? "Output/flow.png" : "Output/rollout.png")
        let run = try analysisStep("running \(input.name)") {
            try input.model.run(ids: input.ids, labels: input.labels, segments: input.segments)
        }
        let layers = input.layers(run)
        let raw = RolloutFigure.meanAttention(of: position, layers: layers)
        let rollout = AttentionRollout.rollout(layers).map { $0[position].map(Float.init) }
        let flow = withFlow ? AttentionRollout.flow(layers, query: position).map { $0.map(Float.init) } : nil
        let token = input.labels[position]
        let chart = RolloutFigure.make(title: "\(input.name): where \"\(token)\" gets its information, layer by layer",
                                       subtitle: input.quotedText + " · rollout multiplies 0.5·A + 0.5·I over the layers (Abnar & Zuidema 2020)",
                                       labels: input.labels, query: position, raw: raw, rollout: rollout, flow: flow)
        try analysisStep("drawing") { try render(chart, to: out) }

        var report = "\(input.name), query \"\(token)\" (position \(position)):\n\n"
        func top(_ row: [Float]) -> String {
            row.indices.sorted { row[$0] > row[$1] }.prefix(3).map { "\(input.labels[$0]) \(String(format: "%.2f", Double(row[$0])))" }
                .joined(separator: ", ")
        }
        for l in layers.indices {
            report += "  layer \(l + 1):  raw → \(top(raw[l]))\n            rollout → \(top(rollout[l]))\n"
            if let flow { report += "            flow → \(top(flow[l]))\n" }
        }
        report += "\nRollout is cheap (one product per layer) but spreads credit over every path; "
            + "flow is exact for the same graph and costs one max-flow problem per token.\n"
        report += "Wrote \(out)\n"
        writeOut(report)
    }
}

extension Analyze {
    struct Rollout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attention rollout (Abnar & Zuidema 2020): how much of each input token reaches a position, layer by layer.",
            usage: "tx analyze rollout --model <model> --text <text> [<options>]")
        @OptionGroup var options: AnalysisOptions
        @Option(help: "The token to follow (its text, or a position from 0); default: the last word.")
        var query: String?
        @Option(help: "Where to write the figure (.png, .svg or .pdf).", completion: .figure)
        var out = "Output/rollout.png"
        func run() throws { try RolloutReport.run(options: options, query: query, out: out, withFlow: false) }
    }

    struct Flow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attention flow (Abnar & Zuidema 2020): max-flow through the layer graph, beside raw attention and rollout.",
            usage: "tx analyze flow --model <model> --text <text> [<options>]")
        @OptionGroup var options: AnalysisOptions
        @Option(help: "The token to follow (its text, or a position from 0); default: the last word.")
        var query: String?
        @Option(help: "Where to write the figure (.png, .svg or .pdf).", completion: .figure)
        var out = "Output/flow.png"
        func run() throws { try RolloutReport.run(options: options, query: query, out: out, withFlow: true) }
    }

    struct Lens: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The logit lens (nostalgebraist 2020): each layer's residual stream read through the final norm and unembedding.",
            usage: "tx analyze lens --model <model> --text <text> [<options>]")
        @OptionGroup var options: AnalysisOptions
        @Option(help: "Where to write the figure (.png, .svg or .pdf).", completion: .figure)
        var out = "Output/logit-lens.png"

        func run() throws {
            let input = try AnalysisInput.load(options)
            guard input.model.isCausal else {
                throw CLIError("the logit lens reads a decoder's next-token guesses: use smollm2 or lm (an encoder predicts no next token)")
            }
            try checkDestination(out, default: "Output/logit-lens.png")   // after the model's and the text's checks
            let lens = try analysisStep("running \(input.name)") {
                try LogitLens(model: input.model, ids: input.ids, labels: input.labels)
            }
            let final = lens.finalAnswers
            let cells = lens.cells.map { row in
                row.enumerated().map { p, cell in
                    LogitLensFigure.Cell(token: cell.token, probability: cell.probability, isFinalAnswer: cell.id == final[p].id)
                }
            }
            let rowLabels = ["embedding"] + (1..<lens.cells.count).map { "layer \($0)" }
            let first = input.labels.indices.map { lens.firstRowWithFinalAnswer(position: $0) }
            let chart = LogitLensFigure(title: "\(input.name): the logit lens",
                                        subtitle: "each layer's top next token at every position · " + input.quotedText,
                                        cells: cells, rowLabels: rowLabels, columnLabels: input.labels,
                                        outlinedRows: first)
            try analysisStep("drawing") { try render(chart, to: out) }

            let last = input.labels.count - 1
            var report = "\(input.name), the next token after \(input.quotedText), layer by layer:\n\n"
            for (row, label) in rowLabels.enumerated() {
                let cell = lens.cells[row][last]
                report += "  \(pad(label, to: 10))  \(pad(cell.token, to: 16)) \(String(format: "%.3f", Double(cell.probability)))\n"
            }
            let answer = final[last]
            let firstRow = lens.firstRowWithFinalAnswer(position: last), settled = lens.settledRow(position: last)
            report += "\nThe final answer \"\(answer.token)\" is first top-1 at \(rowLabels[firstRow])"
            report += settled == firstRow ? " and stays top-1 from there.\n" : ", and stays top-1 from \(rowLabels[settled]) on.\n"
            report += "Wrote \(out)\n"
            writeOut(report)
        }
    }

    struct Ablate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence one attention head and show what the prediction loses (KL, top-5 before and after).",
            // One line: `tx` wraps every USAGE between whole arguments to the window's width.
            usage: "tx analyze ablate --model <model> --text <text> --layer <layer> --head <head> [<options>]")
        @OptionGroup var options: AnalysisOptions
        @Option(help: "The layer of the head, from 1.")
        var layer: Int
        @Option(help: "The head to silence, from 1.")
        var head: Int
        @Option(help: "With --model translator: which attention the head belongs to: encoder-self, decoder-causal-self or cross (default).")
        var kind: AttentionKind?

        func run() throws {
            if options.model.lowercased() == "translator" { return try runTranslator() }
            if kind != nil { throw CLIError("--kind goes with --model translator; the other models have one kind of attention") }
            let input = try AnalysisInput.load(options)
            guard (1...input.model.layerCount).contains(layer) else {
                throw CLIError("--layer \(layer) is out of range: \(input.name) has layers 1…\(input.model.layerCount)")
            }
            guard (1...input.model.headCount).contains(head) else {
                throw CLIError("--head \(head) is out of range: \(input.name) has heads 1…\(input.model.headCount)")
            }
            let silenced: Set<HeadIndex> = [HeadIndex(layer: layer - 1, head: head - 1)]
            let position = try predictedPosition(input)
            if case .bert = input.model {
                // MiniLM has no output head: compare its sentence vectors.
                let sweep = try analysisStep("running \(input.name)") {
                    try HeadAblation.sweep(model: input.model, ids: input.ids, labels: input.labels)
                }
                let change = sweep[layer - 1][head - 1]
                writeOut("\(input.name) has no output head, so silencing layer \(layer), head \(head) is measured on its "
                         + "sentence vector (the mean of the last layer): 1 − cosine = \(String(format: "%.5f", change)).\n")
                return
            }
            let ablation = try analysisStep("running \(input.name)") {
                try HeadAblation(model: input.model, ids: input.ids, labels: input.labels, segments: input.segments,
                                 heads: silenced, position: position)
            }
            let (before, after) = ablation.top(5, model: input.model)
            let what = input.model.isCausal ? "the next token after \(input.quotedText)"
                : "the token at position \(position) (\(input.labels[position])) of \(input.quotedText)"
            var report = "\(input.name), \(what), with layer \(layer), head \(head) silenced:\n\n"
            report += "  \(pad("before", to: 26))  after\n"
            for i in 0..<5 {
                let b = before[i], a = after[i]
                report += "  \(pad("\(b.token)  \(String(format: "%.3f", Double(b.probability)))", to: 26))  "
                    + "\(a.token)  \(String(format: "%.3f", Double(a.probability)))\n"
            }
            report += "\nKL(before ‖ after) = \(String(format: "%.5f", ablation.divergence)) nats"
            report += before[0].id == after[0].id ? "; the top token stays \"\(before[0].token)\".\n"
                : "; the top token changes from \"\(before[0].token)\" to \"\(after[0].token)\".\n"
            writeOut(report)
        }

        /// The translator: the output sentence before and after.
        func runTranslator() throws {
            let translator: Translator
            do { translator = try TrainedModels.translator() } catch { throw CLIError("cannot load the translator: \(error)") }
            let source = ParallelCorpus.tokenizeChinese(options.text)
            guard !source.isEmpty else { throw CLIError("--text is empty: give a Chinese sentence, e.g. --text \"我是一个学生\"") }
            let unknown = source.filter { !translator.sourceVocabulary.contains($0) }
            guard unknown.isEmpty else {
                throw CLIError("the translator does not know \(unknown.joined(separator: " ")); use the corpus's characters, e.g. --text \"我们每天在学校画一朵花\"")
            }
            let c = translator.model.configuration
            guard (1...c.layers).contains(layer) else { throw CLIError("--layer \(layer) is out of range: the translator has layers 1…\(c.layers)") }
            guard (1...c.heads).contains(head) else { throw CLIError("--head \(head) is out of range: the translator has heads 1…\(c.heads)") }
            let kind = kind ?? .cross
            let ids = translator.sourceIDs(source)
            func translate(_ heads: Set<TranslatorAblation.Head>) throws -> String {
                let out = try analysisStep("translating") {
                    try TranslatorAblation(model: translator.model, silencing: heads)
                        .translate(source: ids, startID: translator.startID, endID: translator.endID, maxLength: 32)
                }
                return out.map { translator.targetVocabulary[$0] }.joined(separator: " ")
            }
            let before = try translate([]), after = try translate([.init(kind: kind, layer: layer - 1, head: head - 1)])
            writeOut("""
                the trained translator, \(source.joined()) with layer \(layer), head \(head) of the \(kind.rawValue) attention silenced:

                  before: \(before)
                  after:  \(after)
                \(before == after ? "The sentence does not change." : "The sentence changes.")

                """)
        }
    }

    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence every head in turn and rank them by their effect on one prediction (a layers × heads heatmap).",
            usage: "tx analyze sweep --model <model> --text <text> [<options>]")
        @OptionGroup var options: AnalysisOptions
        @Option(help: "Where to write the figure (.png, .svg or .pdf).", completion: .figure)
        var out = "Output/ablation-sweep.png"

        func run() throws {
            let input = try AnalysisInput.load(options)
            let position = try predictedPosition(input)
            try checkDestination(out, default: "Output/ablation-sweep.png")   // after the model's and the text's checks
            let effects = try analysisStep("running \(input.name)") {
                try HeadAblation.sweep(model: input.model, ids: input.ids, labels: input.labels, segments: input.segments,
                                       position: position)
            }
            let measure: String
            if case .bert = input.model { measure = "1 − cosine of the sentence vector" } else { measure = "KL(before ‖ after), nats" }
            let what = input.model.isCausal ? "the next token" : "position \(position) (\(input.labels[position]))"
            let chart = Heatmap(values: effects.map { $0.map(Float.init) },
                                rowLabels: (1...effects.count).map { "layer \($0)" },
                                columnLabels: (1...effects[0].count).map { "\($0)" },
                                title: "\(input.name): what silencing each head costs",
                                subtitle: "effect on \(what) of \(input.quotedText)", colorMap: .viridis,
                                showValues: effects[0].count <= 12 && effects.count <= 12, valueFormat: "%.3f",
                                colorBarLabel: measure, xAxisTitle: "head", yAxisTitle: "layer",
                                cellSize: effects.count > 12 ? 22 : nil)
            try analysisStep("drawing") { try render(chart, to: out) }
            let ranked = effects.enumerated().flatMap { l, row in row.enumerated().map { (l, $0.offset, $0.element) } }
                .sorted { $0.2 > $1.2 }
            var report = "\(input.name): every head silenced alone, effect on \(what) (\(measure)):\n\n"
            for (rank, (l, h, effect)) in ranked.prefix(8).enumerated() {
                report += "  \(rank + 1). layer \(l + 1), head \(h + 1): \(String(format: "%.5f", effect))\n"
            }
            report += "\nWrote \(out)\n"
            writeOut(report)
        }
    }
}

/// The position whose prediction ablation compares: the last for a decoder, the first [MASK]
/// for the tiny BERT, the last token otherwise.
func predictedPosition(_ input: AnalysisInput) throws -> Int {
    if input.model.isCausal { return input.ids.count - 1 }
    if case .stack = input.model {
        guard let mask = input.labels.firstIndex(of: "[MASK]") else {
            throw CLIError("the tiny BERT predicts a hidden token: put [MASK] in --text, e.g. \"我是学生 [SEP] I am a [MASK]\"")
        }
        return mask
    }
    return input.ids.count - 1
}
