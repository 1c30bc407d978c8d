import Testing
import TensorCore

@Suite("Softmax")
struct SoftmaxTests {
    @Test("softmax([1, 2, 3]) by hand")
    func handExample() {
        let s = Tensor([1, 2, 3]).softmax().scalars
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096]
        for (got, want) in zip(s, expected) {
            #expect(abs(got - want) <= 1e-6, "got \(got), expected \(want)")
        }
    }

    @Test("every row sums to 1 and matches the Double reference", arguments: [[1, 1], [5, 17], [2, 3, 33], [4]])
    func rowsSumToOne(shape: [Int]) {
        var rng = SeededGenerator(seed: 31)
        let x = Tensor.randomNormal(shape, standardDeviation: 3, using: &rng)
        let s = x.softmax()
        #expect(s.shape == shape)
        let width = shape.last!
        for start in stride(from: 0, to: x.count, by: width) {
            let row = Array(s.scalars[start..<(start + width)])
            #expect(abs(row.reduce(0, +) - 1) <= 1e-6)
            #expect(row.allSatisfy { $0 >= 0 })
            expectClose(row, referenceSoftmax(Array(x.scalars[start..<(start + width)])), relativeTolerance: 1e-6)
        }
    }

    @Test("huge logits (±1e4) stay finite")
    func largeLogits() {
        let s = Tensor([1e4, -1e4, 0, 1e4 - 1]).softmax().scalars
        #expect(s.allSatisfy { $0.isFinite })
        // exp(0) : exp(-1) share the mass; the others underflow to 0.
        expectClose(s, [0.7310586, 0, 0, 0.26894143], relativeTolerance: 1e-6)
        #expect(Tensor([-1e4, -1e4]).softmax().scalars == [0.5, 0.5])
    }

    @Test("-inf entries get exactly 0; a row of all -inf gives zeros, not NaN")
    func maskedRows() throws {
        let x = try Tensor([[1, -.infinity, 3],
                            [-.infinity, -.infinity, -.infinity]])
        let s = x.softmax()
        #expect(s[0, 1] == 0)
        expectClose(s.row(0), [0.11920292, 0, 0.8807971], relativeTolerance: 1e-6)
        #expect(s.row(1) == [0, 0, 0])
    }

    @Test("+inf entries share the mass; NaN makes its row NaN")
    func infinitiesAndNaN() throws {
        let x = try Tensor([[.infinity, 1, .infinity, -.infinity],
                            [1, .nan, 2, 3],
                            [1, 2, 3, 4]])
        let s = x.softmax()
        #expect(s.row(0) == [0.5, 0, 0.5, 0])
        #expect(s.row(1).allSatisfy { $0.isNaN })
        #expect(abs(s.row(2).reduce(0, +) - 1) <= 1e-6)   // other rows are unaffected
    }
}

@Suite("Masked fill")
struct MaskedFillTests {
    @Test("a [T, T] causal mask applied to every head of [h, T, T]")
    func causalMaskBroadcast() throws {
        let scores = Tensor.ones([2, 3, 3])
        // 1 above the diagonal: position t may not look at positions after t.
        let causal = try Tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
        let masked = try scores.maskedFill(causal, with: -.infinity)
        let expectedHead: [Float] = [1, -.infinity, -.infinity, 1, 1, -.infinity, 1, 1, 1]
        #expect(masked.scalars == expectedHead + expectedHead)
        // And through softmax: row t spreads evenly over the first t + 1 positions.
        let weights = masked.softmax()
        expectClose(Array(weights.scalars[0..<9]), [1, 0, 0, 0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3],
                    relativeTolerance: 1e-6)
    }

    @Test("same-shape mask, any non-zero counts as set")
    func sameShape() throws {
        let x = Tensor([1, 2, 3, 4])
        #expect(try x.maskedFill(Tensor([0, 2, -1, 0]), with: 9).scalars == [1, 9, 9, 4])
    }

    @Test("a mask that does not broadcast to the tensor throws shapeMismatch naming both shapes")
    func badMask() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros([2, 3, 4]).maskedFill(Tensor.zeros([3, 3]), with: 0)
        }
        #expect(error == .shapeMismatch(operation: "maskedFill", lhs: [2, 3, 4], rhs: [3, 3]))
        #expect(error.description.contains("[2, 3, 4]") && error.description.contains("[3, 3]"))
        #expect(throws: TensorError.self) { try Tensor.zeros([3]).maskedFill(Tensor.zeros([2, 3]), with: 0) }
    }
}

@Suite("Layer norm")
struct LayerNormTests {
    @Test("a hand-computed row: mean 2.5, biased variance 1.25")
    func handExample() throws {
        let x = Tensor([1, 2, 3, 4])
        let y = try x.layerNorm(gamma: Tensor([1, 2, 0.5, -1]), beta: Tensor([0, 1, -1, 0.5]))
        // (x - 2.5) / sqrt(1.25 + 1e-5) * gamma + beta, computed in Python.
        expectClose(y.scalars, [-1.3416354, 0.10557639, -0.7763941, -0.8416354], relativeTolerance: 1e-6)
    }

    @Test("random [B, T, d] rows against the Double reference")
    func randomAgainstReference() throws {
        var rng = SeededGenerator(seed: 77)
        let (rows, d) = (2 * 5, 33)
        let x = Tensor.randomNormal([2, 5, d], mean: 3, standardDeviation: 2, using: &rng)
        let gamma = Tensor.randomNormal([d], using: &rng)
        let beta = Tensor.randomNormal([d], using: &rng)
        let epsilon: Float = 1e-5
        let y = try x.layerNorm(gamma: gamma, beta: beta, epsilon: epsilon)
        #expect(y.shape == x.shape)

        var expected: [Float] = []
        for r in 0..<rows {
            let row = x.scalars[(r * d)..<((r + 1) * d)].map(Double.init)
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)   // biased
            for (j, value) in row.enumerated() {
                let normalized = (value - mean) / (variance + Double(epsilon)).squareRoot()
                expected.append(Float(normalized * Double(gamma.scalars[j]) + Double(beta.scalars[j])))
            }
        }
        expectClose(y.scalars, expected)
    }

    @Test("a constant row normalises to beta (epsilon keeps 0/0 away)")
    func constantRow() throws {
        let y = try Tensor.filled([2, 3], with: 7).layerNorm(gamma: Tensor.ones([3]), beta: Tensor([1, 2, 3]))
        #expect(y.rows == [[1, 2, 3], [1, 2, 3]])
    }

    @Test("gamma or beta of the wrong shape throw shapeMismatch")
    func badParameters() throws {
        let x = Tensor.zeros([2, 4])
        #expect(throws: TensorError.shapeMismatch(operation: "layerNorm", lhs: [2, 4], rhs: [3])) {
            try x.layerNorm(gamma: Tensor.ones([3]), beta: Tensor.zeros([4]))
        }
        #expect(throws: TensorError.shapeMismatch(operation: "layerNorm", lhs: [2, 4], rhs: [1, 4])) {
            try x.layerNorm(gamma: Tensor.ones([4]), beta: Tensor.zeros([1, 4]))
        }
    }
}
