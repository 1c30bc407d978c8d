#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TensorCore

// Every op with a backward, checked against central finite differences (see GradientCheckSupport.swift).

@Suite("Gradient checks: arithmetic and shapes")
struct ArithmeticGradientTests {
    /// Pairs of shapes that broadcast: equal, a trailing row, a column, both stretched,
    /// a leading batch axis, and a single scalar.
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([3, 1], [1, 4]), ([2, 3], [2, 2, 3]), ([2, 3], [1]), ([2, 3], [1, 1, 1]), ([1, 1], [2, 3]),
    ]

    @Test("add", arguments: shapePairs)
    func add(shapes: ([Int], [Int])) throws {
        try checkGradients([randomTensor(shapes.0, seed: 1), randomTensor(shapes.1, seed: 2)]) { try $0[0] + $0[1] }
    }

    @Test("subtract", arguments: shapePairs)
    func subtract(shapes: ([Int], [Int])) throws {
        try checkGradients([randomTensor(shapes.0, seed: 3), randomTensor(shapes.1, seed: 4)]) { try $0[0] - $0[1] }
    }

    @Test("multiply", arguments: shapePairs)
    func multiply(shapes: ([Int], [Int])) throws {
        try checkGradients([randomTensor(shapes.0, seed: 5), randomTensor(shapes.1, seed: 6)]) { try $0[0] * $0[1] }
    }

    @Test("divide (denominators kept away from 0)", arguments: shapePairs)
    func divide(shapes: ([Int], [Int])) throws {
        let denominator = randomTensor(shapes.1, seed: 8).map { 1 + abs($0) }
        try checkGradients([randomTensor(shapes.0, seed: 7), denominator]) { try $0[0] / $0[1] }
    }

    @Test("a broadcast operand's gradient is the sum over the stretched axes")
    func broadcastSumsByHand() throws {
        let x = Variable(try Tensor([[1, 2, 3], [4, 5, 6]]))
        let bias = Variable(Tensor([10, 20, 30]))
        try (try x + bias).sum().backward()
        // Each bias scalar was used by both rows: gradient 2 each.
        #expect(bias.gradient == Tensor([2, 2, 2]))
        #expect(x.gradient == Tensor.ones([2, 3]))
    }

    @Test("scalar multiply, adding a constant, negation")
    func scalarOps() throws {
        let x = randomTensor([2, 3], seed: 9)
        try checkGradients([x]) { $0[0] * 0.37 }
        try checkGradients([x]) { 2.5 * $0[0] }
        try checkGradients([x]) { $0[0] + 4 }
        try checkGradients([x]) { $0[0] - 4 }
        try checkGradients([x]) { $0[0] / 3 }
        try checkGradients([x]) { -$0[0] }
    }

    @Test("matmul [m,k]x[k,n], batched, and shared right matrix",
          arguments: [([3, 4], [4, 5]), ([2, 3, 4], [2, 4, 5]), ([2, 3, 4], [4, 5]), ([2, 2, 3, 4], [2, 2, 4, 2])])
    func matmul(shapes: ([Int], [Int])) throws {
        try checkGradients([randomTensor(shapes.0, seed: 10), randomTensor(shapes.1, seed: 11)]) {
            try $0[0].matmul($0[1])
        }
    }

    @Test("transposed, reshaped, splitHeads, mergeHeads")
    func shapes() throws {
        let x = randomTensor([2, 3, 4], seed: 12)
        try checkGradients([x]) { try $0[0].transposed() }
        try checkGradients([x]) { try $0[0].reshaped([4, -1]) }
        try checkGradients([x]) { try $0[0].splitHeads(2) }
        try checkGradients([randomTensor([2, 2, 3, 2], seed: 13)]) { try $0[0].mergeHeads() }
        // Weights applied after the reshuffle make the order matter: a wrong inverse would fail.
        try checkGradients([x, randomTensor([3, 2], seed: 14)]) {
            try $0[0].splitHeads(2).transposed().matmul($0[1])
        }
    }

    @Test("slice and concatenate")
    func sliceAndConcatenate() throws {
        let x = randomTensor([3, 5], seed: 15)
        try checkGradients([x]) { try $0[0].slice(axis: -1, range: 1..<4) }
        try checkGradients([x]) { try $0[0].slice(axis: 0, range: 2..<3) }
        try checkGradients([x, randomTensor([3, 2], seed: 16), randomTensor([3, 1], seed: 17)]) {
            try Variable.concatenate($0, axis: 1)
        }
        try checkGradients([x, randomTensor([1, 5], seed: 18)]) { try Variable.concatenate($0, axis: 0) }
    }

    @Test("sum and mean over an axis and over everything")
    func reductions() throws {
        let x = randomTensor([2, 3, 4], seed: 19)
        for axis in [0, 1, -1] {
            try checkGradients([x], "sum axis \(axis)") { try $0[0].sum(axis: axis) }
            try checkGradients([x], "mean axis \(axis)") { try $0[0].mean(axis: axis) }
        }
        try checkGradients([x]) { $0[0].sum() }
        try checkGradients([x]) { $0[0].mean() }
        #expect(throws: TensorError.self) { try Variable(Tensor.zeros([2, 0])).mean(axis: 1) }
        #expect(Variable(x).sum().shape == [])
    }
}

@Suite("Gradient checks: neural-network ops")
struct NeuralGradientTests {
    @Test("softmax over the last axis")
    func softmax() throws {
        try checkGradients([randomTensor([3, 5], seed: 20, standardDeviation: 2)]) { $0[0].softmax() }
        try checkGradients([randomTensor([2, 2, 4], seed: 21)]) { $0[0].softmax() }
    }

    @Test("softmax with -inf entries and a fully masked row: zero gradient there, no NaN")
    func maskedSoftmax() throws {
        let inf = Float.infinity
        let x = try Tensor([[0.3, -inf, 1.2, -0.5],
                            [-inf, -inf, -inf, -inf],
                            [2.0, 0.1, -inf, -1.0]])
        try checkGradients([x]) { $0[0].softmax() }
        let v = Variable(x)
        try (v.softmax() * Variable(randomTensor([3, 4], seed: 22))).sum().backward()
        let gradient = try #require(v.gradient)
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
        #expect(gradient.row(1) == [0, 0, 0, 0])
        #expect(gradient[0, 1] == 0 && gradient[2, 2] == 0)
        #expect(gradient[0, 0] != 0)
    }

    @Test("maskedFill then softmax (causal mask, one fully masked row)")
    func maskedFillThenSoftmax() throws {
        // 1 = hidden. Row 3 is fully masked.
        let mask = try Tensor([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [1, 1, 1, 1]])
        let x = randomTensor([2, 4, 4], seed: 23)
        try checkGradients([x]) { try $0[0].maskedFill(mask, with: -.infinity).softmax() }
        try checkGradients([x]) { try $0[0].maskedFill(mask, with: 0.5) }
        // Filled positions get exactly zero gradient.
        let filled = Variable(x)
        try filled.maskedFill(mask, with: 0.5).sum().backward()
        #expect(filled.gradient == (try mask.broadcast(to: [2, 4, 4])).map { 1 - $0 })
        let v = Variable(x)
        try (try v.maskedFill(mask, with: -.infinity).softmax() * Variable(randomTensor([2, 4, 4], seed: 24)))
            .sum().backward()
        let gradient = try #require(v.gradient)
        #expect(gradient.scalars.allSatisfy { $0.isFinite })
        for b in 0..<2 { for j in 0..<4 { #expect(gradient[b, 3, j] == 0) } }
        #expect(gradient[0, 0, 1] == 0 && gradient[1, 2, 3] == 0)
    }

    @Test("layer norm with respect to input, gamma and beta")
    func layerNorm() throws {
        let x = randomTensor([2, 3, 5], seed: 25, standardDeviation: 2)
        let gamma = randomTensor([5], seed: 26).map { 1 + 0.5 * $0 }
        let beta = randomTensor([5], seed: 27)
        try checkGradients([x, gamma, beta]) { try $0[0].layerNorm(gamma: $0[1], beta: $0[2]) }
    }

    @Test("GELU (exact) and ReLU")
    func activations() throws {
        let x = awayFromZero(randomTensor([3, 4], seed: 28, standardDeviation: 2))
        try checkGradients([x]) { $0[0].gelu() }
        try checkGradients([x]) { $0[0].relu() }
        // ReLU's gradient is exactly 0 or the incoming gradient.
        let v = Variable(x)
        try v.relu().sum().backward()
        #expect(v.gradient?.scalars == x.scalars.map { $0 > 0 ? 1 : 0 })
    }

    @Test("embedding lookup with repeated ids accumulates")
    func embedding() throws {
        let table = randomTensor([5, 3], seed: 29)
        let ids = [2, 0, 2, 4, 2]
        try checkGradients([table]) { try $0[0].gatherRows(ids) }
        let v = Variable(table)
        let upstream = randomTensor([5, 3], seed: 30)
        try (try v.gatherRows(ids) * Variable(upstream)).sum().backward()
        let gradient = try #require(v.gradient)
        // Row 2 was used three times (positions 0, 2, 4): its gradient is their sum.
        for j in 0..<3 {
            #expect(abs(gradient[2, j] - (upstream[0, j] + upstream[2, j] + upstream[4, j])) <= 1e-6)
            #expect(gradient[1, j] == 0 && gradient[3, j] == 0)
        }
        #expect(throws: TensorError.self) { try v.gatherRows([5]) }
    }

    /// softmax(mask(Q·Kᵀ/√d_h))·V over 2 heads with a causal and a padding mask, then W_O.
    static func attention(_ p: [Variable], mask: Tensor) throws -> Variable {
        let (x, wq, wk, wv, wo) = (p[0], p[1], p[2], p[3], p[4])
        let q = try x.matmul(wq).splitHeads(2)           // [B, h, T, dh]
        let k = try x.matmul(wk).splitHeads(2)
        let v = try x.matmul(wv).splitHeads(2)
        let scores = try q.matmul(k.transposed()) * (1 / Float(2).squareRoot())   // dh = 2
        let weights = try scores.maskedFill(mask, with: -.infinity).softmax()
        return try weights.matmul(v).mergeHeads().matmul(wo)
    }

    /// [B, 1, T, T]: causal, and in batch 1 the last key is padding.
    static func attentionMask() throws -> Tensor {
        var scalars: [Float] = []
        for b in 0..<2 {
            for i in 0..<3 {
                for j in 0..<3 { scalars.append(j > i || (b == 1 && j == 2) ? 1 : 0) }
            }
        }
        return try Tensor(shape: [2, 1, 3, 3], scalars: scalars)
    }

    static func attentionInputs() -> [Tensor] {
        [randomTensor([2, 3, 4], seed: 31)] + (32...35).map { randomTensor([4, 4], seed: UInt64($0), standardDeviation: 0.7) }
    }

    @Test("masked multi-head scaled-dot-product attention built from the ops")
    func attention() throws {
        let mask = try Self.attentionMask()
        try checkGradients(Self.attentionInputs()) { try Self.attention($0, mask: mask) }
    }

    @Test("the same inputs give bit-identical gradients")
    func deterministic() throws {
        let mask = try Self.attentionMask()
        func gradients() throws -> [Tensor?] {
            let p = Self.attentionInputs().map { Variable($0) }
            try Self.attention(p, mask: mask).mean().backward()
            return p.map(\.gradient)
        }
        let first = try gradients(), second = try gradients()
        #expect(first == second)
        #expect(first.allSatisfy { $0 != nil })
    }

    @Test("cross-entropy with ignored rows")
    func crossEntropy() throws {
        let logits = randomTensor([5, 4], seed: 36, standardDeviation: 2)
        let targets = [1, -100, 3, 0, -100]
        try checkGradients([logits]) { try $0[0].crossEntropy(targets: targets) }
        let v = Variable(logits)
        try v.crossEntropy(targets: targets).backward()
        let gradient = try #require(v.gradient)
        #expect(gradient.row(1) == [0, 0, 0, 0] && gradient.row(4) == [0, 0, 0, 0])
        // Each counted row's gradient p − onehot sums to 0.
        #expect(abs(gradient.row(0).reduce(0, +)) <= 1e-6)
    }

    @Test("cross-entropy with label smoothing and a custom ignore index")
    func crossEntropySmoothed() throws {
        let logits = randomTensor([4, 5], seed: 37, standardDeviation: 2)
        try checkGradients([logits]) { try $0[0].crossEntropy(targets: [4, 0, 0, 2], labelSmoothing: 0.1) }
        try checkGradients([logits]) {
            try $0[0].crossEntropy(targets: [4, 0, 1, 2], ignoreIndex: 0, labelSmoothing: 0.2)
        }
    }
}
