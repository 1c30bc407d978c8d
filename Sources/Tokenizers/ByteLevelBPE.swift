import Foundation

/// GPT-2 style byte-level BPE, as SmolLM2 (and many Llama-family GGUF files, `tokenizer.ggml.model`
/// = "gpt2") tokenise text. Based on OpenAI's GPT-2 `encoder.py` and Hugging Face's `tokenizers`
/// (ByteLevel pre-tokenizer + BPE model), written out by hand.
///
/// Encoding is four steps:
///
/// 1. **Special tokens.** The control tokens of the vocabulary (`token_type` 3, e.g. `<|im_start|>`)
///    are found in the text first and become their ids directly; BPE never sees them.
/// 2. **Pre-tokenising.** The rest is cut into pieces that BPE handles one at a time. For the
///    "smollm" pre-tokenizer every digit is its own piece first (HF `Digits(individual_digits)`),
///    then each stretch between is split by GPT-2's pattern
///    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
///    implemented below as a hand-written scanner over Unicode scalars (no regex engine).
///    "gpt2" is the same without the digit step.
/// 3. **Bytes to symbols.** Each piece's UTF-8 bytes become one printable character each through
///    GPT-2's byte↔unicode table (space → "Ġ", newline → "Ċ"), so every string has a spelling.
/// 4. **Merging.** Adjacent symbols are merged, always the pair whose merge rule comes first in
///    the merge list, until no rule applies; each final symbol is a vocabulary token.
public struct ByteLevelBPE: Sendable {
    /// The pre-tokenizers this type implements (`tokenizer.ggml.pre` in a GGUF file; ModelIO
    /// reads a GGUF file's tokenizer with `ByteLevelBPE(gguf:)`).
    public enum PreTokenizer: String, Sendable {
        /// GPT-2's pattern alone.
        case gpt2
        /// Every digit its own piece, then GPT-2's pattern (SmolLM, StarCoder).
        case smollm
    }

    /// Every token's string, in the byte-level spelling ("Ġthe"); the index is the id.
    public let tokens: [String]
    /// How text is split into pieces before the merges.
    public let preTokenizer: PreTokenizer
    /// The control tokens recognised in text, by string.
    public let specialTokens: [String: Int]
    /// The id of the beginning-of-sequence token, when the tokenizer has one.
    public let bosID: Int?
    /// The id of the end-of-sequence token, when the tokenizer has one.
    public let eosID: Int?

    private let ids: [String: Int]
    /// "left right" → rank (earlier merges win). Byte-level symbols never contain a space.
    private let mergeRanks: [String: Int]
    private let specialIDs: Set<Int>
    /// Special token strings, longest first, so that a longer token wins over its prefix.
    private let specialByLength: [(text: [UInt8], id: Int)]
    private let specialFirstBytes: Set<UInt8>

    /// The number of tokens (ids run from 0 to vocabularySize − 1).
    public var vocabularySize: Int { tokens.count }

    /// A tokenizer from a vocabulary, its merge rules ("left right", earliest first) and the
    /// token types (3 = control: matched in text as a whole; others ordinary). `tokenTypes` may be
    /// empty (no special tokens).
    public init(tokens: [String], merges: [String], tokenTypes: [Int] = [], preTokenizer: PreTokenizer = .gpt2,
                bosID: Int? = nil, eosID: Int? = nil) throws(ByteLevelBPEError) {
        guard !tokenTypes.isEmpty ? tokenTypes.count == tokens.count : true else {
            throw .countMismatch(tokens: tokens.count, tokenTypes: tokenTypes.count)
        }
        // Tokens and merges are compared byte by byte (as Python and Rust compare strings),
        // not by Swift's canonical equivalence: "é" and "e" + U+0301 are different tokens.
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(tokens.count)
        var idsByString: [String: Int] = [:]
        idsByString.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            let key = Array(token.utf8)
            if let first = ids[key] { throw .duplicateToken(token: token, id: id, firstID: first) }
            ids[key] = id
            if idsByString[token] == nil { idsByString[token] = id }
        }
        var ranks: [String: Int] = [:]
        var ranksByScalars: [[UInt8]: Int] = [:]
        ranks.reserveCapacity(merges.count)
        ranksByScalars.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let mergeBytes = Array(merge.utf8)
            let parts = mergeBytes.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw .invalidMerge(index: rank, text: merge)
            }
            // As in Hugging Face's BPE: both sides and their concatenation must be tokens.
            for part in [Array(parts[0]), Array(parts[1]), Array(parts[0] + parts[1])] where ids[part] == nil {
                throw .mergeTokenUnknown(index: rank, text: merge, token: String(decoding: part, as: UTF8.self))
            }
            if let first = ranksByScalars[mergeBytes] {
                throw .duplicateMerge(index: rank, firstIndex: first, text: merge)
            }
            ranksByScalars[mergeBytes] = rank
            if ranks[merge] == nil { ranks[merge] = rank }
        }
        for id in [bosID, eosID].compactMap({ $0 }) where id < 0 || id >= tokens.count {
            throw .idOutOfRange(id: id, vocabularySize: tokens.count)
        }
        var special: [String: Int] = [:]
        for (id, type) in tokenTypes.enumerated() where type == 3 && !tokens[id].isEmpty { special[tokens[id]] = id }
        self.tokens = tokens
        self.preTokenizer = preTokenizer
        self.specialTokens = special
        self.bosID = bosID
        self.eosID = eosID
        self.ids = idsByString
        self.mergeRanks = ranks
        self.specialIDs = Set(special.values)
        self.specialByLength = special.map { (Array($0.key.utf8), $0.value) }
            .sorted { ($0.text.count, $1.id) > ($1.text.count, $0.id) }
        self.specialFirstBytes = Set(special.keys.compactMap { $0.utf8.first })
    }

    // MARK: Encoding

    /// The token ids of `text`. Special tokens written in the text (`<|im_start|>`) become their
    /// ids. No BOS is added (SmolLM2's `add_bos_token` is false).
    public func encode(_ text: String) -> [Int] {
        var result: [Int] = []
        let bytes = Array(text.utf8)
        var start = 0, i = 0
        while i < bytes.count {
            if specialFirstBytes.contains(bytes[i]),
               let match = specialByLength.first(where: { matches($0.text, in: bytes, at: i) }) {
                if start < i { encodeOrdinary(bytes[start..<i], into: &result) }
                result.append(match.id)
                i += match.text.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { encodeOrdinary(bytes[start..<bytes.count], into: &result) }
        return result
    }

    private func matches(_ needle: [UInt8], in bytes: [UInt8], at position: Int) -> Bool {
        guard position + needle.count <= bytes.count else { return false }
        for k in 0..<needle.count where bytes[position + k] != needle[k] { return false }
        return true
    }

    private func encodeOrdinary(_ bytes: ArraySlice<UInt8>, into result: inout [Int]) {
        // A special token match never splits a UTF-8 sequence (its bytes are whole characters).
        let text = String(decoding: bytes, as: UTF8.self)
        for piece in ByteLevelBPE.preTokenize(text, digitsApart: preTokenizer == .smollm) {
            for symbol in bpe(piece) {
                if let id = ids[symbol] {
                    result.append(id)
                } else {
                    // A symbol without a token (not in a complete byte-level vocabulary): its bytes.
                    for scalar in symbol.unicodeScalars {
                        if let byte = ByteLevelBPE.unicodeToByte[scalar], let id = ids[String(ByteLevelBPE.byteToUnicode[Int(byte)])] {
                            result.append(id)
                        }
                    }
                }
            }
        }
    }

    /// Merges the byte-level symbols of one piece.
    private func bpe(_ piece: String) -> [String] {
        var symbols = piece.utf8.map { String(ByteLevelBPE.byteToUnicode[Int($0)]) }
        if symbols.count < 2 { return symbols }
        while symbols.count > 1 {
            var bestRank = Int.max, bestIndex = -1
            for k in 0..<(symbols.count - 1) {
                if let rank = mergeRanks[symbols[k] + " " + symbols[k + 1]], rank < bestRank {
                    bestRank = rank
                    bestIndex = k
                }
            }
            if bestIndex < 0 { break }
            let left = symbols[bestIndex], right = symbols[bestIndex + 1]
            var merged: [String] = []
            merged.reserveCapacity(symbols.count)
            var k = 0
            while k < symbols.count {
                if k < symbols.count - 1 && symbols[k] == left && symbols[k + 1] == right {
                    merged.append(left + right)
                    k += 2
                } else {
                    merged.append(symbols[k])
                    k += 1
                }
            }
            symbols = merged
        }
        return symbols
    }

    // MARK: Pre-tokenising

    private enum Kind { case letter, number, space, other }

    private static func kind(_ scalar: Unicode.Scalar) -> Kind {
        let properties = scalar.properties
        if properties.isWhitespace { return .space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The pieces of `text`, as the pre-tokenizer cuts it (see the type's documentation).
    package static func preTokenize(_ text: String, digitsApart: Bool) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let kinds = scalars.map(kind)
        var pieces: [String] = []
        func emit(_ range: Range<Int>) {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[range])
            pieces.append(String(piece))
        }
        if digitsApart {
            var start = 0
            for k in 0..<scalars.count where kinds[k] == .number {
                if start < k { splitGPT2(kinds: kinds, scalars: scalars, range: start..<k, emit: emit) }
                emit(k..<(k + 1))
                start = k + 1
            }
            if start < scalars.count { splitGPT2(kinds: kinds, scalars: scalars, range: start..<scalars.count, emit: emit) }
        } else {
            splitGPT2(kinds: kinds, scalars: scalars, range: 0..<scalars.count, emit: emit)
        }
        return pieces
    }

    /// GPT-2's pattern over `range`, which acts as the whole string (look-ahead stops at its end).
    private static func splitGPT2(kinds: [Kind], scalars: [Unicode.Scalar], range: Range<Int>,
                                  emit: (Range<Int>) -> Void) {
        let end = range.upperBound
        var i = range.lowerBound
        func run(from start: Int, of kind: Kind) -> Int {
            var j = start
            while j < end && kinds[j] == kind { j += 1 }
            return j
        }
        while i < end {
            // 's 't 're 've 'm 'll 'd (lower case only, as in GPT-2).
            if scalars[i] == "'" && i + 1 < end {
                let next = scalars[i + 1]
                if next == "s" || next == "t" || next == "m" || next == "d" {
                    emit(i..<(i + 2)); i += 2; continue
                }
                if i + 2 < end {
                    let pair = (next, scalars[i + 2])
                    if pair == ("r", "e") || pair == ("v", "e") || pair == ("l", "l") {
                        emit(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // An optional single space (U+0020 only) then letters, numbers or others.
            let hasSpace = scalars[i] == " " && i + 1 < end
            let first = hasSpace ? i + 1 : i
            if kinds[first] != .space {
                let stop = run(from: first, of: kinds[first])
                emit(i..<stop); i = stop; continue
            }
            // Whitespace: \s+(?!\S) takes the run except its last character when a non-space
            // follows (that character then goes with the next piece); a lone one is \s+.
            let stop = run(from: i, of: .space)
            if stop == end || stop - i == 1 {
                emit(i..<stop); i = stop
            } else {
                emit(i..<(stop - 1)); i = stop - 1
            }
        }
    }

    // MARK: Decoding

    /// The text of `ids`: special tokens as written, the rest through the byte table, invalid
    /// UTF-8 replaced by U+FFFD. Throws for an id outside the vocabulary.
    public func decode(_ ids: [Int]) throws(ByteLevelBPEError) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes += try self.bytes(of: id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes one token stands for.
    public func bytes(of id: Int) throws(ByteLevelBPEError) -> [UInt8] {
        guard id >= 0 && id < tokens.count else { throw .idOutOfRange(id: id, vocabularySize: tokens.count) }
        let token = tokens[id]
        if specialIDs.contains(id) { return Array(token.utf8) }
        var bytes: [UInt8] = []
        for scalar in token.unicodeScalars {
            if let byte = ByteLevelBPE.unicodeToByte[scalar] { bytes.append(byte) } else { bytes += Array(String(scalar).utf8) }
        }
        return bytes
    }

    /// One label per token for figures and tables: the token's own text, with a space shown as
    /// "␣", a newline as "↵" and a tab as "⇥" so that they stay visible. A token that is not whole
    /// UTF-8 on its own (part of a Chinese character or an emoji) is labelled with the characters
    /// it spells together with its neighbours and its part: 我 cut into two tokens gives "我 1/2",
    /// "我 2/2". Only a lone partial byte that completes nothing shows its bytes ("<0xE6>").
    /// Special tokens show as written ("<|im_start|>"). Ids outside the vocabulary show as "<id?>".
    public func tokenStrings(_ ids: [Int]) -> [String] {
        let pieces: [[UInt8]?] = ids.map { id in
            specialIDs.contains(id) ? nil : (try? bytes(of: id))
        }
        var labels: [String] = []
        var i = 0
        while i < ids.count {
            let id = ids[i]
            guard let bytes = pieces[i] else {
                labels.append(specialIDs.contains(id) && id >= 0 && id < tokens.count ? tokens[id] : "<\(id)?>")
                i += 1
                continue
            }
            if let text = String(validating: bytes, as: UTF8.self) {
                labels.append(Self.visible(text))
                i += 1
                continue
            }
            // The shortest run of following byte tokens (a UTF-8 character has at most 4 bytes)
            // that completes the character(s).
            var run: (end: Int, text: String)? = nil
            var joined = bytes
            var j = i + 1
            while j < ids.count, j < i + 4, let next = pieces[j] {
                joined += next
                j += 1
                if let text = String(validating: joined, as: UTF8.self) { run = (j, text); break }
            }
            if let run {
                let count = run.end - i
                for k in 0..<count { labels.append("\(Self.visible(run.text)) \(k + 1)/\(count)") }
                i = run.end
            } else {
                labels.append(bytes.map { "<0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) + ">" }.joined())
                i += 1
            }
        }
        return labels
    }

    /// A space as "␣", a newline as "↵", a tab as "⇥"; everything else as it is.
    static func visible(_ text: String) -> String {
        var label = ""
        for character in text {
            switch character {
            case " ": label += "␣"
            case "\n": label += "↵"
            case "\t": label += "⇥"
            default: label.append(character)
            }
        }
        return label
    }

    // MARK: The byte table

    /// GPT-2's `bytes_to_unicode`: the printable bytes ! … ~, ¡ … ¬, ® … ÿ stand for themselves;
    /// the other 68 bytes (controls, space, DEL, NBSP, soft hyphen) get U+0100, U+0101, … in order.
    package static let byteToUnicode: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            let scalar = printable ? UInt32(byte) : { defer { next += 1 }; return next }()
            table[byte] = Character(Unicode.Scalar(scalar)!)
        }
        return table
    }()

    static let unicodeToByte: [Unicode.Scalar: UInt8] = {
        var inverse: [Unicode.Scalar: UInt8] = [:]
        for (byte, character) in byteToUnicode.enumerated() { inverse[character.unicodeScalars.first!] = UInt8(byte) }
        return inverse
    }()
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// What can be wrong with a tokenizer's vocabulary, or with ids given to it.
public enum ByteLevelBPEError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A merge rule that is not "left right" with two non-empty symbols.
    case invalidMerge(index: Int, text: String)
    /// A merge rule whose left side, right side or result (`token`) is not in the vocabulary.
    case mergeTokenUnknown(index: Int, text: String, token: String)
    /// A merge rule already listed at `firstIndex`.
    case duplicateMerge(index: Int, firstIndex: Int, text: String)
    /// A token already listed with id `firstID`.
    case duplicateToken(token: String, id: Int, firstID: Int)
    /// `token_type` and `tokens` differ in length.
    case countMismatch(tokens: Int, tokenTypes: Int)
    /// An id outside 0..<vocabularySize.
    case idOutOfRange(id: Int, vocabularySize: Int)

    /// The message, naming the GGUF field or the id that is wrong.
    public var description: String {
        switch self {
        case let .invalidMerge(index, text):
            return "byte-level BPE: tokenizer.ggml.merges[\(index)] \"\(messageText(text))\" is not two symbols separated by one space"
        case let .mergeTokenUnknown(index, text, token):
            return "byte-level BPE: tokenizer.ggml.merges[\(index)] \"\(messageText(text))\" names \"\(messageText(token))\", which is not in tokenizer.ggml.tokens"
        case let .duplicateMerge(index, firstIndex, text):
            return "byte-level BPE: tokenizer.ggml.merges[\(index)] \"\(messageText(text))\" repeats tokenizer.ggml.merges[\(firstIndex)]"
        case let .duplicateToken(token, id, firstID):
            return "byte-level BPE: tokenizer.ggml.tokens[\(id)] \"\(messageText(token))\" repeats tokenizer.ggml.tokens[\(firstID)]"
        case let .countMismatch(tokens, types):
            return "byte-level BPE: \(tokens) tokens but \(types) token types"
        case let .idOutOfRange(id, size):
            return "byte-level BPE: token id \(id) is outside the vocabulary 0..<\(size)"
        }
    }

    /// The same message as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }
}
