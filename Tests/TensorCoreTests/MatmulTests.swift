import Testing
@testable import TensorCore   // @testable only to read the kernel's block sizes

@Suite("Matrix multiplication")
struct MatmulTests {
    /// Shapes drawn from `awkwardSizes` with a fixed seed, plus the edges of the kernel's blocks.
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var rng = SeededGenerator(seed: 2024)
        var shapes = (0..<40).map { _ in
            (m: awkwardSizes[draw(awkwardSizes.count, &rng)],
             n: awkwardSizes[draw(awkwardSizes.count, &rng)],
             k: awkwardSizes[draw(awkwardSizes.count, &rng)])
        }
        // Every size of the list at least once in each role, and 1×1×1.
        shapes += awkwardSizes.map { (m: $0, n: 17, k: 33) }
        shapes += awkwardSizes.map { (m: 7, n: $0, k: 16) }
        shapes += awkwardSizes.map { (m: 15, n: 31, k: $0) }
        shapes.append((1, 1, 1))
        return shapes
    }()

    @Test("2-D matmul matches the triple loop on awkward sizes", arguments: 0..<shapes.count)
    func matchesReference(caseIndex: Int) throws {
        let (m, n, k) = Self.shapes[caseIndex]
        var rng = SeededGenerator(seed: UInt64(caseIndex))
        let a = Tensor.randomNormal([m, k], using: &rng)
        let b = Tensor.randomNormal([k, n], using: &rng)
        let c = try a.matmul(b)
        #expect(c.shape == [m, n])
        expectClose(c.scalars, referenceMatmul(a.scalars, b.scalars, m: m, n: n, k: k), "m=\(m) n=\(n) k=\(k)")
    }

    @Test("sizes just past every block boundary of the kernel")
    func crossesBlockBoundaries() throws {
        let m = MatmulKernel.rowBlock + MatmulKernel.microRows + 1
        let n = MatmulKernel.columnBlock + MatmulKernel.microColumns + 3
        let k = MatmulKernel.depthBlock + 5
        var rng = SeededGenerator(seed: 7)
        let a = Tensor.randomNormal([m, k], using: &rng)
        let b = Tensor.randomNormal([k, n], using: &rng)
        expectClose(try a.matmul(b).scalars, referenceMatmul(a.scalars, b.scalars, m: m, n: n, k: k))
    }

    @Test("a hand-computed product")
    func handExample() throws {
        let a = try Tensor([[1, 2, 3], [4, 5, 6]])
        let b = try Tensor([[7, 8], [9, 10], [11, 12]])
        #expect(try a.matmul(b) == Tensor([[58, 64], [139, 154]]))
    }

    @Test("empty dimensions: k = 0 gives zeros, m or n = 0 gives an empty result")
    func emptyDimensions() throws {
        let kZero = try Tensor.zeros([3, 0]).matmul(Tensor.zeros([0, 4]))
        #expect(kZero == Tensor.zeros([3, 4]))
        #expect(try Tensor.ones([0, 5]).matmul(Tensor.ones([5, 2])).shape == [0, 2])
        #expect(try Tensor.ones([2, 5]).matmul(Tensor.ones([5, 0])).shape == [2, 0])
        #expect(try Tensor.ones([4, 0, 3]).matmul(Tensor.ones([4, 3, 2])).shape == [4, 0, 2])
    }

    @Test("batched 3-D and 4-D matmul equal the 2-D reference per batch",
          arguments: [[3], [2, 3], [1, 1], [2, 1, 2]])
    func batched(batchShape: [Int]) throws {
        var rng = SeededGenerator(seed: 99)
        let (m, n, k) = (17, 33, 15)
        let a = Tensor.randomNormal(batchShape + [m, k], using: &rng)
        let b = Tensor.randomNormal(batchShape + [k, n], using: &rng)
        let c = try a.matmul(b)
        #expect(c.shape == batchShape + [m, n])
        let batches = batchShape.reduce(1, *)
        for batch in 0..<batches {
            let aSlice = Array(a.scalars[(batch * m * k)..<((batch + 1) * m * k)])
            let bSlice = Array(b.scalars[(batch * k * n)..<((batch + 1) * k * n)])
            let cSlice = Array(c.scalars[(batch * m * n)..<((batch + 1) * m * n)])
            expectClose(cSlice, referenceMatmul(aSlice, bSlice, m: m, n: n, k: k), "batch \(batch)")
        }
    }

    @Test("[..., m, k] x [k, n] multiplies every batch by the same right matrix",
          arguments: [[4], [2, 3]])
    func sharedRightMatrix(batchShape: [Int]) throws {
        var rng = SeededGenerator(seed: 5)
        let (m, n, k) = (7, 31, 65)
        let a = Tensor.randomNormal(batchShape + [m, k], using: &rng)
        let b = Tensor.randomNormal([k, n], using: &rng)
        let c = try a.matmul(b)
        #expect(c.shape == batchShape + [m, n])
        for batch in 0..<batchShape.reduce(1, *) {
            let aSlice = Array(a.scalars[(batch * m * k)..<((batch + 1) * m * k)])
            let cSlice = Array(c.scalars[(batch * m * n)..<((batch + 1) * m * n)])
            expectClose(cSlice, referenceMatmul(aSlice, b.scalars, m: m, n: n, k: k), "batch \(batch)")
        }
    }

    @Test("shape errors throw shapeMismatch naming both shapes",
          arguments: [([2, 3], [4, 5]), ([2, 3], [3]), ([3], [3, 2]), ([2, 2, 3], [3, 2, 4]),
                      ([2, 3, 4], [2, 5, 6]), ([3, 4], [2, 4, 5])])
    func shapeErrors(lhs: [Int], rhs: [Int]) throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros(lhs).matmul(Tensor.zeros(rhs))
        }
        #expect(error == .shapeMismatch(operation: "matmul", lhs: lhs, rhs: rhs))
        let message = error.description
        #expect(message.hasPrefix("matmul:"))
        #expect(message.contains("\(lhs)") && message.contains("\(rhs)"), "\(message)")
    }

    @Test("the message for [2, 3] x [4, 5] explains the inner dimensions")
    func errorMessage() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
        }
        #expect(error.description
            == "matmul: shapes [2, 3] and [4, 5] do not fit: the left's last axis (3) must equal the right's second-to-last axis (4)")
    }
}

@Suite("MatmulKernel with leading dimensions")
struct MatmulKernelTests {
    /// Multiplies sub-matrices embedded in larger buffers (lda > k, ldb > n, ldc > n), checks the
    /// result against the reference, and checks that C's padding was never written and that
    /// garbage already in C does not leak into the result (C is overwritten, not accumulated).
    @Test("sub-matrices with padding", arguments: [(1, 1, 1), (7, 33, 17), (65, 16, 130), (3, 31, 0)])
    func leadingDimensions(m: Int, n: Int, k: Int) {
        var rng = SeededGenerator(seed: 11)
        let (lda, ldb, ldc) = (k + 3, n + 5, n + 2)
        let a = (0..<(m * lda)).map { _ in rng.nextNormal() }
        let b = (0..<(k * ldb)).map { _ in rng.nextNormal() }
        let sentinel: Float = 12345
        var c = [Float](repeating: sentinel, count: m * ldc)
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = .nan } }   // garbage that must be overwritten

        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    MatmulKernel.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
                                          b: b.baseAddress!, ldb: ldb, c: c.baseAddress!, ldc: ldc)
                }
            }
        }

        let denseA = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }
        let denseB = (0..<k).flatMap { p in b[(p * ldb)..<(p * ldb + n)] }
        let denseC = (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
        expectClose(denseC, referenceMatmul(denseA, denseB, m: m, n: n, k: k), "m=\(m) n=\(n) k=\(k)")
        let padding = (0..<m).flatMap { i in c[(i * ldc + n)..<((i + 1) * ldc)] }
        #expect(padding.allSatisfy { $0 == sentinel })
    }
}
