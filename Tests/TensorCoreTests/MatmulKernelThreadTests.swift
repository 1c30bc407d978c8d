import Testing
@testable import TensorCore   // @testable to reach the kernel's chunking and block sizes

/// The multithreaded kernel: every thread count gives the same bits, and those bits are the
/// product (checked against a Double triple loop with a tolerance scaled to k).
@Suite("MatmulKernel threads")
struct MatmulKernelThreadTests {
    /// Shapes that exercise the chunking: tails in both directions, a single row or column,
    /// k across depth blocks, sizes below and above the automatic threshold.
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 700, 33), (700, 1, 33), (7, 33, 17), (25, 65, 300), (130, 130, 130),
        (97, 545, 261), (200, 64, 513), (16, 384, 384), (48, 100, 7), (6, 32, 256), (0, 5, 3), (5, 0, 3),
        (9, 70, 0), (20, 70, 1100), (1, 1000, 1100),
    ]

    static func product(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, threads: Int?) -> [Float] {
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    // A dummy valid pointer stands in for empty buffers.
                    var dummy: Float = 0
                    withUnsafeMutablePointer(to: &dummy) { dummy in
                        MatmulKernel.multiply(m: m, n: n, k: k, a: a.baseAddress ?? UnsafePointer(dummy), lda: k,
                                              b: b.baseAddress ?? UnsafePointer(dummy), ldb: n,
                                              c: c.baseAddress ?? dummy, ldc: n, threads: threads)
                    }
                }
            }
        }
        return c
    }

    @Test("bit-identical for 1…5 threads and automatic, and equal to the reference", arguments: 0..<shapes.count)
    func bitIdenticalAcrossThreadCounts(caseIndex: Int) {
        let (m, n, k) = Self.shapes[caseIndex]
        var rng = SeededGenerator(seed: UInt64(100 + caseIndex))
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(k * n)).map { _ in rng.nextNormal() }
        let one = Self.product(a, b, m: m, n: n, k: k, threads: 1)
        for threads in [2, 3, 4, 5, 16] as [Int?] + [nil] {
            let other = Self.product(a, b, m: m, n: n, k: k, threads: threads)
            #expect(other.map(\.bitPattern) == one.map(\.bitPattern), "m=\(m) n=\(n) k=\(k) threads=\(String(describing: threads))")
        }
        // Double reference; float rounding grows like √k, so scale the tolerance with k.
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    sum += Double(a[i * k + p]) * Double(b[p * n + j])
                    magnitude += abs(Double(a[i * k + p]) * Double(b[p * n + j]))
                }
                let error = abs(sum - Double(one[i * n + j])) / max(magnitude, 1)
                worst = max(worst, error)
            }
        }
        #expect(worst < 1e-6 * Double(max(k, 1)).squareRoot() + 1e-6, "m=\(m) n=\(n) k=\(k): relative error \(worst)")
    }

    /// A single row goes through its own vector-times-matrix path; it must sum every element
    /// exactly as the tiled kernel does, so row i of a product has the same bits whether it is
    /// computed alone or with other rows (k across depth blocks, n with a SIMD tail).
    @Test("a row alone has the bits it has inside a larger product", arguments: [(1, 1), (33, 17), (576, 1536), (300, 70), (513, 45), (1100, 45)])
    func singleRowMatchesTheTiledKernel(k: Int, n: Int) {
        let m = 7
        var rng = SeededGenerator(seed: UInt64(k * 1000 + n))
        let a = (0..<(m * k)).map { _ in rng.nextNormal() }
        let b = (0..<(k * n)).map { _ in rng.nextNormal() }
        let all = Self.product(a, b, m: m, n: n, k: k, threads: 1)
        for i in 0..<m {
            let row = Self.product(Array(a[(i * k)..<((i + 1) * k)]), b, m: 1, n: n, k: k, threads: 2)
            #expect(row.map(\.bitPattern) == all[(i * n)..<((i + 1) * n)].map(\.bitPattern), "row \(i), k=\(k) n=\(n)")
        }
    }

    @Test("leading dimensions with threads: only the sub-matrix of C is written")
    func leadingDimensionsWithThreads() {
        let (m, n, k) = (61, 150, 270)
        let (lda, ldb, ldc) = (k + 3, n + 5, n + 9)
        var rng = SeededGenerator(seed: 3)
        let a = (0..<(m * lda)).map { _ in rng.nextNormal() }
        let b = (0..<(k * ldb)).map { _ in rng.nextNormal() }
        func run(threads: Int) -> [Float] {
            var c = [Float](repeating: 777, count: m * ldc)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        MatmulKernel.multiply(m: m, n: n, k: k, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                              c: c.baseAddress!, ldc: ldc, threads: threads)
                    }
                }
            }
            return c
        }
        let one = run(threads: 1), three = run(threads: 3)
        #expect(one.map(\.bitPattern) == three.map(\.bitPattern))
        #expect((0..<m).allSatisfy { i in three[(i * ldc + n)..<((i + 1) * ldc)].allSatisfy { $0 == 777 } })
        let denseA = (0..<m).flatMap { i in a[(i * lda)..<(i * lda + k)] }
        let denseB = (0..<k).flatMap { p in b[(p * ldb)..<(p * ldb + n)] }
        let denseC = (0..<m).flatMap { i in three[(i * ldc)..<(i * ldc + n)] }
        expectClose(denseC, referenceMatmul(denseA, denseB, m: m, n: n, k: k))
    }

    @Test("the chunks cover C exactly once")
    func chunksCoverEveryElementOnce() {
        for (m, n) in [(1, 1), (5, 1000), (1000, 5), (130, 130), (16, 384), (2048, 2048), (7, 63)] {
            for threads in [2, 3, 8] {
                let (rows, columns) = MatmulKernel.chunking(m: m, n: n, threads: threads)
                var covered = [Int](repeating: 0, count: m * n)
                for r in 0..<rows {
                    let i0 = MatmulKernel.boundary(r, of: rows, size: m, unit: MatmulKernel.microRows)
                    let i1 = MatmulKernel.boundary(r + 1, of: rows, size: m, unit: MatmulKernel.microRows)
                    for cIndex in 0..<columns {
                        let j0 = MatmulKernel.boundary(cIndex, of: columns, size: n, unit: MatmulKernel.microColumns)
                        let j1 = MatmulKernel.boundary(cIndex + 1, of: columns, size: n, unit: MatmulKernel.microColumns)
                        guard i0 < i1, j0 < j1 else { continue }
                        for i in i0..<i1 { for j in j0..<j1 { covered[i * n + j] += 1 } }
                    }
                }
                #expect(covered.allSatisfy { $0 == 1 }, "m=\(m) n=\(n) threads=\(threads)")
            }
        }
    }

    @Test("Tensor.matmul with explicit threads equals the single-threaded product, batched too")
    func tensorMatmulThreads() throws {
        var rng = SeededGenerator(seed: 9)
        let a = Tensor.randomNormal([3, 70, 90], using: &rng)
        let b = Tensor.randomNormal([3, 90, 110], using: &rng)
        let w = Tensor.randomNormal([90, 200], using: &rng)
        let batchedOne = try a.matmul(b, threads: 1)
        for threads in [2, 3, 7] {
            #expect(try a.matmul(b, threads: threads).scalars.map(\.bitPattern) == batchedOne.scalars.map(\.bitPattern))
            #expect(try a.matmul(w, threads: threads).scalars.map(\.bitPattern)
                    == a.matmul(w, threads: 1).scalars.map(\.bitPattern))
        }
        #expect(try a.matmul(b).scalars.map(\.bitPattern) == batchedOne.scalars.map(\.bitPattern))
    }
}
