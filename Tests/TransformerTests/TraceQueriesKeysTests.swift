import Foundation
import Testing
import TensorCore
@testable import Transformer
@testable import Training

/// `--with-qk`: every model records each head's queries and keys, and they are the ones that made
/// the weights: softmax over the visible keys of q·k·scale gives back every recorded row.
@Suite("Queries and keys in the trace (the neuron view's data)")
struct TraceQueriesKeysTests {
    /// Recomputes every weight of every entry from its queries and keys; returns the entries checked.
    @discardableResult
    static func expectQueriesKeysReproduceWeights(_ trace: AttentionTrace, dimension: Int,
                                                  sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        for entry in trace.entries {
            let q = try #require(entry.queries, sourceLocation: sourceLocation)
            let k = try #require(entry.keys, sourceLocation: sourceLocation)
            #expect(entry.scale == 1 / Float(dimension).squareRoot(), sourceLocation: sourceLocation)
            #expect(q.count == entry.queryTokens.count && k.count == entry.keyTokens.count, sourceLocation: sourceLocation)
            #expect((q + k).allSatisfy { $0.count == dimension }, sourceLocation: sourceLocation)
            let hidden = entry.hiddenKeys
            for i in q.indices {
                let visible = k.indices.filter { !hidden[i][$0] }
                let scores = visible.map { j in zip(q[i], k[j]).reduce(Float(0)) { $0 + $1.0 * $1.1 } * entry.scale! }
                let top = scores.max() ?? 0
                let exps = scores.map { Float(exp(Double($0 - top))) }
                let total = exps.reduce(0, +)
                for (n, j) in visible.enumerated() {
                    #expect(abs(exps[n] / total - entry.weights[i][j]) < 1e-5,
                            "layer \(entry.layer) head \(entry.head) \(entry.kind) [\(i)][\(j)]", sourceLocation: sourceLocation)
                }
                for j in k.indices where hidden[i][j] { #expect(entry.weights[i][j] == 0, sourceLocation: sourceLocation) }
            }
        }
        return trace.entries.count
    }

    /// Only the neuron view's fields differ: the weights, labels and masks are the same entries.
    static func expectSameWeights(_ with: AttentionTrace, _ without: AttentionTrace,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(without.entries.allSatisfy { $0.queries == nil && $0.keys == nil && $0.scale == nil },
                sourceLocation: sourceLocation)
        var stripped = with
        for index in stripped.entries.indices {
            stripped.entries[index].queries = nil
            stripped.entries[index].keys = nil
            stripped.entries[index].scale = nil
        }
        #expect(stripped == without, sourceLocation: sourceLocation)
    }

    @Test func encoderDecoderRecordsAllThreeKinds() throws {
        let model = try EncoderDecoderModel(configuration: .tinyOriginal, seed: 7)
        let with = try model.forward(source: [4, 5, 6, 7, 8], target: [1, 9, 10], recordQueriesKeys: true).trace
        let without = try model.forward(source: [4, 5, 6, 7, 8], target: [1, 9, 10], recordTrace: true).trace
        let trace = try #require(with)
        // 2 layers × 4 heads of each of encoder-self, decoder-causal-self and cross; d_h = 16 / 4.
        #expect(try Self.expectQueriesKeysReproduceWeights(trace, dimension: 4) == 24)
        Self.expectSameWeights(trace, try #require(without))
    }

    @Test func paddedBatchesRecordSequenceZero() throws {
        let model = try EncoderOnlyModel(configuration: .tinyBERT, seed: 3)
        // Sequence 0 is padded (id 0) at its last two positions; sequence 1 is not recorded.
        let trace = try #require(try model.forward(batch: [[5, 6, 7], [8, 9, 10, 11, 12]], padID: 0,
                                                   recordQueriesKeys: true).trace)
        #expect(trace.entries[0].queries?.count == 5)
        #expect(trace.entries[0].hiddenKeys[0] == [false, false, false, true, true])
        try Self.expectQueriesKeysReproduceWeights(trace, dimension: TransformerConfiguration.tinyBERT.modelDimension
                                                   / TransformerConfiguration.tinyBERT.heads)
    }

    @Test func decoderOnlyIsCausal() throws {
        let model = try DecoderOnlyModel(configuration: .tinyGPT, seed: 5)
        let trace = try #require(try model.forward([3, 1, 4, 1, 5], recordQueriesKeys: true).trace)
        let c = TransformerConfiguration.tinyGPT
        #expect(try Self.expectQueriesKeysReproduceWeights(trace, dimension: c.modelDimension / c.heads) == c.layers * c.heads)
        Self.expectSameWeights(trace, try #require(try model.forward([3, 1, 4, 1, 5], recordTrace: true).trace))
    }

    @Test func groupedQueryLlamaRecordsRotatedQueriesAndSharedKeys() throws {
        let model = try LlamaLayerTests.tinyLlama()
        let trace = try #require(try model.forward([3, 1, 4, 1, 5, 9], recordQueriesKeys: true).trace)
        // 4 query heads over 2 key/value heads of d_h 2: heads 0 and 1 read the same keys.
        #expect(try Self.expectQueriesKeysReproduceWeights(trace, dimension: 2) == 8)
        #expect(trace.entries[0].keys == trace.entries[1].keys && trace.entries[0].keys != trace.entries[2].keys)
        #expect(trace.entries[0].queries != trace.entries[1].queries)
    }

    @Test func trainableTranslatorAndStacksRecordThemToo() throws {
        let translator = try TrainableSeq2Seq(configuration: .tiny, sourceVocabularySize: 12, targetVocabularySize: 10,
                                              seed: 4)
        let arguments = (source: [4, 5, 6, 7], decoderInput: [1, 6, 7], sourceTokens: ["a", "b", "c", "d"],
                         decoderTokens: ["<s>", "x", "y"])
        let with = try translator.trace(source: arguments.source, decoderInput: arguments.decoderInput,
                                        sourceTokens: arguments.sourceTokens, decoderTokens: arguments.decoderTokens,
                                        recordQueriesKeys: true)
        let without = try translator.trace(source: arguments.source, decoderInput: arguments.decoderInput,
                                           sourceTokens: arguments.sourceTokens, decoderTokens: arguments.decoderTokens)
        let c = TransformerConfiguration.tiny
        #expect(try Self.expectQueriesKeysReproduceWeights(with, dimension: c.modelDimension / c.heads) == 3 * c.layers * c.heads)
        Self.expectSameWeights(with, without)

        for pattern in TrainableSelfAttentionStack.AttentionPattern.allCases {
            let stack = try TrainableSelfAttentionStack(configuration: c, vocabularySize: 9, pattern: pattern, seed: 2)
            let traced = try stack.trace([1, 2, 3, 4], tokens: ["a", "b", "c", "d"], recordQueriesKeys: true)
            try Self.expectQueriesKeysReproduceWeights(traced, dimension: c.modelDimension / c.heads)
            Self.expectSameWeights(traced, try stack.trace([1, 2, 3, 4], tokens: ["a", "b", "c", "d"]))
        }
    }

    @Test func recordRejectsQueriesOfTheWrongShape() throws {
        var trace = AttentionTrace(architecture: "test")
        let weights = Tensor.filled([2, 3, 4], with: 0.25)   // (h, T_q, T_k)
        #expect(throws: TransformerError.self) {
            try trace.record(weights: weights, layer: 0, kind: .cross, queryTokens: ["a", "b", "c"],
                             keyTokens: ["w", "x", "y", "z"], queries: Tensor.zeros([2, 4, 5]), keys: Tensor.zeros([2, 4, 5]))
        }
        #expect(trace.entries.isEmpty)
    }
}
