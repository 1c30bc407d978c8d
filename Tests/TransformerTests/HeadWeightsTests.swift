import TensorCore
import Testing
import Transformer

/// One head's weights, read without reshaping by hand.
@Suite("One head's weights")
struct HeadWeightsTests {
    static func model() throws -> MultiHeadAttention {
        var generator = SeededGenerator(seed: 11)
        return try MultiHeadAttention(modelDimension: 8, heads: 2, using: &generator)
    }

    @Test func unbatchedHeadIsTheWeightsTensorAtThatHead() throws {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([3, 8], using: &generator)
        let output = try Self.model()(x, mask: causalMask(size: 3))
        #expect(output.headCount == 2)
        for head in 0..<2 {
            let rows = try output.weights(head: head)
            #expect(rows.count == 3 && rows.allSatisfy { $0.count == 3 })
            for q in 0..<3 { for k in 0..<3 { #expect(rows[q][k] == output.weights[head, q, k]) } }
            // Causal: the first token sees only itself, the others nothing in their future.
            #expect(rows[0] == [1, 0, 0])
            #expect(rows[1][2] == 0)
        }
        #expect(try output.weights(head: 0) != output.weights(head: 1))
    }

    @Test func batchedHeadIsThatSequencesHead() throws {
        var generator = SeededGenerator(seed: 5)
        let first = Tensor.randomNormal([1, 3, 8], using: &generator)
        let second = Tensor.randomNormal([1, 3, 8], using: &generator)
        let model = try Self.model()
        let batched = try model(try Tensor.concatenate([first, second], axis: 0))
        let alone = try model(try second.reshaped([3, 8]))
        #expect(batched.headCount == 2)
        for head in 0..<2 {
            let a = try batched.weights(head: head, batch: 1), b = try alone.weights(head: head)
            for (rowA, rowB) in zip(a, b) { for (p, q) in zip(rowA, rowB) { #expect(abs(p - q) < 1e-6) } }
        }
    }

    @Test func missingHeadOrBatchEntryIsAnError() throws {
        var generator = SeededGenerator(seed: 5)
        let output = try Self.model()(Tensor.randomNormal([3, 8], using: &generator))
        #expect(throws: TransformerError.invalidInput(operation: "MultiHeadOutput.weights(head:)",
                                                      reason: "head 2 does not exist: the heads are 0..<2")) {
            try output.weights(head: 2)
        }
        #expect(throws: TransformerError.self) { try output.weights(head: 0, batch: 1) }
        #expect(throws: TransformerError.self) { try output.weights(head: -1) }
    }

    /// The trace's reader gives the same rows as the layer's output (both from 0).
    @Test func traceReaderGivesTheSameRows() throws {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal([3, 8], using: &generator)
        let output = try Self.model()(x)
        var trace = AttentionTrace(architecture: "test")
        try trace.record(weights: output.weights, layer: 0, kind: .encoderSelf, queryTokens: ["a", "b", "c"],
                         keyTokens: ["a", "b", "c"])
        #expect(trace.weights(layer: 0, head: 1, kind: .encoderSelf) == (try output.weights(head: 1)))
    }

    /// The example of the DocC article "The attention trace", as written there.
    @Test func traceArticleExampleRuns() throws {
        let model = try EncoderOnlyModel(configuration: .tinyBERT, seed: 1)
        let output = try model.forward([1, 2, 3], tokens: ["the", "cat", "sat"], recordTrace: true)
        let rows = output.trace?.weights(layer: 0, head: 1, kind: .encoderSelf)   // [[Float]], 3 × 3
        #expect(rows?.count == 3 && rows?.allSatisfy { $0.count == 3 } == true)
        for row in rows ?? [] { #expect(abs(row.reduce(0, +) - 1) < 1e-5) }
    }
}
