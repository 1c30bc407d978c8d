/// Many rows of X times a quantised weight matrix, as a real matrix product (GEMM): the prompt
/// of a decoder, where every weight meets every token.
///
/// `QuantizedMatrix.multiply` on one row (decoding) expands each block of weights in registers
/// and uses it once: memory-bound, the right thing for a single token. For a prompt of T tokens
/// the same weights serve T rows, and re-expanding a block for every few rows would spend more
/// time converting nibbles than multiplying. So here each weight is dequantised once per product
/// into a small Float buffer that stays in L2, and the multiplying is done by `MatmulKernel`'s
/// register-blocked micro-kernel, at the speed of a Float matrix product.
///
/// The product is computed transposed: Yᵀ = W · Xᵀ. W's rows are contiguous along the input
/// axis, exactly what the micro-kernel wants for its broadcast operand (6 weight rows at a time,
/// dequantised `MatmulKernel.rowBlock` rows × `depthBlock` inputs per buffer), and Xᵀ is the
/// streamed operand: the activations are packed once per product into panels of 32 tokens,
/// depth-major, shared by every weight matrix of the call (the query, key and value projections
/// read the same packed X). Each 6 × 32 tile of Yᵀ is written into Y with a transposed store.
///
/// **The same bits as the Float product.** The dequantised weights are exactly
/// `dequantizeRow`'s (d·q + m, two rounded operations), and each element of Y is summed in the
/// micro-kernel's order (per depth block of 256, inputs in order; blocks added in order), which
/// is also the order `MatmulKernel.multiply` uses. So Y is bit-identical to
/// `MatmulKernel.multiply(X, dequantized Wᵀ)`, and — every element being computed the same way
/// whoever computes it — bit-identical for any thread count.
extension QuantizedMatrix {
    /// Inputs with at least this many rows take the matrix-product path; fewer rows use the
    /// row routines, whose cost per row is lower when the weights are used only a few times.
    public static let batchedRows = 8

    /// The batched product for `jobs` (see `multiply(_:x:rows:threads:)`); X has `inputRows`
    /// rows of `columns` scalars.
    static func multiplyBatched(_ jobs: [(matrix: QuantizedMatrix, y: UnsafeMutablePointer<Float>)],
                                x: UnsafePointer<Float>, rows inputRows: Int, threads: Int) {
        let columns = jobs[0].matrix.columns
        let panelWidth = MatmulKernel.microColumns, depthBlock = MatmulKernel.depthBlock
        let panels = (inputRows + panelWidth - 1) / panelWidth
        let paddedRows = panels * panelWidth
        let pool = WorkerPool.shared
        let workers = max(1, min(threads, pool.maximumWorkers))

        // Xᵀ packed: for each depth block, `panels` panels of depth × 32 scalars (token-minor).
        let packed = UnsafeMutableRawPointer.allocate(byteCount: max(1, columns * paddedRows) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, columns * paddedRows))
        defer { packed.deallocate() }
        // nonisolated(unsafe): both outlive `pool.run`; x is only read, and each worker packs its
        // own panels of `packed` (the next phase starts after `run` returns).
        nonisolated(unsafe) let xs = x, packedX = packed
        pool.run(workers: min(workers, panels)) { worker in
            for panel in stride(from: worker, to: panels, by: min(workers, panels)) {
                packActivations(x: xs, rows: inputRows, columns: columns, panel: panel, paddedRows: paddedRows,
                                into: packedX)
            }
        }

        // Work items: `rowBlock` outputs of one matrix each.
        let rowBlock = MatmulKernel.rowBlock
        var items: [(job: Int, start: Int)] = []
        for (index, job) in jobs.enumerated() {
            for start in stride(from: 0, to: job.matrix.rows, by: rowBlock) { items.append((index, start)) }
        }
        let itemList = items
        let outputs = jobs.map { UncheckedPointer(pointer: $0.y) }
        let matrices = jobs.map(\.matrix)
        let counter = ChunkCounter()
        defer { counter.deallocate() }
        pool.run(workers: min(workers, itemList.count)) { _ in
            let weights = UnsafeMutableRawPointer.allocate(byteCount: rowBlock * depthBlock * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: rowBlock * depthBlock)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: MatmulKernel.microRows * panelWidth)
            let spare = UnsafeMutablePointer<Float>.allocate(capacity: MatmulKernel.microRows * panelWidth)
            defer { weights.deallocate(); tile.deallocate(); spare.deallocate() }
            while true {
                let index = counter.next()
                if index >= itemList.count { break }
                let item = itemList[index]
                let matrix = matrices[item.job]
                matrix.multiplyRowBlock(start: item.start, count: min(rowBlock, matrix.rows - item.start),
                                        packedX: packedX, inputRows: inputRows, paddedRows: paddedRows,
                                        y: outputs[item.job].pointer, weights: weights, tile: tile, spare: spare)
            }
        }
    }

    /// Packs tokens panel·32 ..< panel·32 + 32 of X (zeros past the last row) into every depth
    /// block's copy of that panel: element (p, t) of the panel is X[t, block start + p].
    private static func packActivations(x: UnsafePointer<Float>, rows: Int, columns: Int, panel: Int,
                                        paddedRows: Int, into packed: UnsafeMutablePointer<Float>) {
        let width = MatmulKernel.microColumns
        for pc in stride(from: 0, to: columns, by: MatmulKernel.depthBlock) {
            let depth = min(MatmulKernel.depthBlock, columns - pc)
            let target = packed + pc * paddedRows + panel * depth * width
            for tt in 0..<width {
                let t = panel * width + tt
                if t < rows {
                    let source = x + t * columns + pc
                    for p in 0..<depth { target[p * width + tt] = source[p] }
                } else {
                    for p in 0..<depth { target[p * width + tt] = 0 }
                }
            }
        }
    }

    /// Outputs start ..< start + count of Y = X·Wᵀ: per depth block, dequantise those rows of W
    /// once, then run the micro-kernel over every panel of tokens.
    private func multiplyRowBlock(start: Int, count: Int, packedX: UnsafePointer<Float>, inputRows: Int,
                                  paddedRows: Int, y: UnsafeMutablePointer<Float>,
                                  weights: UnsafeMutablePointer<Float>, tile: UnsafeMutablePointer<Float>,
                                  spare: UnsafeMutablePointer<Float>) {
        let width = MatmulKernel.microColumns, microRows = MatmulKernel.microRows
        let panels = paddedRows / width
        for pc in stride(from: 0, to: columns, by: MatmulKernel.depthBlock) {
            let depth = min(MatmulKernel.depthBlock, columns - pc)
            for r in 0..<count { dequantize(row: start + r, from: pc, count: depth, into: weights + r * depth) }
            let accumulate = pc > 0
            for panel in 0..<panels {
                let xPanel = UnsafeRawPointer(packedX + pc * paddedRows + panel * depth * width)
                let t0 = panel * width
                let tokens = min(width, inputRows - t0)
                for ir in stride(from: 0, to: count, by: microRows) {
                    let rows = min(microRows, count - ir)
                    // A full 6 × 32 tile into `tile` (rows past `rows` repeat row 0; discarded).
                    MatmulKernel.microKernel(rows: rows, columns: width, depth: depth, a: weights + ir * depth, lda: depth,
                                             panel: xPanel, panelStride: width * 4, c: tile, ldc: width,
                                             accumulate: false, tile: spare)
                    // Transposed store: tile[r, t] is Y[t0 + t, start + ir + r].
                    let base = y + t0 * self.rows + start + ir
                    for t in 0..<tokens {
                        let target = base + t * self.rows
                        if accumulate {
                            for r in 0..<rows { target[r] += tile[r * width + t] }
                        } else {
                            for r in 0..<rows { target[r] = tile[r * width + t] }
                        }
                    }
                }
            }
        }
    }

    /// Weights `from ..< from + count` of row `row` as Floats, exactly as `dequantizeRow` computes
    /// them; `from` and `count` are multiples of 32.
    @inline(__always)
    private func dequantize(row: Int, from: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        let firstBlock = row * blocksPerRow + from / Self.blockSize
        let quantBytes = format.quantBytes
#if !DEBUG
        let split = NibbleSplit.current
#endif
        for b in 0..<(count / Self.blockSize) {
            let block = firstBlock + b
            let q = UnsafeRawPointer(quants + block * quantBytes)
            let o = UnsafeMutableRawPointer(out + b * Self.blockSize)
#if DEBUG
            let d = scales[block], m = mins[block]
            let f = out + b * Self.blockSize
            for j in 0..<16 {
                if format == .q8_0 {
                    f[j] = Float(Int8(bitPattern: q.load(fromByteOffset: j, as: UInt8.self))) * d
                    f[j + 16] = Float(Int8(bitPattern: q.load(fromByteOffset: 16 + j, as: UInt8.self))) * d
                } else {
                    let byte = q.load(fromByteOffset: j, as: UInt8.self)
                    f[j] = Float(byte & 0x0F) * d + m
                    f[j + 16] = Float(byte >> 4) * d + m
                }
            }
            _ = o
#else
            let d = V(repeating: scales[block])
            if format == .q8_0 {
                o.storeBytes(of: Self.floats(q.loadUnaligned(as: SIMD16<Int8>.self)) * d, as: V.self)
                o.storeBytes(of: Self.floats(q.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self)) * d,
                             toByteOffset: 64, as: V.self)
            } else {
                let m = V(repeating: mins[block])
                let (low, high) = Self.nibbles(q, block: 0, split: split)
                o.storeBytes(of: low * d + m, as: V.self)
                o.storeBytes(of: high * d + m, toByteOffset: 64, as: V.self)
            }
#endif
        }
    }
}
