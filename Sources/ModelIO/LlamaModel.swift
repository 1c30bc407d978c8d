import Foundation
import TensorCore
import Transformer
import Tokenizers

/// A Llama-family decoder loaded from a GGUF file and run in pure Swift: SmolLM2-135M-Instruct
/// is the one the lessons use. Based on Meta's Llama reference `model.py` and llama.cpp's
/// `llm_build_llama`; every step is the plain textbook one:
///
///     x = token_embd[ids]                                            (T, d)
///     for each layer:
///         h = RMSNorm(x) · attn_norm
///         q, k, v = h·Wqᵀ, h·Wkᵀ, h·Wvᵀ                              (T, 9·64), (T, 3·64), (T, 3·64)
///         q, k = RoPE(q), RoPE(k)        rotating adjacent pairs (x[2i], x[2i+1]) by pos·θ^(−2i/64)
///         a = softmax(q·kᵀ/√64 + causal mask)    query head j reads kv head j / 3 (grouped-query)
///         x = x + (a·v)·Woᵀ
///         h = RMSNorm(x) · ffn_norm
///         x = x + (SiLU(h·Wgateᵀ) ⊙ h·Wupᵀ)·Wdownᵀ                      (SwiGLU)
///     logits = RMSNorm(x) · output_norm · Wₒᵤₜᵀ     Wₒᵤₜ = token_embd when output.weight is absent (tied)
///
/// **RoPE pairing.** llama.cpp's converter permutes the rows of Wq and Wk of a Hugging Face
/// checkpoint so that ggml's "normal" rope, which rotates adjacent pairs, computes what HF's
/// `rotate_half` (pairs i and i + 32) did on the original rows. So on GGUF weights the pairs are
/// adjacent. The numpy reference (scripts/reference/smollm2_reference.py --check-rope) confirms
/// it: on a plain English paragraph the mean next-token loss is 2.39 nats with adjacent pairs
/// and 3.73 with halves.
///
/// The weight matrices stay in the file's quantised blocks (Q4_1 for the layers, Q8_0 for the
/// token embedding, which is also the output projection): `QuantizedMatrix` multiplies by them
/// without expanding them to Float, so a token streams about 110 MB instead of 540 MB. The
/// embedding lookup dequantises just the rows it needs; only the norms are kept as Float.
/// Measured in release (`-target-cpu native`) on the 2-core development machine: load 0.15 s, a
/// 12-token prompt about 50 ms, then about 140 tokens/s on one thread (45–50 when the weights
/// were dequantised to Float at load; debug builds are much slower).
///
/// One model may be shared by any number of tasks, each with its own `makeSession()`.
public final class LlamaModel: @unchecked Sendable {
    // @unchecked Sendable: the weights (`WeightMatrix`, `QuantizedMatrix`) are written once in
    // `init` and only read afterwards; the RoPE table's cache is filled under its own lock; the one
    // mutable setting, `threadCount`, is read and written under `settingsLock`.
    /// The sizes read from the file's `llama.*` metadata.
    public let configuration: LlamaConfiguration
    /// The byte-level BPE tokeniser built from the file's `tokenizer.ggml.*` metadata.
    public let tokenizer: ByteLevelBPE
    /// Threads for the matrix products and the prompt's attention heads (results are
    /// bit-identical for any count). 1 by default. Two threads run on `WorkerPool.shared`, whose
    /// helpers spin briefly between products instead of being woken through Dispatch for each
    /// of a token's ~120 short products (which used to make two threads slower than one).
    public var threadCount: Int {
        get { settingsLock.withLock { storedThreadCount } }
        set { settingsLock.withLock { storedThreadCount = newValue } }
    }
    private var storedThreadCount = 1
    private let settingsLock = NSLock()
    /// Whether the output projection reuses the token embedding (no `output.weight` in the file).
    public let tiedOutput: Bool

    struct Layer {
        let attentionNorm: WeightMatrix, query: Projection, key: Projection, value: Projection
        let attentionOutput: Projection
        let feedForwardNorm: WeightMatrix, gate: Projection, up: Projection, down: Projection
    }

    let layers: [Layer]
    let tokenEmbedding: Projection
    let outputNorm: WeightMatrix
    let output: Projection
    /// cos and sin of position · θ^(−2i/d_head), filled lazily per position.
    private let rope: RopeTable

    init(file: GGUFFile) throws {
        let configuration = try LlamaConfiguration(gguf: file)
        let c = configuration
        self.configuration = configuration
        self.tokenizer = try ByteLevelBPE(gguf: file)
        guard tokenizer.vocabularySize == c.vocabularySize else {
            throw GGUFError.invalidValue(key: "tokenizer.ggml.tokens",
                                         problem: "holds \(tokenizer.vocabularySize) tokens, but token_embd.weight has \(c.vocabularySize) rows")
        }
        try Self.checkNoUnusedTensors(file, layerCount: c.layerCount)
        func load(_ name: String, _ shape: [Int]) throws -> WeightMatrix {
            let tensor = try file.tensor(named: name)
            guard tensor.shape == shape else { throw LlamaError.tensorShape(name: name, expected: shape, found: tensor.shape) }
            return WeightMatrix(rows: shape.count == 2 ? shape[0] : 1, columns: shape.last ?? 1, scalars: tensor.scalars)
        }
        // Matrices stay in their quantised blocks when the kernel knows the format.
        func projection(_ name: String, _ shape: [Int]) throws -> Projection {
            let info = try file.tensorInfo(named: name)
            guard info.shape == shape else { throw LlamaError.tensorShape(name: name, expected: shape, found: info.shape) }
            let format: QuantizedMatrix.Format? = switch info.type {
            case .q4_1: .q4_1
            case .q8_0: .q8_0
            case .q4_0: .q4_0
            default: nil
            }
            guard let format else { return .dense(try load(name, shape)) }
#if DEBUG
            // Unoptimised, the quantised loops are about four times slower than the plain
            // Float ones (a lesson on SmolLM2 took 146 s instead of 33), so debug builds
            // dequantise at load as before. QuantizedKernelTests check the quantised kernel
            // against exactly this dequantise-then-multiply, in debug and in release.
            return .dense(try load(name, shape))
#else
            try file.checkFinite(name)
            let bytes = try file.rawBytes(of: name)
            return .quantized(bytes.withUnsafeBytes {
                QuantizedMatrix(format: format, rows: shape[0], columns: shape[1], ggmlBlocks: $0)
            })
#endif
        }
        let d = c.hiddenSize, q = c.headCount * c.headDimension, kv = c.keyValueSize, ff = c.feedForwardSize
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "blk.\(i)."
            layers.append(Layer(attentionNorm: try load(p + "attn_norm.weight", [d]),
                                query: try projection(p + "attn_q.weight", [q, d]),
                                key: try projection(p + "attn_k.weight", [kv, d]),
                                value: try projection(p + "attn_v.weight", [kv, d]),
                                attentionOutput: try projection(p + "attn_output.weight", [d, q]),
                                feedForwardNorm: try load(p + "ffn_norm.weight", [d]),
                                gate: try projection(p + "ffn_gate.weight", [ff, d]),
                                up: try projection(p + "ffn_up.weight", [ff, d]),
                                down: try projection(p + "ffn_down.weight", [d, ff])))
        }
        self.layers = layers
        self.tokenEmbedding = try projection("token_embd.weight", [c.vocabularySize, d])
        self.outputNorm = try load("output_norm.weight", [d])
        if file.hasTensor(named: "output.weight") {
            self.output = try projection("output.weight", [c.vocabularySize, d])
            self.tiedOutput = false
        } else {
            self.output = tokenEmbedding
            self.tiedOutput = true
        }
        self.rope = RopeTable(headDimension: c.headDimension, base: c.ropeFrequencyBase)
    }

    /// A file with `block_count = 1` but 30 layers of tensors would otherwise load as a 1-layer
    /// model without a word. Every tensor must be one the architecture reads.
    static func checkNoUnusedTensors(_ file: GGUFFile, layerCount: Int) throws {
        var used: Set<String> = ["token_embd.weight", "output_norm.weight", "output.weight"]
        for i in 0..<layerCount {
            for part in ["attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"] {
                used.insert("blk.\(i).\(part).weight")
            }
        }
        let unused = file.tensors.map(\.name).filter { !used.contains($0) }
        guard unused.isEmpty else { throw LlamaError.unusedTensors(names: unused, layerCount: layerCount) }
    }

    /// Reads a GGUF file and loads its weights (quantised matrices stay quantised).
    public static func load(from file: URL) throws -> LlamaModel {
        try LlamaModel(file: try GGUFFile(contentsOf: file))
    }

    /// Loads a model from a GGUF file already in memory.
    public static func load(from file: GGUFFile) throws -> LlamaModel {
        try LlamaModel(file: file)
    }

    /// SmolLM2-135M-Instruct from `ModelStore` (an error says how to fetch it when it is missing).
    public static func loadInstalled() throws -> LlamaModel {
        let folder = try ModelStore.require(.smollm2)
        return try load(from: folder.appendingPathComponent(ModelStore.Name.smollm2.files[0]))
    }

    /// Multiply-adds of the layers' weight products for one token (what a prompt token costs
    /// besides attention; the output projection runs only for the last prompt token).
    public var multiplyAddsPerToken: Int {
        layers.reduce(0) { total, layer in
            total + [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down]
                .reduce(0) { $0 + $1.rows * $1.columns }
        }
    }

    /// Bytes of weights one decoded token reads: every layer's matrices and the output projection,
    /// as held in memory (quantised blocks with Float scales, or Floats).
    public var weightBytesPerToken: Int {
        layers.reduce(output.byteCount) { total, layer in
            total + [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down]
                .reduce(0) { $0 + $1.byteCount }
        }
    }

    // MARK: Running

    /// A fresh key-value cache for generating token by token.
    public func makeSession() -> LlamaSession { LlamaSession(model: self) }

    /// The whole sequence at once: logits [T, vocabularySize] (row t predicts token t + 1) and,
    /// when asked, the attention trace (architecture "decoder-only", causal decoder
    /// self-attention, layers × query heads, labels from `tokenizer.tokenStrings`).
    public func forward(ids: [Int], recordTrace: Bool = false) throws -> (logits: Tensor, trace: AttentionTrace?) {
        let session = makeSession()
        var trace: AttentionTrace? = recordTrace ? AttentionTrace(architecture: "decoder-only") : nil
        let logits = try session.run(ids, allPositions: true, trace: &trace,
                                     labels: recordTrace ? tokenizer.tokenStrings(ids) : [], operation: "LlamaModel.forward")
        return (try Tensor(shape: [ids.count, configuration.vocabularySize], scalars: logits), trace)
    }

    /// Greedy decoding with a key-value cache: the prompt is run once, then each new token is one
    /// single-position step. Returns the generated ids (without the prompt), at most `maxTokens`,
    /// ending with EOS when `stopAtEOS` and the model produced it.
    public func greedyGenerate(prompt: [Int], maxTokens: Int, stopAtEOS: Bool = true) throws -> [Int] {
        guard maxTokens >= 0 else {
            throw LlamaError.invalidArgument(operation: "greedyGenerate", reason: "maxTokens is \(maxTokens); it must be ≥ 0")
        }
        let session = makeSession()
        var logits = try session.append(prompt)
        var generated: [Int] = []
        while generated.count < maxTokens {
            let next = LlamaModel.argmax(logits)
            generated.append(next)
            if stopAtEOS && next == tokenizer.eosID { break }
            if generated.count == maxTokens { break }
            logits = try session.append([next])
        }
        return generated
    }

    /// The index of the largest value (the first one on ties); 0 for an empty array.
    public static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    // MARK: Pieces used by the session

    func cosSin(position: Int) -> (cos: [Float], sin: [Float]) { rope.values(position: position) }
}

/// A weight matrix [outputs, inputs] the decoder multiplies by: ggml blocks when the file stores
/// it in a format `QuantizedMatrix` works on (Q4_1, Q8_0, Q4_0), Floats otherwise.
enum Projection: @unchecked Sendable {
    // @unchecked Sendable: both payloads are immutable after loading (see `WeightMatrix`); the
    // enum itself is a plain value.
    case quantized(QuantizedMatrix)
    case dense(WeightMatrix)

    var rows: Int {
        switch self {
        case .quantized(let matrix): return matrix.rows
        case .dense(let matrix): return matrix.rows
        }
    }

    var columns: Int {
        switch self {
        case .quantized(let matrix): return matrix.columns
        case .dense(let matrix): return matrix.columns
        }
    }

    /// Bytes held in memory for the weights.
    var byteCount: Int {
        switch self {
        case .quantized(let matrix): return matrix.byteCount
        case .dense(let matrix): return matrix.rows * matrix.columns * MemoryLayout<Float>.stride
        }
    }

    /// Y[rows × self.rows] = X[rows × columns] · Wᵀ.
    func multiply(x: UnsafePointer<Float>, rows: Int, y: UnsafeMutablePointer<Float>, threads: Int) {
        Projection.multiply([(self, y)], x: x, rows: rows, threads: threads)
    }

    /// Several projections of the same X, in one round of threads when all are quantised.
    static func multiply(_ jobs: [(weight: Projection, y: UnsafeMutablePointer<Float>)], x: UnsafePointer<Float>,
                         rows: Int, threads: Int) {
        var quantized: [(matrix: QuantizedMatrix, y: UnsafeMutablePointer<Float>)] = []
        for job in jobs {
            switch job.weight {
            case .quantized(let matrix): quantized.append((matrix, job.y))
            case .dense(let matrix) where rows >= QuantizedMatrix.batchedRows:
                // A prompt: one matrix product, X · Wᵀ with W read as a transposed B.
                MatmulKernel.multiply(m: rows, n: matrix.rows, k: matrix.columns, a: x, lda: matrix.columns,
                                      b: matrix.pointer, ldb: matrix.columns, c: job.y, ldc: matrix.rows,
                                      transposedB: true, threads: threads)
            case .dense(let matrix):
                MatvecKernel.multiply(x: x, rows: rows, w: matrix.pointer, outputs: matrix.rows, inputs: matrix.columns,
                                      y: job.y, threads: threads)
            }
        }
        if !quantized.isEmpty { QuantizedMatrix.multiply(quantized, x: x, rows: rows, threads: threads) }
    }

    /// Row `row` as Floats (the embedding lookup), exactly as the dequantiser computes it.
    func copyRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .quantized(let matrix): matrix.dequantizeRow(row, into: out)
        case .dense(let matrix): out.update(from: matrix.pointer + row * matrix.columns, count: matrix.columns)
        }
    }
}

/// A row-major Float matrix in memory that stays put (the kernels take raw pointers).
final class WeightMatrix: @unchecked Sendable {
    // @unchecked Sendable: `pointer`'s memory is written once in `init` and only read afterwards
    // (by any number of threads at once); it is freed in `deinit`, when nobody holds the matrix.
    let rows: Int
    let columns: Int
    let pointer: UnsafeMutablePointer<Float>

    init(rows: Int, columns: Int, scalars: [Float]) {
        self.rows = rows
        self.columns = columns
        pointer = .allocate(capacity: max(1, scalars.count))
        scalars.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { pointer.initialize(from: base, count: buffer.count) }
        }
    }

    deinit { pointer.deallocate() }
}

/// RoPE's cos/sin per position, computed in Double and cached (positions are reused by every
/// layer and every later step).
final class RopeTable: @unchecked Sendable {
    // @unchecked Sendable: the only mutable state, `cache`, is read and written under `lock`.
    let pairs: Int
    let inverseFrequencies: [Double]
    private var cache: [(cos: [Float], sin: [Float])] = []
    private let lock = NSLock()

    init(headDimension: Int, base: Double) {
        pairs = headDimension / 2
        inverseFrequencies = (0..<(headDimension / 2)).map { Foundation.pow(base, -2 * Double($0) / Double(headDimension)) }
    }

    func values(position: Int) -> (cos: [Float], sin: [Float]) {
        lock.lock()
        defer { lock.unlock() }
        while cache.count <= position {
            let p = Double(cache.count)
            cache.append((inverseFrequencies.map { Float(Foundation.cos(p * $0)) },
                          inverseFrequencies.map { Float(Foundation.sin(p * $0)) }))
        }
        return cache[position]
    }
}
