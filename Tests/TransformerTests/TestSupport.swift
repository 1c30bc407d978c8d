import Testing
import TensorCore
@testable import Transformer

/// Fails unless the shapes are equal and every pair of scalars is within `tolerance`;
/// reports the worst index instead of one failure per scalar.
func expectAllClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float,
                    _ comment: @autoclosure () -> String = "",
                    sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "shape \(actual.shape) != \(expected.shape) \(comment())",
            sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    var worst: (index: Int, error: Float)?
    for i in actual.scalars.indices {
        let error = abs(actual.scalars[i] - expected.scalars[i])
        // `!(error <= tolerance)` also catches NaN.
        if !(error <= tolerance), worst == nil || error > worst!.error {
            worst = (i, error.isNaN ? .infinity : error)
        }
    }
    if let worst {
        let got = actual.scalars[worst.index], want = expected.scalars[worst.index]
        Issue.record("scalar \(worst.index): got \(got), expected \(want) \(comment())",
                     sourceLocation: sourceLocation)
    }
}

/// Row `row` of matrix `index` in a tensor [..., T_q, T_k], as an array (test convenience).
func weightRow(_ weights: Tensor, _ prefix: [Int], row: Int) -> [Float] {
    let columns = weights.shape[weights.rank - 1]
    let rows = weights.shape[weights.rank - 2]
    var flat = 0
    for (axis, index) in prefix.enumerated() { flat = flat * weights.shape[axis] + index }
    let start = (flat * rows + row) * columns
    return Array(weights.scalars[start..<(start + columns)])
}

/// A tensor with scalars drawn from N(0, 1) by a fresh generator.
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.randomNormal(shape, using: &generator)
}
