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
package enum MatvecKernel {
    /// Y[rows × outputs] = X[rows × inputs] · W[outputs × inputs]ᵀ, all row-major and contiguous.
    /// `threads` ≤ 1 runs on the calling thread.
    package static func multiply(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>,
                                outputs: Int, inputs: Int, y: UnsafeMutablePointer<Float>, threads: Int = 1) {
        precondition(rows >= 0 && outputs >= 0 && inputs >= 0, "MatvecKernel.multiply: negative size")
        if rows == 0 || outputs == 0 { return }
        let workers = max(1, min(threads, outputs / 64, WorkerPool.shared.maximumWorkers))
        if workers == 1 {
            multiplySlice(x: x, rows: rows, w: w, outputs: outputs, inputs: inputs, y: y, range: 0..<outputs)
            return
        }
        // nonisolated(unsafe): the pointers outlive `run` (it returns when every worker is done);
        // x and w are only read, and each worker writes its own disjoint range of y.
        nonisolated(unsafe) let x = x, w = w, y = y
        WorkerPool.shared.run(workers: workers) { worker in
            let begin = outputs * worker / workers, end = outputs * (worker + 1) / workers
            multiplySlice(x: x, rows: rows, w: w, outputs: outputs, inputs: inputs, y: y, range: begin..<end)
        }
    }

    private static func multiplySlice(x: UnsafePointer<Float>, rows: Int, w: UnsafePointer<Float>,
                                      outputs: Int, inputs: Int, y: UnsafeMutablePointer<Float>, range: Range<Int>) {
        for o in range {
            let weightRow = w + o * inputs
            var t = 0
            // Four rows of X share each load of the weight row (prefill); `dot4` sums each row
            // exactly as `dot` does, so a row's result never depends on how many rows came along.
            while t + 4 <= rows {
                dot4(weightRow, x + t * inputs, rowStride: inputs, count: inputs, into: y + t * outputs + o, outputStride: outputs)
                t += 4
            }
            while t < rows {
                y[t * outputs + o] = dot(weightRow, x + t * inputs, count: inputs)
                t += 1
            }
        }
    }

    /// `dot(w, x + r·rowStride)` for r in 0..<4, written to `y[r·outputStride]`, bit for bit.
    @inline(__always)
    static func dot4(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, rowStride: Int, count: Int,
                     into y: UnsafeMutablePointer<Float>, outputStride: Int) {
#if DEBUG
        for r in 0..<4 { y[r * outputStride] = dot(w, x + r * rowStride, count: count) }
#else
        typealias V = SIMD16<Float>
        let rw = UnsafeRawPointer(w)
        let r0 = UnsafeRawPointer(x), r1 = UnsafeRawPointer(x + rowStride)
        let r2 = UnsafeRawPointer(x + 2 * rowStride), r3 = UnsafeRawPointer(x + 3 * rowStride)
        // Per row the same four accumulators as `dot`: a<lane block><row>.
        var a00 = V(), a10 = V(), a20 = V(), a30 = V()
        var a01 = V(), a11 = V(), a21 = V(), a31 = V()
        var a02 = V(), a12 = V(), a22 = V(), a32 = V()
        var a03 = V(), a13 = V(), a23 = V(), a33 = V()
        var i = 0
        while i + 64 <= count {
            var offset = 4 * i
            var wv = rw.loadUnaligned(fromByteOffset: offset, as: V.self)
            a00 += wv * r0.loadUnaligned(fromByteOffset: offset, as: V.self)
            a01 += wv * r1.loadUnaligned(fromByteOffset: offset, as: V.self)
            a02 += wv * r2.loadUnaligned(fromByteOffset: offset, as: V.self)
            a03 += wv * r3.loadUnaligned(fromByteOffset: offset, as: V.self)
            offset += 64
            wv = rw.loadUnaligned(fromByteOffset: offset, as: V.self)
            a10 += wv * r0.loadUnaligned(fromByteOffset: offset, as: V.self)
            a11 += wv * r1.loadUnaligned(fromByteOffset: offset, as: V.self)
            a12 += wv * r2.loadUnaligned(fromByteOffset: offset, as: V.self)
            a13 += wv * r3.loadUnaligned(fromByteOffset: offset, as: V.self)
            offset += 64
            wv = rw.loadUnaligned(fromByteOffset: offset, as: V.self)
            a20 += wv * r0.loadUnaligned(fromByteOffset: offset, as: V.self)
            a21 += wv * r1.loadUnaligned(fromByteOffset: offset, as: V.self)
            a22 += wv * r2.loadUnaligned(fromByteOffset: offset, as: V.self)
            a23 += wv * r3.loadUnaligned(fromByteOffset: offset, as: V.self)
            offset += 64
            wv = rw.loadUnaligned(fromByteOffset: offset, as: V.self)
            a30 += wv * r0.loadUnaligned(fromByteOffset: offset, as: V.self)
            a31 += wv * r1.loadUnaligned(fromByteOffset: offset, as: V.self)
            a32 += wv * r2.loadUnaligned(fromByteOffset: offset, as: V.self)
            a33 += wv * r3.loadUnaligned(fromByteOffset: offset, as: V.self)
            i += 64
        }
        while i + 16 <= count {
            let offset = 4 * i
            let wv = rw.loadUnaligned(fromByteOffset: offset, as: V.self)
            a00 += wv * r0.loadUnaligned(fromByteOffset: offset, as: V.self)
            a01 += wv * r1.loadUnaligned(fromByteOffset: offset, as: V.self)
            a02 += wv * r2.loadUnaligned(fromByteOffset: offset, as: V.self)
            a03 += wv * r3.loadUnaligned(fromByteOffset: offset, as: V.self)
            i += 16
        }
        var s0 = ((a00 + a10) + (a20 + a30)).sum(), s1 = ((a01 + a11) + (a21 + a31)).sum()
        var s2 = ((a02 + a12) + (a22 + a32)).sum(), s3 = ((a03 + a13) + (a23 + a33)).sum()
        while i < count {
            s0 += w[i] * x[i]
            s1 += w[i] * x[rowStride + i]
            s2 += w[i] * x[2 * rowStride + i]
            s3 += w[i] * x[3 * rowStride + i]
            i += 1
        }
        y[0] = s0
        y[outputStride] = s1
        y[2 * outputStride] = s2
        y[3 * outputStride] = s3
#endif
    }

    /// Σᵢ a[i] · b[i], summed in a fixed order for a given build.
    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
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
