import Foundation
import ModelIO
import TensorCore
import Testing
import Transformer

/// What may be shared between tasks is shared, and gives exactly what it gives alone.
/// `scripts/sanitize.sh thread` runs these under ThreadSanitizer: a race in the shared weights,
/// the RoPE cache or the worker pool would be reported there.
///
/// What may not be shared is not `Sendable`, so the compiler refuses it: `LlamaSession` (its KV
/// cache grows without a lock) and `LlamaProbe` (a pass fills it). Each task below makes its own.
@Suite("Sharing models across tasks")
struct SharingAcrossTasksTests {
    /// Only `Sendable` types compile here: the test fails to build if the shared types lose it.
    static func shareable<T: Sendable>(_: T.Type) -> Bool { true }

    @Test func theSharedTypesAreSendable() {
        #expect(Self.shareable(LlamaModel.self))
        #expect(Self.shareable(BertEncoderModel.self))
        #expect(Self.shareable(DecoderOnlyModel.self))
        #expect(Self.shareable(QuantizedMatrix.self))
    }

    /// A small random decoder: four tasks run it at once, each on different ids.
    @Test func oneDecoderOnlyModelInFourTasks() async throws {
        let model = try DecoderOnlyModel(configuration: .tiny, seed: 7)
        let inputs = (0..<4).map { task in (0..<6).map { (task * 5 + $0 * 3) % model.configuration.vocabularySize } }
        let alone = try inputs.map { try model.forward($0, recordTrace: true).logits.scalars }
        let together = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, ids) in inputs.enumerated() {
                group.addTask { (index, try model.forward(ids, recordTrace: true).logits.scalars) }
            }
            var results = [[Float]](repeating: [], count: inputs.count)
            for try await (index, logits) in group { results[index] = logits }
            return results
        }
        for (a, b) in zip(alone, together) { #expect(a.map(\.bitPattern) == b.map(\.bitPattern)) }
        #expect(alone[0] != alone[1])   // the tasks really ran different inputs
    }

    /// SmolLM2: one `LlamaModel`, two tasks, each with its own session: a different prompt (the
    /// batched path, on the worker pool) then one greedy token (query by query); each task's logits are bit-identical to the same
    /// conversation run alone.
    @Test(.enabled(if: ModelStore.isInstalled(.smollm2)))
    func oneLlamaModelInThreeTasksWithTheirOwnSessions() async throws {
        let model = try SmolLM2Shared.model.get()
        let prompts = ["The capital of France is", "Once upon a time"]
        @Sendable func converse(_ prompt: String) throws -> [[Float]] {
            let session = model.makeSession()
            var results = [try session.append(model.tokenizer.encode(prompt))]
            results.append(try session.append([LlamaModel.argmax(results[0])]))
            return results
        }
        let alone = try prompts.map(converse)
        let together = try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask { (index, try converse(prompt)) }
            }
            var results = [[[Float]]](repeating: [], count: prompts.count)
            for try await (index, logits) in group { results[index] = logits }
            return results
        }
        for (a, b) in zip(alone, together) {
            #expect(a.count == 2 && b.count == 2)
            for (x, y) in zip(a, b) { #expect(x.map(\.bitPattern) == y.map(\.bitPattern)) }
        }
        #expect(LlamaModel.argmax(alone[0][0]) != LlamaModel.argmax(alone[1][0]))
    }
}
