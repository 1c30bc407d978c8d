import Foundation
import ModelIO
import TensorCore
import Testing
import Transformer

/// The fast paths on the real models (issue 23): a prompt run as batched products with blockwise
/// attention gives what running it token by token (and recording the trace) gives, and the bits
/// do not depend on the thread count.
@Suite("Real-model fast paths", .enabled(if: ModelStore.isInstalled(.smollm2)))
struct RealModelSpeedPathTests {
    static let text = "The capital of France is Paris, and the capital of Italy is Rome. The capital of Spain is"

    static func largestDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test func batchedPromptEqualsTokenByTokenAndTheTracedPass() throws {
        let model = try SmolLM2Shared.model.get()
        let ids = model.tokenizer.encode(Self.text)
        #expect(ids.count >= QuantizedMatrix.batchedRows)
        let batched = try model.makeSession().append(ids)
        let session = model.makeSession()
        var stepwise: [Float] = []
        for id in ids { stepwise = try session.append([id]) }
        // Logits here span about ±20; different summation orders move them by a few 1e-5
        // (3.1e-5 measured here, 5.0e-5 for the traced pass below); the bounds leave 4x.
        let difference = Self.largestDifference(batched, stepwise)
        #expect(difference < 2e-4, "batched and token-by-token logits differ by \(difference)")
        #expect(LlamaModel.argmax(batched) == LlamaModel.argmax(stepwise))
        // Every position: the fast pass (no trace) against the traced one (weights kept row by row).
        let fast = try model.forward(ids: ids).logits.scalars
        let traced = try model.forward(ids: ids, recordTrace: true).logits.scalars
        let allPositions = Self.largestDifference(fast, traced)
        #expect(allPositions < 2e-4, "fast and traced logits differ by \(allPositions)")
    }

    @Test func sameBitsForOneAndTwoThreads() throws {
        // Its own model: the thread count is a property of the model, and other tests share theirs.
        let model = try LlamaModel.loadInstalled()
        let ids = model.tokenizer.encode(Self.text)
        func run(threads: Int) throws -> [[Float]] {
            model.threadCount = threads
            let session = model.makeSession()
            var results = [try session.append(ids)]
            for _ in 0..<2 { results.append(try session.append([LlamaModel.argmax(results.last!)])) }
            return results
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        for (a, b) in zip(one, two) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
    }
}

@Suite("MiniLM fast path", .enabled(if: ModelStore.isInstalled(.minilm)))
struct MiniLMSpeedPathTests {
    @Test func blockwiseAttentionEqualsTheTracedPass() throws {
        let model = try BertEncoderModel.loadInstalled()
        // Long enough for two query and key blocks of the attention kernel.
        let ids = model.encode(String(repeating: "The animal didn't cross the street because it was too tired. ", count: 12))
        #expect(ids.count > max(AttentionKernel.queryBlock, AttentionKernel.keyBlock))
        let fast = try model.forward(ids: ids).lastHiddenState.scalars
        let traced = try model.forward(ids: ids, recordTrace: true).lastHiddenState.scalars
        let difference = zip(fast, traced).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference < 1e-4, "hidden states differ by \(difference)")
    }
}
