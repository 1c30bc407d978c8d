import TensorCore
import Transformer

// What the three small models share when they are trained: the options, the progress report
// and the loop (mini-batch loss, backward, clipping by global norm, AdamW at the scheduled
// rate). The translator (TranslatorTraining.swift), the language model and the tiny BERT
// (LanguageModelTraining.swift, MaskedLMTraining.swift) each bring their own data and loss.

/// What to train and how. `init()` gives the translator's defaults; `.languageModel` and
/// `.maskedLanguageModel` the other two models'. Each trains in well under a minute on one core
/// in release mode.
public struct TrainingOptions: Sendable, Equatable {
    /// Seed for the corpus sample, the initial weights and the order of the mini-batches.
    public var seed: UInt64 = 7
    /// Training pairs drawn from the templates (the two fixed pairs come on top).
    public var trainCount = 3000
    /// Held-out pairs (each with a slot combination never seen in training).
    public var heldOutCount = 300
    /// Optimiser updates.
    public var steps = 800
    /// Sentence pairs per mini-batch.
    public var batchSize = 32
    /// The width of every token vector, d_model (a multiple of `heads`).
    public var modelDimension = 64
    /// Attention heads per layer.
    public var heads = 4
    /// The hidden width of the feed-forward blocks.
    public var feedForwardDimension = 128
    /// Encoder layers (the decoder has as many).
    public var layers = 2
    /// The learning rate at the end of the warm-up.
    public var peakLearningRate: Float = 3e-3
    /// Linear warm-up from 0 to `peakLearningRate` over this many steps, then half a cosine.
    public var warmupSteps = 100
    /// Where the cosine ends, at the last step.
    public var minimumLearningRate: Float = 1e-4
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 0.01
    /// The global gradient norm is clipped to this.
    public var maxGradientNorm: Float = 1
    /// Training pairs (the first ones of the shuffled training set) checked with greedy
    /// decoding after training; 0 skips the check.
    public var trainSampleCount = 200
    /// Held-out examples kept in the report.
    public var exampleCount = 5

    /// The translator's defaults (the values above); `languageModel` and `maskedLanguageModel` give the other two models'.
    public init() {}

    /// The model's configuration: pre-norm, GELU, sinusoidal positions, tied output.
    public var configuration: TransformerConfiguration {
        TransformerConfiguration(layers: layers, modelDimension: modelDimension, heads: heads,
                                 feedForwardDimension: feedForwardDimension, vocabularySize: 1, maxLength: 64,
                                 activation: .gelu, normPlacement: .pre, positions: .sinusoidal, tiedOutput: true)
    }

    /// The learning rate at every step.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peakRate: peakLearningRate, warmupSteps: warmupSteps,
                             decay: .cosine(totalSteps: steps, minimumRate: minimumLearningRate))
    }

    /// Throws `TransformerError.invalidConfiguration` naming the first bad option.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ reason: String) throws {
            if !ok { throw TransformerError.invalidConfiguration(field: field, reason: reason) }
        }
        try check(steps > 0, "steps", "must be at least 1 (got \(steps))")
        try check(batchSize > 0, "batchSize", "must be at least 1 (got \(batchSize))")
        try check(trainCount >= 0, "trainCount", "must not be negative (got \(trainCount))")
        try check(heldOutCount >= 0, "heldOutCount", "must not be negative (got \(heldOutCount))")
        try check(warmupSteps >= 0, "warmupSteps", "must not be negative (got \(warmupSteps))")
        try check(peakLearningRate > 0 && peakLearningRate.isFinite, "peakLearningRate",
                  "must be a positive number (got \(peakLearningRate))")
        try check(maxGradientNorm > 0, "maxGradientNorm", "must be positive (got \(maxGradientNorm))")
        try check(trainSampleCount >= 0 && exampleCount >= 0, "trainSampleCount",
                  "sample and example counts must not be negative")
        var c = configuration
        c.vocabularySize = 1
        try c.validate()
    }
}

/// Where training is, reported after every step.
public struct TrainingProgress: Sendable, Equatable {
    /// The step just taken, 1…totalSteps.
    public let step: Int
    /// The number of steps the run will take (`steps`).
    public let totalSteps: Int
    /// This step's mini-batch loss (mean cross-entropy per target token, in nats).
    public let loss: Float
    /// Source and target tokens (no padding) per second of training so far.
    public let tokensPerSecond: Double
    /// Estimated seconds to the last step, at the speed so far.
    public let secondsLeft: Double
}

/// The translator's options are the shared ones.
package typealias TranslatorTrainingOptions = TrainingOptions
package typealias TranslatorTrainingProgress = TrainingProgress

/// What the training loop measured.
struct TrainingRun {
    /// The mini-batch loss of every step, `losses[0]` for step 1.
    let losses: [Float]
    let seconds: Double
    let tokensPerSecond: Double
}

func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// `options.steps` optimiser updates. Each step: `batchLoss(step)` builds the next mini-batch's
/// mean loss (and says how many tokens it read), then backward, global-norm clipping and AdamW
/// at the scheduled rate. A loss that is not finite stops training with an error that says so.
func runTraining(options: TrainingOptions, parameters: ParameterCollection, operation: String,
                 progress: (TrainingProgress) -> Void,
                 batchLoss: (Int) throws -> (loss: Variable, tokens: Int)) throws -> TrainingRun {
    var optimizer = AdamW(learningRate: 0, weightDecay: options.weightDecay)
    let schedule = options.schedule
    var losses: [Float] = []
    losses.reserveCapacity(options.steps)
    var tokens = 0
    let started = ContinuousClock.now
    for step in 1...options.steps {
        parameters.zeroGradients()
        let (loss, batchTokens) = try batchLoss(step)
        let value = loss.value.scalars[0]
        guard value.isFinite else {
            throw TransformerError.invalidInput(operation: operation,
                                                reason: "the loss became \(value) at step \(step); try a lower learning rate")
        }
        try loss.backward()
        parameters.clipGradients(maxNorm: options.maxGradientNorm)
        optimizer.learningRate = schedule.rate(at: step)
        optimizer.update(parameters)
        losses.append(value)
        tokens += batchTokens
        let elapsed = secondsSince(started)
        progress(TrainingProgress(
            step: step, totalSteps: options.steps, loss: value,
            tokensPerSecond: elapsed > 0 ? Double(tokens) / elapsed : 0,
            secondsLeft: elapsed / Double(step) * Double(options.steps - step)))
    }
    let seconds = secondsSince(started)
    return TrainingRun(losses: losses, seconds: seconds, tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0)
}

/// A seeded Fisher–Yates shuffle of 0..<count (rejection sampling: no modulo bias).
func shuffledIndices(_ count: Int, using generator: inout SeededGenerator) -> [Int] {
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
        let bound = UInt64(i + 1)
        let limit = UInt64.max - UInt64.max % bound
        var draw = generator.next()
        while draw >= limit { draw = generator.next() }
        order.swapAt(i, Int(draw % bound))
    }
    return order
}

/// Endless mini-batches of indices into a training set: shuffled afresh every epoch, the last
/// batch of an epoch topped up from the next, so every batch is full.
struct EpochBatcher: Sendable {
    let count: Int
    let batchSize: Int
    private var generator: SeededGenerator
    private var order: [Int] = []
    private var position = 0

    init(count: Int, batchSize: Int, seed: UInt64) {
        self.count = count
        self.batchSize = batchSize
        generator = SeededGenerator(seed: seed)
    }

    mutating func next() -> [Int] {
        var indices: [Int] = []
        indices.reserveCapacity(batchSize)
        while indices.count < batchSize, count > 0 {
            if position == order.count {
                order = shuffledIndices(count, using: &generator)
                position = 0
            }
            indices.append(order[position])
            position += 1
        }
        return indices
    }
}

extension TrainingOptions {
    /// The safetensors metadata every trained model carries so it can be rebuilt around its
    /// weights: the format, the configuration (GELU, pre-norm, sinusoidal positions, tied
    /// output, as `configuration` says), the seed and the steps; `extra` adds the model's own.
    func metadata(format: String, extra: [String: String]) -> [String: String] {
        let common = [
            "format": format,
            "layers": String(layers),
            "modelDimension": String(modelDimension),
            "heads": String(heads),
            "feedForwardDimension": String(feedForwardDimension),
            "activation": "gelu",
            "normPlacement": "pre",
            "positions": "sinusoidal",
            "tiedOutput": "true",
            "seed": String(seed),
            "steps": String(steps),
        ]
        return common.merging(extra) { _, new in new }
    }
}
