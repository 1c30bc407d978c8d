import Foundation
import TensorCore
import Transformer

/// A conversation with a `LlamaModel`: the keys and values of every position seen so far (the
/// KV cache), so that each new token costs one single-position pass instead of re-running the
/// whole prefix. `append` feeds tokens and returns the logits that predict the next one.
///
/// Running the prefix [a, b, c] at once and running [a], [b], [c] one `append` at a time give the
/// same logits (up to float rounding): each position's keys and values depend only on the tokens
/// up to it, which is exactly what the causal mask guarantees.
///
/// A session is deliberately not `Sendable`: its KV cache grows with every `append`, without a
/// lock, so two tasks sharing one would race. Share the `LlamaModel` instead (it is `Sendable`)
/// and give each task its own session with `makeSession()`.
public final class LlamaSession {
    /// The model whose weights every `append` runs.
    public let model: LlamaModel
    /// Positions in the cache.
    public private(set) var count = 0
    /// Per layer: [count, keyValueSize] keys (already rotated) and values.
    private var keys: [[Float]]
    private var values: [[Float]]

    init(model: LlamaModel) {
        self.model = model
        keys = Array(repeating: [], count: model.configuration.layerCount)
        values = Array(repeating: [], count: model.configuration.layerCount)
    }

    /// Forgets every position.
    public func reset() {
        count = 0
        for i in keys.indices {
            keys[i].removeAll(keepingCapacity: true)
            values[i].removeAll(keepingCapacity: true)
        }
    }

    /// Runs `ids` after the cached positions and returns the logits [vocabularySize] of the last one.
    public func append(_ ids: [Int]) throws -> [Float] {
        var trace: AttentionTrace? = nil
        return try run(ids, allPositions: false, trace: &trace, labels: [], operation: "LlamaSession.append")
    }

    /// The core pass. `labels` name every cached + new position when a trace is recorded.
    /// `probe` (optional, for the analyses) records the residual stream and each head's queries
    /// and keys, and zeroes the heads it names before W_O.
    func run(_ ids: [Int], allPositions: Bool, trace: inout AttentionTrace?, labels: [String],
             operation: String, probe: LlamaProbe? = nil) throws -> [Float] {
        let c = model.configuration
        guard !ids.isEmpty else { throw LlamaError.emptyInput(operation: operation) }
        for (position, id) in ids.enumerated() where id < 0 || id >= c.vocabularySize {
            throw LlamaError.tokenOutOfRange(id: id, position: count + position, vocabularySize: c.vocabularySize)
        }
        guard ids.count <= c.contextLength - count else {
            throw LlamaError.contextExceeded(cached: count, adding: ids.count, limit: c.contextLength)
        }
        let T = ids.count, start = count, total = count + ids.count
        let d = c.hiddenSize, hd = c.headDimension, heads = c.headCount, kvSize = c.keyValueSize
        let qSize = heads * hd, ff = c.feedForwardSize, group = c.headCount / c.keyValueHeadCount
        let threads = model.threadCount
        let epsilon = c.rmsNormEpsilon
        let scale = 1 / Float(hd).squareRoot()

        let scratch = Scratch(sizes: [T * d, T * d, T * qSize, T * kvSize, T * kvSize, T * qSize, T * ff, T * ff, total])
        defer { scratch.deallocate() }
        let x = scratch[0], h = scratch[1], q = scratch[2], k = scratch[3], v = scratch[4]
        let attended = scratch[5], gate = scratch[6], up = scratch[7], scores = scratch[8]

        for (t, id) in ids.enumerated() {
            model.tokenEmbedding.copyRow(id, into: x + t * d)
        }
        let rotations = (0..<T).map { model.cosSin(position: start + $0) }
        probe?.recordResidual(x, count: T * d)

        for (layerIndex, layer) in model.layers.enumerated() {
            // Attention block.
            LlamaSession.rmsNorm(x, rows: T, width: d, weight: layer.attentionNorm.pointer, epsilon: epsilon, into: h)
            Projection.multiply([(layer.query, q), (layer.key, k), (layer.value, v)], x: h, rows: T, threads: threads)
            for t in 0..<T {
                LlamaSession.rotate(q + t * qSize, heads: heads, headDimension: hd, by: rotations[t])
                LlamaSession.rotate(k + t * kvSize, heads: c.keyValueHeadCount, headDimension: hd, by: rotations[t])
            }
            keys[layerIndex].append(contentsOf: UnsafeBufferPointer(start: k, count: T * kvSize))
            values[layerIndex].append(contentsOf: UnsafeBufferPointer(start: v, count: T * kvSize))
            probe?.recordQueriesKeys(queries: q, count: T * qSize, keys: keys[layerIndex])

            if trace == nil && T > 1 {
                // A prompt with nobody looking at the weights: every query at once, blockwise,
                // without the T × total score matrix (AttentionKernel). The heads are split
                // between the threads in a fixed way; each head's result is the same whoever
                // computes it.
                keys[layerIndex].withUnsafeBufferPointer { keyBuffer in
                    values[layerIndex].withUnsafeBufferPointer { valueBuffer in
                        // nonisolated(unsafe): the buffers outlive `run`; K, V and the queries
                        // are only read, and each worker writes only its own heads of `out`.
                        nonisolated(unsafe) let K = keyBuffer.baseAddress!, V = valueBuffer.baseAddress!
                        nonisolated(unsafe) let queries = UnsafePointer(q), out = attended
                        let workers = max(1, min(threads, heads, WorkerPool.shared.maximumWorkers))
                        WorkerPool.shared.run(workers: workers) { worker in
                            for head in stride(from: worker, to: heads, by: workers) {
                                let kvOffset = (head / group) * hd
                                AttentionKernel.attend(queries: T, keys: total, dimension: hd, scale: scale,
                                                       q: queries + head * hd, qStride: qSize,
                                                       k: K + kvOffset, kStride: kvSize, v: V + kvOffset, vStride: kvSize,
                                                       out: out + head * hd, outStride: qSize, causalOffset: start)
                            }
                        }
                    }
                }
            } else if trace == nil {
                // One new token (decoding) with nobody looking at the weights.
                attendSingleQuery(layerIndex: layerIndex, q: q, attended: attended, scores: scores)
            } else {
                try attendOneByOne(layerIndex: layerIndex, T: T, start: start, q: q, attended: attended,
                                   scores: scores, trace: &trace, labels: labels)
            }
            probe?.ablate(layer: layerIndex, attended: attended, rows: T, heads: heads, headDimension: hd)
            layer.attentionOutput.multiply(x: attended, rows: T, y: h, threads: threads)
            for i in 0..<(T * d) { x[i] += h[i] }

            // Feed-forward block (SwiGLU).
            LlamaSession.rmsNorm(x, rows: T, width: d, weight: layer.feedForwardNorm.pointer, epsilon: epsilon, into: h)
            Projection.multiply([(layer.gate, gate), (layer.up, up)], x: h, rows: T, threads: threads)
            FastMath.siluProduct(gate, up, count: T * ff)
            layer.down.multiply(x: gate, rows: T, y: h, threads: threads)
            for i in 0..<(T * d) { x[i] += h[i] }
            probe?.recordResidual(x, count: T * d)
        }
        count = total

        // Only the rows asked for go through the (large) output projection.
        let firstRow = allPositions ? 0 : T - 1
        let rows = T - firstRow
        LlamaSession.rmsNorm(x + firstRow * d, rows: rows, width: d, weight: model.outputNorm.pointer, epsilon: epsilon, into: h)
        let vocabulary = c.vocabularySize
        return [Float](unsafeUninitializedCapacity: rows * vocabulary) { buffer, initialized in
            model.output.multiply(x: h, rows: rows, y: buffer.baseAddress!, threads: threads)
            initialized = rows * vocabulary
        }
    }

    /// Attention of one new query over every cached position, when no trace is recorded: the
    /// decoding step. The same softmax as `attendOneByOne`, but in 16-lane vectors: scores as
    /// SIMD dot products, the exponentials by `FastMath.expShifted` (as the prompt's
    /// `AttentionKernel` does) instead of one `exp` call per score, and the weighted sum of the
    /// values accumulated across the head's dimensions with a single division at the end. At a
    /// context of 100 positions this was about 5% of a decoding step in the scalar form.
    private func attendSingleQuery(layerIndex: Int, q: UnsafeMutablePointer<Float>,
                                   attended: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = model.configuration
        let total = count + 1, hd = c.headDimension, heads = c.headCount, kvSize = c.keyValueSize
        let group = c.headCount / c.keyValueHeadCount
        let scale = 1 / Float(hd).squareRoot()
        keys[layerIndex].withUnsafeBufferPointer { keyBuffer in
            values[layerIndex].withUnsafeBufferPointer { valueBuffer in
                let K = keyBuffer.baseAddress!, V = valueBuffer.baseAddress!
                for head in 0..<heads {
                    let kvOffset = (head / group) * hd
                    let query = q + head * hd
                    var maximum = -Float.infinity
                    for s in 0..<total {
                        let score = LlamaSession.dot(query, K + s * kvSize + kvOffset, count: hd) * scale
                        scores[s] = score
                        maximum = max(maximum, score)
                    }
                    var sum: Float = 0
                    FastMath.expShifted(scores, count: total, by: maximum, total: &sum)
                    LlamaSession.weightedSum(weights: scores, count: total, rows: V + kvOffset, rowStride: kvSize,
                                             width: hd, dividedBy: sum, into: attended + head * hd)
                }
            }
        }
    }

    /// Σᵢ a[i]·b[i] in 16-lane pieces (a head's 64 dimensions are four), lanes added as a tree.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        var total = QuantizedMatrix.sum(acc)
        while i < count {
            total += a[i] * b[i]
            i += 1
        }
        return total
    }

    /// out[j] = (Σₛ weights[s]·rows[s][j]) / divisor for j < width: the softmax-weighted sum of
    /// the value rows, 16 dimensions at a time.
    static func weightedSum(weights: UnsafePointer<Float>, count: Int, rows: UnsafePointer<Float>, rowStride: Int,
                            width: Int, dividedBy divisor: Float, into out: UnsafeMutablePointer<Float>) {
        let inverse = 1 / divisor
        var j = 0
        while j + 16 <= width {
            var acc = SIMD16<Float>()
            for s in 0..<count {
                acc += SIMD16(repeating: weights[s])
                    * UnsafeRawPointer(rows + s * rowStride + j).loadUnaligned(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(out + j).storeBytes(of: acc * SIMD16(repeating: inverse), as: SIMD16<Float>.self)
            j += 16
        }
        while j < width {
            var acc: Float = 0
            for s in 0..<count { acc += weights[s] * rows[s * rowStride + j] }
            out[j] = acc * inverse
            j += 1
        }
    }

    /// Attention query by query, keeping every weight row: the path for a single new token and
    /// for a recorded trace (the weights are what the trace is made of).
    private func attendOneByOne(layerIndex: Int, T: Int, start: Int, q: UnsafeMutablePointer<Float>,
                                attended: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>,
                                trace: inout AttentionTrace?, labels: [String]) throws {
        let c = model.configuration
        let total = start + T, hd = c.headDimension, heads = c.headCount, kvSize = c.keyValueSize
        let qSize = heads * hd, group = c.headCount / c.keyValueHeadCount
        let scale = 1 / Float(hd).squareRoot()
        var recorded: [Float] = trace == nil ? [] : [Float](repeating: 0, count: heads * T * total)
        keys[layerIndex].withUnsafeBufferPointer { keyBuffer in
            values[layerIndex].withUnsafeBufferPointer { valueBuffer in
                let K = keyBuffer.baseAddress!, V = valueBuffer.baseAddress!
                for head in 0..<heads {
                    let kvOffset = (head / group) * hd          // grouped-query: 3 query heads per kv head
                    for t in 0..<T {
                        let query = q + t * qSize + head * hd
                        let visible = start + t + 1                  // causal: positions 0…start+t
                        var maximum = -Float.infinity
                        for s in 0..<visible {
                            let score = MatvecKernel.dot(query, K + s * kvSize + kvOffset, count: hd) * scale
                            scores[s] = score
                            maximum = max(maximum, score)
                        }
                        var sum: Float = 0
                        for s in 0..<visible {
                            let e = Foundation.exp(scores[s] - maximum)
                            scores[s] = e
                            sum += e
                        }
                        let out = attended + t * qSize + head * hd
                        out.update(repeating: 0, count: hd)
                        for s in 0..<visible {
                            let weight = scores[s] / sum
                            scores[s] = weight
                            let value = V + s * kvSize + kvOffset
                            for j in 0..<hd { out[j] += weight * value[j] }
                        }
                        if trace != nil {
                            let row = (head * T + t) * total
                            for s in 0..<visible { recorded[row + s] = scores[s] }
                        }
                    }
                }
            }
        }
        if trace != nil {
            try trace!.record(weights: try Tensor(shape: [heads, T, total], scalars: recorded), layer: layerIndex,
                              kind: .decoderSelf, queryTokens: Array(labels[start..<total]), keyTokens: labels)
        }
    }

    /// y = x / √(mean(x²) + ε) · weight, row by row (the sum of squares in Double, as ggml does).
    static func rmsNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, weight: UnsafePointer<Float>,
                        epsilon: Double, into y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * width, out = y + r * width
            var sum: Double = 0
            for i in 0..<width { sum += Double(row[i]) * Double(row[i]) }
            let scale = Float(1 / (sum / Double(width) + epsilon).squareRoot())
            for i in 0..<width { out[i] = row[i] * scale * weight[i] }
        }
    }

    /// Rotates each head's adjacent pairs (x[2i], x[2i+1]) by the position's angles.
    static func rotate(_ vector: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int,
                       by rotation: (cos: [Float], sin: [Float])) {
        for head in 0..<heads {
            let base = vector + head * headDimension
            for i in 0..<(headDimension / 2) {
                let a = base[2 * i], b = base[2 * i + 1]
                let cos = rotation.cos[i], sin = rotation.sin[i]
                base[2 * i] = a * cos - b * sin
                base[2 * i + 1] = a * sin + b * cos
            }
        }
    }
}

/// Scratch buffers for one pass, allocated together and freed together.
private struct Scratch {
    let pointers: [UnsafeMutablePointer<Float>]

    init(sizes: [Int]) {
        pointers = sizes.map {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, $0))
            pointer.initialize(repeating: 0, count: max(1, $0))
            return pointer
        }
    }

    subscript(_ index: Int) -> UnsafeMutablePointer<Float> { pointers[index] }

    func deallocate() { pointers.forEach { $0.deallocate() } }
}
