import ArgumentParser
import Figures
import Lessons
import TensorCore
import Terminal
import Transformer

struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the attention weights of one attention head over your sentence.",
        discussion: """
            The sentence is split into words (Chinese: one character each), each word gets a toy \
            embedding, and a randomly initialised head (W_Q, W_K, W_V drawn from --seed) computes \
            softmax(QKᵀ/√d_k). The weights are printed as a coloured grid and drawn to --out \
            (.png, .svg or .pdf). The head is untrained, so the pattern is not meaningful yet.

            With --arch the sentence goes through a model of that architecture instead: the trained \
            model shipped with the package when it knows every word (a Chinese sentence from the \
            project's corpus, see tx compare --help), otherwise a tiny untrained one (2 layers, \
            4 heads; choose with --weights). --view picks the figure: one head as a heatmap, all \
            heads of a layer as a grid, every layer and head as a model view, or lines between \
            tokens (the head view). --json writes the whole attention trace (schema: \
            docs/trace-schema.md).

            With --model the sentence goes through a real pre-trained model instead: minilm \
            (all-MiniLM-L6-v2, a BERT encoder: 6 layers × 12 heads), smollm2 (SmolLM2-135M-Instruct, a \
            Llama decoder: 30 layers × 9 heads, causal), or a path to your own .gguf file, .safetensors \
            file (beside its config.json and vocab.txt) or model folder. The same --view, --layer, \
            --head and --json apply. Figures show at most \(RealModelAttention.figureTokenLimit) tokens; \
            --truncate keeps the first ones of a longer text.

            Examples:
              tx attention \\
                  --text "The animal didn't cross the street because it was too tired" \\
                  --seed 7 --out Output/attention.png
              tx attention --text "我是一个学生" --causal --out Output/causal.svg
              tx attention --text "The animal didn't cross the street" --arch encoder \\
                  --view model --out Output/model.png
              tx attention --text "我是一个学生" --target "I am a student" \\
                  --arch encoder-decoder --view grid --layer 2 --json Output/trace.json
              tx attention --text "我昨天在花园里看到了一只猫" --arch encoder-decoder \\
                  --kind cross --view model
              tx attention --model minilm \\
                  --text "The animal didn't cross the street because it was too tired" \\
                  --view model
              tx attention --model smollm2 --text "The capital of France is" --layer 12 \\
                  --head 3
              tx attention --model ~/models/bert-base-uncased --text "A river bank" \\
                  --view lines --layer 6
            """
    )

    @Option(help: "The sentence to attend over.")
    var text: String

    @Option(parsing: .unconditional, help: "Seed for the embeddings and the head's weights.")
    var seed: UInt64 = 7

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.")
    var out: String = "Output/attention.png"

    @Flag(help: "Apply the causal (look-ahead) mask: each word sees only itself and earlier words.")
    var causal = false

    @Option(name: .customLong("d-model"), parsing: .unconditional, help: "Embedding size d_model, \(OptionBounds.text(OptionBounds.toyModelDimension)).")
    var modelDimension: Int = 8

    @Option(name: .customLong("d-k"), parsing: .unconditional, help: "Query/key size d_k, \(OptionBounds.text(OptionBounds.toyKeyDimension)).")
    var keyDimension: Int = 4

    @Option(help: ArgumentHelp("A real pre-trained model: \(RealModel.argumentHelp).", valueName: "name-or-path"))
    var model: String?

    @Flag(help: "With --model: keep the first tokens of a text too long for the model or the figure, instead of stopping.")
    var truncate = false

    @Option(help: "Run a tiny model of this architecture: encoder, decoder or encoder-decoder.")
    var arch: ArchitectureDemo.Architecture?

    @Option(help: "With --arch encoder-decoder: the target sentence (default: the trained translator's translation, or --text for untrained models).")
    var target: String?

    @Option(help: "With --arch: trained (the shipped models) or random (tiny untrained ones, from --seed). Default: trained when they know every word.")
    var weights: ArchitectureDemo.Weights?

    @Option(help: "With --arch: which attention to show: encoder-self, decoder-causal-self or cross (default: the architecture's own; cross for encoder-decoder).")
    var kind: AttentionKind?

    @Option(parsing: .unconditional, help: "With --arch or --model: the layer to draw, from 1.")
    var layer: Int = 1

    @Option(parsing: .unconditional, help: "With --arch or --model: the head to draw (heatmap view), from 1.")
    var head: Int = 1

    @Option(help: "With --arch or --model: heatmap (one head), grid (all heads of --layer), model (every layer and head) or lines (head view of --layer).")
    var view: View = .heatmap

    @Option(help: "With --arch or --model: also write the attention trace as JSON to this path.")
    var json: String?

    @Option(help: "Also write one interactive HTML page (head, model and neuron views; a single offline file) to this path.")
    var html: String?

    @Flag(name: .customLong("with-qk"), help: "Put every head's queries and keys in the trace (--json, --html): the neuron view's data. Large.")
    var withQueriesKeys = false

    @Flag(help: "No ANSI colour.")
    var noColor = false

    enum View: String, ExpressibleByArgument, CaseIterable {
        case heatmap, grid, model, lines
    }

    func run() throws {
        let style = TerminalStyle.detect(noColorFlag: noColor)
        // Out-of-range layers and heads are refused by each model with its own range; these
        // bounds only keep absurd numbers out of the arithmetic.
        try OptionBounds.check(layer, in: OptionBounds.layerOrHead, option: "--layer")
        try OptionBounds.check(head, in: OptionBounds.layerOrHead, option: "--head")
        if let json {
            do { try checkOutputDestination(json) } catch { throw CLIError("\(error)") }
        }
        if let model {
            if arch != nil { throw CLIError("--model and --arch both choose the model: give one of them") }
            if causal || modelDimension != 8 || keyDimension != 4 || kind != nil || target != nil || weights != nil {
                throw CLIError("--causal, --d-model, --d-k, --kind, --target and --weights do not apply to --model: the model decides them")
            }
            try RealModelAttention(command: self, modelArgument: model, style: style).run()
            return
        }
        if let arch {
            if causal || modelDimension != 8 || keyDimension != 4 {
                throw CLIError("--causal, --d-model and --d-k shape the single random head; with --arch the model decides them: leave them out")
            }
            try runModel(arch, style: style)
            return
        }
        // The single random head draws one heatmap: refuse what only a model view would use,
        // rather than silently drawing something else.
        let modelOnly = [(view != .heatmap, "--view \(view.rawValue)"), (layer != 1, "--layer"), (head != 1, "--head"),
                         (json != nil, "--json"), (kind != nil, "--kind"), (target != nil, "--target"),
                         (weights != nil, "--weights"), (truncate, "--truncate")].filter(\.0).map(\.1)
        if !modelOnly.isEmpty {
            throw CLIError("\(modelOnly.joined(separator: ", ")) needs a model: add --arch encoder|decoder|encoder-decoder or --model NAME")
        }
        // Check the destinations before computing anything, so a bad path fails fast and cleanly.
        try checkDestination(out)
        try checkTraceDestinations()
        try OptionBounds.check(modelDimension, in: OptionBounds.toyModelDimension, option: "--d-model")
        try OptionBounds.check(keyDimension, in: OptionBounds.toyKeyDimension, option: "--d-k")
        let demo: AttentionDemo
        do {
            demo = try AttentionDemo(text: text, seed: seed,
                                     options: .init(modelDimension: modelDimension, keyDimension: keyDimension, causal: causal))
        } catch {
            throw CLIError("\(error)")
        }
        let tokens = demo.tokens.map(shown)   // the user's words: printed and drawn
        let kind = causal ? "causal self-attention, as in a decoder" : "self-attention, as in an encoder"
        let heatmap = Heatmap(values: demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens,
                              title: "Attention weights of one head · \(kind)",
                              subtitle: "randomly initialised, seed \(seed), d_model \(modelDimension), d_k \(keyDimension): untrained, so no meaning yet",
                              colorMap: .viridis, valueRange: 0...1, showValues: tokens.count <= 16,
                              colorBarLabel: "weight", xAxisTitle: "key (the word being looked at)",
                              yAxisTitle: "query (the word looking)",
                              hidden: causal ? demo.stages.maskedScores.rows.map { $0.map { !$0.isFinite } } : nil)
        do {
            // The figure and the trace files are published together, or none of them.
            let outputs = StagedOutputs()
            try outputs.stage(heatmap, to: out)
            try stageTraceFiles(try singleHeadTrace(demo), title: "One randomly initialised head (\(kind))", into: outputs)
            try outputs.publish()
        } catch {
            throw CLIError("\(error) (nothing was written)")
        }
        let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                   color: { ColorMap.viridis.color(at: $0).bytes })
            .format(demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens, range: 0...1)
        writeOut("""
            Tokens (\(tokens.count)): \(tokens.joined(separator: " · "))
            Attention weights of a randomly initialised head (\(kind)); each row sums to 1:

            \(grid)

            Wrote \(out)\(tracePaths)

            """)
        // Three short lines: stderr is not re-wrapped, and the note must fit 80 columns.
        writeErr("Note: this head is untrained (seed \(seed)); its pattern shows the mechanics,\n"
                 + "not meaning. For trained attention add --arch, e.g.\n"
                 + "  --text \"我昨天在花园里看到了一只猫\" --arch encoder-decoder\n")
    }
}

extension ArchitectureDemo.Architecture: ExpressibleByArgument {}
extension AttentionKind: ExpressibleByArgument {}

extension Attention {
    /// --arch: a tiny model of one architecture, drawn in the chosen view.
    func runModel(_ architecture: ArchitectureDemo.Architecture, style: TerminalStyle) throws {
        try checkDestination(out)
        try checkTraceDestinations()
        if let json {
            guard json.lowercased().hasSuffix(".json") else { throw CLIError("--json needs a path ending in .json, got \(json)") }
            try checkDestination(json.dropLast(5) + ".png")   // the same folder checks, without the extension rule
        }
        let demo = try makeArchitectureDemo(text: text, target: target, seed: seed, weights: weights,
                                            recordQueriesKeys: withQueriesKeys)
        let trace = architectureTrace(demo, architecture)
        let kind = kind ?? architecture.defaultKind
        let kinds = AttentionKind.allCases.filter { !trace.entries(kind: $0).isEmpty }
        guard kinds.contains(kind) else {
            throw CLIError("--kind \(kind.rawValue): a \(architecture.rawValue) model has only \(kinds.map(\.rawValue).joined(separator: ", "))")
        }
        let layers = trace.layers(kind: kind)
        let heads = trace.entries(kind: kind).filter { $0.layer == 0 }.count
        guard (1...layers).contains(layer) else { throw CLIError("--layer \(layer) is out of range: this model has layers 1…\(layers)") }
        guard (1...heads).contains(head) else { throw CLIError("--head \(head) is out of range: this model has heads 1…\(heads)") }
        let entries = trace.entries(kind: kind).filter { $0.layer == layer - 1 }.sorted { $0.head < $1.head }
        let rows = entries[0].queryTokens.map(shown), columns = entries[0].keyTokens.map(shown)
        let what = "\(architecture.title), \(demo.describe(kind))"
        let chart = try AttentionCharts.architecture(view, architecture: architecture, trace: trace, kind: kind,
                                                     layer: layer, head: head, weights: demo.weights, seed: seed)
        do {
            // The figure and the trace files are published together, or none of them.
            let outputs = StagedOutputs()
            try outputs.stage(chart, to: out)
            try stageTraceFiles(trace, title: "\(architecture.title): attention over \"\(text)\"", into: outputs)
            try outputs.publish()
        } catch {
            throw CLIError("\(error) (nothing was written)")
        }
        let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                   color: { ColorMap.viridis.color(at: $0).bytes })
            .format(entries[head - 1].weights, rowLabels: rows, columnLabels: columns, range: 0...1)
        writeOut("""
            \(what), layer \(layer), head \(head) (\(layers) layers × \(heads) heads):

            \(grid)

            \(demo.weights == .trained ? "This is the trained \(architecture == .encoder ? "tiny BERT" : architecture == .decoder ? "language model" : "translator") shipped with the package (tx train).\n" : "")\
            Wrote \(out)\(tracePaths)

            """)
        if demo.weights != .trained {
            writeErr("Note: this model is untrained (seed \(seed)); its pattern shows the mechanics,\n"
                     + "not meaning. Use a sentence from the project's corpus for the trained models.\n")
        }
    }
}
