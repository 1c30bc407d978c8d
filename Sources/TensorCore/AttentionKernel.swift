/// Scaled dot-product attention for one head without ever holding the T × T score matrix: the
/// fast path for long inputs when nobody asked to see the weights (no trace, no figure).
///
/// The lessons' `scaledDotProductAttention` keeps every stage (scores, masked scores, weights),
/// which is what a figure needs, but at n tokens that is n² Floats per head: at 1024 tokens and
/// 12 heads 48 MB, far beyond the caches, and the cost per token jumps (the benchmark's cost
/// chart showed the cliff between 512 and 768 tokens). Here the keys are visited in blocks of
/// `keyBlock`, and each query row keeps only a running maximum m, a running sum l and its output
/// row o (the "online softmax" of Milakov & Gimelshein 2018, as in FlashAttention):
///
///     for each block of keys:  s = q·Kᵀ·scale;  m' = max(m, max s);  c = e^(m − m')
///                              p = e^(s − m');  l = l·c + Σ p;  o = o·c + p·V;  m = m'
///     output = o / l
///
/// which is the softmax-weighted sum exactly, up to float rounding. Memory is
/// `queryBlock × keyBlock` scores plus the query block's outputs: constant in n.
///
/// Both products of a block are `MatmulKernel`'s micro-kernel (Q·Kᵀ against a transposed copy
/// of K made once per call, then P·V), and the exponentials are `FastMath.exp`. Every query row
/// is computed on its own (a row's result does not depend on the other rows of its block), with
/// key blocks starting at 0, so the results are the same for any split of the queries or heads
/// between threads.
package enum AttentionKernel {
    /// Queries per block (the rows of one score block): a multiple of the micro-kernel's 6 rows,
    /// so no block ends in a partial tile.
    package static let queryBlock = 96
    /// Keys per block (its columns); a multiple of 16 for the vector exponentials. Measured at
    /// 512 tokens, 12 heads, one thread: 64 × 64 blocks 12.1 ms, 96 × 128 10.6 ms.
    package static let keyBlock = 128

    /// out[i] = Σⱼ softmax(q_i·k_j·scale) v_j for `queries` rows of q, over the keys each query
    /// may see: all `keys` when `causalOffset` is nil; keys 0…causalOffset + i otherwise (query i
    /// sits at position causalOffset + i, as in a decoder's prompt after a cached prefix).
    /// Rows are `dimension` scalars; each operand has its own row stride, so one head's columns
    /// of a [T, heads·d_h] matrix can be used in place. A query that sees no key gets zeros.
    package static func attend(queries: Int, keys: Int, dimension: Int, scale: Float,
                              q: UnsafePointer<Float>, qStride: Int,
                              k: UnsafePointer<Float>, kStride: Int,
                              v: UnsafePointer<Float>, vStride: Int,
                              out: UnsafeMutablePointer<Float>, outStride: Int,
                              causalOffset: Int? = nil) {
        precondition(queries >= 0 && keys >= 0 && dimension > 0, "AttentionKernel.attend: bad sizes")
        if queries == 0 { return }
        let workspace = Workspace(keys: keys, dimension: dimension)
        defer { workspace.deallocate() }
        // Kᵀ [dimension × keys], so that the score product reads B row by row.
        let kt = workspace.transposedKeys
        for j in 0..<keys {
            let row = k + j * kStride
            for p in 0..<dimension { kt[p * keys + j] = row[p] }
        }
        for i0 in stride(from: 0, to: queries, by: queryBlock) {
            attendBlock(rows: min(queryBlock, queries - i0), first: i0, keys: keys, dimension: dimension, scale: scale,
                        q: q + i0 * qStride, qStride: qStride, kt: kt, v: v, vStride: vStride,
                        out: out + i0 * outStride, outStride: outStride, causalOffset: causalOffset,
                        workspace: workspace)
        }
    }

    /// Buffers of one call: Kᵀ, a score block, a block of outputs and their running statistics.
    struct Workspace {
        let transposedKeys: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        let accumulated: UnsafeMutablePointer<Float>
        let product: UnsafeMutablePointer<Float>
        let maximum: UnsafeMutablePointer<Float>
        let sum: UnsafeMutablePointer<Float>
        let scratch: MatmulKernel.Scratch

        init(keys: Int, dimension: Int) {
            transposedKeys = .allocate(capacity: max(1, keys * dimension))
            scores = .allocate(capacity: queryBlock * keyBlock)
            accumulated = .allocate(capacity: queryBlock * dimension)
            product = .allocate(capacity: queryBlock * dimension)
            maximum = .allocate(capacity: queryBlock)
            sum = .allocate(capacity: queryBlock)
            scratch = MatmulKernel.Scratch(columns: max(keyBlock, dimension), depth: max(keyBlock, dimension))
        }

        func deallocate() {
            for pointer in [transposedKeys, scores, accumulated, product, maximum, sum] { pointer.deallocate() }
            scratch.deallocate()
        }
    }

    private static func attendBlock(rows: Int, first: Int, keys: Int, dimension: Int, scale: Float,
                                    q: UnsafePointer<Float>, qStride: Int, kt: UnsafePointer<Float>,
                                    v: UnsafePointer<Float>, vStride: Int,
                                    out: UnsafeMutablePointer<Float>, outStride: Int, causalOffset: Int?,
                                    workspace: Workspace) {
        let s = workspace.scores, o = workspace.accumulated, pv = workspace.product
        let m = workspace.maximum, l = workspace.sum
        m.update(repeating: -.infinity, count: rows)
        l.update(repeating: 0, count: rows)
        o.update(repeating: 0, count: rows * dimension)
        // The keys the last row of the block may see.
        let visibleKeys = causalOffset.map { min(keys, $0 + first + rows) } ?? keys
        for j0 in stride(from: 0, to: visibleKeys, by: keyBlock) {
            let width = min(keyBlock, visibleKeys - j0)
            // s = Q_block · Kᵀ[:, j0 ..< j0 + width], rows keyBlock apart.
            MatmulKernel.multiplyBlocks(m: rows, n: width, k: dimension, a: q, lda: qStride,
                                        b: kt + j0, bRow: keys, bColumn: 1, c: s, ldc: keyBlock,
                                        scratch: workspace.scratch)
            for i in 0..<rows {
                let row = s + i * keyBlock
                // Keys this row may see in the block.
                let limit = causalOffset.map { min(width, $0 + first + i + 1 - j0) } ?? width
                if limit <= 0 {
                    for j in 0..<keyBlock { row[j] = 0 }
                    continue
                }
                let blockMax = scaleAndMax(row, count: limit, scale: scale)
                let newMax = max(m[i], blockMax)
                let correction = m[i] == -.infinity ? 0 : FastMath.exp(m[i] - newMax)
                var total: Float = 0
                FastMath.expShifted(row, count: limit, by: newMax, total: &total)
                for j in limit..<keyBlock { row[j] = 0 }
                l[i] = l[i] * correction + total
                m[i] = newMax
                if correction != 1 {
                    let oi = o + i * dimension
                    for c in 0..<dimension { oi[c] *= correction }
                }
            }
            // o += P · V[j0 ..< j0 + width]
            MatmulKernel.multiplyBlocks(m: rows, n: dimension, k: width, a: s, lda: keyBlock,
                                        b: v + j0 * vStride, bRow: vStride, bColumn: 1, c: pv, ldc: dimension,
                                        scratch: workspace.scratch)
            for index in 0..<(rows * dimension) { o[index] += pv[index] }
        }
        for i in 0..<rows {
            let target = out + i * outStride, oi = o + i * dimension
            let inverse: Float = l[i] > 0 ? 1 / l[i] : 0
            for c in 0..<dimension { target[c] = oi[c] * inverse }
        }
    }

    /// row[j] ·= scale for j < count, and the largest of the results: 16 lanes at a time (a
    /// scalar loop here, one `max` per score, was a quarter of the attention's time at 512
    /// tokens). Multiplying and taking a maximum are exact, so this gives the scalar loop's bits.
    @inline(__always)
    static func scaleAndMax(_ row: UnsafeMutablePointer<Float>, count: Int, scale: Float) -> Float {
        typealias V = SIMD16<Float>
        let raw = UnsafeMutableRawPointer(row)
        let factor = V(repeating: scale)
        var maxima = V(repeating: -.infinity)
        var j = 0
        while j + 16 <= count {
            let scaled = raw.loadUnaligned(fromByteOffset: 4 * j, as: V.self) * factor
            raw.storeBytes(of: scaled, toByteOffset: 4 * j, as: V.self)
            // A compare and a blend; `pointwiseMax` and `max()` compile lane by lane here.
            maxima.replace(with: scaled, where: scaled .> maxima)
            j += 16
        }
        var result = -Float.infinity
        for lane in 0..<16 { result = max(result, maxima[lane]) }
        while j < count {
            row[j] *= scale
            result = max(result, row[j])
            j += 1
        }
        return result
    }
}

/// Exponentials for the hot loops (attention's softmax, SwiGLU's sigmoid): 16 at a time, about
/// 1–2 ulp from the true value. `Foundation.exp` is a library call per element (several
/// nanoseconds), which at 512 tokens made the exponentials alone cost as much as the matrix
/// products. The same arithmetic runs in every build and for every thread count.
package enum FastMath {
    typealias V = SIMD16<Float>

    /// e^x for 16 lanes: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by Cephes' degree-6 polynomial
    /// (expf), 2ⁿ put straight into the exponent bits. Inputs are clamped to [−87.3, 88.3] (so
    /// e^−∞ gives 2^−126-ish, not 0: callers that need exact zeros set them themselves); NaN stays NaN.
    @inline(__always)
    static func exp(_ v: V) -> V {
        // pointwiseMin/Max, not `clamped`: `clamped` on SIMD16 compiles lane by lane (219
        // instructions with 16 scalar compares, measured in the disassembly), which made this
        // function ten times slower than its arithmetic; these are one vmaxps and one vminps.
        let x = pointwiseMin(pointwiseMax(v, V(repeating: -87.3)), V(repeating: 88.3))
        // n = round(x / ln 2), by adding 1.5·2²³ so the integer lands in the low mantissa bits.
        let magic = V(repeating: 12_582_912)
        let t = x * V(repeating: 1.442_695_04) + magic
        let n = t - magic
        var r = x - n * V(repeating: 0.693_359_375)
        r = r - n * V(repeating: -2.121_944_4e-4)
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + V(repeating: 1.398_199_95e-3)
        p = p * r + V(repeating: 8.333_451_9e-3)
        p = p * r + V(repeating: 4.166_579_59e-2)
        p = p * r + V(repeating: 1.666_666_55e-1)
        p = p * r + V(repeating: 5.000_000_12e-1)
        let e = p * (r * r) + r + V(repeating: 1)
        let bits = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000   // n as an integer
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: V.self)
        var result = e * scale
        result.replace(with: v, where: v .!= v)                               // NaN in, NaN out
        return result
    }

    /// e^x for one value, computed exactly like one lane of the vector version.
    @inline(__always)
    package static func exp(_ x: Float) -> Float { exp(V(repeating: x))[0] }

    /// values[j] = e^(values[j] − shift) for j < count, and `total` += their sum (16 lanes, then
    /// the lanes added in a fixed order).
    @inline(__always)
    package static func expShifted(_ values: UnsafeMutablePointer<Float>, count: Int, by shift: Float,
                                  total: inout Float) {
        let raw = UnsafeMutableRawPointer(values)
        let offset = V(repeating: shift)
        var sums = V()
        var j = 0
        while j + 16 <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: 4 * j, as: V.self) - offset)
            raw.storeBytes(of: e, toByteOffset: 4 * j, as: V.self)
            sums += e
            j += 16
        }
        if j < count {
            var tail = V(repeating: -.infinity)
            for lane in 0..<(count - j) { tail[lane] = values[j + lane] }
            var e = exp(tail - offset)
            for lane in (count - j)..<16 { e[lane] = 0 }
            for lane in 0..<(count - j) { values[j + lane] = e[lane] }
            sums += e
        }
        total += QuantizedMatrix.sum(sums)
    }

    /// x·σ(x) = x / (1 + e^−x) (SiLU) times `gate`, in place over `count` values:
    /// values[i] = silu(values[i]) · other[i]. The same arithmetic for every length and split.
    package static func siluProduct(_ values: UnsafeMutablePointer<Float>, _ other: UnsafePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values), rawOther = UnsafeRawPointer(other)
        var i = 0
        while i + 16 <= count {
            let g = raw.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            let u = rawOther.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
            raw.storeBytes(of: g / (V(repeating: 1) + exp(-g)) * u, toByteOffset: 4 * i, as: V.self)
            i += 16
        }
        while i < count {
            let g = values[i]
            values[i] = g / (1 + exp(-g)) * other[i]
            i += 1
        }
    }
}
