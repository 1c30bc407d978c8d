import Foundation
import Testing
@testable import ModelIO
import TensorCore
import Transformer

// The fast SmolLM2 path (LlamaModel: pointers, fused loops, a KV cache) against the readable
// one built from the lessons' layers (LlamaReferenceModel: RMSNorm, RoPE, grouped-query
// MultiHeadAttention, SwiGLU), both from the same GGUF weights, on lesson 14's prompt.
// Each computes every weight and logit its own way, so agreement to float rounding says that
// both are the model the numpy reference checks (SmolLM2Tests).

@Suite(.enabled(if: ModelStore.isInstalled(.smollm2)))
struct SmolLM2ReferenceTests {
    static let reference: Result<LlamaReferenceModel, any Error> = Result {
        try LlamaReferenceModel.load(from: try SmolLM2Shared.file.get())
    }

    @Test func referenceIsBuiltFromTheSameWeights() throws {
        let reference = try Self.reference.get(), fast = try SmolLM2Shared.model.get()
        let c = fast.configuration
        #expect(reference.layers.count == c.layerCount && reference.vocabularySize == c.vocabularySize)
        #expect(reference.outputProjection == nil && fast.tiedOutput)
        let attention = reference.layers[0].attention
        #expect(attention.heads == 9 && attention.keyValueHeads == 3 && attention.headDimension == 64)
        #expect(attention.key.weight.shape == [576, 192])
        #expect(attention.rotary == (try RotaryPositionEmbedding(headDimension: 64, base: 100_000)))
        #expect(reference.layers[0].feedForward.hiddenDimension == 1536)
        // 134.5 M weights: the token table (tied, counted once), 30 layers, the final norm.
        #expect(reference.parameterCount == 49152 * 576 + 30 * (2 * 576 + 2 * 576 * 576 + 2 * 576 * 192 + 3 * 576 * 1536) + 576)
    }

    @Test func fastPathMatchesTheReferenceLogitsAndAttention() throws {
        // The fast model is loaded and run first, while the other test loads the reference (the
        // two loads overlap instead of queueing: each dequantises all 134 M weights).
        let fast = try SmolLM2Shared.model.get()
        let ids = fast.tokenizer.encode("The capital of France is")
        let labels = fast.tokenizer.tokenStrings(ids)
        #expect(ids.count == 5)
        let (fastLogits, fastTrace) = try fast.forward(ids: ids, recordTrace: true)
        let reference = try Self.reference.get()
        let readable = try reference.forward(ids, tokens: labels, recordTrace: true)

        #expect(readable.logits.shape == fastLogits.shape)
        let logitGap = zip(readable.logits.scalars, fastLogits.scalars).map { abs($0 - $1) }.max() ?? .infinity
        // 2e-4, as between the cached and the full pass: the two paths sum in different orders
        // (the matmul kernel's depth blocks of 1,024 against the quantised kernels' blocks of
        // 32), and the logits reach 27, where a Float's step is 2e-6. Measured: 1.1e-4 in a
        // debug build since the depth blocks grew from 256 to 1,024.
        let largest = fastLogits.scalars.map(abs).max() ?? 0
        #expect(logitGap < 2e-4, "largest logit difference \(logitGap), largest |logit| \(largest)")
        let last = readable.logits.row(ids.count - 1)
        #expect(LlamaModel.argmax(last) == LlamaModel.argmax(fastLogits.row(ids.count - 1)))
        #expect(try fast.tokenizer.decode([LlamaModel.argmax(last)]) == " Paris")

        // Both traces have the same layout (30 layers × 9 query heads, the same labels), and
        // every weight of every head agrees.
        let fastEntries = try #require(fastTrace).entries, readableEntries = try #require(readable.trace).entries
        #expect(readableEntries.count == 30 * 9 && fastEntries.count == readableEntries.count)
        var weightGap: Float = 0
        for (a, b) in zip(readableEntries, fastEntries) {
            #expect(a.layer == b.layer && a.head == b.head && a.kind == b.kind && a.queryTokens == b.queryTokens)
            for (rowA, rowB) in zip(a.weights, b.weights) {
                for (x, y) in zip(rowA, rowB) { weightGap = max(weightGap, abs(x - y)) }
            }
        }
        #expect(weightGap < 1e-5, "largest attention weight difference \(weightGap)")
        // A few heads by name, where a wrong RoPE pairing or kv grouping would show first: the
        // last head of a group (8 reads kv head 2) and a head in the middle of the stack.
        for (layer, head) in [(0, 8), (14, 4), (29, 0)] {
            let a = try #require(readable.trace?.weights(layer: layer, head: head, kind: .decoderSelf))
            let b = try #require(fastTrace?.weights(layer: layer, head: head, kind: .decoderSelf))
            #expect(zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) < 1e-5 }, "layer \(layer), head \(head)")
        }
    }
}
