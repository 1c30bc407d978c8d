import Foundation
import Testing
import TensorCore
import TrainedModels
@testable import Training
import Transformer

/// Lesson 13's pipeline: the labeller, the KL estimate, gradients through the reward model and
/// the PPO loss, small training runs, and the shipped weights.
@Suite struct ChatTrainingTests {
    static let cat = ChatRequest(object: "cat", place: "garden")

    @Test func theLabellersRuleAndNoise() throws {
        let labeller = Labeller()
        func quality(_ text: String, finished: Bool = true) -> Double {
            labeller.quality(of: ParallelCorpus.tokenizeEnglish(text), finished: finished, for: Self.cat)
        }
        #expect(quality("she saw a cat in the garden .") == 1)
        #expect(quality("she saw a cat at school .") == 0.5)
        #expect(quality("i like cats .") == 0.5)
        #expect(quality("she saw a dog at school .") == 0)
        #expect(quality("she saw a cat in the garden .", finished: false) == 0)        // cut off
        #expect(quality("she saw a cat in the garden in the garden .") == 0)         // repeats, not a sentence
        #expect(quality("cat garden") == 0)
        // σ((1 − 0.5) / 0.2) = σ(2.5) = 0.9241418; equal answers are a coin toss.
        #expect(abs(labeller.probabilityOfPreferringFirst(1, 0.5) - 0.9241418) < 1e-6)
        #expect(labeller.probabilityOfPreferringFirst(0.5, 0.5) == 0.5)
        var generator = SeededGenerator(seed: 1)
        let wins = (0..<4000).filter { _ in labeller.prefersFirst(1, 0.5, using: &generator) }.count
        #expect(abs(Double(wins) / 4000 - 0.9241418) < 0.02)
        // Demonstrations are perfect answers.
        for request in ChatTask.trainingRequests.prefix(8) {
            let answer = labeller.demonstration(for: request, using: &generator)
            #expect(labeller.quality(of: answer, finished: true, for: request) == 1, "\(request): \(answer)")
        }
        #expect(ChatTask.allRequests.count == 42 && ChatTask.heldOutRequests.count == 10)
        #expect(Set(ChatTask.trainingRequests.map(\.object)).count == 7 && Set(ChatTask.trainingRequests.map(\.place)).count == 6)
        #expect(ChatTask.request(parsing: "Cats, garden") == Self.cat)
        #expect(ChatTask.request(parsing: "cat moon") == nil)
    }

    /// p = (0.5, 0.3, 0.2), q = (0.2, 0.5, 0.3):
    /// KL(p‖q) = 0.5 ln 2.5 + 0.3 ln 0.6 + 0.2 ln(2/3) = 0.2238047.
    /// The per-token penalty uses log p(x) − log q(x) at a sampled x, whose mean is that KL.
    @Test func theKLEstimatorConvergesToTheExactKL() {
        let p: [Float] = [0.5, 0.3, 0.2], q: [Float] = [0.2, 0.5, 0.3]
        let exact = exactKL(logP: p.map { log(Double($0)) }, logQ: q.map { log(Double($0)) })
        #expect(abs(exact - 0.2238047) < 1e-6)
        var generator = SeededGenerator(seed: 3)
        let draws = 20_000
        var total = 0.0
        for _ in 0..<draws {
            let x = draw(from: p, using: &generator)
            total += log(Double(p[x])) - log(Double(q[x]))
        }
        // Standard deviation of one sample ≈ 0.69, so the mean of 20,000 has ≈ 0.005.
        #expect(abs(total / Double(draws) - exact) < 0.02)
        #expect(exactKL(logP: p.map { log(Double($0)) }, logQ: p.map { log(Double($0)) }) == 0)
    }

    /// A tiny chat model (1 layer, d_model 8) on the corpus vocabulary.
    static func tinyChatModel(seed: UInt64 = 11) throws -> ChatModel {
        let vocabulary = ParallelCorpus.generate(seed: 7, trainCount: 200, heldOutCount: 0).targetVocabulary
        let configuration = TransformerConfiguration(layers: 1, modelDimension: 8, heads: 2, feedForwardDimension: 16,
                                                     vocabularySize: vocabulary.count, maxLength: 64, activation: .gelu,
                                                     normPlacement: .pre, positions: .sinusoidal, tiedOutput: true)
        let stack = try TrainableSelfAttentionStack(configuration: configuration, vocabularySize: vocabulary.count,
                                                    pattern: .causal, seed: seed)
        return ChatModel(try LanguageModel(model: stack, vocabulary: vocabulary))
    }

    static func answers(_ chat: ChatModel, seed: UInt64) throws -> [SampledAnswer] {
        var generator = SeededGenerator(seed: seed)
        return try chat.sampleAnswers([cat, cat, ChatRequest(object: "dog", place: "park")], maxTokens: 5, using: &generator)
    }

    /// Central differences on every scalar of the head and a few of the body.
    static func checkAgainstFiniteDifferences(_ parameters: [Variable], indices: Int, loss: () throws -> Variable,
                                              tolerance: Double = 2e-2) throws {
        for parameter in parameters { parameter.zeroGradient() }
        try loss().backward()
        for parameter in parameters {
            let analytic = try #require(parameter.gradient).scalars
            for i in 0..<min(indices, parameter.value.count) {
                let original = parameter.value.scalars
                let h: Float = 1e-2
                var plus = original, minus = original
                plus[i] += h
                minus[i] -= h
                parameter.value = try Tensor(shape: parameter.shape, scalars: plus)
                let up = Double(try loss().value.scalars[0])
                parameter.value = try Tensor(shape: parameter.shape, scalars: minus)
                let down = Double(try loss().value.scalars[0])
                parameter.value = try Tensor(shape: parameter.shape, scalars: original)
                let numeric = (up - down) / (Double(plus[i]) - Double(minus[i]))
                let allowed = tolerance * max(abs(numeric), abs(Double(analytic[i]))) + 2e-4
                #expect(abs(numeric - Double(analytic[i])) <= allowed,
                        "\(parameter.name ?? "?")[\(i)]: analytic \(analytic[i]), numeric \(numeric)")
            }
        }
    }

    @Test func theRewardHeadsGradientMatchesFiniteDifferences() throws {
        let chat = try Self.tinyChatModel()
        let rewardModel = try RewardModel(startingFrom: chat)
        var generator = SeededGenerator(seed: 2)
        for (_, variable) in rewardModel.parameters.entries where variable.name?.hasPrefix("head.") == true || ["weight", "bias"].contains(variable.name ?? "") {
            variable.value = Tensor.randomNormal(variable.shape, using: &generator) * 0.5
        }
        let head = [try #require(rewardModel.parameters["head.weight"]), try #require(rewardModel.parameters["head.bias"])]
        let body = [try #require(rewardModel.parameters["layers.0.feedForward.expand.weight"])]
        let answers = try Self.answers(chat, seed: 4)
        let sequences = answers.map { chat.sequence($0.request, answer: $0.ids, finished: $0.finished) }
        let loss = {
            let scores = try rewardModel.rewards(sequences + sequences.reversed())
            return try bradleyTerryLoss(preferred: scores.slice(axis: 0, range: 0..<3), rejected: scores.slice(axis: 0, range: 3..<6))
        }
        try Self.checkAgainstFiniteDifferences(head + body, indices: 8, loss: loss)
    }

    @Test func thePPOLossGradientThroughTheModelMatchesFiniteDifferences() throws {
        let chat = try Self.tinyChatModel()
        let answers = try Self.answers(chat, seed: 6)
        let tokens = answers.reduce(0) { $0 + $1.chosenIDs.count }
        // Old log-probabilities a little off the current ones: ratios near 1, inside the clip range.
        let current = try chosenLogProbabilities(chat, answers).value.scalars
        let old = current.enumerated().map { $0.element + ($0.offset % 2 == 0 ? 0.05 : -0.05) }
        let advantages = (0..<tokens).map { Float($0 % 3) - 1 + 0.3 }
        let parameters = ["tokenEmbedding.weight", "layers.0.attention.query.weight", "finalNorm.gamma"].compactMap { chat.model.parameters[$0] }
        #expect(parameters.count == 3)
        try Self.checkAgainstFiniteDifferences(parameters, indices: 8) {
            try chosenLogProbabilities(chat, answers).clippedSurrogateLoss(oldLogProbabilities: old, advantages: advantages, clip: 0.2)
        }
    }

    @Test func sameSeedSameWeights() throws {
        let pretrained = try TrainedModels.languageModel()
        var options = FineTuningOptions()
        options.steps = 3
        options.batchSize = 4
        let first = try fineTune(pretrained, options: options).model
        let second = try fineTune(pretrained, options: options).model
        #expect(first.model.parameters.values.map(\.value) == second.model.parameters.values.map(\.value))
        #expect(first.model.parameters.values.map(\.value) != ChatModel(pretrained).model.parameters.values.map(\.value))

        var ppoOptions = PPOOptions()
        ppoOptions.steps = 2
        ppoOptions.requestsPerStep = 2
        let rewardModel = try RewardModel(startingFrom: first)
        rewardModel.head.weight.value = Tensor.ones(rewardModel.head.weight.shape) * 0.1
        let a = try trainPPO(sft: first, rewardModel: rewardModel, options: ppoOptions)
        let b = try trainPPO(sft: first, rewardModel: rewardModel, options: ppoOptions)
        #expect(a.policy.model.parameters.values.map(\.value) == b.policy.model.parameters.values.map(\.value))
        #expect(a.report.history == b.report.history)
    }

    /// A reward model trained for a few dozen steps on the shipped SFT model's answers already
    /// ranks held-out pairs better than a coin.
    @Test func aBrieflyTrainedRewardModelBeatsChance() throws {
        let sft = try TrainedModels.chatModel(.sft)
        var options = RewardModelOptions()
        options.steps = 25
        options.batchSize = 16
        options.trainingRounds = 1
        options.heldOutRounds = 2
        options.peakLearningRate = 2e-3
        options.warmupSteps = 5
        let report = try trainRewardModel(sft: sft, options: options).report
        #expect(report.heldOut.pairs == ChatTask.heldOutRequests.count * 6 * 2)
        // 120 held-out pairs after one round of comparisons: above chance, not yet good (the shipped
        // model reaches 69.9% against a ceiling of 75%). Measured 0.55 on the merged tree.
        #expect(report.heldOut.rewardModel > 0.5, "held-out accuracy \(report.heldOut.rewardModel)")
        #expect(report.heldOut.ceiling > report.heldOut.rewardModel - 0.05)
    }

    /// A few PPO updates against the shipped reward model raise the reward of fresh answers.
    @Test func aFewPPOUpdatesRaiseTheReward() throws {
        let sft = try TrainedModels.chatModel(.sft)
        let rewardModel = try TrainedModels.rewardModel()
        var options = PPOOptions()
        options.steps = 4
        options.learningRate = 2e-3
        let policy = try trainPPO(sft: sft, rewardModel: rewardModel, options: options).policy
        func meanReward(_ chat: ChatModel) throws -> Float {
            let answers = try measureAnswers(chat, requests: ChatTask.trainingRequests, samplesPerRequest: 2,
                                             labeller: Labeller(), seed: 99).answers
            let scores = try rewardModel.rewards(answers.map { chat.sequence($0.request, answer: $0.ids, finished: $0.finished) })
            return scores.value.scalars.reduce(0, +) / Float(answers.count)
        }
        let before = try meanReward(sft), after = try meanReward(policy)
        #expect(after > before + 0.1, "mean reward \(before) → \(after)")
    }
}

/// The four shipped weight files of lesson 13 (`tx train sft|reward|ppo`, default options,
/// seed 7; `tx train ppo --beta 0` for the last).
@Suite struct ShippedChatModelsTests {
    /// A batch's agreement counts a tie as half, so a fresh reward model (zero head: every score
    /// ties) agrees on 0.5 of its pairs, not 0; the shipped record's step 0, taken at that
    /// fresh model (its loss is log 2, every score tied), says 0.5.
    @Test func batchAgreementCountsATieAsHalf() throws {
        #expect(batchAgreement(preferred: [1, 0, 2, 3], rejected: [0, 0, 3, 3]) == 0.5)
        #expect(batchAgreement(preferred: [2, 1], rejected: [1, 1]) == 0.75)
        let record = try TrainedModels.metadata(of: .rewardModel)
        let firstLoss = try #require(decodeList(record["losses"])?.first)
        #expect(abs(firstLoss - log(2)) < 1e-6)
        #expect(try #require(decodeList(record["batchAccuracies"])?.first) == 0.5)
    }

    /// PPO's first update sampled 8 requests × 4 answers from the SFT model (the policy starts as
    /// a copy of it) and recorded the shipped reward model's mean score and the labeller's mean
    /// quality in the weight files' history. The same prompts and seed, sampled again from the
    /// shipped SFT model and scored by the shipped reward model, must give the same numbers.
    @Test func theShippedWeightsReproduceTheRewardsRecordedInTraining() throws {
        let sft = try TrainedModels.chatModel(.sft)
        let rewardModel = try TrainedModels.rewardModel()
        let options = PPOOptions()
        var requestOrder = EpochBatcher(count: ChatTask.trainingRequests.count, batchSize: options.requestsPerStep,
                                        seed: options.seed &+ 1)
        let requests = requestOrder.next().map { ChatTask.trainingRequests[$0] }
        var sampling = SeededGenerator(seed: options.seed)
        let answers = try sft.sampleAnswers(requests.flatMap { Array(repeating: $0, count: options.answersPerRequest) },
                                            maxTokens: options.maxAnswerTokens, using: &sampling)
        let scores = try rewardModel.rewards(answers.map { sft.sequence($0.request, answer: $0.ids, finished: $0.finished) })
            .value.scalars.map(Double.init)
        let meanReward = scores.reduce(0, +) / Double(scores.count)
        let meanQuality = answers.map { Labeller().quality(of: $0.words, finished: $0.finished, for: $0.request) }
            .reduce(0, +) / Double(answers.count)
        for stage in [ChatStage.ppo, .ppoWithoutKL] {
            let record = try TrainedModels.metadata(of: stage)
            let recordedReward = try #require(decodeList(record["historyReward"])?.first)
            let recordedQuality = try #require(decodeList(record["historyQuality"])?.first)
            #expect(abs(meanReward - recordedReward) <= 1e-6, "\(stage): \(meanReward) against \(recordedReward)")
            #expect(meanQuality == recordedQuality, "\(stage)")
        }
        #expect(try TrainedModels.metadata(of: .ppo)["beta"] == "0.1")
        #expect(try TrainedModels.metadata(of: .ppoWithoutKL)["beta"] == "0.0")
        #expect(try TrainedModels.metadata(of: .rewardModel)["trainingPairs"] == "1152")
        // The perfect answer to "cat garden" scores above the half-right ones.
        let request = ChatRequest(object: "cat", place: "garden")
        // Recorded when the weights were committed; the last is a β = 0 policy's answer that the
        // reward model over-rates (quality 0, reward above the perfect answer's).
        let fixed = ["she saw a cat in the garden .", "she saw a cat at school .", "i like cats .",
                     "we saw a flower in the last week ."]
        let recorded: [Float] = [3.0811222, -1.1844271, -3.2271748, 3.421148]
        let rewards = try rewardModel.rewards(fixed.map { sft.sequence(request, answer: sft.languageModel.ids(ParallelCorpus.tokenizeEnglish($0))) })
            .value.scalars
        for (reward, expected) in zip(rewards, recorded) { #expect(abs(reward - expected) <= 1e-4, "\(rewards)") }
        #expect(rewards[0] > rewards[1] && rewards[0] > rewards[2], "\(rewards)")
    }

    /// The PPO policy answers held-out requests far better than the SFT model it started from.
    @Test func thePPOPolicyBeatsSFTOnHeldOutRequests() throws {
        let labeller = Labeller()
        let sft = try measureAnswers(TrainedModels.chatModel(.sft), requests: ChatTask.heldOutRequests, samplesPerRequest: 4,
                                     labeller: labeller, seed: 5).quality
        let ppo = try measureAnswers(TrainedModels.chatModel(.ppo), requests: ChatTask.heldOutRequests, samplesPerRequest: 4,
                                     labeller: labeller, seed: 5).quality
        #expect(ppo.meanQuality > sft.meanQuality + 0.2, "SFT \(sft.meanQuality), PPO \(ppo.meanQuality)")
    }
}
