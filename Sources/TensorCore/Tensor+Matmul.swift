import Dispatch

extension Tensor {
    /// The matrix product, in three forms:
    ///
    /// - `[m, k] x [k, n] -> [m, n]`: plain matrices.
    /// - `[..., m, k] x [..., k, n] -> [..., m, n]`: a batch of products; the leading (batch)
    ///   axes must be equal, e.g. one product per head in `[B, h, T, dh] x [B, h, dh, T]`.
    /// - `[..., m, k] x [k, n] -> [..., m, n]`: every matrix of the batch times the same right
    ///   matrix, e.g. activations `[B, T, d]` times a weight `[d, d']`.
    ///
    /// Anything else throws `TensorError.shapeMismatch` naming both shapes.
    /// The arithmetic is done by `MatmulKernel.multiply`. `threads` is how many threads may
    /// share it (nil: one per processor when the whole product is large enough to gain, see
    /// `MatmulKernel.automaticThreads`); the result is bit-identical for any count.
    public func matmul(_ other: Tensor, threads: Int? = nil) throws -> Tensor {
        try product(other, transposingOther: false, threads: threads)
    }

    /// `matmul(other.transposed())` without making the transposed copy: the kernel reads
    /// `other`'s last two axes swapped while it packs them. Same shapes, same errors (naming the
    /// transposed shape), bit-identical result. Attention's Q·Kᵀ is the use.
    public func matmulTransposed(_ other: Tensor, threads: Int? = nil) throws -> Tensor {
        try product(other, transposingOther: true, threads: threads)
    }

    private func product(_ other: Tensor, transposingOther: Bool, threads: Int?) throws -> Tensor {
        var rightShape = other.shape
        if transposingOther && other.rank >= 2 { rightShape.swapAt(other.rank - 2, other.rank - 1) }
        let mismatch = TensorError.shapeMismatch(operation: "matmul", lhs: shape, rhs: rightShape)
        guard rank >= 2, other.rank >= 2 else { throw mismatch }
        let m = shape[rank - 2], k = shape[rank - 1]
        let n = rightShape[other.rank - 1]
        guard rightShape[other.rank - 2] == k else { throw mismatch }
        // Distance between rows of what `other` stores: n for B [k, n], k for Bᵀ [n, k].
        let ldb = transposingOther ? k : n

        let batchShape = Array(shape.dropLast(2))
        let sharedRight = other.rank == 2
        guard sharedRight || Array(rightShape.dropLast(2)) == batchShape else { throw mismatch }
        let batches = batchShape.reduce(1, *)

        let resultCount = batches * m * n
        let result = [Float](unsafeUninitializedCapacity: resultCount) { buffer, initializedCount in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    // With zero scalars there is nothing to compute (and the buffers' base
                    // addresses may be nil); the kernel would write nothing anyway.
                    guard resultCount > 0, let c = buffer.baseAddress else { return }
                    // k > 0 here implies both inputs are non-empty; with k == 0 the kernel only
                    // writes zeros into C, so any valid pointer will do for A and B.
                    let aBase = a.baseAddress ?? UnsafePointer(c)
                    let bBase = b.baseAddress ?? UnsafePointer(c)
                    if sharedRight || batches == 1 {
                        // Stacking the batch of left matrices gives one tall [batches·m, k]
                        // matrix: a single large product, which the kernel runs faster.
                        MatmulKernel.multiply(m: batches * m, n: n, k: k,
                                              a: aBase, lda: k, b: bBase, ldb: ldb, c: c, ldc: n,
                                              transposedB: transposingOther, threads: threads)
                        return
                    }
                    let workers = min(batches, threads ?? MatmulKernel.automaticThreads(m: batches * m, n: n, k: k))
                    if workers <= 1 {
                        for batch in 0..<batches {
                            MatmulKernel.multiply(m: m, n: n, k: k,
                                                  a: aBase + batch * m * k, lda: k,
                                                  b: bBase + batch * k * n, ldb: ldb,
                                                  c: c + batch * m * n, ldc: n, transposedB: transposingOther, threads: 1)
                        }
                        return
                    }
                    // Many products (one per head, say), each usually too small to split:
                    // the threads take whole products from a shared counter instead. Each
                    // product is computed on one thread exactly as above, so the bits do not
                    // depend on the thread count.
                    // nonisolated(unsafe): the buffers outlive `run`; a and b are only read,
                    // and each product's slice of c is written by the one thread that took it.
                    nonisolated(unsafe) let a = aBase, b = bBase, cBase = c
                    let transposingOther = transposingOther
                    let counter = ChunkCounter()
                    defer { counter.deallocate() }
                    WorkerPool.shared.run(workers: min(workers, WorkerPool.shared.maximumWorkers)) { _ in
                        while true {
                            let batch = counter.next()
                            if batch >= batches { break }
                            MatmulKernel.multiply(m: m, n: n, k: k,
                                                  a: a + batch * m * k, lda: k,
                                                  b: b + batch * k * n, ldb: ldb,
                                                  c: cBase + batch * m * n, ldc: n, transposedB: transposingOther, threads: 1)
                        }
                    }
                }
            }
            initializedCount = resultCount
        }
        return Tensor(validatedShape: batchShape + [m, n], scalars: result)
    }
}
