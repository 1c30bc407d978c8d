import TensorCore
import Transformer

// The encoder-only tiny BERT: masked-LM pre-training on `ParallelCorpus`. Each example is one
// sentence pair read as BERT reads two segments,
//
//     [CLS] 我 昨 天 … 。 [SEP] i saw a cat … . [SEP]      segments 0 … 0 | 1 … 1
//
// corrupted with BERT's 15% / 80-10-10 rule (`corruptForMaskedLM`) afresh at every step
// (dynamic masking, as RoBERTa does). Putting the translation beside the sentence is XLM's
// "translation language modelling": a masked 猫 can be recovered from "cat" on the other side,
// so the model must learn which words correspond. A masked word of one language alone
// could not be predicted (any of seven animals and things fits "i saw a [MASK]").

extension TrainingOptions {
    /// The tiny BERT's defaults: 2 bidirectional layers, d_model 64, 4 heads, 1200 steps.
    public static var maskedLanguageModel: TrainingOptions {
        var options = TrainingOptions()
        options.steps = 1200
        options.trainSampleCount = 0
        return options
    }
}

/// A trained encoder-only model with its vocabulary: "[PAD]", "[UNK]", "[CLS]", "[SEP]",
/// "[MASK]", then the Chinese characters, then the English words of the training pairs.
public struct TinyBERT {
    /// The special tokens, at ids 0…4 of every TinyBERT vocabulary.
    public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// The trained encoder stack (bidirectional attention, two segments).
    public let model: TrainableSelfAttentionStack
    /// The tokens by id: `specialTokens`, then the Chinese characters, then the English words.
    public let vocabulary: [String]
    /// The id of "[PAD]" (0).
    public var padID: Int { 0 }
    /// The id of "[UNK]" (1), given to any token outside the vocabulary.
    public var unknownID: Int { 1 }
    /// The id of "[CLS]" (2), which starts every input.
    public var classificationID: Int { 2 }
    /// The id of "[SEP]" (3), which ends each sentence.
    public var separatorID: Int { 3 }
    /// The id of "[MASK]" (4), which replaces most tokens chosen for prediction.
    public var maskID: Int { 4 }
    private let ids: [String: Int]

    /// The vocabulary for a corpus: the special tokens, then every Chinese and English token.
    package static func vocabulary(for corpus: ParallelCorpus) -> [String] {
        let words = corpus.sourceVocabulary.dropFirst(ParallelCorpus.specialTokens.count)
            + corpus.targetVocabulary.dropFirst(ParallelCorpus.specialTokens.count)
        var seen = Set(specialTokens)
        return specialTokens + words.filter { seen.insert($0).inserted }
    }

    package init(model: TrainableSelfAttentionStack, vocabulary: [String]) throws {
        guard model.pattern == .bidirectional else {
            throw TransformerError.invalidInput(operation: "TinyBERT", reason: "BERT needs bidirectional attention")
        }
        guard vocabulary.count == model.vocabularySize, Array(vocabulary.prefix(5)) == Self.specialTokens else {
            throw TransformerError.invalidInput(
                operation: "TinyBERT",
                reason: "the vocabulary must start with \(Self.specialTokens.joined(separator: " ")) and have "
                    + "\(model.vocabularySize) tokens (it has \(vocabulary.count))")
        }
        self.model = model
        self.vocabulary = vocabulary
        ids = Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The ids never chosen for masking and never drawn as random replacements.
    package var specialIDs: Set<Int> { Set(0..<Self.specialTokens.count) }

    /// Tokens → ids ("[UNK]" for unknown tokens; "[MASK]" and the other specials are kept).
    public func ids(_ tokens: [String]) -> [Int] { tokens.map { ids[$0] ?? unknownID } }

    /// "[CLS] a [SEP] b [SEP]" (or "[CLS] a [SEP]" without b): ids, segments and tokens.
    public func encodePair(_ a: [String], _ b: [String]?) -> (ids: [Int], segments: [Int], tokens: [String]) {
        var tokens = ["[CLS]"] + a + ["[SEP]"]
        var segments = Array(repeating: 0, count: tokens.count)
        if let b {
            tokens += b + ["[SEP]"]
            segments += Array(repeating: 1, count: b.count + 1)
        }
        return (ids(tokens), segments, tokens)
    }

    /// The `count` most likely tokens at `position` with their probabilities.
    public func predictions(ids: [Int], segments: [Int], position: Int, count: Int = 5) throws -> [(token: String, probability: Float)] {
        guard ids.indices.contains(position) else {
            throw TransformerError.invalidInput(operation: "TinyBERT.predictions",
                                                reason: "position \(position) is outside the \(ids.count) tokens")
        }
        let row = try model.logitRows(ids, segments: segments)[position]
        let probabilities = try Tensor(shape: [row.count], scalars: row).softmax().scalars
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        return order.prefix(max(0, count)).map { (vocabulary[$0], probabilities[$0]) }
    }

    /// The attention of the model reading `tokens` (segments as given); with every head's
    /// queries and keys when `recordQueriesKeys`.
    public func trace(tokens: [String], segments: [Int], recordQueriesKeys: Bool = false) throws -> AttentionTrace {
        try model.trace(ids(tokens), tokens: tokens, segments: segments, recordQueriesKeys: recordQueriesKeys)
    }
}

/// Masked-LM accuracy: how often the most likely token at a chosen position is the original.
public struct MaskedLMScore: Sendable, Equatable {
    /// Positions chosen for prediction (15% of the candidates).
    public let positions: Int
    /// Top-1 accuracy over every chosen position, as BERT's loss counts them.
    public let accuracy: Double
    /// Accuracy at the chosen positions by what was done there (mask, random, kept).
    public let accuracyByChoice: [MaskChoice: Double]
    /// How many chosen positions had each treatment.
    public let countByChoice: [MaskChoice: Int]
    /// Always guessing the most frequent token of the training pairs.
    public let unigramAccuracy: Double
}

/// What training the tiny BERT did and how well it fills in held-out gaps.
public struct MaskedLMTrainingReport: Sendable {
    /// The options the model was trained with.
    public let options: TrainingOptions
    /// The mini-batch loss of every step, in order (mean cross-entropy per masked position, in nats).
    public let losses: [Float]
    /// The last step's loss (NaN when no step was taken).
    public var finalLoss: Float { losses.last ?? .nan }
    /// Wall-clock seconds of the training loop (not the evaluation).
    public let seconds: Double
    /// Tokens (no padding) per second of training.
    public let tokensPerSecond: Double
    /// Wall-clock seconds of scoring the held-out pairs and writing the examples.
    public let evaluationSeconds: Double
    /// On the held-out pairs (word combinations never seen in training), corrupted with a fixed seed.
    public let heldOut: MaskedLMScore
    /// Training pairs (Chinese sentence A, English sentence B).
    public let trainPairCount: Int
    /// Trainable scalars in the model.
    public let parameterCount: Int
    /// A few held-out gaps: the corrupted input, the position, the original and the top guesses.
    public let examples: [MaskedLMPrediction]
    /// The vocabulary the model was trained with (see `TinyBERT/vocabulary`).
    public let vocabulary: [String]

    /// Everything needed to rebuild the model around saved weights, as safetensors metadata.
    public var metadata: [String: String] {
        options.metadata(format: "TransformerExplorer tiny BERT", extra: [
            "architecture": "TrainableSelfAttentionStack",
            "pattern": "bidirectional",
            "segments": "2",
            "vocabulary": vocabulary.joined(separator: "\n"),
            "finalLoss": String(finalLoss),
            "heldOutAccuracy": String(heldOut.accuracy),
        ])
    }
}

/// One gap the tiny BERT filled in.
public struct MaskedLMPrediction: Sendable, Equatable {
    /// The corrupted input tokens.
    public let input: [String]
    /// The index of the gap in `input`.
    public let position: Int
    /// What corruption put there: "[MASK]", a random token, or the original kept.
    public let choice: MaskChoice
    /// The token that was at `position` before corruption.
    public let original: String
    /// The three most likely tokens, best first.
    public let guesses: [String]
    /// Whether the best guess is the original token.
    public var isRight: Bool { guesses.first == original }
}

/// The masked-LM examples for sentence pairs: "[CLS] source [SEP] target [SEP]" corrupted with
/// BERT's rule, one draw of `generator` after another.
func maskedPairs(_ pairs: [ParallelCorpus.Pair], bert: TinyBERT,
                 using generator: inout SeededGenerator) throws -> [(example: MaskedLMExample, segments: [Int])] {
    try pairs.map { pair in
        let encoded = bert.encodePair(pair.source, pair.target)
        // `.candidates`: the shipped tiny BERT was trained (and is scored) with 15% of the
        // candidates; changing the rule would no longer reproduce it from its seed.
        let example = try corruptForMaskedLM(ids: encoded.ids, maskID: bert.maskID, specialIDs: bert.specialIDs,
                                             vocabularySize: bert.vocabulary.count, counting: .candidates,
                                             using: &generator)
        return (example, encoded.segments)
    }
}

/// Scores masked-LM top-1 accuracy on `pairs`, corrupted with a generator seeded by `seed`.
public func scoreMaskedLM(_ bert: TinyBERT, on pairs: [ParallelCorpus.Pair], trainPairs: [ParallelCorpus.Pair],
                          seed: UInt64, exampleCount: Int = 0) throws -> (score: MaskedLMScore, examples: [MaskedLMPrediction]) {
    var counts: [Int: Int] = [:]
    for pair in trainPairs { for id in bert.ids(pair.source + pair.target) { counts[id, default: 0] += 1 } }
    let unigramGuess = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    var generator = SeededGenerator(seed: seed)
    var (positions, right, unigramRight) = (0, 0, 0)
    var rightByChoice: [MaskChoice: Int] = [:]
    var countByChoice: [MaskChoice: Int] = [:]
    var examples: [MaskedLMPrediction] = []
    for (example, segments) in try maskedPairs(pairs, bert: bert, using: &generator) {
        let rows = try bert.model.logitRows(example.inputIDs, segments: segments)
        for position in example.maskedPositions {
            guard let choice = example.choices[position] else { continue }
            let label = example.labels[position]
            let guess = argmax(rows[position])
            positions += 1
            countByChoice[choice, default: 0] += 1
            if guess == label { right += 1; rightByChoice[choice, default: 0] += 1 }
            if unigramGuess == label { unigramRight += 1 }
            if examples.count < exampleCount, choice == .mask {
                let order = rows[position].indices.sorted { rows[position][$0] > rows[position][$1] }
                examples.append(MaskedLMPrediction(
                    input: example.inputIDs.map { bert.vocabulary[$0] }, position: position, choice: choice,
                    original: bert.vocabulary[label], guesses: order.prefix(3).map { bert.vocabulary[$0] }))
            }
        }
    }
    let n = Double(max(positions, 1))
    var accuracyByChoice: [MaskChoice: Double] = [:]
    for (choice, count) in countByChoice { accuracyByChoice[choice] = Double(rightByChoice[choice] ?? 0) / Double(count) }
    return (MaskedLMScore(positions: positions, accuracy: Double(right) / n, accuracyByChoice: accuracyByChoice,
                          countByChoice: countByChoice, unigramAccuracy: Double(unigramRight) / n), examples)
}

/// Trains a bidirectional `TrainableSelfAttentionStack` with two segments on masked-LM over the
/// sentence pairs of `ParallelCorpus.generate(seed: options.seed, …)`, then scores it on the
/// held-out pairs. The same seed and options give the same weights.
public func trainMaskedLanguageModel(options: TrainingOptions = .maskedLanguageModel,
                                     progress: (TrainingProgress) -> Void = { _ in })
    throws -> (model: TinyBERT, report: MaskedLMTrainingReport) {
    try options.validate()
    let corpus = ParallelCorpus.generate(seed: options.seed, trainCount: options.trainCount,
                                         heldOutCount: options.heldOutCount)
    let vocabulary = TinyBERT.vocabulary(for: corpus)
    let model = try TrainableSelfAttentionStack(configuration: options.configuration, vocabularySize: vocabulary.count,
                                                pattern: .bidirectional, segmentCount: 2, seed: options.seed &+ 1)
    let bert = try TinyBERT(model: model, vocabulary: vocabulary)
    var batcher = EpochBatcher(count: corpus.train.count, batchSize: options.batchSize, seed: options.seed &+ 2)
    var corruption = SeededGenerator(seed: options.seed &+ 3)
    let run = try runTraining(options: options, parameters: model.parameters, operation: "trainMaskedLanguageModel",
                              progress: progress) { _ in
        let batch = try maskedPairs(batcher.next().map { corpus.train[$0] }, bert: bert, using: &corruption)
        let loss = try model.loss(inputs: batch.map(\.example.inputIDs), labels: batch.map(\.example.labels),
                                  segments: batch.map(\.segments), padID: bert.padID,
                                  ignoreIndex: MaskedLMExample.ignoreIndex)
        return (loss, batch.reduce(0) { $0 + $1.example.inputIDs.count })
    }
    let evaluationStarted = ContinuousClock.now
    let (score, examples) = try scoreMaskedLM(bert, on: corpus.heldOut, trainPairs: corpus.train,
                                              seed: options.seed &+ 4, exampleCount: options.exampleCount)
    let report = MaskedLMTrainingReport(
        options: options, losses: run.losses, seconds: run.seconds, tokensPerSecond: run.tokensPerSecond,
        evaluationSeconds: secondsSince(evaluationStarted), heldOut: score, trainPairCount: corpus.train.count,
        parameterCount: model.parameters.scalarCount, examples: examples, vocabulary: vocabulary)
    return (bert, report)
}
