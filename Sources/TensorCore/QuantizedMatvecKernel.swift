import Synchronization

/// A weight matrix kept in ggml's 4- or 8-bit blocks, multiplied without ever expanding it to
/// Float: `y[t, o] = Σᵢ x[t, i] · w[o, i]`, like `MatvecKernel`, for the decoder's projections.
///
/// **Why.** Generating one token reads every weight once. As Float, SmolLM2's weights are about
/// 540 MB, so a token costs 540 MB of memory traffic; in Q4_1 blocks (32 weights in 20 bytes) the
/// same weights are 5 bits each. The blocks are expanded to Floats in registers, 32 at a time,
/// right before they are used, and never written back to memory.
///
/// **Formats** (ggml-common.h; the row length must be a multiple of 32):
///
///     Q4_1: per block a scale d and a minimum m, and 32 four-bit q:  w[j] = d · q[j] + m
///     Q8_0: per block a scale d and 32 signed bytes q:               w[j] = d · q[j]
///     Q4_0: like Q4_1 with m = −8d                                   w[j] = d · (q[j] − 8)
///
/// At load the file's blocks are split into separate arrays: the scales and minimums converted
/// from Float16 to Float once (so the hot loop has no half-precision conversion, which would be a
/// library call in a build without `-target-cpu native`), and the quantised bytes packed
/// contiguously, 16 or 32 per block. That is 6 bits per weight for Q4_1 instead of 5: a little
/// more memory traffic for a simpler, faster inner loop.
///
/// **The sum.** Per block, Σⱼ (d·q[j] + m)·x[j] = d·(Σⱼ q[j]·x[j]) + m·(Σⱼ x[j]). The block sums
/// of x are computed once per input row and shared by every output, so the minimums of a row
/// cost one short dot product (m · block sums, 16 blocks per SIMD16 multiply, `minimumLanes`)
/// added into the row's accumulators before their one horizontal sum; the q·x part is two
/// SIMD16 products of 16 expanded nibbles with 16 inputs each. This differs from dequantising
/// and then taking the dot product only by float rounding (about 1e-6 relative).
///
/// **Instructions per block** matter: decoding one SmolLM2 token runs about 4 million blocks.
/// With AVX-512 a Q4_1 block is one widening load, an AND, a shift, two conversions, three
/// multiplies and two additions (`nibbles`, `NibbleSplit`; with FMA, one multiply and two
/// fused multiply-adds), with the loop unrolled four blocks
/// deep and wrapping index arithmetic (`&*`, `&+`) so that no overflow checks sit in the loop.
/// Multiply-adds go through `multiplyAdd`: one FMA instruction in the release builds of the
/// scripts (FusedMultiplyAdd.swift), a multiply and an add otherwise.
///
/// **Threads.** The outputs are split between the workers of `WorkerPool.shared` in fixed
/// contiguous ranges; each output is one call of the same row routine over the same bytes, so
/// the results are bit-identical whatever the thread count, and (below `batchedRows` rows) a
/// row's result does not depend on how many input rows came along (rows of X are processed four
/// at a time, each exactly as it would be alone). From `batchedRows` rows on, the product is a
/// GEMM (QuantizedMatmulKernel.swift), equal to the row routines up to float rounding.
///
/// Release builds use SIMD16; debug builds (`DEBUG`) use plain scalar loops, which unoptimised
/// code runs about ten times faster. The two sum in different orders, so debug and release may
/// differ in the last bits.
public final class QuantizedMatrix: @unchecked Sendable {
    // @unchecked Sendable: `scales`, `mins` and `quants` are filled once in `init` and only read
    // afterwards (by any number of threads at once); they are freed in `deinit`.
    /// The GGUF block format the weights were stored in (every block holds 32 weights).
    public enum Format: String, Sendable, CustomStringConvertible {
        /// 4-bit q, a Float16 scale and a Float16 minimum per block (20 bytes per 32 weights).
        case q4_1 = "Q4_1"
        /// 8-bit signed q and a Float16 scale per block (34 bytes per 32 weights).
        case q8_0 = "Q8_0"
        /// 4-bit q − 8 and a Float16 scale per block (18 bytes per 32 weights).
        case q4_0 = "Q4_0"

        /// The GGUF type name, e.g. "Q4_0".
        public var description: String { rawValue }

        /// Bytes of one block in a GGUF file.
        public var ggmlBlockBytes: Int {
            switch self {
            case .q4_1: return 20
            case .q8_0: return 34
            case .q4_0: return 18
            }
        }

        /// Bytes of quantised values per block in memory here.
        var quantBytes: Int { self == .q8_0 ? 32 : 16 }
    }

    /// Weights per block.
    public static let blockSize = 32

    /// The format of the blocks in memory: Q4_0 is stored as Q4_1 (its minimum is −8d).
    public let format: Format
    /// Outputs (rows of W).
    public let rows: Int
    /// Inputs (columns of W), a multiple of 32.
    public let columns: Int
    let blocksPerRow: Int
    /// rows · blocksPerRow Float scales d.
    let scales: UnsafeMutablePointer<Float>
    /// rows · blocksPerRow Float minimums m (Q4_1 only; one unused element otherwise).
    let mins: UnsafeMutablePointer<Float>
    /// The quantised values, `format.quantBytes` per block, block after block, row after row.
    let quants: UnsafeMutableRawPointer

    /// Bytes held in memory for the weights.
    public var byteCount: Int {
        rows * blocksPerRow * (format.quantBytes + (format == .q8_0 ? 4 : 8))
    }

    /// A matrix from ggml blocks as they lie in a GGUF file: `rows` rows of `columns / 32`
    /// blocks each, `format.ggmlBlockBytes` bytes per block. The caller checks the byte count
    /// (a GGUF file's tensor info fixes it); a mismatch here is a programming error and traps.
    public init(format: Format, rows: Int, columns: Int, ggmlBlocks: UnsafeRawBufferPointer) {
        precondition(rows >= 0 && columns >= 0 && columns % Self.blockSize == 0,
                     "QuantizedMatrix: \(rows) × \(columns) is not rows of whole 32-weight blocks")
        let blocksPerRow = columns / Self.blockSize
        let blocks = rows * blocksPerRow
        precondition(ggmlBlocks.count == blocks * format.ggmlBlockBytes,
                     "QuantizedMatrix: \(ggmlBlocks.count) bytes for \(blocks) \(format) blocks")
        self.format = format == .q4_0 ? .q4_1 : format
        self.rows = rows
        self.columns = columns
        self.blocksPerRow = blocksPerRow
        scales = .allocate(capacity: max(1, blocks))
        mins = .allocate(capacity: self.format == .q4_1 ? max(1, blocks) : 1)
        mins.initialize(repeating: 0, count: self.format == .q4_1 ? max(1, blocks) : 1)
        let quantBytes = self.format.quantBytes
        quants = .allocate(byteCount: max(1, blocks * quantBytes), alignment: 64)
        guard blocks > 0, let source = ggmlBlocks.baseAddress else { return }

        for block in 0..<blocks {
            let p = source + block * format.ggmlBlockBytes
            let d = Self.half(p, 0)
            scales[block] = d
            let target = quants + block * quantBytes
            switch format {
            case .q4_1:
                mins[block] = Self.half(p, 2)
                target.copyMemory(from: p + 4, byteCount: 16)
            case .q4_0:
                mins[block] = -8 * d
                target.copyMemory(from: p + 2, byteCount: 16)
            case .q8_0:
                target.copyMemory(from: p + 2, byteCount: 32)
            }
        }
    }

    deinit {
        scales.deallocate()
        mins.deallocate()
        quants.deallocate()
    }

    // MARK: Dequantising

    /// Row `row` as Floats, exactly as ggml's `dequantize_row_*` computes it (d·q + m as two
    /// rounded Float operations; for Q4_0, d·(q − 8)). Used for embedding lookups and tests.
    public func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "QuantizedMatrix.dequantizeRow: row \(row) of \(rows)")
        for b in 0..<blocksPerRow {
            let block = row * blocksPerRow + b
            let d = scales[block]
            let q = UnsafeRawPointer(quants + block * format.quantBytes)
            let o = out + b * Self.blockSize
            switch format {
            case .q8_0:
                for j in 0..<32 { o[j] = Float(Int8(bitPattern: q.load(fromByteOffset: j, as: UInt8.self))) * d }
            default:
                let m = mins[block]
                for j in 0..<16 {
                    let byte = q.load(fromByteOffset: j, as: UInt8.self)
                    o[j] = Float(byte & 0x0F) * d + m
                    o[j + 16] = Float(byte >> 4) * d + m
                }
            }
        }
    }

    /// The whole matrix as Floats, row-major (`dequantizeRow` for every row).
    public func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            if let base = buffer.baseAddress {
                for r in 0..<rows { dequantizeRow(r, into: base + r * columns) }
            }
            initialized = rows * columns
        }
    }

    // MARK: Multiplying

    /// Y[inputRows × self.rows] = X[inputRows × columns] · Wᵀ, X and Y row-major and contiguous.
    /// `threads` ≤ 1 runs on the calling thread; any count gives the same bits.
    public func multiply(x: UnsafePointer<Float>, rows inputRows: Int, y: UnsafeMutablePointer<Float>,
                         threads: Int = 1) {
        QuantizedMatrix.multiply([(self, y)], x: x, rows: inputRows, threads: threads)
    }

    /// Several products with the same X at once (a layer's query, key and value projections,
    /// say): `jobs[i].y = X · jobs[i].matrix ᵀ`. All matrices need `columns` equal to X's width.
    /// One round of thread hand-offs serves all of them, which matters when each product takes
    /// only a few microseconds.
    public static func multiply(_ jobs: [(matrix: QuantizedMatrix, y: UnsafeMutablePointer<Float>)],
                                x: UnsafePointer<Float>, rows inputRows: Int, threads: Int = 1) {
        precondition(inputRows >= 0, "QuantizedMatrix.multiply: negative row count")
        guard let first = jobs.first, inputRows > 0 else { return }
        let columns = first.matrix.columns, blocksPerRow = first.matrix.blocksPerRow
        precondition(jobs.allSatisfy { $0.matrix.columns == columns },
                     "QuantizedMatrix.multiply: the matrices of one call must share their input width")
        let totalOutputs = jobs.reduce(0) { $0 + $1.matrix.rows }
        if totalOutputs == 0 { return }

        if inputRows >= batchedRows {
            multiplyBatched(jobs, x: x, rows: inputRows, threads: threads)
            return
        }

        // Σ of each block of 32 inputs, per input row: the minimum's share of every Q4_1 block,
        // laid out for `minimumLanes` (see there): `sumStride` floats per input row.
        let sumStride = minimumSumStride(blocks: blocksPerRow)
        let blockSums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, inputRows * sumStride))
        defer { blockSums.deallocate() }
        for t in 0..<inputRows {
            fillMinimumSums(x: x + t * columns, blocks: blocksPerRow, into: blockSums + t * sumStride)
        }

        // A fixed split: worker w takes outputs total·w/W ..< total·(w+1)/W of all the jobs'
        // outputs laid end to end (at least 64 outputs per worker, so tiny products stay on one
        // thread). Each output is one call of the same row routine whoever computes it.
        let pool = WorkerPool.shared
        let workers = max(1, min(threads, pool.maximumWorkers, totalOutputs / 64))
        // nonisolated(unsafe): the workers only read `x` and `sums`, which outlive `pool.run`
        // (it returns when every worker has finished).
        nonisolated(unsafe) let x = x
        nonisolated(unsafe) let sums = blockSums
        let outputs = jobs.map { UncheckedPointer(pointer: $0.y) }
        let matrices = jobs.map(\.matrix)
        pool.run(workers: workers) { worker in
            let begin = totalOutputs * worker / workers, end = totalOutputs * (worker + 1) / workers
            var offset = 0
            for (index, matrix) in matrices.enumerated() {
                let lower = max(begin, offset), upper = min(end, offset + matrix.rows)
                if lower < upper {
                    matrix.multiplySlice(x: x, inputRows: inputRows, blockSums: sums, sumStride: sumStride,
                                         y: outputs[index].pointer,
                                         range: (lower - offset)..<(upper - offset))
                }
                offset += matrix.rows
            }
        }
    }

    /// Outputs `range` for every input row.
    private func multiplySlice(x: UnsafePointer<Float>, inputRows: Int, blockSums: UnsafePointer<Float>,
                               sumStride: Int, y: UnsafeMutablePointer<Float>, range: Range<Int>) {
        let blocks = blocksPerRow, quantBytes = format.quantBytes
        let split = NibbleSplit.current
        for o in range {
            let q = UnsafeRawPointer(quants + o * blocks * quantBytes)
            let d = UnsafePointer(scales + o * blocks), m = UnsafePointer(mins + o * blocks)
            var t = 0
            while t + 4 <= inputRows {
                let xt = x + t * columns, st = blockSums + t * sumStride
                switch format {
                case .q8_0:
                    Self.dotQ8_0x4(q: q, d: d, blocks: blocks, x: xt, rowStride: columns,
                                   into: y + t * rows + o, outputStride: rows)
                default:
                    Self.dotQ4_1x4(q: q, d: d, m: m, blocks: blocks, x: xt, rowStride: columns,
                                   sums: st, sumStride: sumStride, into: y + t * rows + o, outputStride: rows,
                                   split: split)
                }
                t += 4
            }
            while t < inputRows {
                let xt = x + t * columns
                switch format {
                case .q8_0:
                    y[t * rows + o] = Self.dotQ8_0(q: q, d: d, blocks: blocks, x: xt)
                default:
                    y[t * rows + o] = Self.dotQ4_1(q: q, d: d, m: m, blocks: blocks, x: xt,
                                                   sums: blockSums + t * sumStride, split: split)
                }
                t += 1
            }
        }
    }

    // MARK: Row routines

    typealias V = SIMD16<Float>

    /// The sum of the lanes as a tree (halves, quarters, …): four vector additions. The
    /// standard library's `sum()` compiled here to a chain of fifteen scalar additions, which
    /// cost as much as the rest of a short row.
    @inline(__always)
    package static func sum(_ v: SIMD16<Float>) -> Float {
        let h8 = v.lowHalf + v.highHalf
        let h4 = h8.lowHalf + h8.highHalf
        let h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    /// 16 signed bytes as 16 Float lanes. Written lane by lane on purpose: the generic SIMD
    /// integer and float conversions of the standard library are not inlined (each is a function
    /// call with the vector split across four registers); this form compiles to one vpmovsxbd
    /// and one vcvtdq2ps with AVX-512.
    @inline(__always)
    static func floats(_ r: SIMD16<Int8>) -> V {
        var w = SIMD16<Int32>()
        w[0] = Int32(r[0]); w[1] = Int32(r[1]); w[2] = Int32(r[2]); w[3] = Int32(r[3])
        w[4] = Int32(r[4]); w[5] = Int32(r[5]); w[6] = Int32(r[6]); w[7] = Int32(r[7])
        w[8] = Int32(r[8]); w[9] = Int32(r[9]); w[10] = Int32(r[10]); w[11] = Int32(r[11])
        w[12] = Int32(r[12]); w[13] = Int32(r[13]); w[14] = Int32(r[14]); w[15] = Int32(r[15])
        var f = V()
        for i in 0..<16 { f[i] = Float(w[i]) }
        return f
    }

    // MARK: The minimums' share

    /// Floats per input row of block sums: `blocks` rounded up to whole groups of 16 (one SIMD16
    /// each), or just `blocks` below 16.
    static func minimumSumStride(blocks: Int) -> Int {
        blocks < 16 ? blocks : (blocks + 15) / 16 * 16
    }

    /// The block sums Σⱼ x[32b + j] of one input row, laid out for `minimumLanes`: whole groups of
    /// 16 blocks as they are; a last partial group stored as the 16 lanes that line up with the
    /// row's *last* 16 minimums (m[blocks − 16 ..< blocks]), the lanes already counted in the
    /// groups before set to zero. Then every load of minimums stays inside its own row (a
    /// neighbouring row's minimum never enters, even times zero), and the tail costs one SIMD16
    /// multiply-add instead of a scalar loop.
    static func fillMinimumSums(x: UnsafePointer<Float>, blocks: Int, into sums: UnsafeMutablePointer<Float>) {
        func blockSum(_ b: Int) -> Float {
            // Four partial sums of 8: a short dependency chain (the order only moves the last bit).
            let xb = x + blockSize * b
            var s = SIMD8<Float>()
            for j in stride(from: 0, to: blockSize, by: 8) {
                s += UnsafeRawPointer(xb + j).loadUnaligned(as: SIMD8<Float>.self)
            }
            let h4 = s.lowHalf + s.highHalf
            let h2 = h4.lowHalf + h4.highHalf
            return h2[0] + h2[1]
        }
        if blocks < 16 {
            for b in 0..<blocks { sums[b] = blockSum(b) }
            return
        }
        let whole = blocks / 16 * 16
        for b in 0..<whole { sums[b] = blockSum(b) }
        if whole < blocks {
            for lane in 0..<16 {
                let b = blocks - 16 + lane
                sums[whole + lane] = b >= whole ? blockSum(b) : 0
            }
        }
    }

    /// Σ_b m[b]·s[b] as 16 lanes still to be added up (with the q·x accumulators, in one tree),
    /// `s` laid out by `fillMinimumSums`. From 16 blocks on it is one SIMD16 multiply-add per 16
    /// blocks; a row of SmolLM2's (18 or 48 blocks) takes two or three.
    @inline(__always)
    static func minimumLanes(_ m: UnsafePointer<Float>, _ s: UnsafePointer<Float>, blocks: Int) -> V {
        if blocks < 16 {
            var total: Float = 0
            for b in 0..<blocks { total += m[b] * s[b] }
            var lanes = V()
            lanes[0] = total
            return lanes
        }
        let rm = UnsafeRawPointer(m), rs = UnsafeRawPointer(s)
        var acc = V()
        var b = 0
        while b + 16 <= blocks {
            acc = multiplyAdd(acc, rm.loadUnaligned(fromByteOffset: 4 * b, as: V.self), rs.loadUnaligned(fromByteOffset: 4 * b, as: V.self))
            b &+= 16
        }
        if b < blocks {
            acc = multiplyAdd(acc, rm.loadUnaligned(fromByteOffset: 4 * (blocks - 16), as: V.self), rs.loadUnaligned(fromByteOffset: 4 * b, as: V.self))
        }
        return acc
    }

#if DEBUG
    /// `minimumLanes` in scalar form for debug builds (the same products, summed in order).
    static func minimumSum(_ m: UnsafePointer<Float>, _ s: UnsafePointer<Float>, blocks: Int) -> Float {
        if blocks < 16 { return (0..<blocks).reduce(0) { $0 + m[$1] * s[$1] } }
        let whole = blocks / 16 * 16
        var total: Float = 0
        for b in 0..<whole { total += m[b] * s[b] }
        if whole < blocks { for lane in 0..<16 { total += m[blocks - 16 + lane] * s[whole + lane] } }
        return total
    }
#endif

    // MARK: Q4_1

    /// 16 bytes zero-extended to 16 Int32 lanes. Written lane by lane on purpose (see
    /// `floats(_: SIMD16<Int8>)`): this compiles to one vpmovzxbd, with the load folded in.
    @inline(__always)
    static func widen(_ r: SIMD16<UInt8>) -> SIMD16<Int32> {
        var w = SIMD16<Int32>()
        w[0] = Int32(r[0]); w[1] = Int32(r[1]); w[2] = Int32(r[2]); w[3] = Int32(r[3])
        w[4] = Int32(r[4]); w[5] = Int32(r[5]); w[6] = Int32(r[6]); w[7] = Int32(r[7])
        w[8] = Int32(r[8]); w[9] = Int32(r[9]); w[10] = Int32(r[10]); w[11] = Int32(r[11])
        w[12] = Int32(r[12]); w[13] = Int32(r[13]); w[14] = Int32(r[14]); w[15] = Int32(r[15])
        return w
    }

    /// 16 Int32 lanes as Floats (one vcvtdq2ps).
    @inline(__always)
    static func floats(_ w: SIMD16<Int32>) -> V {
        var f = V()
        for i in 0..<16 { f[i] = Float(w[i]) }
        return f
    }

    /// The 32 weights' q of one Q4_1 block as two Float vectors: the low nibbles (weights 0–15)
    /// and the high ones (16–31). The 16 bytes are widened to 32-bit lanes first (one vpmovzxbd
    /// with the load folded in) and the nibbles split there: one AND, one 32-bit shift.
    @inline(__always)
    static func nibbles(_ q: UnsafeRawPointer, block b: Int, split: NibbleSplit) -> (low: V, high: V) {
        let w = widen(q.loadUnaligned(fromByteOffset: 16 &* b, as: SIMD16<UInt8>.self))
        return (floats(w & split.mask), floats(w &>> split.shift))
    }

    /// One Q4_1 row · x: Σ_b d_b·(q_b·x_b) + Σ_b m_b·sum(x_b). Even and odd blocks go to two
    /// accumulators so consecutive blocks do not wait for each other's additions; the minimums'
    /// lanes (`minimumLanes`) join them before the one horizontal sum.
    @inline(__always)
    static func dotQ4_1(q: UnsafeRawPointer, d: UnsafePointer<Float>, m: UnsafePointer<Float>, blocks: Int,
                        x: UnsafePointer<Float>, sums: UnsafePointer<Float>, split: NibbleSplit) -> Float {
#if DEBUG
        var total: Float = 0
        for b in 0..<blocks {
            let xb = x + 32 * b
            var s0: Float = 0, s1: Float = 0
            for j in 0..<16 {
                let byte = q.load(fromByteOffset: 16 * b + j, as: UInt8.self)
                s0 += Float(byte & 0x0F) * xb[j]
                s1 += Float(byte >> 4) * xb[j + 16]
            }
            total += d[b] * (s0 + s1)
        }
        return total + minimumSum(m, sums, blocks: blocks)
#else
        let rx = UnsafeRawPointer(x)
        var acc0 = V(), acc1 = V()
        // Block b's q·x times its scale, added to `acc` (the accumulator of b's parity).
        @inline(__always)
        func block(_ b: Int, into acc: inout V) {
            let n = nibbles(q, block: b, split: split)
            let t = multiplyAdd(n.low * rx.loadUnaligned(fromByteOffset: 128 &* b, as: V.self),
                                n.high, rx.loadUnaligned(fromByteOffset: 128 &* b &+ 64, as: V.self))
            acc = multiplyAdd(acc, t, V(repeating: d[b]))
        }
        var b = 0
        // Four blocks per iteration: the loop's own counting and branching is spread over more
        // work (the same additions in the same order as two at a time).
        while b &+ 4 <= blocks {
            block(b, into: &acc0)
            block(b &+ 1, into: &acc1)
            block(b &+ 2, into: &acc0)
            block(b &+ 3, into: &acc1)
            b &+= 4
        }
        while b &+ 2 <= blocks {
            block(b, into: &acc0)
            block(b &+ 1, into: &acc1)
            b &+= 2
        }
        if b < blocks { block(b, into: &acc0) }
        return sum((acc0 + acc1) + minimumLanes(m, sums, blocks: blocks))
#endif
    }

    /// `dotQ4_1` for four rows of x at once (sharing the expansion of each block), bit for bit.
    @inline(__always)
    static func dotQ4_1x4(q: UnsafeRawPointer, d: UnsafePointer<Float>, m: UnsafePointer<Float>, blocks: Int,
                          x: UnsafePointer<Float>, rowStride: Int, sums: UnsafePointer<Float>, sumStride: Int,
                          into y: UnsafeMutablePointer<Float>, outputStride: Int, split: NibbleSplit) {
#if DEBUG
        for r in 0..<4 {
            y[r * outputStride] = dotQ4_1(q: q, d: d, m: m, blocks: blocks, x: x + r * rowStride,
                                          sums: sums + r * sumStride, split: split)
        }
#else
        let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + rowStride)
        let x2 = UnsafeRawPointer(x + 2 * rowStride), x3 = UnsafeRawPointer(x + 3 * rowStride)
        // a<parity><row>: the same two accumulators per row as `dotQ4_1`.
        var a00 = V(), a01 = V(), a02 = V(), a03 = V()
        var a10 = V(), a11 = V(), a12 = V(), a13 = V()
        var b = 0
        while b < blocks {
            let (lo, hi) = nibbles(q, block: b, split: split)
            let scale = V(repeating: d[b])
            let offset = 128 &* b
            let t0 = multiplyAdd(lo * x0.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x0.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t1 = multiplyAdd(lo * x1.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x1.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t2 = multiplyAdd(lo * x2.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x2.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t3 = multiplyAdd(lo * x3.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x3.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            if b & 1 == 0 {
                a00 = multiplyAdd(a00, t0, scale); a01 = multiplyAdd(a01, t1, scale); a02 = multiplyAdd(a02, t2, scale); a03 = multiplyAdd(a03, t3, scale)
            } else {
                a10 = multiplyAdd(a10, t0, scale); a11 = multiplyAdd(a11, t1, scale); a12 = multiplyAdd(a12, t2, scale); a13 = multiplyAdd(a13, t3, scale)
            }
            b &+= 1
        }
        y[0] = sum((a00 + a10) + minimumLanes(m, sums, blocks: blocks))
        y[outputStride] = sum((a01 + a11) + minimumLanes(m, sums + sumStride, blocks: blocks))
        y[2 * outputStride] = sum((a02 + a12) + minimumLanes(m, sums + 2 * sumStride, blocks: blocks))
        y[3 * outputStride] = sum((a03 + a13) + minimumLanes(m, sums + 3 * sumStride, blocks: blocks))
#endif
    }

    /// One Q8_0 row · x: Σ_b d_b·(q_b·x_b), even and odd blocks in two accumulators.
    @inline(__always)
    static func dotQ8_0(q: UnsafeRawPointer, d: UnsafePointer<Float>, blocks: Int, x: UnsafePointer<Float>) -> Float {
#if DEBUG
        var total: Float = 0
        for b in 0..<blocks {
            let xb = x + 32 * b
            var s0: Float = 0, s1: Float = 0
            for j in 0..<16 {
                s0 += Float(Int8(bitPattern: q.load(fromByteOffset: 32 * b + j, as: UInt8.self))) * xb[j]
                s1 += Float(Int8(bitPattern: q.load(fromByteOffset: 32 * b + 16 + j, as: UInt8.self))) * xb[j + 16]
            }
            total += d[b] * (s0 + s1)
        }
        return total
#else
        let rx = UnsafeRawPointer(x)
        var acc0 = V(), acc1 = V()
        // Block b's q·x times its scale, added to `acc` (the accumulator of b's parity).
        @inline(__always)
        func block(_ b: Int, into acc: inout V) {
            let t = multiplyAdd(floats(q.loadUnaligned(fromByteOffset: 32 &* b, as: SIMD16<Int8>.self))
                                    * rx.loadUnaligned(fromByteOffset: 128 &* b, as: V.self),
                                floats(q.loadUnaligned(fromByteOffset: 32 &* b &+ 16, as: SIMD16<Int8>.self)),
                                rx.loadUnaligned(fromByteOffset: 128 &* b &+ 64, as: V.self))
            acc = multiplyAdd(acc, t, V(repeating: d[b]))
        }
        var b = 0
        // Four blocks per iteration, as in `dotQ4_1`.
        while b &+ 4 <= blocks {
            block(b, into: &acc0)
            block(b &+ 1, into: &acc1)
            block(b &+ 2, into: &acc0)
            block(b &+ 3, into: &acc1)
            b &+= 4
        }
        while b &+ 2 <= blocks {
            block(b, into: &acc0)
            block(b &+ 1, into: &acc1)
            b &+= 2
        }
        if b < blocks { block(b, into: &acc0) }
        return sum(acc0 + acc1)
#endif
    }

    /// `dotQ8_0` for four rows of x at once, bit for bit.
    @inline(__always)
    static func dotQ8_0x4(q: UnsafeRawPointer, d: UnsafePointer<Float>, blocks: Int, x: UnsafePointer<Float>,
                          rowStride: Int, into y: UnsafeMutablePointer<Float>, outputStride: Int) {
#if DEBUG
        for r in 0..<4 { y[r * outputStride] = dotQ8_0(q: q, d: d, blocks: blocks, x: x + r * rowStride) }
#else
        let x0 = UnsafeRawPointer(x), x1 = UnsafeRawPointer(x + rowStride)
        let x2 = UnsafeRawPointer(x + 2 * rowStride), x3 = UnsafeRawPointer(x + 3 * rowStride)
        var a00 = V(), a01 = V(), a02 = V(), a03 = V()
        var a10 = V(), a11 = V(), a12 = V(), a13 = V()
        var b = 0
        while b < blocks {
            let lo = floats(q.loadUnaligned(fromByteOffset: 32 &* b, as: SIMD16<Int8>.self))
            let hi = floats(q.loadUnaligned(fromByteOffset: 32 &* b &+ 16, as: SIMD16<Int8>.self))
            let scale = V(repeating: d[b])
            let offset = 128 &* b
            let t0 = multiplyAdd(lo * x0.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x0.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t1 = multiplyAdd(lo * x1.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x1.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t2 = multiplyAdd(lo * x2.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x2.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            let t3 = multiplyAdd(lo * x3.loadUnaligned(fromByteOffset: offset, as: V.self), hi, x3.loadUnaligned(fromByteOffset: offset &+ 64, as: V.self))
            if b & 1 == 0 {
                a00 = multiplyAdd(a00, t0, scale); a01 = multiplyAdd(a01, t1, scale); a02 = multiplyAdd(a02, t2, scale); a03 = multiplyAdd(a03, t3, scale)
            } else {
                a10 = multiplyAdd(a10, t0, scale); a11 = multiplyAdd(a11, t1, scale); a12 = multiplyAdd(a12, t2, scale); a13 = multiplyAdd(a13, t3, scale)
            }
            b &+= 1
        }
        y[0] = sum(a00 + a10)
        y[outputStride] = sum(a01 + a11)
        y[2 * outputStride] = sum(a02 + a12)
        y[3 * outputStride] = sum(a03 + a13)
#endif
    }

    // MARK: Float16

    /// IEEE half-precision bits at `offset` (little-endian) as Float, exactly (every half is a
    /// Float). Done by hand: `Float16` is not available on every platform Swift builds for.
    @inline(__always)
    static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        floatFromHalf(UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^−24, exact in Float.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))   // inf or NaN
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}

/// A raw pointer that may cross into the worker closures (each worker writes disjoint outputs).
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
}

/// The mask (0x0F) and shift (4) that split a byte of a Q4_1 block into its two weights, as
/// 16-lane vectors.
///
/// **Why they are read at run time.** Written as constants, the optimiser sees that the widened
/// lanes hold bytes and narrows `(w & 0x0F, w >> 4)` back to byte operations (x86 has no byte
/// shift, so that is a 16-bit shift plus an AND) followed by two widenings: 8 instructions per
/// block instead of 5 (measured in the disassembly). A value the optimiser cannot know keeps the
/// operations on 32-bit lanes. `nibbleBits` never changes.
struct NibbleSplit {
    let mask: SIMD16<Int32>
    let shift: SIMD16<Int32>

    private static let nibbleBits = Atomic<Int32>(4)

    static var current: NibbleSplit {
        let bits = nibbleBits.load(ordering: .relaxed)
        return NibbleSplit(mask: SIMD16(repeating: (1 << bits) - 1), shift: SIMD16(repeating: bits))
    }
}
