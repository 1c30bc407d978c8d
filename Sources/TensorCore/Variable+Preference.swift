#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The differentiable pieces of learning from human preferences (RLHF): log σ for the
// Bradley–Terry loss of a reward model, the log-probability of chosen tokens for a policy, and
// PPO's clipped surrogate objective. Each records the derivative of its own formula.

extension Variable {
    /// log σ(x), elementwise, computed without overflow:
    ///     log σ(x) = −log(1 + e^(−x))          for x ≥ 0
    ///              = x − log(1 + e^x)           for x < 0
    /// and d/dx log σ(x) = 1 − σ(x) = σ(−x).
    ///
    /// The Bradley–Terry loss of a reward model is −log σ(r(preferred) − r(rejected)).
    public func logSigmoid() -> Variable {
        let x = value
        let y = x.scalars.map { x -> Float in
            x >= 0 ? -Float(log1p(exp(-Double(x)))) : Float(Double(x) - log1p(exp(Double(x))))
        }
        return Variable(Tensor(validatedShape: x.shape, scalars: y), parents: [self]) { g in
            let slope = x.scalars.map { x -> Float in
                // σ(−x), again in the form that cannot overflow.
                x >= 0 ? Float(exp(-Double(x)) / (1 + exp(-Double(x)))) : Float(1 / (1 + exp(Double(x))))
            }
            return [Tensor(validatedShape: x.shape, scalars: zip(g.scalars, slope).map { $0 * $1 })]
        }
    }

    /// For `[N, V]` logits and one target id per row, log p(target) = z_target − logsumexp(z),
    /// as a `[N]` variable. d log p_t / dz_j = δ_jt − p_j.
    public func selectedLogProbabilities(_ targets: [Int]) throws -> Variable {
        let operation = "selectedLogProbabilities"
        guard value.rank == 2 else {
            throw TensorError.invalidShape(operation: operation, shape: shape, reason: "logits must have rank 2 ([N, V])")
        }
        let rows = shape[0], vocabulary = shape[1]
        guard targets.count == rows else {
            throw TensorError.invalidShape(operation: operation, shape: shape, reason: "\(targets.count) targets for \(rows) rows")
        }
        if let bad = targets.first(where: { $0 < 0 || $0 >= vocabulary }) {
            throw TensorError.invalidShape(operation: operation, shape: shape, reason: "target \(bad) is outside 0..<\(vocabulary)")
        }
        let z = value.scalars
        var probabilities = [Float](repeating: 0, count: z.count)
        var result = [Float](repeating: 0, count: rows)
        for (row, target) in targets.enumerated() {
            let start = row * vocabulary
            var top = -Double.infinity
            for j in 0..<vocabulary { top = Swift.max(top, Double(z[start + j])) }
            var sumExp = 0.0
            for j in 0..<vocabulary { sumExp += exp(Double(z[start + j]) - top) }
            let logSumExp = top + log(sumExp)
            for j in 0..<vocabulary { probabilities[start + j] = Float(exp(Double(z[start + j]) - logSumExp)) }
            result[row] = Float(Double(z[start + target]) - logSumExp)
        }
        let logitsShape = shape
        return Variable(Tensor(validatedShape: [rows], scalars: result), parents: [self]) { g in
            var gradient = [Float](repeating: 0, count: z.count)
            for (row, target) in targets.enumerated() {
                let start = row * vocabulary
                let gRow = g.scalars[row]
                for j in 0..<vocabulary { gradient[start + j] = -probabilities[start + j] * gRow }
                gradient[start + target] += gRow
            }
            return [Tensor(validatedShape: logitsShape, scalars: gradient)]
        }
    }

    /// PPO's clipped surrogate objective (Schulman et al. 2017), negated so that it is a loss to
    /// minimise, averaged over the `[N]` tokens of this variable, which holds log π_θ(a_t):
    ///
    ///     ratio_t = exp(log π_θ(a_t) − log π_old(a_t))
    ///     loss    = −mean_t min(ratio_t · A_t, clip(ratio_t, 1 − ε, 1 + ε) · A_t)
    ///
    /// Where the clipped term is the smaller one the token gets no gradient: the update has
    /// already moved its probability far enough in the advantage's direction.
    public func clippedSurrogateLoss(oldLogProbabilities: [Float], advantages: [Float], clip: Float) throws -> Variable {
        let n = value.count
        guard value.rank == 1, oldLogProbabilities.count == n, advantages.count == n, n > 0 else {
            throw TensorError.invalidShape(operation: "clippedSurrogateLoss", shape: shape,
                                           reason: "give one old log-probability and one advantage per token (\(n) tokens, \(oldLogProbabilities.count) and \(advantages.count) given)")
        }
        var total = 0.0
        var slopes = [Float](repeating: 0, count: n)
        for t in 0..<n {
            let ratio = Float(exp(Double(value.scalars[t]) - Double(oldLogProbabilities[t])))
            let term = clippedSurrogate(ratio: ratio, advantage: advantages[t], clip: clip)
            total += Double(term.value)
            // d(term)/d(log π) = d(term)/d(ratio) · ratio.
            slopes[t] = term.slope * ratio
        }
        let loss = Float(-total / Double(n))
        return Variable(Tensor(validatedShape: [], scalars: [loss]), parents: [self]) { g in
            let scale = -g.scalars[0] / Float(n)
            return [Tensor(validatedShape: [n], scalars: slopes.map { $0 * scale })]
        }
    }
}

/// One token's term of PPO's objective, min(r·A, clip(r, 1 − ε, 1 + ε)·A), and its slope with
/// respect to the ratio r: A where the unclipped term is the minimum, 0 where the clipped
/// (constant) one is.
public func clippedSurrogate(ratio: Float, advantage: Float, clip: Float) -> (value: Float, slope: Float) {
    let unclipped = ratio * advantage
    let clipped = Swift.min(Swift.max(ratio, 1 - clip), 1 + clip) * advantage
    return unclipped <= clipped ? (unclipped, advantage) : (clipped, 0)
}
