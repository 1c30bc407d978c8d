import Dispatch

/// Products of a few row vectors with a large weight matrix stored one output per row, the hot
/// path of generating text with a decoder: `y[t, o] = Σᵢ x[t, i] · w[o, i]`, i.e. Y = X · Wᵀ.
///
/// With one row (a single new token) this is a matrix-vector product, limited by how fast the
/// weights stream from memory, so every weight row is read once and used for all rows of X while
/// it sits in L1. The output rows are shared between threads in contiguous slices; each output is
/// always one call of `dot` over the same bytes, so the results are bit-identical whatever the
/// thread count.
///
/// Release builds use SIMD16 multiply-adds (four independent accumulators, 64 floats per step).
/// Debug builds (`DEBUG`, as `swift build`/`swift test` define it) use a plain unrolled scalar
/// loop instead: without optimisation every SIMD operation is a function call and the scalar
/// loop is about ten times faster. The two sum in different orders, so debug and release results
/// may differ in the last bits (never between thread counts within one build).
public enum MatvecKernel {
    /// Y[rows × outputs] = X[rows × inputs] · W[outputs × inputs]ᵀ, all row-major and contiguous.
    /// `threads` ≤ 1 runs on the calling thread.
    public static func multiply(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>,
                                outputs: Int, inputs: Int, y: UnsafeMutablePointer<Float>, threads: Int = 1) {
        precondition(rows >= 0 && outputs >= 0 && inputs >= 0, "MatvecKernel.multiply: negative size")
        if rows == 0 || outputs == 0 { return }
        let workers = max(1, min(threads, outputs / 64))
        if workers == 1 {
            multiplySlice(x: x, rows: rows, w: w, outputs: outputs, inputs: inputs, y: y, range: 0..<outputs)
            return
        }
        nonisolated(unsafe) let x = x, w = w, y = y
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let begin = outputs * worker / workers, end = outputs * (worker + 1) / workers
            multiplySlice(x: x, rows: rows, w: w, outputs: outputs, inputs: inputs, y: y, range: begin..<end)
        }
    }

    private static func multiplySlice(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>,
                                      outputs: Int, inputs: Int, y: UnsafeMutablePointer<Float>, range: Range<Int>) {
        for o in range {
            let weightRow = w + o * inputs
            for t in 0..<rows {
                y[t * outputs + o] = dot(weightRow, x + t * inputs, count: inputs)
            }
        }
    }

    /// Σᵢ a[i] · b[i], summed in a fixed order for a given build.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
#if DEBUG
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= count {
            s0 += a[i] * b[i]
            s1 += a[i + 1] * b[i + 1]
            s2 += a[i + 2] * b[i + 2]
            s3 += a[i + 3] * b[i + 3]
            i &+= 4
        }
        while i < count {
            s0 += a[i] * b[i]
            i &+= 1
        }
        return (s0 + s1) + (s2 + s3)
#else
        typealias V = SIMD16<Float>
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        var i = 0
        while i + 64 <= count {
            a0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: V.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            a1 += ra.loadUnaligned(fromByteOffset: 4 * (i + 16), as: V.self) * rb.loadUnaligned(fromByteOffset: 4 * (i + 16), as: V.self)
            a2 += ra.loadUnaligned(fromByteOffset: 4 * (i + 32), as: V.self) * rb.loadUnaligned(fromByteOffset: 4 * (i + 32), as: V.self)
            a3 += ra.loadUnaligned(fromByteOffset: 4 * (i + 48), as: V.self) * rb.loadUnaligned(fromByteOffset: 4 * (i + 48), as: V.self)
            i += 64
        }
        while i + 16 <= count {
            a0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: V.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            i += 16
        }
        var sum = ((a0 + a1) + (a2 + a3)).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
#endif
    }
}
