import Analysis
import Figures
import Foundation
import InteractiveViews
import Lessons
import ModelIO
import TensorCore
import TrainedModels
import Transformer
import Training

/// `tx attention --json / --html / --with-qk`: the trace files written beside the figure.
extension Attention {
    /// Checks the --html path (and --with-qk's need for a file) before any work is done.
    func checkTraceDestinations() throws {
        if let html {
            guard html.lowercased().hasSuffix(".html") else { throw CLIError("--html needs a path ending in .html, got \(html)") }
            try checkDestination(html.dropLast(5) + ".png")
        }
        if withQueriesKeys, html == nil, json == nil {
            throw CLIError("--with-qk adds the queries and keys to the trace: give --json FILE or --html FILE too")
        }
    }

    /// Stages --json and --html beside the figure, so that all of them are published together
    /// or none is.
    func stageTraceFiles(_ trace: AttentionTrace, title: String, into outputs: StagedOutputs) throws {
        if let json { try outputs.stage(try safeJSON(trace), to: json) }
        if let html { try outputs.stage(Array(AttentionPage.html(trace: trace, title: title).utf8), to: html) }
    }

    /// The "Wrote …" lines of the trace files.
    var tracePaths: String {
        var lines = ""
        if let json { lines += "\nWrote \(json) (the whole trace; schema in docs/trace-schema.md)" }
        if let html { lines += "\nWrote \(html) (open it in a browser: head, model and neuron views; works offline)" }
        return lines
    }

    /// The single random head of plain `tx attention` as a one-entry trace, with its queries and
    /// keys when --with-qk asks for them.
    func singleHeadTrace(_ demo: AttentionDemo) throws -> AttentionTrace {
        var trace = AttentionTrace(architecture: causal ? "decoder-only" : "encoder-only")
        trace.model = "one randomly initialised head (seed \(seed))"
        trace.text = text
        let weights = demo.stages.weights
        try trace.record(weights: try weights.reshaped([1] + weights.shape), layer: 0,
                         kind: causal ? .decoderSelf : .encoderSelf, queryTokens: demo.tokens, keyTokens: demo.tokens)
        if withQueriesKeys {
            trace.entries[0].queries = demo.stages.query.rows
            trace.entries[0].keys = demo.stages.key.rows
            trace.entries[0].scale = demo.stages.scale
        }
        return trace
    }

    /// The --arch trace (with queries and keys when the demo was made with --with-qk), named.
    func architectureTrace(_ demo: ArchitectureDemo, _ architecture: ArchitectureDemo.Architecture) -> AttentionTrace {
        var trace = demo.trace(architecture)
        trace.model = demo.weights == .trained
            ? "the trained \(architecture == .encoder ? "tiny BERT" : architecture == .decoder ? "language model" : "translator")"
            : "an untrained tiny \(architecture.rawValue) model (seed \(seed))"
        trace.text = text
        return trace
    }
}

extension RealModel {
    /// The model as the analyses see it.
    var probed: ProbedModel {
        switch self {
        case let .encoder(model, _): .bert(model)
        case let .decoder(model, _): .llama(model)
        }
    }
}
