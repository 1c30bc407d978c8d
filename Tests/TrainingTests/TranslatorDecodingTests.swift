import Testing
import TensorCore
@testable import Transformer
@testable import Training

@Suite("Translator decoding")
struct TranslatorDecodingTests {
    /// A random-init translator: 12 source ids, 10 target ids, start 1, end 2.
    static func model(_ configuration: TransformerConfiguration = .tiny, seed: UInt64 = 5) throws -> TrainableSeq2Seq {
        try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: 12, targetVocabularySize: 10, seed: seed)
    }

    static let source = [4, 5, 6, 7, 8]

    @Test func decoderNeverSeesTheFutureWhenPredicting() throws {
        let model = try Self.model()
        let input = [1, 3, 4, 5, 6, 7]
        let reference = try model.fullPrefixLogits(source: Self.source, decoderInput: input)
        // Change every token after position t: the logits at positions 0…t must not move.
        for t in 0..<(input.count - 1) {
            var perturbed = input
            for later in (t + 1)..<input.count { perturbed[later] = (input[later] + 3) % 10 }
            let logits = try model.fullPrefixLogits(source: Self.source, decoderInput: perturbed)
            for position in 0...t {
                let difference = zip(reference[position], logits[position]).map { abs($0 - $1) }.max()!
                #expect(difference <= 1e-6, "t = \(t), position \(position): \(difference)")
            }
            // The perturbed position itself does change (the test can fail).
            let changed = zip(reference[t + 1], logits[t + 1]).map { abs($0 - $1) }.max()!
            #expect(changed > 1e-4)
        }
    }

    @Test(arguments: [TransformerConfiguration.tiny, .tinyOriginal])
    func kvCachedDecodingEqualsFullPrefixDecoding(configuration: TransformerConfiguration) throws {
        var configuration = configuration
        configuration.tiedOutput = configuration.normPlacement == .pre   // both output kinds
        let model = try Self.model(configuration, seed: 9)
        // An end id outside the vocabulary: decode the full maxLength steps.
        let trace = try model.decodeStepByStep(source: Self.source, startID: 1, endID: 99, maxLength: 8)
        #expect(trace.steps.count == 8)
        #expect(trace.output.count == 8)
        #expect(!trace.reachedEnd)
        // Re-run the whole prefix at every step: same logits, same greedy choice.
        for step in trace.steps {
            let full = try model.fullPrefixLogits(source: Self.source, decoderInput: step.decoderInput)
            let last = full[full.count - 1]
            let difference = zip(last, step.logits).map { abs($0 - $1) }.max()!
            #expect(difference <= 1e-5, "position \(step.position): \(difference)")
            #expect(step.chosenID == (try greedyTokenID(last)))
        }
        // The same tokens as the existing full-prefix greedy decoder.
        #expect(trace.output == (try model.greedyDecode(source: Self.source, startID: 1, endID: 99, maxLength: 8)))
    }

    @Test func stepsRecordTopTokensAndCrossAttention() throws {
        let model = try Self.model()
        let trace = try model.decodeStepByStep(source: Self.source, startID: 1, endID: 99, maxLength: 4, topK: 3)
        let heads = TransformerConfiguration.tiny.heads
        let reference = try model.crossAttentionWeights(source: Self.source, decoderInput: trace.steps[3].decoderInput,
                                                        padID: -1).last!     // (h, T, S)
        for (t, step) in trace.steps.enumerated() {
            #expect(step.decoderInput == [1] + trace.output.prefix(t))
            #expect(step.topTokens.count == 3)
            #expect(step.topTokens[0].id == step.chosenID)
            #expect(step.topTokens[0].probability >= step.topTokens[1].probability)
            #expect(abs(step.probabilities.reduce(0, +) - 1) < 1e-5)
            #expect(step.crossAttentionPerHead.count == heads)
            #expect(step.crossAttention.count == Self.source.count)
            #expect(abs(step.crossAttention.reduce(0, +) - 1) < 1e-5)
            // The cached step's cross-attention row equals the full model's row t, head by head.
            for h in 0..<heads {
                for s in 0..<Self.source.count {
                    #expect(abs(step.crossAttentionPerHead[h][s] - reference[h, t, s]) < 1e-5)
                }
            }
        }
        #expect(trace.crossAttentionMatrix.count == 4)
    }

    @Test func decodingStopsAtTheEndToken() throws {
        let model = try Self.model()
        let free = try model.decodeStepByStep(source: Self.source, startID: 1, endID: 99, maxLength: 6)
        // Declare the third generated token the end token: decoding stops there, without it.
        let end = free.output[2]
        let trace = try model.decodeStepByStep(source: Self.source, startID: 1, endID: end, maxLength: 6)
        let firstEnd = free.output.firstIndex(of: end)!
        #expect(trace.reachedEnd)
        #expect(trace.output == Array(free.output.prefix(firstEnd)))
        #expect(trace.steps.last!.chosenID == end)
        #expect(trace.decoderInputAndFinalToken.last == end)
    }

    @Test func samplingTranslationIsSeededAndFollowsTheFilters() throws {
        let model = try Self.model()
        let options = SamplingOptions(temperature: 1.5, topK: 3, seed: 42)
        let a = try model.sampleDecode(source: Self.source, startID: 1, endID: 99, maxLength: 10, options: options)
        let b = try model.sampleDecode(source: Self.source, startID: 1, endID: 99, maxLength: 10, options: options)
        #expect(a == b)
        #expect(a.count == 10)
        let trace = try model.decodeStepByStep(source: Self.source, startID: 1, endID: 99, maxLength: 10,
                                               strategy: .sample(options))
        #expect(trace.output == a)
        for step in trace.steps {
            let sampling = try #require(step.sampling)
            #expect(sampling.afterTopK.filter { $0 > 0 }.count == 3)
            // The chosen token is one of the top 3 of the tempered distribution.
            #expect(rankedTokenIDs(sampling.afterTemperature).prefix(3).contains(step.chosenID))
        }
        // A tiny temperature samples the greedy translation.
        let cold = try model.sampleDecode(source: Self.source, startID: 1, endID: 99, maxLength: 10,
                                          options: SamplingOptions(temperature: 1e-4, seed: 3))
        #expect(cold == (try model.greedyDecode(source: Self.source, startID: 1, endID: 99, maxLength: 10)))
        // Bad options are reported before anything runs.
        #expect(throws: TransformerError.self) {
            try model.sampleDecode(source: Self.source, startID: 1, endID: 2, maxLength: 5,
                                   options: SamplingOptions(topP: 0))
        }
        #expect(throws: TransformerError.self) {
            try model.decodeStepByStep(source: [], startID: 1, endID: 2, maxLength: 5)
        }
    }
}
