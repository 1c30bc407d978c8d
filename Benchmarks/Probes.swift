import Foundation
import TensorCore

/// The physical limits of the machine the table was measured on, measured by short probes at the
/// start of the run, so every result can also be read as a fraction of what the hardware allows.
struct MachineLimits {
    /// Float32 GFLOP/s of fused multiply-add chains, per thread count.
    var peakGigaflops: [Int: Double] = [:]
    /// GB/s of streaming reads from a buffer far larger than the caches, per thread count.
    var bandwidth: [Int: Double] = [:]

    /// The FMA peak: each worker runs 12 independent chains of SIMD16 multiply-adds (enough to
    /// cover the latency of the FMA pipes on current x86 cores) on register-resident values, for a
    /// fixed count; GFLOP/s = 2 · 16 · 12 · iterations · workers / wall time. The best of 5.
    static func measurePeak(threads: Int) -> Double {
        let iterations = 4_000_000
        var best = 0.0
        for _ in 0..<5 {
            let start = now()
            WorkerPool.shared.run(workers: threads) { _ in fmaChains(iterations: iterations) }
            let elapsed = now() - start
            best = max(best, 2 * 16 * 12 * Double(iterations) * Double(threads) / elapsed / 1e9)
        }
        return best
    }

    /// Read bandwidth: the workers sum disjoint halves of a 512 MiB buffer with SIMD16 loads
    /// (four accumulators, so the loads, not the additions, are the limit). The best of 5.
    static func measureBandwidth(threads: Int) -> Double {
        let count = 128 << 20                                       // Floats: 512 MiB
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: Float.self, repeating: 1, count: count)
        nonisolated(unsafe) let base = UnsafeRawPointer(buffer)
        var best = 0.0
        for _ in 0..<5 {
            let start = now()
            WorkerPool.shared.run(workers: threads) { worker in
                let begin = count * worker / threads, end = count * (worker + 1) / threads
                blackHole(streamSum(base + 4 * begin, count: end - begin))
            }
            best = max(best, Double(count * 4) / (now() - start) / 1e9)
        }
        return best
    }
}

@inline(never)
func blackHole(_ value: Float) {
    if value == 42.4242 { print("") }
}

@inline(never)
func fmaChains(iterations: Int) {
    typealias V = SIMD16<Float>
    // a += x·b on 12 independent accumulators: grows linearly, never overflows.
    let x = V(repeating: 1e-3), b = V(repeating: 0.5)
    var a0 = V(repeating: 1), a1 = V(repeating: 1.1), a2 = V(repeating: 1.2), a3 = V(repeating: 1.3)
    var a4 = V(repeating: 1.4), a5 = V(repeating: 1.5), a6 = V(repeating: 1.6), a7 = V(repeating: 1.7)
    var a8 = V(repeating: 1.8), a9 = V(repeating: 1.9), a10 = V(repeating: 2.0), a11 = V(repeating: 2.1)
    for _ in 0..<iterations {
        a0 = a0.addingProduct(x, b); a1 = a1.addingProduct(x, b)
        a2 = a2.addingProduct(x, b); a3 = a3.addingProduct(x, b)
        a4 = a4.addingProduct(x, b); a5 = a5.addingProduct(x, b)
        a6 = a6.addingProduct(x, b); a7 = a7.addingProduct(x, b)
        a8 = a8.addingProduct(x, b); a9 = a9.addingProduct(x, b)
        a10 = a10.addingProduct(x, b); a11 = a11.addingProduct(x, b)
    }
    let total = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
    blackHole(total.sum())
}

@inline(never)
func streamSum(_ pointer: UnsafeRawPointer, count: Int) -> Float {
    typealias V = SIMD16<Float>
    var s0 = V(), s1 = V(), s2 = V(), s3 = V()
    var i = 0
    while i + 64 <= count {
        s0 += pointer.load(fromByteOffset: 4 * i, as: V.self)
        s1 += pointer.load(fromByteOffset: 4 * i + 64, as: V.self)
        s2 += pointer.load(fromByteOffset: 4 * i + 128, as: V.self)
        s3 += pointer.load(fromByteOffset: 4 * i + 192, as: V.self)
        i += 64
    }
    return ((s0 + s1) + (s2 + s3)).sum()
}
