import Foundation
import TensorCore
import Transformer

// Stage 3 of lesson 13: a reward model, the "teacher model" that imitates the labeller's
// judgement so that reinforcement learning can ask it millions of times instead of a person.
// As in InstructGPT it is the fine-tuned model's body with its output layer replaced by one
// number: the last layer's hidden state at the conversation's last token, times a [d, 1] head.
// It learns from pairs the labeller ranked, with the Bradley–Terry loss
//
//     loss = −log σ(r(preferred) − r(rejected))
//
// which only cares about differences: the reward's zero point means nothing.

/// A scalar score for a whole conversation (prompt + answer + "</s>").
public struct RewardModel {
    package let body: TrainableSelfAttentionStack
    /// [d, 1] weight and [1] bias: hidden state → reward.
    package let head: TrainableLinear
    /// The tokens by id: the fine-tuned model's vocabulary.
    public let vocabulary: [String]
    /// Every trainable tensor (body and head), by name, for saving or updating.
    public let parameters: ParameterCollection
    let padID: Int

    /// The body starts as a copy of `model`'s parameters, the head at zero (every reward 0).
    package init(startingFrom model: ChatModel) throws {
        body = try model.copy().model
        let d = body.configuration.modelDimension
        head = TrainableLinear(try Linear(weight: Tensor.zeros([d, 1]), bias: Tensor.zeros([1])))
        vocabulary = model.vocabulary
        padID = model.languageModel.padID
        var collection = ParameterCollection()
        try collection.add(contentsOf: body.parameters)
        try collection.add(contentsOf: head.parameters, prefix: "head.")
        parameters = collection
    }

    /// The rewards of a batch of conversations (token ids, any lengths), one per sequence: [B].
    package func rewards(_ sequences: [[Int]]) throws -> Variable {
        // Padded with "<pad>", which the padding mask hides and no conversation contains.
        let hidden = try body.hiddenStates(sequences, padID: padID).hidden                      // (B, T, d)
        let (batch, length, d) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        // The row of each sequence's own last token (padding comes after it and, with the causal
        // mask, never reaches it).
        let last = sequences.enumerated().map { $0.offset * length + $0.element.count - 1 }
        let rows = try hidden.reshaped([batch * length, d]).gatherRows(last)                    // (B, d)
        return try head(rows).reshaped([batch])                                                 // (B)
    }

    /// One conversation's reward.
    public func reward(_ sequence: [Int]) throws -> Float {
        try rewards([sequence]).value.scalars[0]
    }
}

/// −mean log σ(r⁺ − r⁻) over pairs: the Bradley–Terry loss of a reward model.
package func bradleyTerryLoss(preferred: Variable, rejected: Variable) throws -> Variable {
    -(try (preferred - rejected).logSigmoid().mean())
}

/// Two answers to one request and the labeller's (noisy) verdict.
package struct PreferencePair: Sendable {
    package let request: ChatRequest
    package let preferred: SampledAnswer
    package let rejected: SampledAnswer
    /// The hidden true qualities, kept only to measure (the reward model never sees them).
    package let preferredQuality: Double
    package let rejectedQuality: Double
}

/// Samples `answersPerRequest` answers from `model` for each request, `rounds` times, and has
/// the labeller compare every pair of answers within a round (the InstructGPT way: rank K
/// answers, train on all K(K−1)/2 pairs).
package func collectPreferences(from model: ChatModel, requests: [ChatRequest], answersPerRequest: Int, rounds: Int,
                               labeller: Labeller, seed: UInt64) throws -> [PreferencePair] {
    var sampling = SeededGenerator(seed: seed)
    var judging = SeededGenerator(seed: seed &+ 1)
    var pairs: [PreferencePair] = []
    for _ in 0..<rounds {
        let batch = requests.flatMap { Array(repeating: $0, count: answersPerRequest) }
        var answers: [SampledAnswer] = []
        for start in stride(from: 0, to: batch.count, by: 64) {
            answers += try model.sampleAnswers(Array(batch[start..<min(start + 64, batch.count)]), using: &sampling)
        }
        for (r, request) in requests.enumerated() {
            let group = Array(answers[(r * answersPerRequest)..<((r + 1) * answersPerRequest)])
            let qualities = group.map { labeller.quality(of: $0.words, finished: $0.finished, for: request) }
            for i in 0..<group.count {
                for j in (i + 1)..<group.count {
                    let firstWins = labeller.prefersFirst(qualities[i], qualities[j], using: &judging)
                    let (winner, loser) = firstWins ? (i, j) : (j, i)
                    pairs.append(PreferencePair(request: request, preferred: group[winner], rejected: group[loser],
                                                preferredQuality: qualities[winner], rejectedQuality: qualities[loser]))
                }
            }
        }
    }
    return pairs
}

/// Stage 3's options. The defaults are what the shipped reward model was trained with.
public struct RewardModelOptions: Sendable, Equatable {
    /// Seed for sampling the answers, the labeller's verdicts and the order of the pairs.
    public var seed: UInt64 = 7
    /// Optimiser updates.
    public var steps = 300
    /// Pairs per step.
    public var batchSize = 32
    /// The learning rate at the end of the warm-up (a cosine to a tenth of it follows).
    public var peakLearningRate: Float = 1e-3
    /// Linear warm-up steps (at most `steps`).
    public var warmupSteps = 20
    /// Answers sampled per request in a round; every pair of them is compared.
    public var answersPerRequest = 4
    /// Rounds over the training requests (pairs: rounds × requests × K(K−1)/2).
    public var trainingRounds = 6
    /// Rounds over the held-out requests, for the held-out accuracy.
    public var heldOutRounds = 8

    /// The defaults above.
    public init() {}

    var trainingOptions: TrainingOptions {
        var options = TrainingOptions()
        options.seed = seed
        options.steps = steps
        options.batchSize = batchSize
        options.peakLearningRate = peakLearningRate
        options.warmupSteps = min(warmupSteps, steps)
        options.minimumLearningRate = peakLearningRate / 10
        return options
    }

    /// Throws `TransformerError.invalidConfiguration` naming the first option out of range.
    public func validate() throws {
        try trainingOptions.validate()
        for (value, field) in [(answersPerRequest, "answersPerRequest"), (trainingRounds, "trainingRounds"), (heldOutRounds, "heldOutRounds")] {
            guard value >= (field == "answersPerRequest" ? 2 : 1) else {
                throw TransformerError.invalidConfiguration(field: field, reason: "is too small (got \(value))")
            }
        }
    }
}

/// How often a scorer agrees with the labeller's verdicts.
public struct PairwiseAccuracy: Sendable, Equatable {
    /// Share of pairs where the reward model scores the labeller's choice higher.
    public let rewardModel: Double
    /// The ceiling: a judge who knows the hidden rule exactly (ties count half), against the same
    /// noisy verdicts. No model can beat it on average.
    public let ceiling: Double
    /// The labeller against a second, independent pass of itself over the same pairs.
    public let selfAgreement: Double
    /// The number of labelled pairs measured.
    public let pairs: Int
}

/// Measures a reward model on labelled pairs.
package func pairwiseAccuracy(_ rewardModel: RewardModel, on pairs: [PreferencePair], chat: ChatModel,
                             labeller: Labeller, seed: UInt64) throws -> (accuracy: PairwiseAccuracy, preferredScores: [Float], rejectedScores: [Float]) {
    var preferredScores: [Float] = [], rejectedScores: [Float] = []
    for start in stride(from: 0, to: pairs.count, by: 64) {
        let slice = pairs[start..<min(start + 64, pairs.count)]
        preferredScores += try rewardModel.rewards(slice.map { chat.sequence($0.request, answer: $0.preferred.ids, finished: $0.preferred.finished) }).value.scalars
        rejectedScores += try rewardModel.rewards(slice.map { chat.sequence($0.request, answer: $0.rejected.ids, finished: $0.rejected.finished) }).value.scalars
    }
    var (agree, oracle, again) = (0.0, 0.0, 0.0)
    var judging = SeededGenerator(seed: seed)
    for (i, pair) in pairs.enumerated() {
        if preferredScores[i] > rejectedScores[i] { agree += 1 } else if preferredScores[i] == rejectedScores[i] { agree += 0.5 }
        if pair.preferredQuality > pair.rejectedQuality { oracle += 1 } else if pair.preferredQuality == pair.rejectedQuality { oracle += 0.5 }
        if labeller.prefersFirst(pair.preferredQuality, pair.rejectedQuality, using: &judging) { again += 1 }
    }
    let n = Double(max(pairs.count, 1))
    return (PairwiseAccuracy(rewardModel: agree / n, ceiling: oracle / n, selfAgreement: again / n, pairs: pairs.count),
            preferredScores, rejectedScores)
}

/// The share of pairs whose preferred answer scores higher, a tie counting half (as in
/// `pairwiseAccuracy`). At step 0 the head is zero and every score ties: that is 0.5, a coin
/// toss, not 0 (which would read as "always wrong").
package func batchAgreement(preferred: [Float], rejected: [Float]) -> Float {
    let points = zip(preferred, rejected).reduce(Float(0)) { total, pair in
        total + (pair.0 > pair.1 ? 1 : pair.0 == pair.1 ? 0.5 : 0)
    }
    return points / Float(max(preferred.count, 1))
}

/// What training the reward model did.
public struct RewardModelReport: Sendable {
    /// The options the model was trained with.
    public let options: RewardModelOptions
    /// The Bradley–Terry loss of every step, −log σ(r(preferred) − r(rejected)) averaged over the batch, in nats.
    public let losses: [Float]
    /// Share of each step's batch where r(preferred) > r(rejected), a tie counting half
    /// (`batchAgreement`).
    public let batchAccuracies: [Float]
    /// Wall-clock seconds of collecting the comparisons and training.
    public let seconds: Double
    /// Labelled pairs trained on.
    public let trainingPairs: Int
    /// Agreement with the labeller on comparisons of answers to the held-out requests.
    public let heldOut: PairwiseAccuracy
    /// Held-out rewards of the preferred and of the rejected answer of every pair.
    public let heldOutPreferredScores: [Float]
    /// (See `heldOutPreferredScores`.) The reward of the rejected answer of every held-out pair.
    public let heldOutRejectedScores: [Float]
}

/// Trains a reward model on the labeller's comparisons of `sft`'s answers to the training
/// requests, and measures it on comparisons of answers to the held-out requests.
public func trainRewardModel(sft: ChatModel, labeller: Labeller = Labeller(),
                             options: RewardModelOptions = RewardModelOptions(),
                             progress: (TrainingProgress) -> Void = { _ in }) throws -> (model: RewardModel, report: RewardModelReport) {
    try options.validate()
    let trainPairs = try collectPreferences(from: sft, requests: ChatTask.trainingRequests,
                                            answersPerRequest: options.answersPerRequest, rounds: options.trainingRounds,
                                            labeller: labeller, seed: options.seed)
    let heldOutPairs = try collectPreferences(from: sft, requests: ChatTask.heldOutRequests,
                                              answersPerRequest: options.answersPerRequest, rounds: options.heldOutRounds,
                                              labeller: labeller, seed: options.seed &+ 10)
    let rewardModel = try RewardModel(startingFrom: sft)
    var batcher = EpochBatcher(count: trainPairs.count, batchSize: options.batchSize, seed: options.seed &+ 2)
    var accuracies: [Float] = []
    let run = try runTraining(options: options.trainingOptions, parameters: rewardModel.parameters,
                              operation: "trainRewardModel", progress: progress) { _ in
        let batch = batcher.next().map { trainPairs[$0] }
        let sequences = batch.map { sft.sequence($0.request, answer: $0.preferred.ids, finished: $0.preferred.finished) }
            + batch.map { sft.sequence($0.request, answer: $0.rejected.ids, finished: $0.rejected.finished) }
        let scores = try rewardModel.rewards(sequences)                                   // (2B)
        let preferred = try scores.slice(axis: 0, range: 0..<batch.count)
        let rejected = try scores.slice(axis: 0, range: batch.count..<(2 * batch.count))
        accuracies.append(batchAgreement(preferred: preferred.value.scalars, rejected: rejected.value.scalars))
        return (try bradleyTerryLoss(preferred: preferred, rejected: rejected), sequences.reduce(0) { $0 + $1.count })
    }
    let measured = try pairwiseAccuracy(rewardModel, on: heldOutPairs, chat: sft, labeller: labeller, seed: options.seed &+ 20)
    let report = RewardModelReport(options: options, losses: run.losses, batchAccuracies: accuracies, seconds: run.seconds,
                                   trainingPairs: trainPairs.count, heldOut: measured.accuracy,
                                   heldOutPreferredScores: measured.preferredScores,
                                   heldOutRejectedScores: measured.rejectedScores)
    return (rewardModel, report)
}

extension RewardModelReport {
    package static let format = "TransformerExplorer reward model"

    /// Everything needed to rebuild the reward model around its saved weights, as safetensors
    /// metadata: the configuration and vocabulary, the options and the results.
    public func metadata(for model: ChatModel) -> [String: String] {
        model.metadata(format: Self.format, seed: options.seed, steps: options.steps, extra: [
            "losses": encodeList(losses),
            "batchAccuracies": encodeList(batchAccuracies),
            "trainingPairs": String(trainingPairs),
            "heldOutPairs": String(heldOut.pairs),
            "heldOutAccuracy": String(heldOut.rewardModel),
            "heldOutCeiling": String(heldOut.ceiling),
            "heldOutSelfAgreement": String(heldOut.selfAgreement),
        ])
    }
}
