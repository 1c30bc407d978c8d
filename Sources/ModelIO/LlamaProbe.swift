import Foundation
import TensorCore
import Transformer

/// What the analyses (logit lens, head ablation, the neuron view) need from inside one pass of a
/// `LlamaModel`: the residual stream after the embedding and after every layer, each head's
/// queries and keys, and a set of heads to silence.
///
/// A probe belongs to one pass: make one, hand it to `LlamaModel.forward(ids:recordTrace:probe:)`,
/// then read it. It is a class so the pass can fill it in place.
///
/// Not `Sendable`: the pass appends to it without a lock. Make one probe per pass (per task).
public final class LlamaProbe {

    /// (layer, head) pairs, both from 0, whose attention output is set to zero before W_O: the
    /// same as zeroing that head's d_h columns of W_O (rows of the [in, out] form).
    public let ablatedHeads: Set<HeadIndex>
    /// Fill `residuals` during the pass.
    public let recordResiduals: Bool
    /// Fill `queries` and `keys` during the pass.
    public let recordQueriesKeys: Bool

    /// layerCount + 1 entries of [T · hiddenSize]: the embedding, then the stream after each layer.
    public private(set) var residuals: [[Float]] = []
    /// Per layer, [T · headCount · headDimension]: the rotated queries of the new positions.
    public private(set) var queries: [[Float]] = []
    /// Per layer, [positions · keyValueHeadCount · headDimension]: every cached rotated key.
    public private(set) var keys: [[Float]] = []

    /// A probe that silences `ablatedHeads` (none by default) and records only what is asked for.
    public init(ablatedHeads: Set<HeadIndex> = [], recordResiduals: Bool = false, recordQueriesKeys: Bool = false) {
        self.ablatedHeads = ablatedHeads
        self.recordResiduals = recordResiduals
        self.recordQueriesKeys = recordQueriesKeys
    }

    func recordResidual(_ x: UnsafePointer<Float>, count: Int) {
        guard recordResiduals else { return }
        residuals.append(Array(UnsafeBufferPointer(start: x, count: count)))
    }

    func recordQueriesKeys(queries q: UnsafePointer<Float>, count: Int, keys k: [Float]) {
        guard recordQueriesKeys else { return }
        queries.append(Array(UnsafeBufferPointer(start: q, count: count)))
        keys.append(k)
    }

    func ablate(layer: Int, attended: UnsafeMutablePointer<Float>, rows: Int, heads: Int, headDimension: Int) {
        guard !ablatedHeads.isEmpty else { return }
        for head in 0..<heads where ablatedHeads.contains(HeadIndex(layer: layer, head: head)) {
            for t in 0..<rows {
                (attended + (t * heads + head) * headDimension).update(repeating: 0, count: headDimension)
            }
        }
    }
}

/// One attention head: its layer and its index in the layer, both from 0.
public struct HeadIndex: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The layer, from 0.
    public let layer: Int
    /// The head within the layer, from 0.
    public let head: Int

    /// The head `head` of layer `layer`, both counted from 0.
    public init(layer: Int, head: Int) {
        self.layer = layer
        self.head = head
    }

    /// Orders by layer, then by head.
    public static func < (a: HeadIndex, b: HeadIndex) -> Bool { (a.layer, a.head) < (b.layer, b.head) }

    /// "L3 H5", counted from 1 as the command line counts.
    public var description: String { "L\(layer + 1) H\(head + 1)" }
}

extension LlamaModel {
    /// `forward(ids:recordTrace:)` with a probe that records inside the pass and may silence heads.
    /// With a probe that silences nothing the logits are bit for bit those of `forward`.
    public func forward(ids: [Int], recordTrace: Bool = false, probe: LlamaProbe) throws
        -> (logits: Tensor, trace: AttentionTrace?) {
        let session = makeSession()
        var trace: AttentionTrace? = recordTrace ? AttentionTrace(architecture: "decoder-only") : nil
        let logits = try session.run(ids, allPositions: true, trace: &trace,
                                     labels: recordTrace ? tokenizer.tokenStrings(ids) : [],
                                     operation: "LlamaModel.forward", probe: probe)
        return (try Tensor(shape: [ids.count, configuration.vocabularySize], scalars: logits), trace)
    }

    /// The final RMS norm and the output projection applied to residual-stream rows
    /// [rows · hiddenSize]: the logits [rows · vocabularySize] the model would give if its
    /// stream stopped there (the logit lens).
    public func unembed(_ residual: [Float], rows: Int) throws -> [Float] {
        let d = configuration.hiddenSize, vocabulary = configuration.vocabularySize
        guard rows > 0, residual.count == rows * d else {
            throw LlamaError.invalidArgument(operation: "unembed",
                                             reason: "\(residual.count) numbers are not \(rows) rows of \(d)")
        }
        var input = residual
        var normed = [Float](repeating: 0, count: rows * d)
        input.withUnsafeMutableBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { h in
                LlamaSession.rmsNorm(x.baseAddress!, rows: rows, width: d, weight: outputNorm.pointer,
                                     epsilon: configuration.rmsNormEpsilon, into: h.baseAddress!)
            }
        }
        return normed.withUnsafeBufferPointer { h in
            [Float](unsafeUninitializedCapacity: rows * vocabulary) { buffer, initialized in
                output.multiply(x: h.baseAddress!, rows: rows, y: buffer.baseAddress!, threads: threadCount)
                initialized = rows * vocabulary
            }
        }
    }
}
