#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TensorCore

// Shared helpers: naive reference implementations on plain [Float], and tolerant comparison.
// The references are written as directly as possible (plain loops, multi-indices, Double
// accumulation) so that they are obviously right, not fast.

/// The sizes the kernel tests draw from: 1, vector-width neighbours (15, 16, 17, 31, 33) and
/// sizes that leave remainders for every block (7, 65, 130).
let awkwardSizes = [1, 3, 7, 15, 16, 17, 31, 33, 65, 130]

/// Fails the test unless `actual` and `expected` have the same length and every pair is within
/// `relativeTolerance · max(|expected|, 1)`; reports the worst index, not hundreds of failures.
func expectClose(_ actual: [Float], _ expected: [Float], relativeTolerance: Float = 1e-4,
                 _ comment: @autoclosure () -> String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "count \(actual.count) != \(expected.count) \(comment())",
            sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = (index: -1, excess: Float(0))
    for i in actual.indices {
        let allowed = relativeTolerance * max(abs(expected[i]), 1)
        let error = abs(actual[i] - expected[i])
        // `!(error <= allowed)` also catches NaN.
        if !(error <= allowed) && (worst.index < 0 || error - allowed > worst.excess) {
            worst = (i, error - allowed)
        }
    }
    if worst.index >= 0 {
        let i = worst.index
        Issue.record("index \(i): got \(actual[i]), expected \(expected[i]) \(comment())",
                     sourceLocation: sourceLocation)
    }
}

/// Same, for whole tensors: the shapes must be equal too.
func expectClose(_ actual: Tensor, _ expected: Tensor, relativeTolerance: Float = 1e-4,
                 _ comment: @autoclosure () -> String = "",
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(comment())", sourceLocation: sourceLocation)
    expectClose(actual.scalars, expected.scalars, relativeTolerance: relativeTolerance, comment(),
                sourceLocation: sourceLocation)
}

/// A uniformly drawn Int in 0..<bound from our own generator (so test data is reproducible).
func draw(_ bound: Int, _ rng: inout SeededGenerator) -> Int {
    Int(rng.next() % UInt64(bound))
}

/// A random shape of the given rank with each dimension in 1...maxDimension.
func randomShape(rank: Int, maxDimension: Int = 6, _ rng: inout SeededGenerator) -> [Int] {
    (0..<rank).map { _ in 1 + draw(maxDimension, &rng) }
}

// MARK: Multi-index arithmetic for the references

/// The multi-index of flat position `flat` in a row-major tensor of `shape`.
func multiIndex(_ flat: Int, in shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

/// The flat position of `index` in a row-major tensor of `shape`.
func flatIndex(_ index: [Int], in shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
}

// MARK: Reference implementations

/// C = A·B by the textbook triple loop, accumulating in Double.
func referenceMatmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                sum += Double(a[i * k + p]) * Double(b[p * n + j])
            }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}

/// Softmax of one row in Double, the textbook way (only for finite rows).
func referenceSoftmax(_ row: [Float]) -> [Float] {
    let top = Double(row.max() ?? 0)
    let exps = row.map { exp(Double($0) - top) }
    let total = exps.reduce(0, +)
    return exps.map { Float($0 / total) }
}
