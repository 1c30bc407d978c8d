#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The one place where matrices are multiplied. Everything else in TensorCore aims to be
/// readable; this file aims to be fast, so here is how it is organised (the structure is the
/// classic one from Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008).
///
/// The work is C = A·B with A [m×k], B [k×n], C [m×n], all row-major with leading dimensions.
///
/// 1. **Micro-kernel (registers).** A tile of `microRows` × `microColumns` of C (6 × 32) is held
///    in 12 SIMD16 accumulators for the whole depth of a block. Each step along k loads one row
///    of 32 B scalars (two vectors) and, for each of the 6 rows, broadcasts one A scalar and does
///    two multiply-adds. Twelve independent accumulators keep the floating-point pipes busy
///    despite the latency of each add.
/// 2. **Packing B.** A `depthBlock` × `columnBlock` block of B is copied into a buffer as
///    panels of 32 columns, each stored depth-major and contiguous, so the micro-kernel reads B
///    strictly sequentially while it sweeps down the rows of A.
/// 3. **Blocking over rows of A.** `rowBlock` rows of A by `depthBlock` columns are reused for
///    every panel of the packed block.
///    Products with few rows (m ≤ `directRows`, e.g. 16 tokens times a weight matrix) skip the
///    copy: each panel would serve only a few tiles, so the kernel reads B's rows in place.
///
///    **Why the blocks are deep.** The textbook sizes keep a panel of B in L1 (depth 256 here,
///    32 KiB). On the development machine (AMD Zen 4: one 512-bit FMA per cycle, 32 KiB L1,
///    1 MiB L2) a tile's 12 FMAs per step take 12 cycles while its 152 bytes of A and B come
///    from L2 in a few, so the panel can live in L2, and what costs is each micro-kernel call's
///    start and end (12 accumulators loaded from C, added and stored back). Measured with FMA
///    at 1024³ and 2048³ on one thread: depth 256 gave 93–95 GFLOP/s, 512 gave 98–105, 1024
///    (with 256-column blocks, so the packed block stays at 1 MiB) 107–110. Packing A as well
///    (the other half of the textbook scheme) was slower here, 85–87, and is not done.
/// 4. **Edges.** The packed panels are zero-padded to 32 columns, and missing rows of A at the
///    bottom edge read a valid row instead (its results are thrown away), so the same SIMD
///    micro-kernel computes every tile. A partial tile is written through a small scratch tile
///    and copied into C by a scalar loop, which touches only the valid part of C. That is the
///    scalar tail for sizes that are not multiples of the vector width or the blocks.
///
/// Multiply-adds go through `multiplyAdd` (FusedMultiplyAdd.swift): one FMA instruction in the
/// release builds of the scripts, a multiply and an add otherwise.
///
/// **Threads.** Above `parallelThreshold` multiply-adds, C is cut into rectangles of whole
/// micro-tiles (columns first, then rows when there are few columns) and the threads take
/// rectangles from a shared counter until none is left, each with its own packing buffer. Every
/// rectangle runs the same blocked loop as the single-threaded product, and the depth blocks
/// always start at multiples of `depthBlock` of the full k, so each element of C is computed by
/// exactly the same sequence of operations whoever computes it: the result is bit-identical for
/// any thread count. (A lane of a SIMD accumulator does not care which tile it sits in.)
///
/// **A single row** (m = 1, a vector times a matrix, as in decoding one token) skips the tiles:
/// it streams the rows of B into a row of sums (`multiplyRow`), summing each element exactly as
/// the tiled kernel would, so a row has the same bits alone or inside a larger product.
package enum MatmulKernel {
    /// One SIMD register's worth of Floats (a zmm register with AVX-512, 4 xmm registers with SSE).
    typealias Vector = SIMD16<Float>

    /// Rows of C per micro-kernel tile. The micro-kernel is unrolled by hand for exactly this value.
    static let microRows = 6
    /// Columns of C per micro-kernel tile: two vectors. Also hand-unrolled.
    static let microColumns = 2 * Vector.scalarCount
    /// kc: the depth of one block. A packed panel is depthBlock × microColumns floats (128 KiB,
    /// read from L2: see "Why the blocks are deep" above).
    static let depthBlock = 1024
    /// nc: columns of B packed at a time (depthBlock × columnBlock floats = 1 MiB).
    static let columnBlock = 256
    /// mc: rows of A swept per packed block (rowBlock × depthBlock floats = 384 KiB).
    static let rowBlock = 96
    /// Products with at most this many rows read full panels of B in place instead of packing.
    static let directRows = 24

    /// Below this many multiply-adds (m·n·k) the automatic choice is one thread: waking a second
    /// thread costs some microseconds, as much as a product of this size takes on one core.
    /// Measured: 16×384·384×384 (2.4 M) ran slower on two threads than on one, 16×384·384×1536
    /// (9.4 M) faster.
    package static let parallelThreshold = 1 << 22
    /// The same for a single row (m = 1, n·k multiply-adds), whose columns split without any
    /// repeated packing: 576 × 1536 (0.9 M) is above it.
    package static let parallelRowThreshold = 1 << 18

    /// The thread count `multiply` uses when none is given: 1 for small products, otherwise
    /// one per online processor, but at most `automaticThreadLimit`.
    package static func automaticThreads(m: Int, n: Int, k: Int) -> Int {
        let (mn, o1) = m.multipliedReportingOverflow(by: n)
        let (mnk, o2) = mn.multipliedReportingOverflow(by: k)
        if !o1 && !o2 && mnk < parallelThreshold { return 1 }
        return max(1, min(activeProcessors, automaticThreadLimit.load(ordering: .relaxed)))
    }

    /// The most threads an automatic choice may take (the products of a model that does not
    /// say how many threads to use, such as MiniLM's). Unlimited by default; tx-bench sets it
    /// to compare with a baseline that runs on the same number of threads.
    package static let automaticThreadLimit = Atomic<Int>(Int.max)

    /// Read once: `sysconf` is a system call.
    static let activeProcessors: Int = {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return count > 0 ? Int(count) : 1
    }()

    /// C[m×n] = A[m×k] · B[k×n], all row-major with leading dimensions; C is overwritten.
    ///
    /// `lda`, `ldb` and `ldc` are the distances, in scalars, between the starts of consecutive
    /// rows, so sub-matrices of larger ones can be multiplied in place. Any m, n, k ≥ 0 works;
    /// with k = 0 the product is the zero matrix.
    ///
    /// `transposedB`: `b` holds Bᵀ instead, n rows of k scalars `ldb` apart (as K in Q·Kᵀ is
    /// stored), so B[p, j] is `b[j·ldb + p]`. Only the packing reads B, so nothing else changes
    /// and the result is bit-identical to multiplying by an explicit transposed copy.
    ///
    /// `threads`: how many threads share the work; nil picks `automaticThreads(m:n:k:)`, and
    /// 1 or less runs on the calling thread. The result is bit-identical for every thread count
    /// (see "Threads" at the top of the file).
    package static func multiply(m: Int, n: Int, k: Int,
                                a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                c: UnsafeMutablePointer<Float>, ldc: Int,
                                transposedB: Bool = false, threads: Int? = nil) {
        precondition(m >= 0 && n >= 0 && k >= 0, "MatmulKernel.multiply: negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            // An empty sum: C is all zeros. The main loop would never write C at all.
            for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            return
        }
        if m == 1 && !transposedB {
            // The columns are split between the workers at multiples of 16, so every element is
            // summed exactly as in a single-threaded row (see `multiplyRow`). Two threads pay
            // from `parallelRowThreshold` on: the worker pool's helper is already spinning, so a
            // hand-off costs about a microsecond (it took tens through Dispatch, which made a
            // 576 × 1536 row slower on two threads than on one).
            let (nk, overflow) = n.multipliedReportingOverflow(by: k)
            let automatic = !overflow && nk < parallelRowThreshold ? 1
                : min(activeProcessors, automaticThreadLimit.load(ordering: .relaxed))
            let workers = max(1, min(threads ?? automatic, WorkerPool.shared.maximumWorkers, n / 64))
            if workers == 1 {
                multiplyRow(n: n, k: k, a: a, b: b, ldb: ldb, c: c)
                return
            }
            // nonisolated(unsafe): the pointers outlive `run`; a and b are only read, and each
            // worker writes its own columns of c.
            nonisolated(unsafe) let a = a, b = b, c = c
            WorkerPool.shared.run(workers: workers) { worker in
                let j0 = boundary(worker, of: workers, size: n, unit: Vector.scalarCount)
                let j1 = boundary(worker + 1, of: workers, size: n, unit: Vector.scalarCount)
                if j1 > j0 { multiplyRow(n: j1 - j0, k: k, a: a, b: b + j0, ldb: ldb, c: c + j0) }
            }
            return
        }
        // B[p, j] is b[p·bRow + j·bColumn].
        let (bRow, bColumn) = transposedB ? (1, ldb) : (ldb, 1)
        let threads = threads ?? automaticThreads(m: m, n: n, k: k)
        let (rowChunks, columnChunks) = chunking(m: m, n: n, threads: threads)
        let chunks = rowChunks * columnChunks
        if threads <= 1 || chunks <= 1 {
            let scratch = Scratch(columns: n, depth: k)
            defer { scratch.deallocate() }
            multiplyBlocks(m: m, n: n, k: k, a: a, lda: lda, b: b, bRow: bRow, bColumn: bColumn,
                           c: c, ldc: ldc, scratch: scratch)
            return
        }

        // Chunk boundaries fall on whole micro-tiles (6 rows, 32 columns) where possible, so
        // that only the last chunk in each direction has edge tiles.
        // nonisolated(unsafe): the pointers outlive `run` (it returns when every worker is done);
        // a and b are only read, and each chunk of c is written by the one worker that took it.
        nonisolated(unsafe) let a = a, b = b, c = c
        let counter = ChunkCounter()
        defer { counter.deallocate() }
        let workers = min(threads, chunks, WorkerPool.shared.maximumWorkers)
        WorkerPool.shared.run(workers: workers) { _ in
            let scratch = Scratch(columns: n, depth: k)
            defer { scratch.deallocate() }
            while true {
                let chunk = counter.next()
                if chunk >= chunks { break }
                let rowIndex = chunk / columnChunks, columnIndex = chunk % columnChunks
                let i0 = boundary(rowIndex, of: rowChunks, size: m, unit: microRows)
                let i1 = boundary(rowIndex + 1, of: rowChunks, size: m, unit: microRows)
                let j0 = boundary(columnIndex, of: columnChunks, size: n, unit: microColumns)
                let j1 = boundary(columnIndex + 1, of: columnChunks, size: n, unit: microColumns)
                if i1 <= i0 || j1 <= j0 { continue }
                multiplyBlocks(m: i1 - i0, n: j1 - j0, k: k, a: a + i0 * lda, lda: lda,
                               b: b + j0 * bColumn, bRow: bRow, bColumn: bColumn,
                               c: c + i0 * ldc + j0, ldc: ldc, scratch: scratch)
            }
        }
    }

    /// How C is cut into rowChunks × columnChunks rectangles for `threads` threads: about four
    /// chunks per thread, so a thread slowed down by other work on the machine hands its share
    /// to the others, but no narrower than 64 columns or shorter than 24 rows, where the
    /// repeated packing of B (once per row chunk) and the edge tiles would start to cost.
    /// Columns are cut first: column chunks pack disjoint parts of B, so nothing is repeated.
    static func chunking(m: Int, n: Int, threads: Int) -> (rows: Int, columns: Int) {
        guard threads > 1 else { return (1, 1) }
        let wanted = 4 * threads
        let columns = max(1, min(n / 64, wanted))
        let rows = max(1, min(m / 24, (wanted + columns - 1) / columns))
        return (rows, columns)
    }

    /// Where chunk `index` of `count` starts along a side of `size`: near size·index/count,
    /// rounded to a multiple of `unit`.
    @inline(__always)
    static func boundary(_ index: Int, of count: Int, size: Int, unit: Int) -> Int {
        index == count ? size : min(size, (size * index / count + unit / 2) / unit * unit)
    }

    /// The packing buffer for B and the scratch tile for edges, owned by one thread.
    struct Scratch {
        let packed: UnsafeMutableRawPointer
        let tile: UnsafeMutablePointer<Float>

        /// Sized for blocks of at most `columns` columns and `depth` rows of B, not for a full
        /// block, so small products stay cheap.
        init(columns: Int, depth: Int) {
            let panelsPerBlock = (min(columns, columnBlock) + microColumns - 1) / microColumns
            let floats = min(depth, depthBlock) * panelsPerBlock * microColumns
            packed = UnsafeMutableRawPointer.allocate(byteCount: max(1, floats) * MemoryLayout<Float>.stride,
                                                      alignment: 64)
            packed.bindMemory(to: Float.self, capacity: floats)
            tile = .allocate(capacity: microRows * microColumns)
        }

        func deallocate() {
            packed.deallocate()
            tile.deallocate()
        }
    }

    /// The whole blocked product on one thread, for C or a rectangle of it.
    /// C[1×n] = a[1×k] · B[k×n] for a single row (a vector times a matrix): stream the rows of B
    /// and add each, times its scalar of a, into a row of n accumulators. The tiled kernel
    /// would spend five sixths of its multiply-adds on the missing rows 2–6 of its 6-row tile.
    ///
    /// Every element is summed exactly as the tiled kernel sums it (from zero, p in order within
    /// each depth block, then the block's sum added to C), so a row computed alone has the same
    /// bits as the same row inside a larger product, and a range of its columns the same bits
    /// as the whole row (a lane of a vector and the scalar tail do the same arithmetic).
    private static func multiplyRow(n: Int, k: Int, a: UnsafePointer<Float>,
                                    b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>) {
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { sums.deallocate() }
        for pc in stride(from: 0, to: k, by: depthBlock) {
            sums.update(repeating: 0, count: n)
            for p in pc..<min(k, pc + depthBlock) {
                let row = b + p * ldb
                var j = 0
#if !DEBUG
                let x = Vector(repeating: a[p])
                let rawSums = UnsafeMutableRawPointer(sums), rawRow = UnsafeRawPointer(row)
                while j + Vector.scalarCount <= n {
                    let offset = j * MemoryLayout<Float>.stride
                    let sum = multiplyAdd(rawSums.loadUnaligned(fromByteOffset: offset, as: Vector.self),
                                          x, rawRow.loadUnaligned(fromByteOffset: offset, as: Vector.self))
                    rawSums.storeBytes(of: sum, toByteOffset: offset, as: Vector.self)
                    j += Vector.scalarCount
                }
#endif
                let scalar = a[p]
                while j < n {
                    sums[j] = multiplyAdd(sums[j], scalar, row[j])
                    j += 1
                }
            }
            if pc == 0 {
                c.update(from: sums, count: n)
            } else {
                for j in 0..<n { c[j] += sums[j] }
            }
        }
    }

    static func multiplyBlocks(m: Int, n: Int, k: Int,
                                       a: UnsafePointer<Float>, lda: Int,
                                       b: UnsafePointer<Float>, bRow: Int, bColumn: Int,
                                       c: UnsafeMutablePointer<Float>, ldc: Int, scratch: Scratch) {
        let packed = scratch.packed, tile = scratch.tile
        for jc in stride(from: 0, to: n, by: columnBlock) {
            let blockColumns = min(columnBlock, n - jc)
            for pc in stride(from: 0, to: k, by: depthBlock) {
                let depth = min(depthBlock, k - pc)
                // With few rows of A each panel would be used by only a tile or two, so packing
                // (a read and a write of all of B) costs more than it saves: the micro-kernel
                // then reads full 32-column panels straight from B, a row of 128 bytes per step,
                // and only a partial last panel is packed (with its zero padding).
                let direct = m <= directRows && bColumn == 1
                let fullColumns = direct ? blockColumns / microColumns * microColumns : 0
                if fullColumns < blockColumns {
                    packB(depth: depth, columns: blockColumns - fullColumns,
                          from: b + pc * bRow + (jc + fullColumns) * bColumn,
                          rowStride: bRow, columnStride: bColumn, into: packed)
                }
                // The first depth block overwrites C; later ones add to it.
                let accumulate = pc > 0

                for ic in stride(from: 0, to: m, by: rowBlock) {
                    let blockRows = min(rowBlock, m - ic)
                    for jr in stride(from: 0, to: blockColumns, by: microColumns) {
                        // Either B itself (rows bRow apart) or the packed panel (rows 32 apart).
                        let panel: UnsafeRawPointer, panelStride: Int
                        if jr < fullColumns {
                            panel = UnsafeRawPointer(b + pc * bRow + jc + jr)
                            panelStride = bRow * MemoryLayout<Float>.stride
                        } else {
                            panel = UnsafeRawPointer(packed) + ((jr - fullColumns) / microColumns) * depth * microColumns
                                * MemoryLayout<Float>.stride
                            panelStride = microColumns * MemoryLayout<Float>.stride
                        }
                        let columns = min(microColumns, blockColumns - jr)
                        for ir in stride(from: 0, to: blockRows, by: microRows) {
                            let row = ic + ir
                            microKernel(rows: min(microRows, blockRows - ir), columns: columns, depth: depth,
                                        a: a + row * lda + pc, lda: lda, panel: panel, panelStride: panelStride,
                                        c: c + row * ldc + jc + jr, ldc: ldc,
                                        accumulate: accumulate, tile: tile)
                        }
                    }
                }
            }
        }
    }

    /// Copies B[0..<depth, 0..<columns] into panels of `microColumns` columns. Within a panel,
    /// row p of B occupies scalars p*microColumns ..< (p+1)*microColumns; columns beyond the
    /// matrix are zero, so they add nothing to the (discarded) padding columns of C.
    private static func packB(depth: Int, columns: Int, from b: UnsafePointer<Float>,
                              rowStride: Int, columnStride: Int,
                              into packed: UnsafeMutableRawPointer) {
        let destination = packed.assumingMemoryBound(to: Float.self)
        for jr in stride(from: 0, to: columns, by: microColumns) {
            let width = min(microColumns, columns - jr)
            let panel = destination + jr * depth
            if columnStride == 1 {
                for p in 0..<depth {
                    let source = b + p * rowStride + jr
                    let target = panel + p * microColumns
                    target.update(from: source, count: width)
                    if width < microColumns {
                        (target + width).update(repeating: 0, count: microColumns - width)
                    }
                }
            } else {
                // B stored transposed: each column of the panel is a contiguous row of Bᵀ.
                if width < microColumns {
                    for p in 0..<depth { (panel + p * microColumns + width).update(repeating: 0, count: microColumns - width) }
                }
                for j in 0..<width {
                    let source = b + (jr + j) * columnStride
                    for p in 0..<depth { panel[p * microColumns + j] = source[p * rowStride] }
                }
            }
        }
    }

    /// C tile (rows × columns, at most 6 × 32) = or += A[rows × depth] · panel[depth × 32].
    @inline(__always)
    static func microKernel(rows: Int, columns: Int, depth: Int,
                                    a: UnsafePointer<Float>, lda: Int, panel: UnsafeRawPointer, panelStride: Int,
                                    c: UnsafeMutablePointer<Float>, ldc: Int,
                                    accumulate: Bool, tile: UnsafeMutablePointer<Float>) {
        // Rows past the bottom edge re-read row 0: always valid memory, results discarded.
        let a0 = a
        let a1 = rows > 1 ? a + lda : a
        let a2 = rows > 2 ? a + 2 * lda : a
        let a3 = rows > 3 ? a + 3 * lda : a
        let a4 = rows > 4 ? a + 4 * lda : a
        let a5 = rows > 5 ? a + 5 * lda : a

        var c00 = Vector(), c01 = Vector()
        var c10 = Vector(), c11 = Vector()
        var c20 = Vector(), c21 = Vector()
        var c30 = Vector(), c31 = Vector()
        var c40 = Vector(), c41 = Vector()
        var c50 = Vector(), c51 = Vector()

        let vectorBytes = MemoryLayout<Vector>.stride
        var b = panel
        for p in 0..<depth {
            let b0 = b.loadUnaligned(as: Vector.self)
            let b1 = b.loadUnaligned(fromByteOffset: vectorBytes, as: Vector.self)
            b += panelStride

            var x = Vector(repeating: a0[p])
            c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
            x = Vector(repeating: a1[p])
            c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
            x = Vector(repeating: a2[p])
            c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
            x = Vector(repeating: a3[p])
            c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
            x = Vector(repeating: a4[p])
            c40 = multiplyAdd(c40, x, b0); c41 = multiplyAdd(c41, x, b1)
            x = Vector(repeating: a5[p])
            c50 = multiplyAdd(c50, x, b0); c51 = multiplyAdd(c51, x, b1)
        }

        if rows == microRows && columns == microColumns {
            // A full tile: store straight into C.
            store(c00, c01, to: c, accumulate: accumulate)
            store(c10, c11, to: c + ldc, accumulate: accumulate)
            store(c20, c21, to: c + 2 * ldc, accumulate: accumulate)
            store(c30, c31, to: c + 3 * ldc, accumulate: accumulate)
            store(c40, c41, to: c + 4 * ldc, accumulate: accumulate)
            store(c50, c51, to: c + 5 * ldc, accumulate: accumulate)
            return
        }

        // An edge tile: park the accumulators, then copy only the valid part, scalar by scalar.
        store(c00, c01, to: tile, accumulate: false)
        store(c10, c11, to: tile + microColumns, accumulate: false)
        store(c20, c21, to: tile + 2 * microColumns, accumulate: false)
        store(c30, c31, to: tile + 3 * microColumns, accumulate: false)
        store(c40, c41, to: tile + 4 * microColumns, accumulate: false)
        store(c50, c51, to: tile + 5 * microColumns, accumulate: false)
        for r in 0..<rows {
            let target = c + r * ldc
            let source = tile + r * microColumns
            for j in 0..<columns {
                target[j] = accumulate ? target[j] + source[j] : source[j]
            }
        }
    }

    /// Writes (or adds) two vectors to 32 consecutive scalars of C, which need not be aligned.
    @inline(__always)
    static func store(_ left: Vector, _ right: Vector, to c: UnsafeMutablePointer<Float>,
                              accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        let vectorBytes = MemoryLayout<Vector>.stride
        var left = left, right = right
        if accumulate {
            left += raw.loadUnaligned(as: Vector.self)
            right += raw.loadUnaligned(fromByteOffset: vectorBytes, as: Vector.self)
        }
        raw.storeBytes(of: left, as: Vector.self)
        raw.storeBytes(of: right, toByteOffset: vectorBytes, as: Vector.self)
    }
}

/// Hands out 0, 1, 2, … to the threads of one product, each number once: dynamic load balancing
/// without a dependency on the Synchronization module. A pthread mutex lives at a fixed address
/// (it must never be moved), hence the manual allocation.
final class ChunkCounter: @unchecked Sendable {
    // @unchecked Sendable: `value` is read and written only while holding `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value = 0

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    func next() -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let current = value
        value += 1
        return current
    }

    func deallocate() {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
}
