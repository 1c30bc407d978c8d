import Foundation
import TensorCore
import Transformer

// Stage 2 of lesson 13: supervised fine-tuning (SFT). The pre-trained language model has only
// ever continued sentences; it is shown a few hundred requests with a good answer each and
// trained with the same cross-entropy loop as in pre-training, counting only the answer's tokens.
//
// A conversation is one token sequence, the request's words between two "<s>":
//
//     <s> cat garden <s> she saw a cat in the garden . </s>
//     └── request ─────┘ └── answer ─────────────────────┘
//
// The second "<s>" plays the part of a chat template's "assistant:" marker.

/// One sampled answer: its token ids (without "</s>"), its words, and whether the model ended it
/// with "</s>" before the length limit.
public struct SampledAnswer: Sendable, Equatable {
    /// The request answered.
    public let request: ChatRequest
    package let ids: [Int]
    /// The answer's words, without "</s>".
    public let words: [String]
    /// Whether the model ended the answer with "</s>" within the length limit.
    public let finished: Bool
    /// The tokens the model chose: the answer's ids, then "</s>" when it finished.
    package let chosenIDs: [Int]

    /// The words joined by spaces, with " …" when the answer was cut off.
    public var text: String { words.joined(separator: " ") + (finished ? "" : " …") }
}

/// A causal language model used as a chat model: it reads a request and writes an answer.
public struct ChatModel {
    /// The underlying language model (its weights are the chat model's).
    public let languageModel: LanguageModel
    /// The decoder stack of `languageModel`.
    public var model: TrainableSelfAttentionStack { languageModel.model }
    /// The tokens by id (`languageModel`'s vocabulary).
    public var vocabulary: [String] { languageModel.vocabulary }

    package init(_ languageModel: LanguageModel) {
        self.languageModel = languageModel
    }

    /// "<s> object place <s>": what the model reads before it answers.
    package func prompt(_ request: ChatRequest) -> [Int] {
        [languageModel.startID] + languageModel.ids(request.words) + [languageModel.startID]
    }

    /// The whole conversation: prompt, answer, and "</s>" when the answer finished.
    package func sequence(_ request: ChatRequest, answer: [Int], finished: Bool = true) -> [Int] {
        prompt(request) + answer + (finished ? [languageModel.endID] : [])
    }

    /// A copy with its own parameters (same values), to train without touching this one.
    package func copy() throws -> ChatModel {
        let original = model
        let fresh = try TrainableSelfAttentionStack(configuration: original.configuration,
                                                    vocabularySize: original.vocabularySize,
                                                    pattern: .causal, seed: 0)
        try fresh.parameters.load(Dictionary(uniqueKeysWithValues: original.parameters.values.map { ($0.name, $0.value) }))
        return ChatModel(try LanguageModel(model: fresh, vocabulary: vocabulary))
    }

    /// The probability of every token coming next after the request and the start of an answer.
    public func nextTokenProbabilities(_ request: ChatRequest, answerSoFar: [String]) throws -> [Float] {
        let rows = try model.logitRows(prompt(request) + languageModel.ids(answerSoFar))
        return try softmax(rows[rows.count - 1])
    }

    /// Samples one answer per request, all in one batch (the requests' prompts have the same
    /// length, so the batch grows in lockstep): at temperature `temperature`, at most
    /// `maxTokens` words, stopping at "</s>". The same generator state gives the same answers.
    public func sampleAnswers(_ requests: [ChatRequest], temperature: Float = 1, maxTokens: Int = 12,
                              using generator: inout SeededGenerator) throws -> [SampledAnswer] {
        guard !requests.isEmpty else { return [] }
        var sequences = requests.map(prompt)
        var answers = [[Int]](repeating: [], count: requests.count)
        var finished = [Bool](repeating: false, count: requests.count)
        var ended = [Bool](repeating: false, count: requests.count)
        let endID = languageModel.endID
        for _ in 0..<(maxTokens + 1) where finished.contains(false) {
            let logits = try model.forward(sequences, padID: -1).logits.value    // (B, T, V)
            let (length, v) = (logits.shape[1], logits.shape[2])
            for b in sequences.indices {
                guard !finished[b] else {
                    sequences[b].append(endID)   // keeps the batch rectangular; never read
                    continue
                }
                let start = (b * length + length - 1) * v
                var row = Array(logits.scalars[start..<(start + v)])
                if temperature != 1 { row = try applyTemperature(row, temperature) }
                let id = draw(from: try softmax(row), using: &generator)
                sequences[b].append(id)
                if id == endID {
                    finished[b] = true
                    ended[b] = true
                } else if answers[b].count == maxTokens {
                    finished[b] = true           // maxTokens words and still no "</s>": cut off
                } else {
                    answers[b].append(id)
                }
            }
        }
        return requests.indices.map { b in
            SampledAnswer(request: requests[b], ids: answers[b], words: answers[b].map { vocabulary[$0] },
                          finished: ended[b], chosenIDs: answers[b] + (ended[b] ? [endID] : []))
        }
    }
}

/// Inverse-transform sampling with one uniform draw (as `Sampler.draw`).
func draw(from probabilities: [Float], using generator: inout SeededGenerator) -> Int {
    let total = probabilities.reduce(0.0) { $0 + Double(max(0, $1)) }
    let target = Double(generator.nextUniform()) * total
    var cumulative = 0.0
    var last = 0
    for (id, p) in probabilities.enumerated() where p > 0 {
        cumulative += Double(p)
        last = id
        if cumulative > target { return id }
    }
    return last
}

/// How good a model's answers are on some requests, as the hidden labeller sees them.
package struct AnswerQuality: Sendable, Equatable {
    /// Answers sampled.
    package let count: Int
    /// Mean true quality, 0…1.
    package let meanQuality: Double
    /// Share of answers with quality 1 (both requested words, a complete sentence).
    package let perfectShare: Double
    package let mentionsObjectShare: Double
    package let mentionsPlaceShare: Double
    package let completeShare: Double
    package let repetitiveShare: Double
}

/// Samples `samplesPerRequest` answers per request (temperature 1) and judges them.
package func measureAnswers(_ model: ChatModel, requests: [ChatRequest], samplesPerRequest: Int, labeller: Labeller,
                           seed: UInt64, maxTokens: Int = 12) throws -> (quality: AnswerQuality, answers: [SampledAnswer]) {
    var generator = SeededGenerator(seed: seed)
    let batch = requests.flatMap { Array(repeating: $0, count: samplesPerRequest) }
    var answers: [SampledAnswer] = []
    for start in stride(from: 0, to: batch.count, by: 64) {
        answers += try model.sampleAnswers(Array(batch[start..<min(start + 64, batch.count)]), maxTokens: maxTokens,
                                           using: &generator)
    }
    return (judgeAll(answers, labeller: labeller), answers)
}

/// The labeller's view of a set of answers.
package func judgeAll(_ answers: [SampledAnswer], labeller: Labeller) -> AnswerQuality {
    let judgements = answers.map { labeller.judge($0.words, finished: $0.finished, for: $0.request) }
    let n = Double(max(judgements.count, 1))
    func share(_ test: (Judgement) -> Bool) -> Double { Double(judgements.filter(test).count) / n }
    return AnswerQuality(count: judgements.count, meanQuality: judgements.map(\.quality).reduce(0, +) / n,
                         perfectShare: share { $0.quality == 1 }, mentionsObjectShare: share(\.mentionsObject),
                         mentionsPlaceShare: share(\.mentionsPlace), completeShare: share(\.complete),
                         repetitiveShare: share(\.repetitive))
}

// MARK: Fine-tuning

/// Stage 2's options. The defaults are what the shipped `sft` weights were trained with.
public struct FineTuningOptions: Sendable, Equatable {
    /// Seed for the demonstrations, the initial order of the batches and the sampling.
    public var seed: UInt64 = 7
    /// Demonstrations written by the labeller, spread over the training requests.
    public var demonstrationCount = 300
    /// Optimiser updates.
    public var steps = 150
    /// Demonstrations per mini-batch.
    public var batchSize = 16
    /// The learning rate at the end of the warm-up (a cosine to a tenth of it follows).
    public var peakLearningRate: Float = 1e-3
    /// Linear warm-up steps (at most `steps`).
    public var warmupSteps = 15

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
        guard demonstrationCount > 0 else {
            throw TransformerError.invalidConfiguration(field: "demonstrationCount", reason: "must be at least 1 (got \(demonstrationCount))")
        }
    }
}

/// What fine-tuning did.
public struct FineTuningReport: Sendable {
    /// The options the model was fine-tuned with.
    public let options: FineTuningOptions
    /// The mini-batch loss of every step: mean cross-entropy per answer token (the prompt is not scored), in nats.
    public let losses: [Float]
    /// Wall-clock seconds of fine-tuning.
    public let seconds: Double
    /// A few of the demonstrations: (request, answer).
    public let demonstrations: [(request: ChatRequest, answer: String)]
    /// Trainable scalars in the model.
    public let parameterCount: Int
}

/// Fine-tunes a copy of `pretrained` on `options.demonstrationCount` demonstrations (requests from
/// `ChatTask.trainingRequests`, answers written by the labeller), cross-entropy on the answer
/// tokens and the final "</s>" only. The same seed and options give the same weights.
public func fineTune(_ pretrained: LanguageModel, labeller: Labeller = Labeller(),
                     options: FineTuningOptions = FineTuningOptions(),
                     progress: (TrainingProgress) -> Void = { _ in }) throws -> (model: ChatModel, report: FineTuningReport) {
    try options.validate()
    let chat = try ChatModel(pretrained).copy()
    var generator = SeededGenerator(seed: options.seed)
    let requests = ChatTask.trainingRequests
    var demonstrations: [(request: ChatRequest, answer: [String])] = []
    for index in 0..<options.demonstrationCount {
        let request = requests[index % requests.count]
        demonstrations.append((request, labeller.demonstration(for: request, using: &generator)))
    }
    let lm = chat.languageModel
    let examples = demonstrations.map { demonstration -> (input: [Int], labels: [Int]) in
        let full = chat.sequence(demonstration.request, answer: lm.ids(demonstration.answer))
        let promptLength = chat.prompt(demonstration.request).count
        // Position t predicts token t + 1; only the answer's tokens (and "</s>") are scored.
        let labels = (0..<(full.count - 1)).map { t in t + 1 >= promptLength ? full[t + 1] : lm.padID }
        return (Array(full.dropLast()), labels)
    }
    var batcher = EpochBatcher(count: examples.count, batchSize: options.batchSize, seed: options.seed &+ 1)
    let run = try runTraining(options: options.trainingOptions, parameters: chat.model.parameters,
                              operation: "fineTune", progress: progress) { _ in
        let batch = batcher.next()
        let loss = try chat.model.loss(inputs: batch.map { examples[$0].input }, labels: batch.map { examples[$0].labels },
                                       padID: lm.padID, ignoreIndex: lm.padID)
        return (loss, batch.reduce(0) { $0 + examples[$1].input.count })
    }
    let report = FineTuningReport(options: options, losses: run.losses, seconds: run.seconds,
                                  demonstrations: demonstrations.prefix(6).map { ($0.request, $0.answer.joined(separator: " ")) },
                                  parameterCount: chat.model.parameters.scalarCount)
    return (chat, report)
}

// MARK: Saving

/// Floats as a comma-separated list that reads back exactly (Swift prints the shortest
/// representation that round-trips).
package func encodeList(_ values: [Float]) -> String { values.map { String($0) }.joined(separator: ",") }
package func encodeList(_ values: [Double]) -> String { values.map { String($0) }.joined(separator: ",") }

/// The inverse of `encodeList`; nil if any entry is not a finite number.
package func decodeList(_ text: String?) -> [Double]? {
    guard let text else { return nil }
    if text.isEmpty { return [] }
    var values: [Double] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
        guard let value = Double(part), value.isFinite else { return nil }
        values.append(value)
    }
    return values
}

extension ChatModel {
    /// The metadata every lesson-13 weight file carries: the configuration and vocabulary (as the
    /// language model's files), a `format`, and `extra`.
    package func metadata(format: String, seed: UInt64, steps: Int, extra: [String: String]) -> [String: String] {
        var options = TrainingOptions()
        let c = model.configuration
        options.layers = c.layers
        options.modelDimension = c.modelDimension
        options.heads = c.heads
        options.feedForwardDimension = c.feedForwardDimension
        options.seed = seed
        options.steps = steps
        return options.metadata(format: format, extra: extra.merging([
            "architecture": "TrainableSelfAttentionStack", "pattern": "causal", "segments": "0",
            "vocabulary": vocabulary.joined(separator: "\n"),
        ]) { _, new in new })
    }
}

extension FineTuningReport {
    package static let format = "TransformerExplorer SFT model"

    /// Everything needed to rebuild the fine-tuned model around its saved weights, as
    /// safetensors metadata: the configuration and vocabulary, the options and the losses.
    public func metadata(for model: ChatModel) -> [String: String] {
        model.metadata(format: Self.format, seed: options.seed, steps: options.steps, extra: [
            "demonstrations": String(options.demonstrationCount),
            "batchSize": String(options.batchSize),
            "peakLearningRate": String(options.peakLearningRate),
            "losses": encodeList(losses),
        ])
    }
}
