import Foundation
import Testing
import TensorCore
@testable import Transformer
@testable import Training

@Suite struct SelfAttentionStackTests {
    static func configuration() -> TransformerConfiguration {
        TransformerConfiguration(layers: 2, modelDimension: 16, heads: 2, feedForwardDimension: 32, vocabularySize: 1,
                                 maxLength: 64, activation: .gelu, normPlacement: .pre, positions: .sinusoidal,
                                 tiedOutput: true)
    }

    static func options(steps: Int, seed: UInt64 = 5) -> TrainingOptions {
        var options = TranslatorTrainingTests.tinyOptions(steps: steps, seed: seed)
        options.heldOutCount = 4
        return options
    }

    @Test func causalLogitsIgnoreLaterTokensAndBidirectionalOnesDoNot() throws {
        let causal = try TrainableSelfAttentionStack(configuration: Self.configuration(), vocabularySize: 12,
                                                     pattern: .causal, seed: 3)
        let bidirectional = try TrainableSelfAttentionStack(configuration: Self.configuration(), vocabularySize: 12,
                                                            pattern: .bidirectional, seed: 3)
        let a = [1, 5, 7, 2, 9], b = [1, 5, 7, 11, 4]   // differ from position 3 on
        let causalA = try causal.logitRows(a), causalB = try causal.logitRows(b)
        for t in 0..<3 {
            for v in 0..<12 { #expect(abs(causalA[t][v] - causalB[t][v]) <= 1e-6, "position \(t)") }
        }
        #expect(zip(causalA[3], causalB[3]).contains { abs($0 - $1) > 1e-3 })
        let fullA = try bidirectional.logitRows(a), fullB = try bidirectional.logitRows(b)
        #expect(zip(fullA[0], fullB[0]).contains { abs($0 - $1) > 1e-4 }, "position 0 sees the changed tokens")
    }

    @Test func paddingDoesNotChangeTheLogitsOfRealTokens() throws {
        let model = try TrainableSelfAttentionStack(configuration: Self.configuration(), vocabularySize: 12,
                                                    pattern: .bidirectional, segmentCount: 2, seed: 4)
        let alone = try model.logitRows([2, 6, 3, 8, 3], segments: [0, 0, 0, 1, 1])
        let batch = try model.forward([[2, 6, 3, 8, 3], [2, 9, 3]], segments: [[0, 0, 0, 1, 1], [0, 0, 0]], padID: 0)
        let padded = try model.forward([[2, 9, 3], [2, 6, 3, 8, 3]], segments: [[0, 0, 0], [0, 0, 0, 1, 1]], padID: 0)
        let v = 12
        let second = padded.logits.value.scalars[(5 * v)..<(10 * v)]           // sequence 1 of the batch
        for (index, value) in second.enumerated() {
            #expect(abs(value - alone[index / v][index % v]) <= 1e-5)
        }
        #expect(batch.attention.count == 2 && batch.attention[0].shape == [2, 2, 5, 5])
        // The padded short sequence gives the pad keys zero weight.
        let weights = padded.attention[0]
        for head in 0..<2 { for q in 0..<3 { for k in 3..<5 { #expect(weights[0, head, q, k] == 0) } } }
    }

    @Test func segmentEmbeddingsChangeTheOutput() throws {
        let model = try TrainableSelfAttentionStack(configuration: Self.configuration(), vocabularySize: 12,
                                                    pattern: .bidirectional, segmentCount: 2, seed: 4)
        let a = try model.logitRows([2, 6, 3, 8, 3], segments: [0, 0, 0, 1, 1])
        let b = try model.logitRows([2, 6, 3, 8, 3], segments: [0, 0, 0, 0, 0])
        #expect(zip(a[4], b[4]).contains { abs($0 - $1) > 1e-4 })
        #expect(model.parameters.names.contains("segmentEmbedding.weight"))
        #expect(model.parameters["segmentEmbedding.weight"]?.shape == [2, 16])
    }

    @Test func languageModelTrainingIsReproducibleAndLearns() throws {
        let options = Self.options(steps: 30)
        let a = try trainLanguageModel(options: options)
        let b = try trainLanguageModel(options: options)
        #expect(a.report.losses.map(\.bitPattern) == b.report.losses.map(\.bitPattern))
        for ((name, x), (_, y)) in zip(a.model.model.parameters.values, b.model.model.parameters.values) {
            #expect(x.scalars.map(\.bitPattern) == y.scalars.map(\.bitPattern), "\(name)")
        }
        // 30 steps at a high rate take the loss well below uniform guessing, ln(V).
        let uniform = Float(Foundation.log(Double(a.model.vocabulary.count)))
        #expect(a.report.losses[0] > uniform - 0.5)
        #expect(a.report.finalLoss < uniform - 1)
        let corpus = ParallelCorpus.generate(seed: options.seed, trainCount: options.trainCount,
                                             heldOutCount: options.heldOutCount)
        #expect(a.report.heldOut.positions == corpus.heldOut.reduce(0) { $0 + $1.target.count + 1 })
        #expect(a.report.metadata["pattern"] == "causal")
        #expect(a.report.metadata["vocabulary"]?.split(separator: "\n").count == a.model.vocabulary.count)
    }

    @Test func nextTokenScoreCountsEveryPositionAndTheBaselines() throws {
        let options = Self.options(steps: 1)
        let model = try trainLanguageModel(options: options).model
        // Baselines counted on "i love you ." three times and "i am a student ." once (the two
        // fixed pairs, so every word is in the vocabulary). Labels i am a student . </s>:
        // the unigram guess is one of i, ".", </s> (4 each; smallest id wins): right once.
        let train = Array(repeating: ["i", "love", "you", "."], count: 3) + [["i", "am", "a", "student", "."]]
        let score = try scoreNextToken(model, on: [["i", "am", "a", "student", "."]], trainSentences: train)
        #expect(score.positions == 6)
        #expect(score.unigramAccuracy == 1.0 / 6)
        // The bigram guesses i after <s>, love after i (wrong), then a, student, ".", </s>.
        #expect(score.bigramAccuracy == 5.0 / 6)
        #expect(score.meanLoss > 0)
    }

    @Test func maskedLanguageModelTrainingIsReproducibleAndScoresHiddenPositions() throws {
        let options = Self.options(steps: 20)
        let a = try trainMaskedLanguageModel(options: options)
        let b = try trainMaskedLanguageModel(options: options)
        #expect(a.report.losses.map(\.bitPattern) == b.report.losses.map(\.bitPattern))
        #expect(a.report.heldOut == b.report.heldOut)
        let score = a.report.heldOut
        #expect(score.positions == score.countByChoice.values.reduce(0, +))
        #expect(score.positions >= 4)   // at least one per held-out pair
        #expect(a.model.vocabulary.prefix(5) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        #expect(a.model.vocabulary.contains("猫") && a.model.vocabulary.contains("cat"))
        #expect(a.report.finalLoss < a.report.losses[0])
    }

    @Test func tinyBERTEncodesPairsAsBERTDoes() throws {
        let options = Self.options(steps: 1)
        let bert = try trainMaskedLanguageModel(options: options).model
        let pair = bert.encodePair(["我", "爱", "你"], ["i", "love", "you"])
        #expect(pair.tokens == ["[CLS]", "我", "爱", "你", "[SEP]", "i", "love", "you", "[SEP]"])
        #expect(pair.segments == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(pair.ids[0] == bert.classificationID && pair.ids[4] == bert.separatorID)
        #expect(bert.ids(["not-a-word"]) == [bert.unknownID])
        let top = try bert.predictions(ids: pair.ids, segments: pair.segments, position: 6, count: 3)
        #expect(top.count == 3)
        #expect(top[0].probability >= top[1].probability && top[1].probability >= top[2].probability)
        #expect(throws: TransformerError.self) { try bert.predictions(ids: pair.ids, segments: pair.segments, position: 9) }
    }
}
