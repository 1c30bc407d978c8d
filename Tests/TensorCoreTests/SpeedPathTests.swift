import Foundation
import Testing
@testable import TensorCore   // @testable for QuantizedMatrix's test helpers and FastMath's vector exp

/// The fast paths of issue 23: the batched quantised product, blockwise attention, the vector
/// exponential and the worker pool. Each is checked against an independent plain computation,
/// and for the same bits whatever the thread count or the way the work is split.
@Suite("Speed paths")
struct SpeedPathTests {
    static func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    // MARK: Quantised GEMM

    /// Outputs that are not multiples of the 6-row tile or the 96-row block, inputs across depth
    /// blocks (576 = 256 + 256 + 64), token counts on both sides of a 32-token panel.
    static let gemmCases: [(format: QuantizedMatrix.Format, outputs: Int, columns: Int, rows: Int)] = [
        (.q4_1, 130, 576, 8), (.q4_1, 7, 64, 33), (.q8_0, 200, 320, 37), (.q4_0, 97, 96, 64), (.q4_1, 1, 32, 100),
    ]

    @Test("the batched quantised product equals the Float kernel on the dequantised weights, bit for bit, for any thread count",
          arguments: 0..<gemmCases.count)
    func quantizedGEMM(caseIndex: Int) {
        let (format, outputs, columns, rows) = Self.gemmCases[caseIndex]
        #expect(rows >= QuantizedMatrix.batchedRows)
        var rng = SeededGenerator(seed: UInt64(90 + caseIndex))
        let bytes = QuantizedKernelTests.randomBlocks(format, rows: outputs, columns: columns, using: &rng)
        let matrix = QuantizedKernelTests.matrix(format, rows: outputs, columns: columns, bytes: bytes)
        let w = matrix.dequantized()
        let x = (0..<(rows * columns)).map { _ in rng.nextNormal() }
        // Independent path: MatmulKernel with B = Wᵀ read transposed from the dequantised rows.
        var expected = [Float](repeating: .nan, count: rows * outputs)
        x.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                expected.withUnsafeMutableBufferPointer { yp in
                    MatmulKernel.multiply(m: rows, n: outputs, k: columns, a: xp.baseAddress!, lda: columns,
                                          b: wp.baseAddress!, ldb: columns, c: yp.baseAddress!, ldc: outputs,
                                          transposedB: true, threads: 1)
                }
            }
        }
        for threads in [1, 2, 3] {
            let y = QuantizedKernelTests.product(matrix, x: x, rows: rows, threads: threads)
            #expect(Self.bits(y) == Self.bits(expected), "\(format) \(outputs)×\(columns), \(rows) rows, \(threads) threads")
        }
        // And it is the product: against the row routine (a different summation order), closely.
        var worst: Float = 0
        for t in [0, rows - 1] {
            let alone = QuantizedKernelTests.product(matrix, x: Array(x[(t * columns)..<((t + 1) * columns)]), rows: 1, threads: 1)
            for o in 0..<outputs {
                worst = max(worst, abs(alone[o] - expected[t * outputs + o]) / max(1, abs(alone[o])))
            }
        }
        #expect(worst < 1e-4, "batched against one row at a time: \(worst)")
    }

    // MARK: Blockwise attention

    /// softmax(q·kᵀ·scale) v in Double, materialising every score: the definition.
    static func reference(q: [Float], k: [Float], v: [Float], queries: Int, keys: Int, d: Int, scale: Float,
                          causalOffset: Int?) -> [Double] {
        var out = [Double](repeating: 0, count: queries * d)
        for i in 0..<queries {
            let visible = causalOffset.map { min(keys, $0 + i + 1) } ?? keys
            if visible <= 0 { continue }
            var scores = [Double](repeating: 0, count: visible)
            for j in 0..<visible {
                var s = 0.0
                for c in 0..<d { s += Double(q[i * d + c]) * Double(k[j * d + c]) }
                scores[j] = s * Double(scale)
            }
            let top = scores.max()!
            let e = scores.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            for j in 0..<visible {
                for c in 0..<d { out[i * d + c] += e[j] / total * Double(v[j * d + c]) }
            }
        }
        return out
    }

    static func attend(q: [Float], k: [Float], v: [Float], queries: Range<Int>, keys: Int, d: Int, scale: Float,
                       causalOffset: Int?) -> [Float] {
        var out = [Float](repeating: .nan, count: queries.count * d)
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    out.withUnsafeMutableBufferPointer { op in
                        AttentionKernel.attend(queries: queries.count, keys: keys, dimension: d, scale: scale,
                                               q: qp.baseAddress! + queries.lowerBound * d, qStride: d,
                                               k: kp.baseAddress!, kStride: d, v: vp.baseAddress!, vStride: d,
                                               out: op.baseAddress!, outStride: d,
                                               causalOffset: causalOffset.map { $0 + queries.lowerBound })
                    }
                }
            }
        }
        return out
    }

    @Test("blockwise online-softmax attention equals the materialised softmax, causal or not; a query's bits do not depend on its block",
          arguments: [(70, 70, 64, nil), (130, 135, 64, 5), (9, 200, 24, nil), (1, 1, 8, 0), (65, 65, 16, 0)] as [(Int, Int, Int, Int?)])
    func blockwiseAttention(queries: Int, keys: Int, d: Int, causalOffset: Int?) {
        var rng = SeededGenerator(seed: UInt64(queries * 1000 + keys))
        let q = (0..<(queries * d)).map { _ in 2 * rng.nextNormal() }
        let k = (0..<(keys * d)).map { _ in rng.nextNormal() }
        let v = (0..<(keys * d)).map { _ in rng.nextNormal() }
        let scale = 1 / Float(d).squareRoot()
        let out = Self.attend(q: q, k: k, v: v, queries: 0..<queries, keys: keys, d: d, scale: scale, causalOffset: causalOffset)
        let expected = Self.reference(q: q, k: k, v: v, queries: queries, keys: keys, d: d, scale: scale,
                                      causalOffset: causalOffset)
        let worst = zip(out, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst < 2e-5, "largest difference \(worst)")
        // The last queries alone (a different block split) give the same bits.
        let split = queries / 2
        let tail = Self.attend(q: q, k: k, v: v, queries: split..<queries, keys: keys, d: d, scale: scale,
                               causalOffset: causalOffset)
        #expect(Self.bits(tail) == Self.bits(Array(out[(split * d)...])))
    }

    // MARK: Exponential

    @Test("FastMath.exp is within 2 ulp-ish of exp on [-87, 88], exact at 0, NaN for NaN")
    func vectorExponential() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let relative = abs(FastMath.exp(x) - Foundation.exp(x)) / Foundation.exp(x)
            worst = max(worst, relative)
            x += 0.0173
        }
        #expect(worst < 3e-7, "largest relative error \(worst)")
        #expect(FastMath.exp(0) == 1)
        #expect(FastMath.exp(Float.nan).isNaN)
        #expect(FastMath.exp(-Float.infinity) < 1e-37)
        var values: [Float] = [-1, 0, 1, 2, 3]
        var total: Float = 0
        values.withUnsafeMutableBufferPointer { FastMath.expShifted($0.baseAddress!, count: 5, by: 3, total: &total) }
        let expected = [-4, -3, -2, -1, 0].map { Foundation.exp(Float($0)) }
        #expect(zip(values, expected).allSatisfy { abs($0 - $1) <= 3e-7 * $1 })
        #expect(abs(total - expected.reduce(0, +)) < 1e-6)
    }

    // MARK: Worker pool

    @Test("the pool runs every worker index exactly once, nested and concurrent calls included")
    func workerPool() async {
        let pool = WorkerPool.shared
        for workers in [1, 2, 3, 5] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: workers)
            counts.initialize(repeating: 0, count: workers)
            nonisolated(unsafe) let shared = counts
            pool.run(workers: workers) { w in
                shared[w] += 1
                pool.run(workers: 2) { _ in }     // nested: runs on the caller, must not deadlock
            }
            #expect(Array(UnsafeBufferPointer(start: counts, count: workers)) == [Int](repeating: 1, count: workers))
            counts.deallocate()
        }
        // Several tasks at once: each gets its own complete result.
        await withTaskGroup(of: Bool.self) { group in
            for task in 0..<6 {
                group.addTask {
                    let sums = UnsafeMutablePointer<Int>.allocate(capacity: 2)
                    defer { sums.deallocate() }
                    sums.initialize(repeating: 0, count: 2)
                    nonisolated(unsafe) let shared = sums
                    for _ in 0..<200 { pool.run(workers: 2) { w in shared[w] += task + 1 } }
                    return sums[0] == 200 * (task + 1) && sums[1] == 200 * (task + 1)
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
