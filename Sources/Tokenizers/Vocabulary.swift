import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A vocabulary is the list of every token a model knows. A token's id is its place in the
// list, and that id picks the token's row of the embedding table. BERT ships its list as
// vocab.txt: one token on each line, so the token on line 1 has id 0, line 2 has id 1, and so on.

/// The five tokens with a job in BERT's input rather than a meaning in the text.
public enum SpecialToken: String, CaseIterable, Sendable, Codable {
    /// Fills the unused end of a short sequence in a batch; attention hides it.
    case pad = "[PAD]"
    /// Stands for any word the vocabulary cannot spell.
    case unknown = "[UNK]"
    /// Opens every input. BERT's final vector at this position feeds sentence-level tasks
    /// such as next-sentence prediction.
    case classification = "[CLS]"
    /// Closes each sentence of the input, so the model can tell where A stops and B starts.
    case separator = "[SEP]"
    /// Hides a word the masked-language-model task asks BERT to recover.
    case mask = "[MASK]"
}

/// The ids of all five special tokens in one vocabulary.
public struct SpecialTokenIDs: Sendable, Equatable {
    /// The id of [PAD].
    public let pad: Int
    /// The id of [UNK].
    public let unknown: Int
    /// The id of [CLS].
    public let classification: Int
    /// The id of [SEP].
    public let separator: Int
    /// The id of [MASK].
    public let mask: Int

    /// The five ids as given (no check that they differ).
    public init(pad: Int, unknown: Int, classification: Int, separator: Int, mask: Int) {
        self.pad = pad
        self.unknown = unknown
        self.classification = classification
        self.separator = separator
        self.mask = mask
    }

    /// The five ids as a set.
    public var all: Set<Int> { [pad, unknown, classification, separator, mask] }

    /// The id of one special token.
    public subscript(_ special: SpecialToken) -> Int {
        switch special {
        case .pad: return pad
        case .unknown: return unknown
        case .classification: return classification
        case .separator: return separator
        case .mask: return mask
        }
    }
}

/// Why a vocabulary could not be built or lacks a token it needs.
///
/// `line` is 1-based, as an editor shows it; the token on line n has id n − 1. For
/// `Vocabulary(tokens:)` the "line" of a token is its index in the array plus one.
public enum VocabularyError: Error, Equatable, CustomStringConvertible {
    /// No tokens at all.
    case empty
    /// An empty line before the end of the file. Only a single trailing newline is allowed.
    case emptyLine(line: Int)
    /// Bytes that are not UTF-8. `byteOffset` counts from the start of the line.
    case invalidUTF8(line: Int, byteOffset: Int)
    /// A token already listed on `firstLine`. Tokens are compared scalar by scalar, so "é" as
    /// one code point and "e" + U+0301 are different tokens, as in BERT's Python.
    case duplicateToken(token: String, line: Int, firstLine: Int)
    /// White space or a control character inside a token. The tokenisers split text at white
    /// space and delete control characters, so such a token could never be produced.
    case invalidCharacter(line: Int, scalar: UInt32)
    /// A token longer than `limit` bytes of UTF-8.
    case tokenTooLong(line: Int, bytes: Int, limit: Int)
    /// More than `limit` tokens.
    case tooManyTokens(limit: Int)
    /// A file larger than `limit` bytes.
    case fileTooLarge(path: String, limit: Int)
    /// A file that could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A special token that an operation needs is not in the vocabulary.
    case missingSpecialToken(SpecialToken)
    /// A problem found in the named file (`Vocabulary(contentsOf:)`, `Vocabulary(utf8:name:)`).
    indirect case inFile(path: String, error: VocabularyError)

    /// The error without the file name (the error itself when it names no file).
    public var problem: VocabularyError {
        if case let .inFile(_, error) = self { return error.problem }
        return self
    }

    /// The message, with the line (1-based) and the file when known.
    public var description: String {
        switch self {
        case .empty:
            return "Vocabulary: no tokens (a vocab.txt needs one token per line)"
        case let .emptyLine(line):
            return "Vocabulary: line \(line) is empty (id \(line - 1)); every line must hold a token"
        case let .invalidUTF8(line, offset):
            return "Vocabulary: line \(line) is not valid UTF-8 (bad byte at offset \(offset) of the line)"
        case let .duplicateToken(token, line, firstLine):
            return "Vocabulary: line \(line) repeats the token \"\(token)\" already on line \(firstLine); "
                + "every token must be listed once"
        case let .invalidCharacter(line, scalar):
            let hex = String(scalar, radix: 16, uppercase: true)
            return "Vocabulary: line \(line) contains U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex), "
                + "white space or a control character, which a token may not contain"
        case let .tokenTooLong(line, bytes, limit):
            return "Vocabulary: the token on line \(line) is \(bytes) bytes long; the limit is \(limit)"
        case let .tooManyTokens(limit):
            return "Vocabulary: more than \(limit) tokens"
        case let .fileTooLarge(path, limit):
            return "Vocabulary: \(path) is larger than \(limit) bytes"
        case let .unreadableFile(path, reason):
            return "Vocabulary: cannot read \(path): \(reason)"
        case let .missingSpecialToken(special):
            return "Vocabulary: the special token \(special.rawValue) is missing"
        case let .inFile(path, error):
            var inner = error.description
            if inner.hasPrefix("Vocabulary: ") { inner.removeFirst("Vocabulary: ".count) }
            return "Vocabulary: \(path): \(inner)"
        }
    }
}

/// A list of tokens; a token's id is its index.
///
/// Every input is treated as hostile: a vocabulary is refused, with the line named, when it
/// holds an empty line (other than one trailing newline), bytes that are not UTF-8, a token
/// listed twice, a token containing white space or a control character, a token longer than
/// `maximumTokenBytes`, or more than `maximumTokenCount` tokens. A line may end in "\r\n";
/// the "\r" is dropped. A UTF-8 byte-order mark at the very start of a file is skipped.
///
/// Tokens are matched exactly, code point by code point (not by Swift's canonical equivalence),
/// which is how BERT's Python compares them.
public struct Vocabulary: Sendable, Equatable {
    /// The largest vocabulary accepted (real ones hold 30,000 to 250,000 tokens).
    public static let maximumTokenCount = 1_000_000
    /// The longest token accepted, in UTF-8 bytes.
    public static let maximumTokenBytes = 256
    /// The largest vocab.txt accepted.
    public static let maximumFileBytes = 64 * 1024 * 1024

    /// The tokens in id order.
    public let tokens: [String]
    /// UTF-8 bytes of a token → its id.
    private let ids: [[UInt8]: Int]

    /// A vocabulary of `tokens`, ids in order. Throws `VocabularyError` (the "line" of a token
    /// is its index + 1).
    public init(tokens: [String]) throws {
        guard !tokens.isEmpty else { throw VocabularyError.empty }
        guard tokens.count <= Self.maximumTokenCount else {
            throw VocabularyError.tooManyTokens(limit: Self.maximumTokenCount)
        }
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() {
            let line = index + 1
            let bytes = Array(token.utf8)
            try Self.check(token, bytes: bytes, line: line)
            if let first = ids[bytes] {
                throw VocabularyError.duplicateToken(token: token, line: line, firstLine: first + 1)
            }
            ids[bytes] = index
        }
        self.tokens = tokens
        self.ids = ids
    }

    /// Parses the text of a vocab.txt: one token per line, id = line number − 1.
    public init(vocabText: String) throws {
        try self.init(utf8: Array(vocabText.utf8))
    }

    /// Parses the raw bytes of a vocab.txt, checking the UTF-8 line by line.
    public init(utf8 bytes: [UInt8]) throws {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }   // byte-order mark
        guard start < bytes.count else { throw VocabularyError.empty }
        var tokens: [String] = []
        var line = 1
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > start, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }   // "\r\n"
            guard lineEnd > start else { throw VocabularyError.emptyLine(line: line) }
            guard lineEnd - start <= Self.maximumTokenBytes else {
                throw VocabularyError.tokenTooLong(line: line, bytes: lineEnd - start, limit: Self.maximumTokenBytes)
            }
            guard tokens.count < Self.maximumTokenCount else {
                throw VocabularyError.tooManyTokens(limit: Self.maximumTokenCount)
            }
            tokens.append(try Self.decode(bytes[start..<lineEnd], line: line))
            start = end + 1   // past the "\n"; a final "\n" ends the loop without an empty line
            line += 1
        }
        try self.init(tokens: tokens)
    }

    /// Parses the raw bytes of a vocab.txt called `name` (a path or a label, for messages):
    /// any problem is thrown as `VocabularyError.inFile(path: name, error:)`.
    public init(utf8 bytes: [UInt8], name: String) throws {
        do {
            try self.init(utf8: bytes)
        } catch let error as VocabularyError {
            throw VocabularyError.inFile(path: name, error: error)
        }
    }

    /// Reads and parses a vocab.txt file (at most `maximumFileBytes`). Problems in the file's
    /// bytes are thrown as `VocabularyError.inFile(path:error:)`.
    public init(contentsOf path: String) throws {
        try self.init(utf8: try Self.readFile(path), name: path)
    }

    /// The number of tokens; ids are 0..<count.
    public var count: Int { tokens.count }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(of token: String) -> Int? {
        ids[Array(token.utf8)]
    }

    /// The token with id `id`, or nil outside 0..<count.
    public func token(for id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    /// Whether `token` is in the vocabulary (compared byte for byte).
    public func contains(_ token: String) -> Bool {
        id(of: token) != nil
    }

    /// The id of a special token, or nil when the vocabulary lacks it.
    public func id(of special: SpecialToken) -> Int? {
        id(of: special.rawValue)
    }

    /// The id of a special token; throws `VocabularyError.missingSpecialToken` when it is absent.
    public func requireID(of special: SpecialToken) throws -> Int {
        guard let id = id(of: special) else { throw VocabularyError.missingSpecialToken(special) }
        return id
    }

    /// The ids of all five special tokens; throws for the first one missing.
    public func specialTokenIDs() throws -> SpecialTokenIDs {
        SpecialTokenIDs(pad: try requireID(of: .pad), unknown: try requireID(of: .unknown),
                        classification: try requireID(of: .classification),
                        separator: try requireID(of: .separator), mask: try requireID(of: .mask))
    }

    /// The ids of the special tokens that are present (any subset of the five).
    public var presentSpecialTokenIDs: Set<Int> {
        Set(SpecialToken.allCases.compactMap { id(of: $0) })
    }

    /// The vocab.txt text of this vocabulary: one token per line, ending in a newline.
    public var vocabText: String {
        tokens.joined(separator: "\n") + "\n"
    }

    /// Equal when the tokens are the same, in the same order, byte for byte (two canonically
    /// equivalent spellings of a character are different tokens).
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.tokens.count == rhs.tokens.count
            && zip(lhs.tokens, rhs.tokens).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    // MARK: Checks

    private static func check(_ token: String, bytes: [UInt8], line: Int) throws {
        guard !bytes.isEmpty else { throw VocabularyError.emptyLine(line: line) }
        guard bytes.count <= maximumTokenBytes else {
            throw VocabularyError.tokenTooLong(line: line, bytes: bytes.count, limit: maximumTokenBytes)
        }
        for scalar in token.unicodeScalars
        where scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
            throw VocabularyError.invalidCharacter(line: line, scalar: scalar.value)
        }
    }

    /// Strict UTF-8 decoding of one line (overlong forms, surrogates and truncated sequences
    /// are errors), naming the offset of the first bad byte.
    private static func decode(_ bytes: ArraySlice<UInt8>, line: Int) throws -> String {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var text = String.UnicodeScalarView()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded):
                text.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error:
                throw VocabularyError.invalidUTF8(line: line, byteOffset: offset)
            case .emptyInput:
                return String(text)
            }
        }
    }

    private static func readFile(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw VocabularyError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if read > 0 {
                bytes.append(contentsOf: buffer[0..<read])
                guard bytes.count <= maximumFileBytes else {
                    throw VocabularyError.fileTooLarge(path: path, limit: maximumFileBytes)
                }
            }
            if read < buffer.count {
                if ferror(file) != 0 {
                    throw VocabularyError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
                }
                return bytes
            }
        }
    }
}

extension VocabularyError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
