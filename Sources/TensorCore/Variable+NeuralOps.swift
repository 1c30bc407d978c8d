#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The differentiable versions of the Transformer's row-wise operations, the activations,
// the embedding lookup and the cross-entropy loss. Each records the derivative of its own
// formula; the comments give the formula.

extension Variable {
    /// Softmax over the last axis (`Tensor.softmax`, including its -inf handling).
    ///
    /// With y = softmax(x) on one row, dy_i/dx_j = y_i (δ_ij − y_j), so
    ///     dx_j = y_j · (g_j − Σ_i g_i y_i).
    /// A masked position has y_j = 0 and so gets exactly 0; a fully masked row is all zeros
    /// and gets all zeros (no NaN), because the formula only multiplies by y.
    public func softmax() -> Variable {
        let y = value.softmax()
        return Variable(y, parents: [self]) { g in
            let width = y.shape.last ?? 1
            var result = [Float](repeating: 0, count: y.count)
            guard width > 0 else { return [Tensor(validatedShape: y.shape, scalars: result)] }
            for start in Swift.stride(from: 0, to: y.count, by: width) {
                var dot: Float = 0
                for j in start..<(start + width) where y.scalars[j] != 0 { dot += g.scalars[j] * y.scalars[j] }
                for j in start..<(start + width) where y.scalars[j] != 0 {
                    result[j] = y.scalars[j] * (g.scalars[j] - dot)
                }
            }
            return [Tensor(validatedShape: y.shape, scalars: result)]
        }
    }

    /// `value` wherever `mask` is non-zero (`Tensor.maskedFill`). The filled positions no
    /// longer depend on the input, so their gradient is 0; elsewhere it passes through.
    public func maskedFill(_ mask: Tensor, with fill: Float) throws -> Variable {
        Variable(try value.maskedFill(mask, with: fill), parents: [self]) { g in
            [try g.maskedFill(mask, with: 0)]
        }
    }

    /// max(0, x): the gradient passes where x > 0 and is 0 elsewhere (0 at x = 0, as PyTorch).
    public func relu() -> Variable {
        let x = value
        return Variable(x.relu(), parents: [self]) { g in
            [Tensor(validatedShape: x.shape, scalars: zip(g.scalars, x.scalars).map { $1 > 0 ? $0 : 0 })]
        }
    }

    /// GELU, exact form: gelu(x) = x·Φ(x) with Φ the standard normal CDF, so
    ///     gelu'(x) = Φ(x) + x·φ(x),   Φ(x) = ½(1 + erf(x/√2)),   φ(x) = exp(−x²/2)/√(2π).
    public func gelu() -> Variable {
        let x = value
        return Variable(x.gelu(), parents: [self]) { g in
            let inverseSquareRootOfTwo = Float(0.70710678118654752)
            let inverseSquareRootOfTwoPi = Float(0.39894228040143268)
            let derivative = x.scalars.map { x in
                // The same erf as the forward pass (Tensor.erf), so value and slope agree.
                0.5 * (1 + Tensor.erf(SIMD2(repeating: x * inverseSquareRootOfTwo))[0])
                    + x * inverseSquareRootOfTwoPi * exp(-0.5 * x * x)
            }
            return [Tensor(validatedShape: x.shape, scalars: zip(g.scalars, derivative).map { $0 * $1 })]
        }
    }

    /// Layer normalisation over the last axis with learned `gamma` and `beta` of shape [d]
    /// (`Tensor.layerNorm`). Per row, with r = 1/√(var + ε) and x̂ = (x − mean)·r:
    ///
    ///     y = x̂·γ + β
    ///     dβ = Σ_rows g,   dγ = Σ_rows g·x̂
    ///     dx̂ = g·γ
    ///     dx = r/d · (d·dx̂ − Σ_j dx̂_j − x̂·Σ_j dx̂_j x̂_j)
    ///
    /// (the last line is dx̂ minus its mean and minus its projection on x̂, scaled by r: the
    /// mean and the variance both depend on every x of the row).
    public func layerNorm(gamma: Variable, beta: Variable, epsilon: Float = 1e-5) throws -> Variable {
        let x = value, gammaValue = gamma.value
        let y = try x.layerNorm(gamma: gammaValue, beta: beta.value, epsilon: epsilon)
        return Variable(y, parents: [self, gamma, beta]) { g in
            let width = x.shape.last ?? 1
            let d = Float(width)
            var dx = [Float](repeating: 0, count: x.count)
            var dGamma = [Float](repeating: 0, count: width)
            var dBeta = [Float](repeating: 0, count: width)
            var normalized = [Float](repeating: 0, count: width)
            var dNormalized = [Float](repeating: 0, count: width)
            for start in Swift.stride(from: 0, to: x.count, by: Swift.max(width, 1)) {
                // Recompute mean and r exactly as the forward pass did.
                var total: Float = 0
                for j in 0..<width { total += x.scalars[start + j] }
                let mean = total / d
                var squares: Float = 0
                for j in 0..<width {
                    let deviation = x.scalars[start + j] - mean
                    squares += deviation * deviation
                }
                let r = 1 / (squares / d + epsilon).squareRoot()
                var sumD: Float = 0, sumDX: Float = 0
                for j in 0..<width {
                    let gj = g.scalars[start + j]
                    normalized[j] = (x.scalars[start + j] - mean) * r
                    dNormalized[j] = gj * gammaValue.scalars[j]
                    dBeta[j] += gj
                    dGamma[j] += gj * normalized[j]
                    sumD += dNormalized[j]
                    sumDX += dNormalized[j] * normalized[j]
                }
                for j in 0..<width {
                    dx[start + j] = r / d * (d * dNormalized[j] - sumD - normalized[j] * sumDX)
                }
            }
            return [Tensor(validatedShape: x.shape, scalars: dx),
                    Tensor(validatedShape: [width], scalars: dGamma),
                    Tensor(validatedShape: [width], scalars: dBeta)]
        }
    }

    /// Embedding lookup: row `ids[i]` of this `[vocabulary, d]` table becomes row i of the
    /// `[ids.count, d]` result. Backward scatters each result row's gradient back into the
    /// row it came from, adding up when an id occurs more than once.
    public func gatherRows(_ ids: [Int]) throws -> Variable {
        guard value.rank == 2 else {
            throw TensorError.invalidShape(operation: "gatherRows", shape: shape,
                                           reason: "the embedding table must have rank 2 ([vocabulary, d])")
        }
        let rows = shape[0], width = shape[1]
        if let bad = ids.first(where: { $0 < 0 || $0 >= rows }) {
            throw TensorError.invalidShape(operation: "gatherRows", shape: shape,
                                           reason: "id \(bad) is outside 0..<\(rows)")
        }
        var result: [Float] = []
        result.reserveCapacity(ids.count * width)
        for id in ids { result.append(contentsOf: value.scalars[(id * width)..<((id + 1) * width)]) }
        let tableShape = shape
        return Variable(Tensor(validatedShape: [ids.count, width], scalars: result), parents: [self]) { g in
            var table = [Float](repeating: 0, count: tableShape[0] * width)
            for (i, id) in ids.enumerated() {
                for j in 0..<width { table[id * width + j] += g.scalars[i * width + j] }
            }
            return [Tensor(validatedShape: tableShape, scalars: table)]
        }
    }

    /// Mean cross-entropy of `[N, V]` logits against integer `targets` (one per row), as
    /// `torch.nn.functional.cross_entropy`:
    ///
    /// - Rows whose target is `ignoreIndex` (-100 by default, e.g. padding) add nothing to the
    ///   loss or to the gradient; the mean is over the other rows. If every row is ignored the
    ///   loss is 0 with zero gradient (PyTorch gives NaN there).
    /// - With label smoothing ε the target distribution is q = (1 − ε)·one-hot + ε/V.
    ///
    /// Per row, with p = softmax(z) and log p_j = z_j − logsumexp(z):
    ///     loss = −Σ_j q_j log p_j,      d loss / dz_j = p_j − q_j,
    /// and the mean divides both by the number of rows that count.
    public func crossEntropy(targets: [Int], ignoreIndex: Int = -100,
                             labelSmoothing: Float = 0) throws -> Variable {
        let operation = "crossEntropy"
        guard value.rank == 2 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "logits must have rank 2 ([N, V])")
        }
        let rows = shape[0], vocabulary = shape[1]
        guard targets.count == rows else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "\(targets.count) targets for \(rows) rows")
        }
        if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || $0 >= vocabulary) }) {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "target \(bad) is outside 0..<\(vocabulary) and is not ignoreIndex \(ignoreIndex)")
        }
        guard labelSmoothing >= 0, labelSmoothing <= 1 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "label smoothing \(labelSmoothing) is outside 0...1")
        }
        let counted = targets.filter { $0 != ignoreIndex }.count
        let z = value.scalars
        let epsilon = Double(labelSmoothing)
        let uniform = epsilon / Double(vocabulary)

        // Forward in Double: log-sum-exp with the row maximum subtracted.
        var probabilities = [Float](repeating: 0, count: z.count)
        var total = 0.0
        for (row, target) in targets.enumerated() where target != ignoreIndex {
            let start = row * vocabulary
            var top = -Double.infinity
            for j in 0..<vocabulary { top = Swift.max(top, Double(z[start + j])) }
            var sumExp = 0.0
            for j in 0..<vocabulary { sumExp += exp(Double(z[start + j]) - top) }
            let logSumExp = top + log(sumExp)
            var rowLoss = 0.0
            for j in 0..<vocabulary {
                let logP = Double(z[start + j]) - logSumExp
                probabilities[start + j] = Float(exp(logP))
                let q = (j == target ? 1 - epsilon : 0) + uniform
                if q != 0 { rowLoss -= q * logP }
            }
            total += rowLoss
        }
        let loss = counted == 0 ? 0 : Float(total / Double(counted))

        let logitsShape = shape
        return Variable(Tensor(validatedShape: [], scalars: [loss]), parents: [self]) { g in
            var gradient = [Float](repeating: 0, count: z.count)
            guard counted > 0 else { return [Tensor(validatedShape: logitsShape, scalars: gradient)] }
            let scale = g.scalars[0] / Float(counted)
            for (row, target) in targets.enumerated() where target != ignoreIndex {
                let start = row * vocabulary
                for j in 0..<vocabulary {
                    let q = Float((j == target ? 1 - epsilon : 0) + uniform)
                    gradient[start + j] = (probabilities[start + j] - q) * scale
                }
            }
            return [Tensor(validatedShape: logitsShape, scalars: gradient)]
        }
    }
}
