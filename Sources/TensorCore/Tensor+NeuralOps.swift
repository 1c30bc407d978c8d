#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The row-wise operations a Transformer layer is made of: softmax, masking, layer norm.
// Each works on the last axis, treating everything before it as a batch of rows.

extension Tensor {
    /// The length of the last axis: the "row" the row-wise operations work on.
    /// A rank-0 tensor is one row of one scalar.
    private var rowWidth: Int { shape.last ?? 1 }

    /// Softmax over the last axis: each row becomes exp(x) / Σ exp(x), non-negative, summing to 1.
    ///
    /// Edge cases, chosen so that masked attention never produces NaN:
    /// - The row's maximum is subtracted first. Mathematically nothing changes, but exp never
    ///   overflows (the largest exponent is 0) and logits like ±1e4 stay finite.
    /// - A -inf entry (a masked position) gets exactly 0.
    /// - A row that is entirely -inf (every position masked) gives all zeros instead of 0/0.
    /// - If some entries are +inf, they share the whole mass equally and the rest get 0: the
    ///   limit of softmax as those logits grow, instead of the NaN that inf - inf would give.
    /// - A NaN anywhere in a row makes the whole row NaN, so the bug is visible, not hidden.
    public func softmax() -> Tensor {
        let width = rowWidth
        guard width > 0 else { return self }
        var result = scalars
        for start in Swift.stride(from: 0, to: count, by: width) {
            let row = start..<(start + width)
            var rowMax = -Float.infinity
            var hasNaN = false
            for j in row {
                let x = scalars[j]
                if x.isNaN { hasNaN = true }
                if x > rowMax { rowMax = x }
            }
            if hasNaN {
                for j in row { result[j] = .nan }
            } else if rowMax == -.infinity {
                for j in row { result[j] = 0 }
            } else if rowMax == .infinity {
                let winners = Float(row.filter { scalars[$0] == .infinity }.count)
                for j in row { result[j] = scalars[j] == .infinity ? 1 / winners : 0 }
            } else {
                var total: Float = 0
                for j in row {
                    let e = exp(scalars[j] - rowMax)   // exp(-inf) is exactly 0
                    result[j] = e
                    total += e
                }
                // total >= 1, because the maximum contributes exp(0) = 1.
                for j in row { result[j] /= total }
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }

    /// A copy with `value` wherever `mask` is non-zero.
    ///
    /// The mask must broadcast to this tensor's shape (NumPy's rule, see Tensor+Elementwise.swift)
    /// without enlarging it: a [T, T] causal mask applies to every head and batch of a
    /// [B, h, T, T] score tensor, and a [B, 1, 1, T_k] padding mask hides the same keys from
    /// every head and every query of its own sequence.
    /// Typical use: `scores.maskedFill(causalMask, with: -.infinity).softmax()`.
    public func maskedFill(_ mask: Tensor, with value: Float) throws -> Tensor {
        guard Tensor.broadcastShape(shape, mask.shape) == shape else {
            throw TensorError.shapeMismatch(operation: "maskedFill", lhs: shape, rhs: mask.shape)
        }
        guard count > 0 else { return self }
        var result = scalars
        if mask.rank <= rank, Array(shape.suffix(mask.rank)) == mask.shape || mask.count == 1 {
            // The common case, a suffix-shaped mask: it repeats as one block every mask.count scalars.
            let period = mask.count
            for start in Swift.stride(from: 0, to: count, by: period) {
                for j in 0..<period where mask.scalars[j] != 0 {
                    result[start + j] = value
                }
            }
        } else {
            let full = try mask.broadcast(to: shape)   // e.g. (B, 1, 1, T) -> (B, h, T, T)
            for i in 0..<count where full.scalars[i] != 0 {
                result[i] = value
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }

    /// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016), as `torch.nn.LayerNorm`:
    ///
    ///     y = (x - mean) / sqrt(variance + epsilon) * gamma + beta
    ///
    /// with the biased variance (divide by d, not d - 1). `gamma` and `beta` have shape [d].
    public func layerNorm(gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        guard rank >= 1 else {
            throw TensorError.invalidShape(operation: "layerNorm", shape: shape,
                                           reason: "needs rank 1 or more (it normalises the last axis)")
        }
        let width = rowWidth
        for parameter in [gamma, beta] where parameter.shape != [width] {
            throw TensorError.shapeMismatch(operation: "layerNorm", lhs: shape, rhs: parameter.shape)
        }
        guard count > 0, width > 0 else { return self }

        var result = scalars
        let d = Float(width)
        for start in Swift.stride(from: 0, to: count, by: width) {
            let row = start..<(start + width)
            var total: Float = 0
            for j in row { total += scalars[j] }
            let mean = total / d
            // Two passes (mean first, then squared deviations) avoid the cancellation of
            // E[x²] - E[x]², which loses everything when the mean is large.
            var squares: Float = 0
            for j in row {
                let deviation = scalars[j] - mean
                squares += deviation * deviation
            }
            let inverseStandardDeviation = 1 / (squares / d + epsilon).squareRoot()
            for (feature, j) in row.enumerated() {
                let normalized = (scalars[j] - mean) * inverseStandardDeviation
                result[j] = normalized * gamma.scalars[feature] + beta.scalars[feature]
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }
}
