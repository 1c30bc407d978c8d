import Foundation
import Testing
import TensorCore
@testable import Transformer
@testable import Training

@Suite struct TranslatorTrainingTests {
    /// A model small enough that a few steps take well under a second in a debug build.
    static func tinyOptions(steps: Int, seed: UInt64 = 5) -> TrainingOptions {
        var options = TrainingOptions()
        options.seed = seed
        options.trainCount = 60
        options.heldOutCount = 3
        options.steps = steps
        options.batchSize = 8
        options.modelDimension = 16
        options.heads = 2
        options.feedForwardDimension = 32
        options.layers = 1
        options.peakLearningRate = 1e-2
        options.warmupSteps = 5
        options.trainSampleCount = 2
        options.exampleCount = 2
        return options
    }

    @Test func sameSeedAndOptionsGiveTheSameLossesBitForBit() throws {
        let options = Self.tinyOptions(steps: 4)
        var seen: [TrainingProgress] = []
        let a = try trainTranslator(options: options) { seen.append($0) }.report
        let b = try trainTranslator(options: options).report
        #expect(a.losses.count == 4)
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern), "\(a.losses) vs \(b.losses)")
        #expect(a.finalLoss == a.losses.last)
        #expect(a.examples == b.examples)
        // The progress callback saw every step, with the same losses.
        #expect(seen.map(\.step) == [1, 2, 3, 4])
        #expect(seen.allSatisfy { $0.totalSteps == 4 && $0.tokensPerSecond > 0 && $0.secondsLeft >= 0 })
        #expect(seen.map(\.loss.bitPattern) == a.losses.map(\.bitPattern))
        #expect(seen.last?.secondsLeft == 0)
        // Another seed: another corpus sample, other weights, other batches.
        let c = try trainTranslator(options: Self.tinyOptions(steps: 4, seed: 6)).report
        #expect(c.losses.map(\.bitPattern) != a.losses.map(\.bitPattern))
        // The first loss of an untrained model is near ln(V): every target token about equally likely.
        let uniform = Float(log(Double(a.targetVocabulary.count)))
        #expect(abs(a.losses[0] - uniform) < 1.5, "step 1 loss \(a.losses[0]), ln V = \(uniform)")
        #expect(a.heldOutCount == 3 && a.trainSampleCount == 2 && a.examples.count == 2)
        #expect(a.sourceVocabulary.prefix(4) == ["<pad>", "<s>", "</s>", "<unk>"])
    }

    @Test func lossFallsWithin30Steps() throws {
        let report = try trainTranslator(options: Self.tinyOptions(steps: 30)).report
        let first = report.losses[0]
        let last = report.losses[29]
        print("TranslatorTrainingTests: loss \(first) at step 1, \(last) at step 30 (\(report.seconds) s)")
        #expect(last < first, "loss \(last) at step 30 is not below \(first) at step 1")
        // Not just one lucky batch: the last five steps average well below the first five.
        let early = report.losses.prefix(5).reduce(0, +) / 5
        let late = report.losses.suffix(5).reduce(0, +) / 5
        #expect(late < early * 0.8, "mean of steps 26–30 \(late), of steps 1–5 \(early)")
    }

    @Test func exactMatchCountsWholeSentencesOnly() throws {
        let pairs = [
            ParallelCorpus.Pair(source: ["我", "爱", "你", "。"], target: ["i", "love", "you", "."], slots: [:]),
            ParallelCorpus.Pair(source: ["我", "是", "学", "生", "。"], target: ["i", "am", "a", "student", "."], slots: [:]),
            ParallelCorpus.Pair(source: ["他", "喜", "欢", "猫", "。"], target: ["he", "likes", "cats", "."], slots: [:]),
            ParallelCorpus.Pair(source: ["她", "喜", "欢", "狗", "。"], target: ["she", "likes", "dogs", "."], slots: [:]),
            ParallelCorpus.Pair(source: ["你", "好"], target: ["hello"], slots: [:]),
        ]
        // A stand-in translator: right on the first two and the last, one word wrong on the
        // third, one word missing on the fourth. 3 of 5 = 0.6.
        let answers: [String: [String]] = [
            "我爱你。": ["i", "love", "you", "."],
            "我是学生。": ["i", "am", "a", "student", "."],
            "他喜欢猫。": ["he", "like", "cats", "."],
            "她喜欢狗。": ["she", "likes", "dogs"],
            "你好": ["hello"],
        ]
        let result = exactMatch(on: pairs) { answers[$0.joined()] ?? [] }
        #expect(result.share == 0.6)
        #expect(result.results.map(\.isExactMatch) == [true, true, false, false, true])
        #expect(result.results[2] == TranslationExample(source: "他喜欢猫。", expected: "he likes cats .",
                                                        got: "he like cats ."))
        #expect(exactMatch(on: []) { $0 }.share == 0)
    }

    @Test func batchesVisitEveryPairOncePerEpoch() {
        var batches = TranslatorBatches(sources: (0..<5).map { [$0 + 10] }, targets: (0..<5).map { [$0 + 20] },
                                        startID: 1, endID: 2, batchSize: 3, seed: 9)
        let first = batches.nextIndices() + batches.nextIndices()      // 6 indices: one epoch and one more
        #expect(Set(first.prefix(5)) == Set(0..<5))
        #expect(first.count == 6)
        let batch = batches.next()
        #expect(batch.sources.count == 3)
        for (source, (input, labels)) in zip(batch.sources, zip(batch.decoderInputs, batch.labels)) {
            #expect(input == [1, source[0] + 10])
            #expect(labels == [source[0] + 10, 2])
        }
        // Same seed, same order.
        var again = TranslatorBatches(sources: (0..<5).map { [$0 + 10] }, targets: (0..<5).map { [$0 + 20] },
                                      startID: 1, endID: 2, batchSize: 3, seed: 9)
        #expect(again.nextIndices() + again.nextIndices() == first)
    }

    @Test func badOptionsAreRejected() {
        var options = Self.tinyOptions(steps: 0)
        #expect(throws: TransformerError.self) { try trainTranslator(options: options) }
        options = Self.tinyOptions(steps: 3)
        options.heads = 3   // 16 is not divisible by 3
        #expect(throws: TransformerError.self) { try options.validate() }
    }
}
