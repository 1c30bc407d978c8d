import TensorCore
import Transformer

// Training the small Chinese → English translator of `ParallelCorpus` end to end: corpus,
// vocabularies, mini-batches, teacher forcing, AdamW with clipping and a warm-up/cosine
// schedule, then exact-match evaluation with greedy decoding on the held-out pairs.
//
// Everything random (the corpus sample, the initial weights, the order of the mini-batches)
// comes from `TrainingOptions.seed`: the same seed and options give the same losses,
// bit for bit. Only the timings (`seconds`, tokens per second) differ between runs.

/// One translated sentence: tokens joined (Chinese without spaces, English with).
public struct TranslationExample: Sendable, Equatable {
    /// The Chinese sentence, characters joined without spaces.
    public let source: String
    /// The reference English translation, words joined by spaces.
    public let expected: String
    /// What the model produced (greedy decoding), words joined by spaces.
    public let got: String
    /// Whether `got` equals `expected` exactly.
    public var isExactMatch: Bool { expected == got }

    /// An example from its three texts.
    public init(source: String, expected: String, got: String) {
        self.source = source
        self.expected = expected
        self.got = got
    }
}

/// What training did and how well the result translates.
public struct TranslatorTrainingReport: Sendable {
    /// The options the model was trained with.
    public let options: TrainingOptions
    /// Steps taken (`options.steps`).
    public let steps: Int
    /// The loss of the last mini-batch.
    public let finalLoss: Float
    /// The mini-batch loss of every step, `losses[0]` for step 1.
    public let losses: [Float]
    /// Wall-clock seconds of the training loop (without the evaluation).
    public let seconds: Double
    /// Seconds of greedy decoding for the evaluation.
    public let evaluationSeconds: Double
    /// Source and target tokens (no padding) per second of training.
    public let tokensPerSecond: Double
    /// Share (0…1) of held-out pairs whose greedy translation equals the reference exactly.
    public let heldOutExactMatch: Double
    /// Held-out pairs translated for `heldOutExactMatch`.
    public let heldOutCount: Int
    /// The same share on the first `trainSampleCount` training pairs.
    public let trainExactMatch: Double
    /// Training pairs translated for `trainExactMatch` (at most `options.trainSampleCount`).
    public let trainSampleCount: Int
    /// The first `exampleCount` held-out pairs: source, reference, greedy translation.
    public let examples: [TranslationExample]
    /// Held-out pairs translated wrongly (at most `exampleCount`).
    public let mistakes: [TranslationExample]
    /// Training pairs, the two fixed ones included.
    public let trainPairCount: Int
    /// Trainable scalars in the model.
    public let parameterCount: Int
    /// The vocabularies the model's ids refer to ("<pad>", "<s>", "</s>", "<unk>" first).
    public let sourceVocabulary: [String]
    /// The target (English) vocabulary; `sourceVocabulary` is the Chinese one.
    public let targetVocabulary: [String]

    /// Everything needed to rebuild the model around saved weights, as safetensors metadata
    /// (string → string): configuration, vocabularies (one token per line), seed and results.
    public var metadata: [String: String] {
        options.metadata(format: "TransformerExplorer translator", extra: [
            "architecture": "TrainableSeq2Seq",
            "sharedEmbedding": "false",
            "sourceVocabulary": sourceVocabulary.joined(separator: "\n"),
            "targetVocabulary": targetVocabulary.joined(separator: "\n"),
            "finalLoss": String(finalLoss),
            "heldOutExactMatch": String(heldOutExactMatch),
        ])
    }
}

/// A trained model together with its vocabularies: tokens in, tokens out.
public struct Translator {
    /// The trained encoder–decoder.
    public let model: TrainableSeq2Seq
    /// The Chinese tokens by id ("<pad>", "<s>", "</s>", "<unk>", then the characters).
    public let sourceVocabulary: [String]
    /// The English tokens by id ("<pad>", "<s>", "</s>", "<unk>", then the words).
    public let targetVocabulary: [String]
    private let sourceIDs: [String: Int]
    /// The id of "<pad>" (the same in both vocabularies).
    public let padID: Int
    /// The id of "<s>", the decoder's first input.
    public let startID: Int
    /// The id of "</s>", where decoding stops.
    public let endID: Int
    /// The id of "<unk>" in the source vocabulary, given to any character outside it.
    public let unknownSourceID: Int

    package init(model: TrainableSeq2Seq, sourceVocabulary: [String], targetVocabulary: [String]) throws {
        func id(_ token: String, in vocabulary: [String], _ name: String) throws -> Int {
            guard let index = vocabulary.firstIndex(of: token) else {
                throw TransformerError.invalidInput(operation: "Translator",
                                                    reason: "the \(name) vocabulary has no \"\(token)\"")
            }
            return index
        }
        guard sourceVocabulary.count == model.sourceVocabularySize,
              targetVocabulary.count == model.targetVocabularySize else {
            throw TransformerError.invalidInput(
                operation: "Translator",
                reason: "the vocabularies have \(sourceVocabulary.count) and \(targetVocabulary.count) tokens, "
                    + "the model \(model.sourceVocabularySize) and \(model.targetVocabularySize)")
        }
        self.model = model
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        sourceIDs = Dictionary(sourceVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        padID = try id("<pad>", in: targetVocabulary, "target")
        startID = try id("<s>", in: targetVocabulary, "target")
        endID = try id("</s>", in: targetVocabulary, "target")
        unknownSourceID = try id("<unk>", in: sourceVocabulary, "source")
    }

    /// Source tokens → ids; unknown tokens become "<unk>".
    public func sourceIDs(_ tokens: [String]) -> [Int] { tokens.map { sourceIDs[$0] ?? unknownSourceID } }

    /// Greedy translation of one tokenised sentence (at most `maxLength` output tokens).
    public func translate(_ source: [String], maxLength: Int = 32) throws -> [String] {
        let ids = sourceIDs(source)
        guard !ids.isEmpty else { return [] }
        return try model.greedyDecode(source: ids, startID: startID, endID: endID, maxLength: maxLength)
            .map { targetVocabulary[$0] }
    }
}

/// Greedy-translates every pair with `translate` and compares the whole sentence with the
/// reference: the share of exact matches (0 for no pairs) and every (source, expected, got).
public func exactMatch(on pairs: [ParallelCorpus.Pair],
                       translate: ([String]) throws -> [String]) rethrows -> (share: Double, results: [TranslationExample]) {
    var results: [TranslationExample] = []
    results.reserveCapacity(pairs.count)
    for pair in pairs {
        let got = try translate(pair.source)
        results.append(TranslationExample(source: pair.sourceText, expected: pair.targetText,
                                          got: got.joined(separator: " ")))
    }
    let matches = results.filter(\.isExactMatch).count
    return (pairs.isEmpty ? 0 : Double(matches) / Double(pairs.count), results)
}

/// The mini-batches of one training run: the training pairs as ids, shuffled afresh every
/// epoch with the seeded generator, cut into batches of `batchSize` (the last batch of an
/// epoch is topped up from the next epoch, so every batch is full).
package struct TranslatorBatches: Sendable {
    package let sources: [[Int]]
    /// (decoder input, labels) of every pair, from `shiftedRight`.
    package let shifted: [(decoderInput: [Int], labels: [Int])]
    package var batchSize: Int { batcher.batchSize }
    private var batcher: EpochBatcher

    package init(sources: [[Int]], targets: [[Int]], startID: Int, endID: Int, batchSize: Int, seed: UInt64) {
        self.sources = sources
        shifted = targets.map { shiftedRight($0, startID: startID, endID: endID) }
        batcher = EpochBatcher(count: sources.count, batchSize: batchSize, seed: seed)
    }

    /// The indices of the next batch.
    package mutating func nextIndices() -> [Int] { batcher.next() }

    /// The next batch: source ids, decoder inputs and labels (unpadded; the model pads).
    package mutating func next() -> (sources: [[Int]], decoderInputs: [[Int]], labels: [[Int]]) {
        let indices = nextIndices()
        return (indices.map { sources[$0] }, indices.map { shifted[$0].decoderInput }, indices.map { shifted[$0].labels })
    }
}

/// Trains a `TrainableSeq2Seq` on `ParallelCorpus.generate(seed: options.seed, …)` and
/// evaluates it. Each step: the next mini-batch, teacher forcing (`shiftedRight`), the mean
/// cross-entropy over non-pad labels, backward, global-norm clipping, AdamW at the scheduled
/// rate. Then greedy decoding of every held-out pair and of a sample of training pairs,
/// scored by whole-sentence exact match. `progress` is called after every step.
public func trainTranslator(options: TrainingOptions = TrainingOptions(),
                            progress: (TrainingProgress) -> Void = { _ in })
    throws -> (model: TrainableSeq2Seq, report: TranslatorTrainingReport) {
    try options.validate()
    let corpus = ParallelCorpus.generate(seed: options.seed, trainCount: options.trainCount,
                                         heldOutCount: options.heldOutCount)
    // Different streams for the weights and for the batches, both from the one seed.
    let model = try TrainableSeq2Seq(configuration: options.configuration,
                                     sourceVocabularySize: corpus.sourceVocabulary.count,
                                     targetVocabularySize: corpus.targetVocabulary.count,
                                     seed: options.seed &+ 1)
    let translator = try Translator(model: model, sourceVocabulary: corpus.sourceVocabulary,
                                    targetVocabulary: corpus.targetVocabulary)
    let targetIDs = Dictionary(corpus.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    let padID = translator.padID
    let unknownTarget = targetIDs["<unk>"] ?? padID
    var batches = TranslatorBatches(
        sources: corpus.train.map { translator.sourceIDs($0.source) },
        targets: corpus.train.map { $0.target.map { targetIDs[$0] ?? unknownTarget } },
        startID: translator.startID, endID: translator.endID,
        batchSize: options.batchSize, seed: options.seed &+ 2)

    let run = try runTraining(options: options, parameters: model.parameters, operation: "trainTranslator",
                              progress: progress) { _ in
        let batch = batches.next()
        let loss = try model.loss(sourceBatch: batch.sources, decoderInputBatch: batch.decoderInputs,
                                  targetBatch: batch.labels, padID: padID)
        let tokens = batch.sources.reduce(0) { $0 + $1.count } + batch.labels.reduce(0) { $0 + $1.count }
        return (loss, tokens)
    }

    let evaluationStarted = ContinuousClock.now
    let longest = (corpus.train + corpus.heldOut).map(\.target.count).max() ?? 0
    let maxLength = longest + 4
    let heldOut = try exactMatch(on: corpus.heldOut) { try translator.translate($0, maxLength: maxLength) }
    let sample = Array(corpus.train.prefix(options.trainSampleCount))
    let train = try exactMatch(on: sample) { try translator.translate($0, maxLength: maxLength) }
    let evaluationSeconds = secondsSince(evaluationStarted)

    let report = TranslatorTrainingReport(
        options: options, steps: options.steps, finalLoss: run.losses.last ?? .nan, losses: run.losses,
        seconds: run.seconds, evaluationSeconds: evaluationSeconds, tokensPerSecond: run.tokensPerSecond,
        heldOutExactMatch: heldOut.share, heldOutCount: corpus.heldOut.count,
        trainExactMatch: train.share, trainSampleCount: sample.count,
        examples: Array(heldOut.results.prefix(options.exampleCount)),
        mistakes: Array(heldOut.results.filter { !$0.isExactMatch }.prefix(options.exampleCount)),
        trainPairCount: corpus.train.count, parameterCount: model.parameters.scalarCount,
        sourceVocabulary: corpus.sourceVocabulary, targetVocabulary: corpus.targetVocabulary)
    return (model, report)
}
