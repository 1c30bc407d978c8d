import Foundation
import Tokenizers
/// The shape of a Llama-family decoder, read from a GGUF file's `llama.*` metadata.
public struct LlamaConfiguration: Sendable, Equatable {
    /// `llama.block_count`: decoder layers (30 for SmolLM2-135M).
    public var layerCount: Int
    /// `llama.embedding_length`: the width of the residual stream, d (576).
    public var hiddenSize: Int
    /// `llama.feed_forward_length`: the SwiGLU inner width (1536).
    public var feedForwardSize: Int
    /// `llama.attention.head_count`: query heads (9).
    public var headCount: Int
    /// `llama.attention.head_count_kv`: key/value heads (3): each serves headCount / kvHeadCount
    /// query heads (grouped-query attention).
    public var keyValueHeadCount: Int
    /// `llama.rope.freq_base`: θ in RoPE's angle position · θ^(−2i/d_head) (100000).
    public var ropeFrequencyBase: Double
    /// `llama.attention.layer_norm_rms_epsilon` (1e-5).
    public var rmsNormEpsilon: Double
    /// `llama.context_length`: the most positions the model was trained for (8192).
    public var contextLength: Int
    /// Rows of the token embedding.
    public var vocabularySize: Int

    /// d / heads (64).
    public var headDimension: Int { hiddenSize / headCount }
    /// Width of one position's keys (or values) over all kv heads (192).
    public var keyValueSize: Int { keyValueHeadCount * headDimension }

    /// A configuration given field by field (`init(gguf:)` reads one from a file).
    public init(layerCount: Int, hiddenSize: Int, feedForwardSize: Int, headCount: Int, keyValueHeadCount: Int,
                ropeFrequencyBase: Double, rmsNormEpsilon: Double, contextLength: Int, vocabularySize: Int) {
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.feedForwardSize = feedForwardSize
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.ropeFrequencyBase = ropeFrequencyBase
        self.rmsNormEpsilon = rmsNormEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
    }

    /// Reads and checks the configuration; the vocabulary size comes from the token embedding.
    public init(gguf file: GGUFFile) throws {
        let architecture = try file.string("general.architecture")
        guard architecture == "llama" else {
            throw GGUFError.invalidValue(key: "general.architecture", problem: "is \"\(architecture)\", not \"llama\"")
        }
        func positive(_ key: String, atMost limit: Int = 1 << 24) throws -> Int {
            let value = try file.int(key)
            guard value > 0, value <= limit else {
                throw GGUFError.invalidValue(key: key, problem: "is \(value); it must be between 1 and \(limit)")
            }
            return value
        }
        layerCount = try positive("llama.block_count", atMost: 1024)
        hiddenSize = try positive("llama.embedding_length", atMost: 1 << 16)
        feedForwardSize = try positive("llama.feed_forward_length", atMost: 1 << 18)
        headCount = try positive("llama.attention.head_count", atMost: 1024)
        keyValueHeadCount = file.metadata["llama.attention.head_count_kv"] == nil
            ? headCount : try positive("llama.attention.head_count_kv", atMost: 1024)
        contextLength = try positive("llama.context_length", atMost: 1 << 22)
        ropeFrequencyBase = file.metadata["llama.rope.freq_base"] == nil ? 10_000 : try file.float("llama.rope.freq_base")
        rmsNormEpsilon = try file.float("llama.attention.layer_norm_rms_epsilon")
        guard ropeFrequencyBase > 1, ropeFrequencyBase.isFinite else {
            throw GGUFError.invalidValue(key: "llama.rope.freq_base", problem: "is \(ropeFrequencyBase); it must be a finite number above 1")
        }
        guard rmsNormEpsilon > 0, rmsNormEpsilon < 1 else {
            throw GGUFError.invalidValue(key: "llama.attention.layer_norm_rms_epsilon",
                                         problem: "is \(rmsNormEpsilon); it must be between 0 and 1")
        }
        guard hiddenSize % headCount == 0, (hiddenSize / headCount) % 2 == 0 else {
            throw GGUFError.invalidValue(key: "llama.attention.head_count",
                                         problem: "\(headCount) heads do not split the width \(hiddenSize) into even head sizes")
        }
        guard headCount % keyValueHeadCount == 0 else {
            throw GGUFError.invalidValue(key: "llama.attention.head_count_kv",
                                         problem: "\(keyValueHeadCount) key/value heads do not divide the \(headCount) query heads")
        }
        if file.metadata["llama.rope.dimension_count"] != nil {
            let ropeDimensions = try file.int("llama.rope.dimension_count")
            guard ropeDimensions == hiddenSize / headCount else {
                throw GGUFError.invalidValue(key: "llama.rope.dimension_count",
                                             problem: "is \(ropeDimensions); only RoPE over the whole head (\(hiddenSize / headCount)) is implemented")
            }
        }
        let embedding = try file.tensorInfo(named: "token_embd.weight")
        guard embedding.dimensions.count == 2, embedding.dimensions[0] == hiddenSize, embedding.dimensions[1] > 0 else {
            throw GGUFError.invalidTensorInfo(tensor: "token_embd.weight", field: "dimensions",
                                              problem: "are \(embedding.dimensions), not [\(hiddenSize), vocabulary]")
        }
        vocabularySize = embedding.dimensions[1]
    }
}

/// Bad input to a Llama model or session.
public enum LlamaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No token ids were given.
    case emptyInput(operation: String)
    /// A token id outside 0..<vocabularySize.
    case tokenOutOfRange(id: Int, position: Int, vocabularySize: Int)
    /// The positions would run past the context length.
    case contextExceeded(cached: Int, adding: Int, limit: Int)
    /// A weight tensor of the wrong shape.
    case tensorShape(name: String, expected: [Int], found: [Int])
    /// An argument out of its range (e.g. a negative token count).
    case invalidArgument(operation: String, reason: String)
    /// The file holds tensors this architecture never reads (more layers than block_count, say).
    case unusedTensors(names: [String], layerCount: Int)

    /// A one-line message saying what is wrong (the CLI prints it after "Error: ").
    public var description: String {
        switch self {
        case let .emptyInput(operation):
            return "llama: \(operation) needs at least one token id, but none were given"
        case let .tokenOutOfRange(id, position, size):
            return "llama: token id \(id) at position \(position) is outside the vocabulary 0..<\(size)"
        case let .contextExceeded(cached, adding, limit):
            return "llama: \(cached) cached + \(adding) new positions exceed the context length of \(limit)"
        case let .tensorShape(name, expected, found):
            return "llama: tensor \"\(name)\" has shape \(found), expected \(expected)"
        case let .invalidArgument(operation, reason):
            return "llama: \(operation): \(reason)"
        case let .unusedTensors(names, layerCount):
            let shown = names.prefix(3).map { "\"\(messageText($0))\"" }.joined(separator: ", ")
            return "llama: the file holds \(names.count) tensor\(names.count == 1 ? "" : "s") that a \(layerCount)-layer Llama "
                + "(llama.block_count) does not use (\(shown)\(names.count > 3 ? ", …" : "")): the configuration and the weights disagree"
        }
    }
}

extension LlamaError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
