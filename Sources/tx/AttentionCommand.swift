import ArgumentParser
import Foundation
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
            docs/trace-schema.md), --json - to standard output. Layers and heads count from 1 in \
            the flags, the terminal and the figures, from 0 in the JSON. An option the chosen model \
            or view would not use (--head with --view grid, say) is refused, not ignored.

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

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.", completion: .figure)
    var out: String = "Output/attention.png"

    @Flag(help: "Apply the causal (look-ahead) mask: each word sees only itself and earlier words.")
    var causal = false

    @Option(name: .customLong("d-model"), parsing: .unconditional, help: "Embedding size d_model, \(OptionBounds.text(OptionBounds.toyModelDimension)).")
    var modelDimension: Int = 8

    @Option(name: .customLong("d-k"), parsing: .unconditional, help: "Query/key size d_k, \(OptionBounds.text(OptionBounds.toyKeyDimension)).")
    var keyDimension: Int = 4

    @Option(help: ArgumentHelp("A real pre-trained model: \(RealModel.argumentHelp).", valueName: "name-or-path"),
            completion: .modelOrPath(Names.attention))
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

    // Optional, so that a --layer or --head the view would not use can be refused (see
    // refuseIgnoredOptions); `layerNumber` and `headNumber` give the default, 1.
    @Option(parsing: .unconditional, help: "With --arch or --model: the layer to draw (heatmap, grid and lines views), from 1 (default 1).")
    var layer: Int?

    @Option(parsing: .unconditional, help: "With --arch or --model: the head to draw (heatmap view), from 1 (default 1).")
    var head: Int?

    @Option(help: "With --arch or --model: heatmap (one head), grid (all heads of --layer), model (every layer and head) or lines (head view of --layer).")
    var view: View = .heatmap

    @Option(help: "Also write the attention trace as JSON to this path (.json), or to standard output with - (the report then goes to standard error).",
            completion: .file(extensions: ["json"]))
    var json: String?

    @Option(help: "Also write one interactive HTML page (head, model and neuron views; a single offline file) to this path.",
            completion: .file(extensions: ["html"]))
    var html: String?

    @Flag(name: .customLong("with-qk"), help: "Put every head's queries and keys in the trace (--json, --html): the neuron view's data. Large.")
    var withQueriesKeys = false

    @Flag(help: "No ANSI colour.")
    var noColor = false

    enum View: String, ExpressibleByArgument, CaseIterable {
        case heatmap, grid, model, lines
    }

    /// The figure's default path; its folder, Output/, is created when missing.
    static let defaultOut = "Output/attention.png"

    /// The layer and head to draw, from 1 (1 unless given).
    var layerNumber: Int { layer ?? 1 }
    var headNumber: Int { head ?? 1 }

    /// `--json -`: the trace goes to standard output, so everything else goes to standard error.
    var jsonToStandardOutput: Bool { json == "-" }

    func run() throws {
        // The arguments are checked first, then the output paths, then the work runs: a wrong
        // --layer beside a missing folder reports the layer, and a typo costs no computing.
        // Out-of-range layers and heads are refused by each model with its own range; these
        // bounds only keep absurd numbers out of the arithmetic.
        if let layer { try OptionBounds.check(layer, in: OptionBounds.layerOrHead, option: "--layer") }
        if let head { try OptionBounds.check(head, in: OptionBounds.layerOrHead, option: "--head") }
        try refuseIgnoredOptions()
        try checkTracePathNames()
        // With --json - the terminal report goes to standard error: colour if that is a terminal.
        let style = TerminalStyle.detect(noColorFlag: noColor,
                                         outputIsTerminal: isatty(jsonToStandardOutput ? STDERR_FILENO : STDOUT_FILENO) == 1)
        if let model {
            try RealModelAttention(command: self, modelArgument: model, style: style).run()
        } else if let arch {
            try runModel(arch, style: style)
        } else {
            try runSingleHead(style: style)
        }
    }

    /// Options that the chosen model and view would not use are refused with a message, never
    /// silently dropped.
    func refuseIgnoredOptions() throws {
        if model != nil {
            if arch != nil { throw CLIError("--model and --arch both choose the model: give one of them") }
            let ignored = [(causal, "--causal"), (modelDimension != 8, "--d-model"), (keyDimension != 4, "--d-k"),
                           (kind != nil, "--kind"), (target != nil, "--target"), (weights != nil, "--weights")].filter(\.0).map(\.1)
            if !ignored.isEmpty {
                throw CLIError("\(ignored.joined(separator: ", ")) would be ignored: with --model the model decides them")
            }
        } else if arch != nil {
            if causal || modelDimension != 8 || keyDimension != 4 {
                throw CLIError("--causal, --d-model and --d-k shape the single random head; with --arch the model decides them: leave them out")
            }
            if truncate { throw CLIError("--truncate goes with --model; --arch reads at most \(ArchitectureDemo.maximumTokens) tokens") }
        } else {
            // The single random head draws one heatmap: refuse what only a model would use,
            // rather than silently drawing something else.
            let modelOnly = [(view != .heatmap, "--view \(view.rawValue)"), (layer != nil, "--layer"), (head != nil, "--head"),
                             (kind != nil, "--kind"), (target != nil, "--target"),
                             (weights != nil, "--weights"), (truncate, "--truncate")].filter(\.0).map(\.1)
            if !modelOnly.isEmpty {
                throw CLIError("\(modelOnly.joined(separator: ", ")) needs a model: add --arch encoder|decoder|encoder-decoder or --model NAME")
            }
        }
        // Which of --layer and --head a view draws from.
        switch view {
        case .heatmap:
            break
        case .grid, .lines:
            if head != nil { throw CLIError("--head would be ignored: --view \(view.rawValue) draws every head of --layer") }
        case .model:
            let given = [(layer != nil, "--layer"), (head != nil, "--head")].filter(\.0).map(\.1)
            if !given.isEmpty {
                throw CLIError("\(given.joined(separator: " and ")) would be ignored: --view model draws every layer and head")
            }
        }
    }

    /// The names of --json and --html, and --with-qk's need for one of them: argument checks,
    /// made before any folder is looked at.
    func checkTracePathNames() throws {
        if let json, !jsonToStandardOutput, !json.lowercased().hasSuffix(".json") {
            throw CLIError("--json needs a path ending in .json (or - for standard output), got \(json)")
        }
        if let html, !html.lowercased().hasSuffix(".html") {
            throw CLIError("--html needs a path ending in .html, got \(html)")
        }
        if withQueriesKeys, html == nil, json == nil {
            throw CLIError("--with-qk adds the queries and keys to the trace: give --json FILE or --html FILE too")
        }
    }

    /// Results: standard output, or standard error when --json - has standard output.
    func report(_ text: String) {
        if jsonToStandardOutput { writeErr(text) } else { writeOut(text) }
    }

    /// Writes the figure and the trace files all together, or none of them; then, with --json -,
    /// the trace to standard output (only once everything else has succeeded).
    func publish(_ chart: any Chart, trace: AttentionTrace, title: String) throws {
        do {
            let outputs = StagedOutputs()
            try outputs.stage(chart, to: out)
            try stageTraceFiles(trace, title: title, into: outputs)
            try outputs.publish()
        } catch {
            throw CLIError("\(error) (nothing was written)")
        }
        if jsonToStandardOutput {
            FileHandle.standardOutput.write(Data(try safeJSON(trace) + [0x0A]))
        }
    }

    /// Plain `tx attention`: one randomly initialised head.
    func runSingleHead(style: TerminalStyle) throws {
        try OptionBounds.check(modelDimension, in: OptionBounds.toyModelDimension, option: "--d-model")
        try OptionBounds.check(keyDimension, in: OptionBounds.toyKeyDimension, option: "--d-k")
        let demo: AttentionDemo
        do {
            demo = try AttentionDemo(text: text, seed: seed,
                                     options: .init(modelDimension: modelDimension, keyDimension: keyDimension, causal: causal))
        } catch {
            throw CLIError("\(error)")
        }
        try checkOutputs()
        let tokens = demo.tokens.map(shown)   // the user's words: printed and drawn
        let kind = causal ? "causal self-attention, as in a decoder" : "self-attention, as in an encoder"
        let heatmap = Heatmap(values: demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens,
                              title: "Attention weights of one head · \(kind)",
                              subtitle: "randomly initialised, seed \(seed), d_model \(modelDimension), d_k \(keyDimension): untrained, so no meaning yet",
                              colorMap: .viridis, valueRange: 0...1, showValues: tokens.count <= 16,
                              colorBarLabel: "weight", xAxisTitle: AttentionAxisTitles.key,
                              yAxisTitle: AttentionAxisTitles.query,
                              hidden: causal ? demo.stages.maskedScores.rows.map { $0.map { !$0.isFinite } } : nil)
        try publish(heatmap, trace: try singleHeadTrace(demo), title: "One randomly initialised head (\(kind))")
        let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                   color: { ColorMap.viridis.color(at: $0).bytes })
            .format(demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens, range: 0...1)
        report("""
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
        // The tiny models run in a moment: the demo comes first, since --kind, --layer and
        // --head are checked against it, before the output paths.
        let demo = try makeArchitectureDemo(text: text, target: target, seed: seed, weights: weights,
                                            recordQueriesKeys: withQueriesKeys)
        // Untrained encoder-only and decoder-only models read --text alone (see ArchitectureDemo).
        if target != nil, demo.weights == .random, architecture != .encoderDecoder {
            throw CLIError("--target would be ignored: the untrained \(architecture.rawValue) model reads --text only")
        }
        let trace = architectureTrace(demo, architecture)
        let kind = kind ?? architecture.defaultKind
        let kinds = AttentionKind.allCases.filter { !trace.entries(kind: $0).isEmpty }
        guard kinds.contains(kind) else {
            throw CLIError("--kind \(kind.rawValue): a \(architecture.rawValue) model has only \(kinds.map(\.rawValue).joined(separator: ", "))")
        }
        let layers = trace.layers(kind: kind)
        let heads = trace.entries(kind: kind).filter { $0.layer == 0 }.count
        let layer = layerNumber, head = headNumber
        guard (1...layers).contains(layer) else { throw CLIError("--layer \(layer) is out of range: this model has layers 1…\(layers)") }
        guard (1...heads).contains(head) else { throw CLIError("--head \(head) is out of range: this model has heads 1…\(heads)") }
        try checkOutputs()
        let entries = trace.entries(kind: kind).filter { $0.layer == layer - 1 }.sorted { $0.head < $1.head }
        let rows = entries[0].queryTokens.map(shown), columns = entries[0].keyTokens.map(shown)
        let what = "\(architecture.title), \(demo.describe(kind))"
        let chart = try AttentionCharts.architecture(view, architecture: architecture, trace: trace, kind: kind,
                                                     layer: layer, head: head, weights: demo.weights, seed: seed)
        try publish(chart, trace: trace, title: "\(architecture.title): attention over \"\(text)\"")
        let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                   color: { ColorMap.viridis.color(at: $0).bytes })
            .format(entries[head - 1].weights, rowLabels: rows, columnLabels: columns, range: 0...1)
        report("""
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
