import Testing
import TensorCore

// Gradient checking against central finite differences.
//
// The scalar loss is a fixed random projection of the op's output, L = Σ y ⊙ W, so every
// output scalar matters. For each input scalar x_i the numeric derivative is
//     (L(x_i + h) − L(x_i − h)) / (2h)
// with the forward pass run in Float (the real code) and L summed in Double. With h = 1e-2
// the truncation error is h²·f'''/6, about 2e-5 relative for these smooth functions, and the
// Float rounding of L (≈ 1e-6 for a few dozen terms), divided by 2h, is about 5e-5. So a
// relative tolerance of 2e-3 plus an absolute floor of 2e-4 (for gradients near zero) is
// honest for Float and still catches a gradient that is off by even 1%.

/// Checks the gradients of `build` with respect to every input against finite differences.
/// Inputs that are ±inf are not perturbed; their analytic gradient must be exactly 0.
func checkGradients(_ inputs: [Tensor], seed: UInt64 = 99, step h: Float = 1e-2,
                    relativeTolerance: Double = 2e-3, absoluteTolerance: Double = 2e-4,
                    _ comment: String = "",
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ build: ([Variable]) throws -> Variable) throws {
    let variables = inputs.map { Variable($0) }
    let output = try build(variables)
    var rng = SeededGenerator(seed: seed)
    let weights = Tensor.randomNormal(output.shape, using: &rng)
    let loss = try (output * Variable(weights)).sum()
    try loss.backward()

    func projectedLoss(_ perturbed: [Tensor]) throws -> Double {
        let y = try build(perturbed.map { Variable($0) }).value
        var total = 0.0
        for (a, b) in zip(y.scalars, weights.scalars) { total += Double(a) * Double(b) }
        return total
    }

    for (k, input) in inputs.enumerated() {
        let gradient = try #require(variables[k].gradient, "input \(k) got no gradient \(comment)",
                                    sourceLocation: sourceLocation)
        #expect(gradient.shape == input.shape, "input \(k) \(comment)", sourceLocation: sourceLocation)
        var worst: (index: Int, analytic: Double, numeric: Double)?
        var worstExcess = 0.0
        for i in 0..<input.count {
            let analytic = Double(gradient.scalars[i])
            let x = input.scalars[i]
            let numeric: Double
            if x.isInfinite {
                numeric = 0
            } else {
                var plus = input.scalars, minus = input.scalars
                plus[i] = x + h
                minus[i] = x - h
                var inputsPlus = inputs, inputsMinus = inputs
                inputsPlus[k] = try Tensor(shape: input.shape, scalars: plus)
                inputsMinus[k] = try Tensor(shape: input.shape, scalars: minus)
                // Divide by the step actually taken after Float rounding.
                numeric = (try projectedLoss(inputsPlus) - projectedLoss(inputsMinus))
                    / (Double(plus[i]) - Double(minus[i]))
            }
            let allowed = relativeTolerance * max(abs(numeric), abs(analytic)) + absoluteTolerance
            let error = abs(analytic - numeric)
            if !(error <= allowed), worst == nil || error - allowed > worstExcess {
                worst = (i, analytic, numeric)
                worstExcess = error - allowed
            }
        }
        if let worst {
            Issue.record("input \(k), scalar \(worst.index): analytic \(worst.analytic), numeric \(worst.numeric) \(comment)",
                         sourceLocation: sourceLocation)
        }
    }
}

/// A random tensor from a fixed seed.
func randomTensor(_ shape: [Int], seed: UInt64, standardDeviation: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, standardDeviation: standardDeviation, using: &rng)
}

/// Random values kept at least `margin` away from zero (for ReLU, whose kink is at 0, and
/// for denominators).
func awayFromZero(_ t: Tensor, margin: Float = 0.1) -> Tensor {
    t.map { abs($0) < margin ? ($0 < 0 ? $0 - margin : $0 + margin) : $0 }
}
