import ModelIO
import TensorCore
import Transformer
import Training

/// One pass of any single-stack model of the project with what the analyses need recorded: the
/// residual stream after the embedding and after each layer, the logits (when the model has an
/// output head), the attention trace (with each head's queries and keys when asked), and heads
/// silenced on request.
public struct ProbeResult: Sendable {
    /// layerCount + 1 entries of [T][d]: the embedding layer's output, then each layer's output.
    public let residuals: [[[Float]]]
    /// [T][V]: row t scores every token for position t (the next token for a decoder, the token
    /// itself for a masked LM); nil for an encoder without an output head (MiniLM).
    public let logits: [[Float]]?
    /// Every head of every layer, with `queries`, `keys` and `scale` filled in when asked.
    public let trace: AttentionTrace
}

/// A model the analyses can look inside: a Llama decoder (SmolLM2), a BERT encoder (MiniLM), or
/// one of the project's trained single-stack models (the language model, the tiny BERT).
///
/// Silencing a head sets its attention output (weights · V, d_h numbers per position) to zero
/// before W_O, which is exactly what zeroing that head's d_h input rows of W_O does.
public enum ProbedModel {
    case llama(LlamaModel)
    case bert(BertEncoderModel)
    /// `TrainableSelfAttentionStack` (pre-norm, as `tx train` makes them) and its vocabulary.
    case stack(TrainableSelfAttentionStack, vocabulary: [String])

    /// The number of layers (transformer blocks).
    public var layerCount: Int {
        switch self {
        case .llama(let m): m.configuration.layerCount
        case .bert(let m): m.configuration.layerCount
        case .stack(let m, _): m.configuration.layers
        }
    }

    /// The number of attention heads per layer.
    public var headCount: Int {
        switch self {
        case .llama(let m): m.configuration.headCount
        case .bert(let m): m.configuration.headCount
        case .stack(let m, _): m.configuration.heads
        }
    }

    /// Whether position t sees only positions ≤ t.
    public var isCausal: Bool {
        switch self {
        case .llama: true
        case .bert: false
        case .stack(let m, _): m.pattern == .causal
        }
    }

    /// The vocabulary entry of `id` as a label.
    public func token(_ id: Int) -> String {
        switch self {
        case .llama(let m): m.tokenizer.tokenStrings([id]).first ?? "\(id)"
        case .bert(let m): m.vocabulary.token(for: id) ?? "\(id)"
        case .stack(_, let vocabulary): vocabulary.indices.contains(id) ? vocabulary[id] : "\(id)"
        }
    }

    /// Runs the model on one sequence. `labels` name the tokens in the trace; `segments` are
    /// sentence A/B ids for models that have them (nil: all 0).
    public func run(ids: [Int], labels: [String], segments: [Int]? = nil, ablating ablated: Set<HeadIndex> = [],
                    recordQueriesKeys: Bool = false) throws -> ProbeResult {
        guard labels.count == ids.count else {
            throw TransformerError.invalidInput(operation: "ProbedModel.run",
                                                reason: "\(labels.count) labels for \(ids.count) tokens")
        }
        switch self {
        case .llama(let model): return try Self.runLlama(model, ids: ids, labels: labels, ablated: ablated,
                                                         recordQueriesKeys: recordQueriesKeys)
        case .bert(let model): return try Self.runBert(model, ids: ids, labels: labels, segments: segments,
                                                       ablated: ablated, recordQueriesKeys: recordQueriesKeys)
        case .stack(let model, _): return try Self.runStack(model, ids: ids, labels: labels, segments: segments,
                                                            ablated: ablated, recordQueriesKeys: recordQueriesKeys)
        }
    }

    /// The logit lens: residual rows [T][d] through the model's final norm and unembedding,
    /// giving [T][V]. nil for a model without an output head.
    public func unembed(_ residual: [[Float]]) throws -> [[Float]]? {
        guard let d = residual.first?.count else { return [] }
        switch self {
        case .llama(let model):
            let flat = try model.unembed(residual.flatMap { $0 }, rows: residual.count)
            let v = model.configuration.vocabularySize
            return (0..<residual.count).map { Array(flat[($0 * v)..<(($0 + 1) * v)]) }
        case .bert:
            return nil
        case .stack(let model, _):
            var h = try Tensor(shape: [1, residual.count, d], scalars: residual.flatMap { $0 })
            if let finalNorm = model.finalNorm { h = try finalNorm.inferenceLayer()(h) }
            let logits = try h.matmul(model.tokenEmbedding.weight.value.transposed())       // (1, T, V)
            return rows(logits)
        }
    }

    // MARK: Llama

    private static func runLlama(_ model: LlamaModel, ids: [Int], labels: [String], ablated: Set<HeadIndex>,
                                 recordQueriesKeys: Bool) throws -> ProbeResult {
        let probe = LlamaProbe(ablatedHeads: ablated, recordResiduals: true, recordQueriesKeys: recordQueriesKeys)
        let (logits, recorded) = try model.forward(ids: ids, recordTrace: true, probe: probe)
        var trace = recorded ?? AttentionTrace(architecture: "decoder-only")
        trace.relabel(labels)
        let c = model.configuration, d = c.hiddenSize, t = ids.count, hd = c.headDimension
        if recordQueriesKeys {
            let group = c.headCount / c.keyValueHeadCount, kvSize = c.keyValueSize
            for index in trace.entries.indices {
                let e = trace.entries[index]
                let q = probe.queries[e.layer], k = probe.keys[e.layer]
                trace.entries[index].queries = (0..<t).map { p in
                    Array(q[(p * c.headCount + e.head) * hd..<((p * c.headCount + e.head) * hd + hd)]) }
                let kvHead = e.head / group
                trace.entries[index].keys = (0..<t).map { p in
                    Array(k[(p * kvSize + kvHead * hd)..<(p * kvSize + kvHead * hd + hd)]) }
                trace.entries[index].scale = 1 / Float(hd).squareRoot()
            }
        }
        let residuals = probe.residuals.map { flat in (0..<t).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) } }
        return ProbeResult(residuals: residuals, logits: rows(logits), trace: trace)
    }

    // MARK: Encoder layers (BERT and the trained stacks)

    private static func runBert(_ model: BertEncoderModel, ids: [Int], labels: [String], segments: [Int]?,
                                ablated: Set<HeadIndex>, recordQueriesKeys: Bool) throws -> ProbeResult {
        // The embedding layer's output is the model's own first hidden state; the layers are
        // then run here, exactly as `EncoderLayer` runs them, with the heads silenced.
        let embedded = try model.forward(ids: ids, segments: segments).hiddenStates[0]     // (T, d)
        var trace = AttentionTrace(architecture: "encoder-only")
        let residuals = try runLayers(model.layers, input: embedded, mask: nil, labels: labels, kind: .encoderSelf,
                                      ablated: ablated, recordQueriesKeys: recordQueriesKeys, trace: &trace)
        return ProbeResult(residuals: residuals.map(rows), logits: nil, trace: trace)
    }

    private static func runStack(_ model: TrainableSelfAttentionStack, ids: [Int], labels: [String], segments: [Int]?,
                                 ablated: Set<HeadIndex>, recordQueriesKeys: Bool) throws -> ProbeResult {
        guard model.configuration.normPlacement == .pre else {
            throw TransformerError.invalidInput(operation: "ProbedModel", reason: "only pre-norm stacks can be probed")
        }
        // The model's own input and mask, then its layers run as `TrainableSelfAttentionStack.forward` runs them.
        let (h, mask) = try model.input([ids], segments: segments.map { [$0] }, padID: -1)     // (1, T, d)
        var trace = AttentionTrace(architecture: model.pattern == .causal ? "decoder-only" : "encoder-only")
        var residuals = try runLayers(try model.layers.map { try $0.inferenceLayer() }, input: h.value, mask: mask,
                                      labels: labels, kind: model.pattern == .causal ? .decoderSelf : .encoderSelf,
                                      ablated: ablated, recordQueriesKeys: recordQueriesKeys, trace: &trace)
        var last = residuals[residuals.count - 1]
        if let finalNorm = model.finalNorm { last = try finalNorm.inferenceLayer()(last) }
        let logits = try last.matmul(model.tokenEmbedding.weight.value.transposed())           // (1, T, V)
        residuals = residuals.map { $0 }
        return ProbeResult(residuals: residuals.map(rows), logits: rows(logits), trace: trace)
    }

    /// Runs `layers` as `EncoderLayer.callAsFunction` does, recording every head and silencing
    /// the heads in `ablated` (before W_O). Returns the input, then each layer's output.
    static func runLayers(_ layers: [EncoderLayer], input: Tensor, mask: Tensor?, labels: [String],
                                  kind: AttentionKind, ablated: Set<HeadIndex>, recordQueriesKeys: Bool,
                                  trace: inout AttentionTrace) throws -> [Tensor] {
        var x = input
        var states = [x]
        for (index, layer) in layers.enumerated() {
            let pre = layer.normPlacement == .pre
            let attended = try layer.attention(pre ? try layer.attentionNorm(x) : x, mask: mask)
            var attentionOutput = attended.output
            let silenced = (0..<layer.attention.heads).filter { ablated.contains(HeadIndex(layer: index, head: $0)) }
            if !silenced.isEmpty {
                attentionOutput = try layer.attention.output(try silence(attended.stages.output, heads: silenced).mergeHeads())
            }
            let h = pre ? try x + attentionOutput : try layer.attentionNorm(x + attentionOutput)
            let transformed = try layer.feedForward(pre ? try layer.feedForwardNorm(h) : h)
            x = pre ? try h + transformed : try layer.feedForwardNorm(h + transformed)
            states.append(x)
            try trace.record(attended, layer: index, kind: kind, queryTokens: labels, keyTokens: labels,
                             queriesKeys: recordQueriesKeys)
        }
        return states
    }

    /// Per-head outputs [(1,) h, T, d_h] with the listed heads set to zero.
    static func silence(_ perHead: Tensor, heads: [Int]) throws -> Tensor {
        let shape = perHead.shape, rank = shape.count
        let h = shape[rank - 3], block = shape[rank - 2] * shape[rank - 1]
        var scalars = perHead.scalars
        let batches = scalars.count / (h * block)
        for b in 0..<batches { for head in heads {
            let start = (b * h + head) * block
            for i in start..<(start + block) { scalars[i] = 0 }
        } }
        return try Tensor(shape: shape, scalars: scalars)
    }
}

/// A [(1,) T, n] tensor as rows.
func rows(_ tensor: Tensor) -> [[Float]] {
    let n = tensor.shape.last ?? 0
    let t = n == 0 ? 0 : tensor.count / n
    let s = tensor.scalars
    return (0..<t).map { Array(s[($0 * n)..<(($0 + 1) * n)]) }
}

extension AttentionTrace {
    /// Replaces every entry's labels (for a single-stack trace whose rows and columns are the
    /// same tokens).
    mutating func relabel(_ labels: [String]) {
        for index in entries.indices where entries[index].queryTokens.count == labels.count {
            entries[index].queryTokens = labels
            entries[index].keyTokens = labels
        }
    }
}
