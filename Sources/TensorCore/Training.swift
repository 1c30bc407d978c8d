#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// What training needs besides gradients: the named parameters of a model, the AdamW
// optimiser, gradient clipping and the learning-rate schedule.

/// What can go wrong when loading values into a `ParameterCollection`.
public enum ParameterError: Error, Equatable, CustomStringConvertible {
    /// `add` was given a name the collection already holds.
    case duplicateName(String)
    /// `load` got no value for this parameter of the model.
    case missing(String)
    /// `load` got a value under a name the model does not have.
    case unexpected(String)
    /// `load` got a value whose shape differs from the parameter's.
    case shapeMismatch(name: String, expected: [Int], got: [Int])

    /// A one-line message naming the parameter.
    public var description: String {
        switch self {
        case let .duplicateName(name): return "parameter \"\(name)\" is already in the collection"
        case let .missing(name): return "no value given for parameter \"\(name)\""
        case let .unexpected(name): return "the model has no parameter \"\(name)\""
        case let .shapeMismatch(name, expected, got):
            return "parameter \"\(name)\" has shape \(expected) but the value has shape \(got)"
        }
    }
}

/// The trainable tensors of a model, by name, in the order they were added
/// (e.g. "layer0.attention.wq"). The variables are shared with the model: updating them here
/// updates the model.
public struct ParameterCollection {
    /// The parameter names in the order they were added.
    public private(set) var names: [String] = []
    private var byName: [String: Variable] = [:]

    /// An empty collection.
    public init() {}

    /// Adds `variable` under `name`. Throws if the name is taken.
    public mutating func add(_ name: String, _ variable: Variable) throws {
        guard byName[name] == nil else { throw ParameterError.duplicateName(name) }
        names.append(name)
        byName[name] = variable
        if variable.name == nil { variable.name = name }
    }

    /// Every entry of `other`, each name prefixed with `prefix` (e.g. "layer0.").
    public mutating func add(contentsOf other: ParameterCollection, prefix: String = "") throws {
        for (name, variable) in other.entries { try add(prefix + name, variable) }
    }

    /// The variable added under `name`, or nil if there is none.
    public subscript(name: String) -> Variable? { byName[name] }

    /// (name, variable) pairs in insertion order.
    public var entries: [(name: String, variable: Variable)] { names.map { ($0, byName[$0]!) } }

    /// The variables in the order they were added (the same objects the model uses).
    public var variables: [Variable] { names.map { byName[$0]! } }

    /// The number of parameter tensors.
    public var count: Int { names.count }

    /// The number of scalars in all parameter tensors (what papers call "parameters").
    public var scalarCount: Int { variables.reduce(0) { $0 + $1.value.count } }

    /// Forgets every accumulated gradient; call before each training step.
    public func zeroGradients() { for variable in variables { variable.zeroGradient() } }

    /// Every value by name, in order (for saving).
    public var values: [(name: String, value: Tensor)] { entries.map { ($0.name, $0.variable.value) } }

    /// Replaces every value (for loading). All names must be present with the right shapes;
    /// nothing is changed unless everything fits. Gradients are cleared.
    public func load(_ values: [String: Tensor]) throws {
        for name in names {
            guard let value = values[name] else { throw ParameterError.missing(name) }
            let expected = byName[name]!.shape
            guard value.shape == expected else {
                throw ParameterError.shapeMismatch(name: name, expected: expected, got: value.shape)
            }
        }
        if let extra = values.keys.sorted().first(where: { byName[$0] == nil }) {
            throw ParameterError.unexpected(extra)
        }
        for (name, variable) in entries {
            variable.value = values[name]!
            variable.zeroGradient()
        }
    }
}

// MARK: Gradient clipping

extension ParameterCollection {
    /// Scales all gradients together so that their global L2 norm (over every scalar of every
    /// gradient) is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`: the factor is
    /// maxNorm / (norm + 1e-6) when that is below 1. Returns the norm before clipping.
    /// Parameters without a gradient are skipped.
    @discardableResult
    public func clipGradients(maxNorm: Float) -> Float {
        var squares = 0.0
        for variable in variables {
            guard let gradient = variable.gradient else { continue }
            for g in gradient.scalars { squares += Double(g) * Double(g) }
        }
        let norm = Float(squares.squareRoot())
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 {
            for variable in variables {
                if let gradient = variable.gradient { variable.gradient = gradient * factor }
            }
        }
        return norm
    }
}

// MARK: AdamW

/// Adam with decoupled weight decay (Loshchilov & Hutter 2019), as `torch.optim.AdamW`.
/// For each parameter p with gradient g, at step t = 1, 2, ...:
///
///     p ← p − lr·λ·p                       decoupled weight decay
///     m ← β1·m + (1 − β1)·g                running mean of gradients
///     v ← β2·v + (1 − β2)·g²               running mean of squared gradients
///     m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)   bias correction (m, v start at 0)
///     p ← p − lr · m̂ / (√v̂ + ε)
///
/// Parameters without a gradient are left alone (and their moments are not advanced).
/// With a schedule, set the rate before each update:
/// `optimizer.learningRate = schedule.rate(at: optimizer.step + 1)`.
public struct AdamW: Sendable {
    /// The step size (lr); change it between updates to follow a `LearningRateSchedule`.
    public var learningRate: Float
    /// Decay rate of the running mean of gradients (β1).
    public var beta1: Float
    /// Decay rate of the running mean of squared gradients (β2).
    public var beta2: Float
    /// Added to √v̂ in the denominator so it is never 0 (ε).
    public var epsilon: Float
    /// Decoupled weight decay: each update first scales a parameter by 1 − lr · weightDecay.
    public var weightDecay: Float
    /// The number of steps taken so far.
    public private(set) var step = 0
    private var firstMoments: [String: [Float]] = [:]
    private var secondMoments: [String: [Float]] = [:]

    /// An optimiser with no steps taken; the defaults are the usual AdamW settings.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// One update of every parameter from its current gradient. The moments are kept by
    /// parameter name, so use the same collection (or one with the same names) every step.
    public mutating func update(_ parameters: ParameterCollection) {
        step += 1
        let t = Float(step)
        let correction1 = 1 - pow(beta1, t)
        let correction2 = 1 - pow(beta2, t)
        for (name, variable) in parameters.entries {
            guard let gradient = variable.gradient else { continue }
            var p = variable.value.scalars
            var m = firstMoments[name] ?? [Float](repeating: 0, count: p.count)
            var v = secondMoments[name] ?? [Float](repeating: 0, count: p.count)
            for i in p.indices {
                let g = gradient.scalars[i]
                p[i] -= learningRate * weightDecay * p[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let mHat = m[i] / correction1
                let vHat = v[i] / correction2
                p[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
            }
            firstMoments[name] = m
            secondMoments[name] = v
            variable.value = Tensor(validatedShape: variable.value.shape, scalars: p)
        }
    }
}

// MARK: Learning-rate schedule

/// Linear warm-up to `peakRate`, then a decay. Steps count from 1 (the first update is step 1);
/// `rate(at: 0)` is 0.
///
/// - `.cosine(totalSteps:minimumRate:)`: half a cosine from the peak at the end of warm-up
///   down to `minimumRate` at `totalSteps`, constant after that (GPT-2/3 style).
/// - `.inverseSquareRoot`: peak · √(warmup / step) after warm-up, the schedule of
///   "Attention Is All You Need" (§5.3); `transformer(dModel:warmupSteps:)` gives its peak.
/// - `.constant`: the peak for ever.
public struct LearningRateSchedule: Sendable, Equatable {
    /// What the rate does after warm-up (see `LearningRateSchedule`).
    public enum Decay: Sendable, Equatable {
        /// Half a cosine from the peak down to `minimumRate` at step `totalSteps`, then constant.
        case cosine(totalSteps: Int, minimumRate: Float)
        /// peak · √(warmupSteps / step), as in "Attention Is All You Need".
        case inverseSquareRoot
        /// The peak rate for ever.
        case constant
    }

    /// The rate reached at the end of warm-up.
    public var peakRate: Float
    /// The number of steps of linear warm-up from 0 to `peakRate`.
    public var warmupSteps: Int
    /// What the rate does after warm-up.
    public var decay: Decay

    /// A schedule with the given peak, warm-up length and decay.
    public init(peakRate: Float, warmupSteps: Int, decay: Decay) {
        self.peakRate = peakRate
        self.warmupSteps = warmupSteps
        self.decay = decay
    }

    /// The paper's lrate = d_model^−0.5 · min(step^−0.5, step · warmup^−1.5), which peaks at
    /// d_model^−0.5 · warmup^−0.5 when step = warmup.
    public static func transformer(dModel: Int, warmupSteps: Int = 4000) -> LearningRateSchedule {
        let peak = 1 / (Double(dModel) * Double(warmupSteps)).squareRoot()
        return LearningRateSchedule(peakRate: Float(peak), warmupSteps: warmupSteps, decay: .inverseSquareRoot)
    }

    /// The learning rate for update number `step` (counted from 1; 0 or less gives 0).
    public func rate(at step: Int) -> Float {
        guard step > 0 else { return 0 }
        if step <= warmupSteps {
            return peakRate * Float(step) / Float(warmupSteps)
        }
        switch decay {
        case .constant:
            return peakRate
        case .inverseSquareRoot:
            return peakRate * Float((Double(Swift.max(warmupSteps, 1)) / Double(step)).squareRoot())
        case let .cosine(totalSteps, minimumRate):
            let span = Swift.max(totalSteps - warmupSteps, 1)
            let progress = Swift.min(Double(step - warmupSteps) / Double(span), 1)
            let cosine = 0.5 * (1 + cos(Double.pi * progress))
            return minimumRate + (peakRate - minimumRate) * Float(cosine)
        }
    }
}
