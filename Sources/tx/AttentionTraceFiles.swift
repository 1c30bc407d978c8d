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
    /// Checks the folders of --out, --json and --html (after the arguments, before any work).
    /// Output/, the folder of the default --out, is created when missing.
    func checkOutputs() throws {
        try checkDestination(out, default: Self.defaultOut)
        if let json, !jsonToStandardOutput {
            // The folder checks of a figure, without its extension rule; then not a FIFO or device.
            try checkDestination(json.dropLast(5) + ".png")
            do { try checkOutputDestination(json) } catch { throw CLIError("\(error)") }
        }
        if let html { try checkDestination(html.dropLast(5) + ".png") }
    }

    /// Stages --json and --html beside the figure, so that all of them are published together
    /// or none is.
    func stageTraceFiles(_ trace: AttentionTrace, title: String, into outputs: StagedOutputs) throws {
        if let json, !jsonToStandardOutput { try outputs.stage(try safeJSON(trace), to: json) }
        if let html { try outputs.stage(Array(AttentionPage.html(trace: trace, title: title).utf8), to: html) }
    }

    /// The "Wrote …" lines of the trace files.
    var tracePaths: String {
        var lines = ""
        if let json, !jsonToStandardOutput { lines += "\nWrote \(json) (the whole trace; schema in docs/trace-schema.md)" }
        if let html { lines += "\nWrote \(html) (open it in a browser: head, model and neuron views; works offline)" }
        return lines
    }

    /// The single random head of plain `tx attention` as a one-entry trace, with its queries and
    /// keys when --with-qk asks for them.
    func singleHeadTrace(_ demo: AttentionDemo) throws -> AttentionTrace {
        var trace = AttentionTrace(architecture: causal ? "decoder-only" : "encoder-only")
        trace.model = "one randomly initialised head (seed \(seed))"
        trace.text = text
        trace.tokenIDs = AttentionDemo.toyIDs(demo.tokens)
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
        trace.tokenIDs = demo.tokenIDs[architecture]
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
