import Foundation
import TensorCore
import Transformer

// Stage 4 of lesson 13: reinforcement learning against the reward model with PPO (proximal
// policy optimisation), as InstructGPT did. Each update:
//
// 1. The policy (a copy of the SFT model) samples a group of answers for each of a few requests.
// 2. The reward model scores each whole answer. The reward an answer earns is that score minus
//    β times how far the policy has moved from the SFT model on its tokens:
//        R = r_RM − β · Σ_t (log π(a_t) − log π_SFT(a_t))
//    (the per-token KL penalty; each term is an unbiased sample of KL(π ‖ π_SFT) at that token).
// 3. The advantage of an answer is its R minus the mean R of its group (same request), scaled by
//    the batch's standard deviation: better than the policy's usual answer → push it up.
// 4. A few epochs of the clipped PPO objective on those samples: the probability of each chosen
//    token moves by at most a factor 1 ± ε per batch.
//
// Without the penalty (β = 0) nothing holds the policy near the answers the reward model was
// trained on, and it drifts to answers the reward model misjudges: reward hacking.

/// Stage 4's options. The defaults are what the shipped `ppo` weights were trained with.
public struct PPOOptions: Sendable, Equatable {
    /// Seed for sampling the answers and for the order of the requests.
    public var seed: UInt64 = 7
    /// Policy updates (each on a fresh batch of sampled answers).
    public var steps = 200
    /// Training requests per update (each sampled `answersPerRequest` times).
    public var requestsPerStep = 8
    /// Answers per request: the group whose mean reward is the baseline.
    public var answersPerRequest = 4
    /// Weight of the KL penalty per token.
    public var beta: Float = 0.1
    /// PPO's ε: how far the probability ratio may move before its gradient stops.
    public var clip: Float = 0.2
    /// Passes of the clipped objective over each batch.
    public var epochs = 2
    /// AdamW's learning rate, constant over the run (no weight decay).
    public var learningRate: Float = 5e-4
    /// The most words a sampled answer may have before it is cut off (1…48).
    public var maxAnswerTokens = 12

    /// The defaults above.
    public init() {}

    /// Throws `TransformerError.invalidConfiguration` naming the first option out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw TransformerError.invalidConfiguration(field: field, reason: reason) }
        }
        try check(steps > 0, "steps", "must be at least 1 (got \(steps))")
        try check(requestsPerStep > 0, "requestsPerStep", "must be at least 1 (got \(requestsPerStep))")
        try check(answersPerRequest >= 2, "answersPerRequest", "must be at least 2, so a group has a mean (got \(answersPerRequest))")
        try check(beta >= 0 && beta.isFinite, "beta", "must be a number ≥ 0 (got \(beta))")
        try check(clip > 0 && clip < 1, "clip", "must be between 0 and 1 (got \(clip))")
        try check(epochs > 0, "epochs", "must be at least 1 (got \(epochs))")
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", "must be a positive number (got \(learningRate))")
        try check(maxAnswerTokens > 0 && maxAnswerTokens <= 48, "maxAnswerTokens", "must be 1…48 (got \(maxAnswerTokens))")
    }
}

/// What one PPO update saw.
public struct PPOStepRecord: Sendable, Equatable {
    /// The update's number, from 1.
    public let step: Int
    /// Mean reward-model score of the sampled answers.
    public let meanReward: Double
    /// Mean true quality (the hidden labeller's rule; measured, never trained on).
    public let meanQuality: Double
    /// Mean KL(π ‖ π_SFT) per answer token, computed exactly over the vocabulary at every position.
    public let meanKL: Double
    /// Mean length of the sampled answers, in words.
    public let meanLength: Double
    /// The clipped objective's loss on the first epoch.
    public let loss: Float
}

/// The log-probabilities a model gives to the tokens it chose, and the exact KL to a reference
/// at each of those positions.
struct TokenStatistics {
    /// Per sequence, per chosen token.
    var logProbabilities: [[Float]]
    var referenceLogProbabilities: [[Float]]
    var kl: [[Float]]
}

/// The positions of `answers`' chosen tokens in their conversations: the row (batch · T + t) of
/// the logits that predicted each one.
func chosenTokenRows(_ chat: ChatModel, _ answers: [SampledAnswer]) -> (sequences: [[Int]], rows: [Int], targets: [Int]) {
    let sequences = answers.map { chat.prompt($0.request) + $0.chosenIDs }
    let length = sequences.map(\.count).max() ?? 0
    var rows: [Int] = [], targets: [Int] = []
    for (b, answer) in answers.enumerated() {
        let promptLength = chat.prompt(answer.request).count
        for (k, id) in answer.chosenIDs.enumerated() {
            rows.append(b * length + promptLength - 1 + k)   // the position that predicted token k
            targets.append(id)
        }
    }
    return (sequences, rows, targets)
}

/// log π(chosen token) for every chosen token, as a differentiable [N] (N = all chosen tokens).
func chosenLogProbabilities(_ chat: ChatModel, _ answers: [SampledAnswer]) throws -> Variable {
    let (sequences, rows, targets) = chosenTokenRows(chat, answers)
    let logits = try chat.model.forward(sequences, padID: chat.languageModel.padID).logits   // (B, T, V)
    let (batch, length, v) = (logits.shape[0], logits.shape[1], logits.shape[2])
    return try logits.reshaped([batch * length, v]).gatherRows(rows).selectedLogProbabilities(targets)
}

/// Per token: log π, log π_ref and the exact KL(π ‖ π_ref) over the whole vocabulary.
func tokenStatistics(policy: ChatModel, reference: ChatModel, answers: [SampledAnswer]) throws -> TokenStatistics {
    let (sequences, rows, targets) = chosenTokenRows(policy, answers)
    let padID = policy.languageModel.padID
    let p = try policy.model.forward(sequences, padID: padID).logits.value
    let q = try reference.model.forward(sequences, padID: padID).logits.value
    let v = p.shape[2]
    var flat = (logP: [Float](), logQ: [Float](), kl: [Float]())
    for (row, target) in zip(rows, targets) {
        let logP = logSoftmax(Array(p.scalars[(row * v)..<((row + 1) * v)]))
        let logQ = logSoftmax(Array(q.scalars[(row * v)..<((row + 1) * v)]))
        flat.logP.append(Float(logP[target]))
        flat.logQ.append(Float(logQ[target]))
        flat.kl.append(Float(exactKL(logP: logP, logQ: logQ)))
    }
    var statistics = TokenStatistics(logProbabilities: [], referenceLogProbabilities: [], kl: [])
    var start = 0
    for answer in answers {
        let range = start..<(start + answer.chosenIDs.count)
        statistics.logProbabilities.append(Array(flat.logP[range]))
        statistics.referenceLogProbabilities.append(Array(flat.logQ[range]))
        statistics.kl.append(Array(flat.kl[range]))
        start = range.upperBound
    }
    return statistics
}

/// log softmax of one row, in Double.
func logSoftmax(_ logits: [Float]) -> [Double] {
    let top = Double(logits.max() ?? 0)
    let logSum = top + log(logits.reduce(0.0) { $0 + exp(Double($1) - top) })
    return logits.map { Double($0) - logSum }
}

/// KL(p ‖ q) = Σ p log(p / q) for two distributions given as log-probabilities.
package func exactKL(logP: [Double], logQ: [Double]) -> Double {
    zip(logP, logQ).reduce(0.0) { total, pair in
        let p = exp(pair.0)
        return p > 0 ? total + p * (pair.0 - pair.1) : total
    }
}

/// What PPO did.
public struct PPOReport: Sendable {
    /// The options PPO ran with.
    public let options: PPOOptions
    /// One record per update, in order.
    public let history: [PPOStepRecord]
    /// Wall-clock seconds of the whole run.
    public let seconds: Double
}

/// Group-mean advantages: each return minus the mean of its group, all divided by the standard
/// deviation of those differences over the batch (so the step size does not depend on the
/// reward's scale). Groups are consecutive runs of `groupSize`.
package func groupAdvantages(_ returns: [Double], groupSize: Int) -> [Double] {
    guard groupSize > 0, returns.count % groupSize == 0, !returns.isEmpty else { return returns.map { _ in 0 } }
    var centred: [Double] = []
    for start in stride(from: 0, to: returns.count, by: groupSize) {
        let group = returns[start..<(start + groupSize)]
        let mean = group.reduce(0, +) / Double(groupSize)
        centred += group.map { $0 - mean }
    }
    let variance = centred.reduce(0) { $0 + $1 * $1 } / Double(centred.count)
    let scale = 1 / (variance.squareRoot() + 1e-6)
    return centred.map { $0 * scale }
}

/// Optimises a copy of `sft` against `rewardModel` with PPO and a KL penalty toward `sft`.
/// `labeller` only measures true quality for the history. The same seed and options give the
/// same weights.
public func trainPPO(sft: ChatModel, rewardModel: RewardModel, labeller: Labeller = Labeller(),
                     options: PPOOptions = PPOOptions(),
                     progress: (PPOStepRecord) -> Void = { _ in }) throws -> (policy: ChatModel, report: PPOReport) {
    try options.validate()
    let policy = try sft.copy()
    let parameters = policy.model.parameters
    var optimizer = AdamW(learningRate: options.learningRate, weightDecay: 0)
    var sampling = SeededGenerator(seed: options.seed)
    var requestOrder = EpochBatcher(count: ChatTask.trainingRequests.count, batchSize: options.requestsPerStep,
                                    seed: options.seed &+ 1)
    var history: [PPOStepRecord] = []
    let started = ContinuousClock.now
    for step in 1...options.steps {
        let requests = requestOrder.next().map { ChatTask.trainingRequests[$0] }
        let batch = requests.flatMap { Array(repeating: $0, count: options.answersPerRequest) }
        let answers = try policy.sampleAnswers(batch, maxTokens: options.maxAnswerTokens, using: &sampling)
        let statistics = try tokenStatistics(policy: policy, reference: sft, answers: answers)
        let scores = try rewardModel.rewards(answers.map { policy.sequence($0.request, answer: $0.ids, finished: $0.finished) })
            .value.scalars.map(Double.init)
        var returns: [Double] = []
        for (i, score) in scores.enumerated() {
            let logRatio = zip(statistics.logProbabilities[i], statistics.referenceLogProbabilities[i])
                .reduce(0.0) { $0 + Double($1.0) - Double($1.1) }
            returns.append(score - Double(options.beta) * logRatio)
        }
        let advantages = groupAdvantages(returns, groupSize: options.answersPerRequest)
        var tokenAdvantages: [Float] = []
        for (i, answer) in answers.enumerated() {
            tokenAdvantages += Array(repeating: Float(advantages[i]), count: answer.chosenIDs.count)
        }
        let oldLogProbabilities = statistics.logProbabilities.flatMap { $0 }
        var firstLoss: Float = 0
        if !oldLogProbabilities.isEmpty {
            for epoch in 0..<options.epochs {
                parameters.zeroGradients()
                let loss = try chosenLogProbabilities(policy, answers)
                    .clippedSurrogateLoss(oldLogProbabilities: oldLogProbabilities, advantages: tokenAdvantages, clip: options.clip)
                let value = loss.value.scalars[0]
                guard value.isFinite else {
                    throw TransformerError.invalidInput(operation: "trainPPO", reason: "the loss became \(value) at step \(step); try a lower learning rate")
                }
                if epoch == 0 { firstLoss = value }
                try loss.backward()
                parameters.clipGradients(maxNorm: 1)
                optimizer.update(parameters)
            }
        }
        let tokens = statistics.kl.reduce(0) { $0 + $1.count }
        let record = PPOStepRecord(
            step: step, meanReward: scores.reduce(0, +) / Double(scores.count),
            meanQuality: answers.map { labeller.quality(of: $0.words, finished: $0.finished, for: $0.request) }.reduce(0, +) / Double(answers.count),
            meanKL: statistics.kl.flatMap { $0 }.reduce(0.0) { $0 + Double($1) } / Double(max(tokens, 1)),
            meanLength: Double(answers.reduce(0) { $0 + $1.words.count }) / Double(answers.count),
            loss: firstLoss)
        history.append(record)
        progress(record)
    }
    return (policy, PPOReport(options: options, history: history, seconds: secondsSince(started)))
}

/// Mean exact per-token KL(π ‖ π_ref) over `answers` sampled from `policy`.
package func meanTokenKL(policy: ChatModel, reference: ChatModel, answers: [SampledAnswer]) throws -> Double {
    var total = 0.0, count = 0
    for start in stride(from: 0, to: answers.count, by: 64) {
        let slice = Array(answers[start..<min(start + 64, answers.count)])
        let statistics = try tokenStatistics(policy: policy, reference: reference, answers: slice)
        for row in statistics.kl { total += row.reduce(0.0) { $0 + Double($1) }; count += row.count }
    }
    return count > 0 ? total / Double(count) : 0
}

extension PPOReport {
    package static let format = "TransformerExplorer PPO policy"

    /// Everything needed to rebuild the policy around its saved weights, as safetensors metadata:
    /// the model's configuration and vocabulary, the options and the history of every update.
    public func metadata(for model: ChatModel) -> [String: String] {
        model.metadata(format: Self.format, seed: options.seed, steps: options.steps, extra: [
            "beta": String(options.beta),
            "clip": String(options.clip),
            "learningRate": String(options.learningRate),
            "historyReward": encodeList(history.map(\.meanReward)),
            "historyQuality": encodeList(history.map(\.meanQuality)),
            "historyKL": encodeList(history.map(\.meanKL)),
            "historyLength": encodeList(history.map(\.meanLength)),
        ])
    }
}
