import Tokenizers
import Foundation

/// The sizes of a BERT-family encoder, as Hugging Face's config.json spells them.
///
/// all-MiniLM-L6-v2: hidden 384, 6 layers, 12 heads (32 features each), feed-forward 1536,
/// 30,522 word pieces, 512 positions, 2 segment types, layer-norm ε 1e-12, exact GELU.
public struct BertEncoderConfiguration: Sendable, Equatable {
    /// d_model: the length of every token vector ("hidden_size").
    public let hiddenSize: Int
    /// The number of encoder layers ("num_hidden_layers").
    public let layerCount: Int
    /// Attention heads per layer ("num_attention_heads"); divides `hiddenSize`.
    public let headCount: Int
    /// The width of the feed-forward network's hidden layer ("intermediate_size").
    public let intermediateSize: Int
    /// Rows of the word-embedding table ("vocab_size").
    public let vocabularySize: Int
    /// Rows of the learned position table: the longest input ("max_position_embeddings").
    public let maximumPositions: Int
    /// Rows of the segment (token type) table ("type_vocab_size"): 2 for sentence A / B.
    public let segmentTypeCount: Int
    /// ε of every layer norm ("layer_norm_eps").
    public let layerNormEpsilon: Float

    /// d_h = hiddenSize / headCount.
    public var headSize: Int { hiddenSize / headCount }

    /// Sizes given directly; throws `BertEncoderError.invalidConfiguration` naming the first bad field.
    public init(hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, vocabularySize: Int,
                maximumPositions: Int, segmentTypeCount: Int, layerNormEpsilon: Float) throws {
        for (field, value) in [("hidden_size", hiddenSize), ("num_hidden_layers", layerCount),
                               ("num_attention_heads", headCount), ("intermediate_size", intermediateSize),
                               ("vocab_size", vocabularySize), ("max_position_embeddings", maximumPositions),
                               ("type_vocab_size", segmentTypeCount)]
        where value < 1 || value > Self.largestSize {
            throw BertEncoderError.invalidConfiguration(
                field: field, problem: "must be an integer from 1 to \(Self.largestSize), not \(value)")
        }
        guard hiddenSize % headCount == 0 else {
            throw BertEncoderError.invalidConfiguration(
                field: "num_attention_heads",
                problem: "\(headCount) heads do not divide hidden_size \(hiddenSize) (each head gets hidden_size / heads features)")
        }
        guard layerNormEpsilon.isFinite, layerNormEpsilon > 0 else {
            throw BertEncoderError.invalidConfiguration(
                field: "layer_norm_eps", problem: "must be a positive finite number, not \(layerNormEpsilon)")
        }
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.maximumPositions = maximumPositions
        self.segmentTypeCount = segmentTypeCount
        self.layerNormEpsilon = layerNormEpsilon
    }

    /// A real config.json is about a kilobyte; a megabyte leaves room for anything sane.
    public static let maximumFileSize = 1 << 20

    /// No real BERT comes near this; it only keeps a hostile file from asking for absurd sizes.
    public static let largestSize = 10_000_000

    /// The activations the forward pass implements: "gelu" is the exact erf form
    /// (Hugging Face's ACT2FN["gelu"]), which is what BERT and MiniLM use.
    public static let supportedActivations: Set<String> = ["gelu"]

    /// Parses the bytes of a config.json. Every field the encoder needs must be present with the
    /// right JSON type; unknown fields are ignored. Throws `BertEncoderError.invalidConfiguration`
    /// naming the field (or "(file)" when the bytes are not a JSON object).
    public init(jsonData bytes: [UInt8]) throws {
        let members: [(key: String, value: HeaderJSON)]
        do {
            guard case let .object(found) = try HeaderJSON.parse(bytes[...]) else {
                throw BertEncoderError.invalidConfiguration(field: "(file)", problem: "is JSON but not an object")
            }
            members = found
        } catch let error as SafeTensorsError {
            if case let .invalidJSON(position, reason) = error {
                throw BertEncoderError.invalidConfiguration(
                    field: "(file)", problem: "is not valid JSON at byte \(position): \(reason)")
            }
            if case let .duplicateName(key) = error {
                throw BertEncoderError.invalidConfiguration(
                    field: "(file)", problem: "holds the key \"\(messageText(key))\" more than once")
            }
            throw BertEncoderError.invalidConfiguration(field: "(file)", problem: "is not valid JSON")
        }
        func value(_ field: String) -> HeaderJSON? { members.first { $0.key == field }?.value }
        func integer(_ field: String) throws -> Int {
            guard let found = value(field) else {
                throw BertEncoderError.invalidConfiguration(field: field, problem: "is missing")
            }
            guard case let .number(text) = found else {
                throw BertEncoderError.invalidConfiguration(field: field, problem: "is \(found.typeName), not an integer")
            }
            // Python's json writes integers without a fraction or exponent; accept nothing else.
            let digits = text.hasPrefix("-") ? text.dropFirst() : text[...]
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(text) else {
                throw BertEncoderError.invalidConfiguration(field: field, problem: "is \(text), not an integer")
            }
            return number
        }

        let epsilon: Float
        switch value("layer_norm_eps") {
        case nil:
            throw BertEncoderError.invalidConfiguration(field: "layer_norm_eps", problem: "is missing")
        case let .number(text)?:
            guard let parsed = Double(text) else {
                throw BertEncoderError.invalidConfiguration(field: "layer_norm_eps", problem: "is \(text), not a number")
            }
            epsilon = Float(parsed)
        case let other?:
            throw BertEncoderError.invalidConfiguration(field: "layer_norm_eps", problem: "is \(other.typeName), not a number")
        }

        switch value("hidden_act") {
        case nil:
            throw BertEncoderError.invalidConfiguration(field: "hidden_act", problem: "is missing")
        case let .string(name)? where Self.supportedActivations.contains(name):
            break
        case let .string(name)?:
            throw BertEncoderError.invalidConfiguration(
                field: "hidden_act", problem: "is \"\(name)\"; only \"gelu\" (exact erf GELU) is implemented")
        case let other?:
            throw BertEncoderError.invalidConfiguration(field: "hidden_act", problem: "is \(other.typeName), not a string")
        }
        // Optional: relative position schemes would need other weights and other arithmetic.
        if let kind = value("position_embedding_type") {
            guard case let .string(name) = kind, name == "absolute" else {
                throw BertEncoderError.invalidConfiguration(
                    field: "position_embedding_type", problem: "must be \"absolute\" (learned positions), the only kind implemented")
            }
        }

        try self.init(hiddenSize: try integer("hidden_size"), layerCount: try integer("num_hidden_layers"),
                      headCount: try integer("num_attention_heads"), intermediateSize: try integer("intermediate_size"),
                      vocabularySize: try integer("vocab_size"),
                      maximumPositions: try integer("max_position_embeddings"),
                      segmentTypeCount: try integer("type_vocab_size"), layerNormEpsilon: epsilon)
    }

    /// Reads and parses a config.json file.
    /// Capped at `maximumFileSize` and checked as UTF-8 before it is parsed.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try RegularFileReader.read(url.path, limit: Self.maximumFileSize, what: "config.json")
        } catch {
            throw BertEncoderError.fileError(path: url.path, reason: error.reason)
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw BertEncoderError.fileError(path: url.path, reason: "is not UTF-8 text")
        }
        do {
            try self.init(jsonData: [UInt8](data))
        } catch let BertEncoderError.invalidConfiguration(field, problem) {
            throw BertEncoderError.invalidConfiguration(field: field, problem: problem + " (in \(url.path))")
        }
    }
}

/// How the text is cut into word pieces, from tokenizer_config.json (Hugging Face's BertTokenizer).
public struct BertTokenizerSettings: Sendable, Equatable {
    /// "do_lower_case" (default true).
    public let lowercase: Bool
    /// "strip_accents": nil (null or absent) follows `lowercase`, as in BERT.
    public let stripAccents: Bool?

    /// Settings given directly; the defaults are BERT's uncased ones.
    public init(lowercase: Bool = true, stripAccents: Bool? = nil) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
    }

    /// Parses tokenizer_config.json. Options the WordPiece tokeniser does not implement
    /// (no basic tokenisation, no CJK splitting, a never_split list) are errors rather than
    /// silently different tokens.
    public init(jsonData bytes: [UInt8]) throws {
        guard case let .object(members)? = try? HeaderJSON.parse(bytes[...]) else {
            throw BertEncoderError.invalidTokenizerConfiguration(field: "(file)", problem: "is not a JSON object")
        }
        func value(_ field: String) -> HeaderJSON? { members.first { $0.key == field }?.value }
        func flag(_ field: String, default fallback: Bool?) throws -> Bool? {
            switch value(field) {
            case nil, .null?: return fallback
            case let .bool(flag)?: return flag
            case let other?:
                throw BertEncoderError.invalidTokenizerConfiguration(
                    field: field, problem: "is \(other.typeName), not a boolean or null")
            }
        }
        let lowercase = try flag("do_lower_case", default: true) ?? true
        let stripAccents = try flag("strip_accents", default: nil)
        for field in ["tokenize_chinese_chars", "do_basic_tokenize"] where try flag(field, default: true) == false {
            throw BertEncoderError.invalidTokenizerConfiguration(
                field: field, problem: "is false; only BERT's basic tokeniser with CJK splitting is implemented")
        }
        if let neverSplit = value("never_split") {
            switch neverSplit {
            case .null: break
            case let .array(items) where items.isEmpty: break
            default:
                throw BertEncoderError.invalidTokenizerConfiguration(
                    field: "never_split", problem: "must be null or empty; a never-split list is not implemented")
            }
        }
        if let name = value("tokenizer_class") {
            guard case let .string(text) = name, text == "BertTokenizer" || text == "BertTokenizerFast" else {
                throw BertEncoderError.invalidTokenizerConfiguration(
                    field: "tokenizer_class", problem: "must be \"BertTokenizer\" or \"BertTokenizerFast\"")
            }
        }
        self.init(lowercase: lowercase, stripAccents: stripAccents)
    }
}

/// Everything that can go wrong loading or running a BERT-family encoder.
public enum BertEncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// config.json lacks a field, has it with the wrong type, or with a value that cannot work.
    case invalidConfiguration(field: String, problem: String)
    /// tokenizer_config.json asks for something the tokeniser does not do.
    case invalidTokenizerConfiguration(field: String, problem: String)
    /// A file of the model folder is missing or unreadable.
    case fileError(path: String, reason: String)
    /// model.safetensors lacks a weight the configuration needs.
    case missingTensor(name: String)
    /// A weight has a different shape from what the configuration implies.
    case tensorShape(name: String, expected: [Int], actual: [Int])
    /// model.safetensors is malformed or holds a weight in a dtype that cannot be read.
    case weights(SafeTensorsError)
    /// vocab.txt does not have one line per row of the word-embedding table, or lacks a special token.
    case vocabulary(String)
    /// `forward` got no tokens.
    case emptyInput
    /// More tokens than learned positions.
    case tooLong(count: Int, limit: Int)
    /// A token id outside the word-embedding table.
    case idOutOfRange(position: Int, id: Int, vocabularySize: Int)
    /// Segment ids of the wrong count or outside the segment table.
    case invalidSegments(String)
    /// model.safetensors holds tensors the configured encoder never reads.
    case unusedTensors(names: [String], layerCount: Int)

    /// A one-line message saying what is wrong (the CLI prints it after "Error: ").
    public var description: String {
        switch self {
        case let .invalidConfiguration(field, problem):
            return "BERT config.json: field \"\(field)\" \(problem)"
        case let .invalidTokenizerConfiguration(field, problem):
            return "BERT tokenizer_config.json: field \"\(field)\" \(problem)"
        case let .fileError(path, reason):
            return "BERT model: \(messageText(path, limit: 200)) \(reason)"
        case let .missingTensor(name):
            return "BERT model.safetensors: no tensor named \"\(name)\""
        case let .tensorShape(name, expected, actual):
            return "BERT model.safetensors: tensor \"\(name)\" has shape \(actual), but config.json implies \(expected)"
        case let .weights(error):
            return "BERT model.safetensors: \(error)"
        case let .vocabulary(reason):
            return "BERT vocab.txt: \(reason)"
        case .emptyInput:
            return "BERT forward: the input has no tokens (it needs at least one, usually [CLS] … [SEP])"
        case let .tooLong(count, limit):
            return "BERT forward: \(count) tokens, but the model has learned positions for at most \(limit)"
        case let .idOutOfRange(position, id, size):
            return "BERT forward: token \(position) has id \(id), outside the vocabulary 0..<\(size)"
        case let .invalidSegments(reason):
            return "BERT forward: segments \(reason)"
        case let .unusedTensors(names, layerCount):
            let shown = names.prefix(3).map { "\"\(messageText($0))\"" }.joined(separator: ", ")
            return "BERT model.safetensors: holds \(names.count) tensor\(names.count == 1 ? "" : "s") that a \(layerCount)-layer "
                + "encoder (num_hidden_layers in config.json) does not use (\(shown)\(names.count > 3 ? ", …" : "")): "
                + "the configuration and the weights disagree"
        }
    }
}

extension BertEncoderError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
