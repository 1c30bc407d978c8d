import Foundation
import TensorCore
import Transformer

// The decoder-only language model: GPT's task on the English side of `ParallelCorpus`. Each
// sentence is read as <s> w1 … wn and the model predicts w1 … wn </s>, one position ahead
// (the same shift as the translator's decoder, without an encoder to listen to).

extension TrainingOptions {
    /// The language model's defaults: 2 causal layers, d_model 64, 4 heads, 600 steps.
    public static var languageModel: TrainingOptions {
        var options = TrainingOptions()
        options.steps = 600
        options.trainSampleCount = 0
        return options
    }
}

/// A trained decoder-only model with its vocabulary (ParallelCorpus's English side:
/// "<pad>", "<s>", "</s>", "<unk>", then the words).
public struct LanguageModel {
    /// The trained decoder stack (causal attention, one segment).
    public let model: TrainableSelfAttentionStack
    /// The tokens by id: "<pad>", "<s>", "</s>", "<unk>", then the English words.
    public let vocabulary: [String]
    /// The id of "<pad>".
    public let padID: Int
    /// The id of "<s>", which starts every input.
    public let startID: Int
    /// The id of "</s>", which the model predicts at the end of a sentence.
    public let endID: Int
    /// The id of "<unk>", given to any word outside the vocabulary.
    public let unknownID: Int
    private let ids: [String: Int]

    package init(model: TrainableSelfAttentionStack, vocabulary: [String]) throws {
        guard model.pattern == .causal else {
            throw TransformerError.invalidInput(operation: "LanguageModel",
                                                reason: "a language model needs causal attention")
        }
        guard vocabulary.count == model.vocabularySize else {
            throw TransformerError.invalidInput(
                operation: "LanguageModel",
                reason: "the vocabulary has \(vocabulary.count) tokens, the model \(model.vocabularySize)")
        }
        self.model = model
        self.vocabulary = vocabulary
        let table = Dictionary(vocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        ids = table
        func id(_ token: String) throws -> Int {
            guard let id = table[token] else {
                throw TransformerError.invalidInput(operation: "LanguageModel", reason: "the vocabulary has no \"\(token)\"")
            }
            return id
        }
        padID = try id("<pad>")
        startID = try id("<s>")
        endID = try id("</s>")
        unknownID = try id("<unk>")
    }

    /// Words → ids; unknown words become "<unk>".
    public func ids(_ tokens: [String]) -> [Int] { tokens.map { ids[$0] ?? unknownID } }

    /// The model's input for a sentence start: "<s>" then the words.
    public func input(_ tokens: [String]) -> [Int] { [startID] + ids(tokens) }

    /// The probability of every vocabulary entry being the next word after `tokens`.
    public func nextTokenProbabilities(after tokens: [String]) throws -> [Float] {
        let rows = try model.logitRows(input(tokens))
        return try Tensor(shape: [rows[rows.count - 1].count], scalars: rows[rows.count - 1]).softmax().scalars
    }

    /// Greedy continuation of `tokens` until "</s>" or `maxTokens` new words.
    public func greedyContinuation(of tokens: [String], maxTokens: Int = 16) throws -> [String] {
        var sequence = input(tokens)
        var generated: [String] = []
        while generated.count < maxTokens {
            let rows = try model.logitRows(sequence)
            guard let next = argmax(rows[rows.count - 1]), next != endID else { break }
            generated.append(vocabulary[next])
            sequence.append(next)
        }
        return generated
    }

    /// The attention of the model reading "<s>" + `tokens`; with every head's queries and keys
    /// when `recordQueriesKeys`.
    public func trace(_ tokens: [String], recordQueriesKeys: Bool = false) throws -> AttentionTrace {
        try model.trace(input(tokens), tokens: ["<s>"] + tokens, recordQueriesKeys: recordQueriesKeys)
    }
}

/// How well a language model predicts the next word, with the simplest baselines beside it.
public struct NextTokenScore: Sendable, Equatable {
    /// Positions scored (every word and the final "</s>" of every sentence).
    public let positions: Int
    /// Share of positions where the model's most likely next token is right.
    public let accuracy: Double
    /// The unigram baseline: always guess the most frequent token of the training labels.
    public let unigramAccuracy: Double
    /// The bigram baseline: guess the training set's most frequent follower of the previous token.
    public let bigramAccuracy: Double
    /// Mean cross-entropy per position (nats); exp of it is the perplexity.
    public let meanLoss: Double
}

/// What training the language model did and how well it predicts held-out sentences.
public struct LanguageModelTrainingReport: Sendable {
    /// The options the model was trained with.
    public let options: TrainingOptions
    /// The mini-batch loss of every step, in order (mean cross-entropy per predicted token, in nats).
    public let losses: [Float]
    /// The last step's loss (NaN when no step was taken).
    public var finalLoss: Float { losses.last ?? .nan }
    /// Wall-clock seconds of the training loop (not the evaluation).
    public let seconds: Double
    /// Tokens (no padding) per second of training.
    public let tokensPerSecond: Double
    /// Wall-clock seconds of scoring the held-out sentences and writing the examples.
    public let evaluationSeconds: Double
    /// On the English side of the held-out pairs (word combinations never seen in training).
    public let heldOut: NextTokenScore
    /// Training sentences (the English side of the training pairs).
    public let trainSentenceCount: Int
    /// Trainable scalars in the model.
    public let parameterCount: Int
    /// Greedy continuations of a few sentence starts: (start, continuation).
    public let examples: [(start: String, continuation: String)]
    /// The vocabulary the model was trained with (see `LanguageModel/vocabulary`).
    public let vocabulary: [String]

    /// Everything needed to rebuild the model around saved weights, as safetensors metadata.
    public var metadata: [String: String] {
        options.metadata(format: "TransformerExplorer language model", extra: [
            "architecture": "TrainableSelfAttentionStack",
            "pattern": "causal",
            "segments": "0",
            "vocabulary": vocabulary.joined(separator: "\n"),
            "finalLoss": String(finalLoss),
            "heldOutAccuracy": String(heldOut.accuracy),
            "unigramAccuracy": String(heldOut.unigramAccuracy),
        ])
    }
}

/// Scores next-token prediction on `sentences` (word lists): the model's top-1 accuracy and mean
/// loss, and the unigram and bigram baselines counted on `trainSentences`.
public func scoreNextToken(_ languageModel: LanguageModel, on sentences: [[String]],
                           trainSentences: [[String]]) throws -> NextTokenScore {
    // Baselines from the training labels: w1 … wn </s>, each after its previous token.
    var unigram: [Int: Int] = [:]
    var bigram: [Int: [Int: Int]] = [:]
    for sentence in trainSentences {
        let input = languageModel.input(sentence)
        let labels = Array(input.dropFirst()) + [languageModel.endID]
        for (previous, label) in zip(input, labels) {
            unigram[label, default: 0] += 1
            bigram[previous, default: [:]][label, default: 0] += 1
        }
    }
    // The most frequent entry, the smallest id on ties (so the baseline is deterministic).
    func mostFrequent(_ counts: [Int: Int]) -> Int? {
        counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
    }
    let unigramGuess = mostFrequent(unigram)
    var (positions, right, unigramRight, bigramRight) = (0, 0, 0, 0)
    var loss = 0.0
    for sentence in sentences {
        let input = languageModel.input(sentence)
        let labels = Array(input.dropFirst()) + [languageModel.endID]
        let rows = try languageModel.model.logitRows(input)
        for (t, label) in labels.enumerated() {
            positions += 1
            if argmax(rows[t]) == label { right += 1 }
            if unigramGuess == label { unigramRight += 1 }
            if let counts = bigram[input[t]], mostFrequent(counts) == label { bigramRight += 1 }
            let probabilities = try Tensor(shape: [rows[t].count], scalars: rows[t]).softmax().scalars
            loss -= Foundation.log(Double(max(probabilities[label], Float.leastNormalMagnitude)))
        }
    }
    let n = Double(max(positions, 1))
    return NextTokenScore(positions: positions, accuracy: Double(right) / n,
                          unigramAccuracy: Double(unigramRight) / n, bigramAccuracy: Double(bigramRight) / n,
                          meanLoss: loss / n)
}

/// Trains a causal `TrainableSelfAttentionStack` on the English side of
/// `ParallelCorpus.generate(seed: options.seed, …)` (next-word prediction with teacher forcing)
/// and scores it on the held-out sentences. The same seed and options give the same weights.
public func trainLanguageModel(options: TrainingOptions = .languageModel,
                               progress: (TrainingProgress) -> Void = { _ in })
    throws -> (model: LanguageModel, report: LanguageModelTrainingReport) {
    try options.validate()
    let corpus = ParallelCorpus.generate(seed: options.seed, trainCount: options.trainCount,
                                         heldOutCount: options.heldOutCount)
    let model = try TrainableSelfAttentionStack(configuration: options.configuration,
                                                vocabularySize: corpus.targetVocabulary.count,
                                                pattern: .causal, seed: options.seed &+ 1)
    let languageModel = try LanguageModel(model: model, vocabulary: corpus.targetVocabulary)
    let sentences = corpus.train.map(\.target)
    let shifted = sentences.map { shiftedRight(languageModel.ids($0), startID: languageModel.startID,
                                                endID: languageModel.endID) }
    var batcher = EpochBatcher(count: sentences.count, batchSize: options.batchSize, seed: options.seed &+ 2)
    let padID = languageModel.padID
    let run = try runTraining(options: options, parameters: model.parameters, operation: "trainLanguageModel",
                              progress: progress) { _ in
        let batch = batcher.next()
        let loss = try model.loss(inputs: batch.map { shifted[$0].decoderInput },
                                  labels: batch.map { shifted[$0].labels }, padID: padID, ignoreIndex: padID)
        return (loss, batch.reduce(0) { $0 + shifted[$1].labels.count })
    }

    let evaluationStarted = ContinuousClock.now
    let score = try scoreNextToken(languageModel, on: corpus.heldOut.map(\.target), trainSentences: sentences)
    var examples: [(start: String, continuation: String)] = []
    for start in [["i"], ["the", "teacher"], ["she", "likes"], ["we", "saw", "a"]].prefix(options.exampleCount) {
        let continuation = try languageModel.greedyContinuation(of: start)
        examples.append((start.joined(separator: " "), continuation.joined(separator: " ")))
    }
    let report = LanguageModelTrainingReport(
        options: options, losses: run.losses, seconds: run.seconds, tokensPerSecond: run.tokensPerSecond,
        evaluationSeconds: secondsSince(evaluationStarted), heldOut: score, trainSentenceCount: sentences.count,
        parameterCount: model.parameters.scalarCount, examples: examples, vocabulary: corpus.targetVocabulary)
    return (languageModel, report)
}
