// Foundation is imported for one thing only: the canonical decomposition (NFD) that accent
// stripping needs ("é" → "e" + U+0301). The standard library has no public NFD.
import Foundation

// BERT's tokeniser, as in google-research/bert's tokenization.py (BasicTokenizer and
// WordpieceTokenizer) and Hugging Face's BertTokenizer, rewritten here step by step:
//
//   1. clean:       delete U+0000, U+FFFD and control and format characters; every white-space
//                   character becomes a plain space
//   2. CJK:         put spaces around every CJK ideograph, so each is a word of its own
//   3. split:       at white space
//   4. normalise:   lower-case (optional) and strip accents (optional): decompose to NFD and
//                   drop the combining marks
//   5. punctuation: every punctuation character becomes a word of its own
//   6. WordPiece:   split each word into the longest vocabulary pieces, left to right; a piece
//                   that does not start the word is written with "##" in front
//
// Everything works on Unicode code points (Swift's unicodeScalars), as Python's str does, not on
// Swift Characters (grapheme clusters): a word's length, the pieces and the punctuation test are
// all per code point.

/// Steps 1–5 of BERT's tokeniser: text → words, before WordPiece.
public struct BertBasicTokenizer: Sendable {
    /// Lower-case every word (BERT "uncased").
    public let lowercase: Bool
    /// Remove accents: NFD, then drop every code point of category Mn (non-spacing mark).
    public let stripAccents: Bool

    /// `stripAccents: nil` follows `lowercase`, as in BERT: the uncased models strip accents,
    /// the cased ones keep them. `true` or `false` overrides that (Hugging Face's option).
    public init(lowercase: Bool = true, stripAccents: Bool? = nil) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents ?? lowercase
    }

    /// The words of `text`, punctuation split off, CJK characters one per word.
    public func tokenize(_ text: String) -> [String] {
        // 1 and 2: clean and space out CJK ideographs.
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isCJK(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        // 3–5.
        var words: [String] = []
        for word in Self.splitOnWhitespace(String(cleaned)) {
            var normalised = word
            if lowercase { normalised = Self.lowercased(normalised) }
            if stripAccents { normalised = Self.removingAccents(normalised) }
            words += Self.splitOnPunctuation(normalised)
        }
        return words
    }

    // MARK: BERT's character classes

    /// BERT's white space: space, tab, newline, carriage return and category Zs.
    package static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r": return true
        default: return scalar.properties.generalCategory == .spaceSeparator
        }
    }

    /// BERT's control characters: categories Cc (control) and Cf (format, e.g. the zero-width
    /// space U+200B), except tab, newline and carriage return, which count as white space. This
    /// is google-research/bert's rule; Hugging Face deletes every category C*, so private-use
    /// (Co) and unassigned (Cn) code points, which are kept here, vanish there.
    package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format: return true
            default: return false
            }
        }
    }

    /// BERT's punctuation: all non-letter, non-digit printable ASCII (33–47, 58–64, 91–96,
    /// 123–126, so "$", "+", "^" and "`" count although Unicode calls them symbols) and every
    /// code point of a Unicode category P*.
    package static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// BERT's CJK ideographs: the CJK Unified Ideographs blocks and extensions A–E and the
    /// compatibility ideographs. Not kana, not Hangul, not CJK punctuation (which is category P
    /// and is split off as punctuation anyway).
    package static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    /// Splits at every code point with the Unicode White_Space property (what Python's
    /// `str.split()` does once control characters are gone), dropping empty pieces.
    static func splitOnWhitespace(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// "hello,world!" → ["hello", ",", "world", "!"].
    static func splitOnPunctuation(_ word: String) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in word.unicodeScalars {
            if isPunctuation(scalar) {
                if !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
                pieces.append(String(scalar))
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    /// Python's `str.lower()`: Unicode's full lower-case mapping of every code point, plus the one
    /// rule that depends on context, Greek final sigma: a capital Σ that ends a word (a cased
    /// letter before it, none after it, skipping case-ignorable marks) becomes ς, not σ, so
    /// "ΟΔΟΣ" → "οδος". Swift's `lowercased()` maps code points one by one and gives "οδοσ".
    package static func lowercased(_ word: String) -> String {
        let scalars = Array(word.unicodeScalars)
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}", isFinalSigma(scalars, at: index) {
                result.append("\u{03C2}")
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return after == scalars.count || !scalars[after].properties.isCased
    }

    /// NFD, then without the non-spacing marks: "Héllo" → "Hello", "naïve" → "naive".
    package static func removingAccents(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            kept.append(scalar)
        }
        return String(kept)
    }
}

/// BERT's WordPiece tokeniser: the basic tokeniser's words, each split greedily into the
/// longest pieces the vocabulary holds.
///
/// For each word, from its first code point: take the longest prefix that is in the
/// vocabulary, then from where that stopped the longest "##"-prefixed piece, and so on to the
/// end. With the vocabulary of BERT's own unit test, "unaffable" becomes un ##aff ##able. When
/// some position has no piece at all, the whole word becomes [UNK] (not just the stuck part), as
/// does any word longer than `maxWordLength` code points.
///
/// Special tokens written in the text ("the [MASK] sat") are kept whole when
/// `splitSpecialTokens` is true, as Hugging Face's BertTokenizer does; google-research/bert's
/// reference would split "[MASK]" into "[", "mask", "]". They are matched case-sensitively and
/// only when the vocabulary holds them.
public struct WordPieceTokenizer: Sendable {
    /// The pieces the tokeniser may produce.
    public let vocabulary: Vocabulary
    /// The first pass: BERT's basic tokeniser (white space, punctuation, CJK, case and accents).
    public let basic: BertBasicTokenizer
    /// Longer words (counted in code points) become [UNK].
    public let maxWordLength: Int
    /// Whether special tokens written in the text ("[MASK]") are kept whole instead of split.
    public let splitSpecialTokens: Bool
    /// Whether text is lower-cased (BERT uncased).
    public var lowercase: Bool { basic.lowercase }
    /// Whether accents are removed (by default, when lower-casing).
    public var stripAccents: Bool { basic.stripAccents }

    /// The ids of [UNK], [CLS] and [SEP], which every tokeniser needs.
    public let unknownID: Int
    /// (See `unknownID`.) The id of [CLS].
    public let classificationID: Int
    /// (See `unknownID`.) The id of [SEP].
    public let separatorID: Int

    /// Throws `VocabularyError.missingSpecialToken` when the vocabulary lacks [UNK], [CLS] or
    /// [SEP], and `TokenizerError.invalidConfiguration` when maxWordLength < 1.
    public init(vocabulary: Vocabulary, lowercase: Bool = true, stripAccents: Bool? = nil,
                maxWordLength: Int = 100, splitSpecialTokens: Bool = true) throws {
        guard maxWordLength >= 1 else {
            throw TokenizerError.invalidConfiguration(
                field: "WordPieceTokenizer.maxWordLength", reason: "must be at least 1, not \(maxWordLength)")
        }
        self.vocabulary = vocabulary
        basic = BertBasicTokenizer(lowercase: lowercase, stripAccents: stripAccents)
        self.maxWordLength = maxWordLength
        self.splitSpecialTokens = splitSpecialTokens
        unknownID = try vocabulary.requireID(of: .unknown)
        classificationID = try vocabulary.requireID(of: .classification)
        separatorID = try vocabulary.requireID(of: .separator)
    }

    /// The tokens of `text`: words and "##" pieces, all in the vocabulary, or [UNK].
    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        for segment in segments(of: text) {
            switch segment {
            case let .special(token):
                tokens.append(token)
            case let .text(part):
                for word in basic.tokenize(part) { tokens += wordPieces(word) }
            }
        }
        return tokens
    }

    /// Step 6 alone: one word (no white space) → its pieces, or ["[UNK]"].
    public func wordPieces(_ word: String) -> [String] {
        let scalars = Array(word.unicodeScalars)
        guard !scalars.isEmpty else { return [] }
        guard scalars.count <= maxWordLength else { return [SpecialToken.unknown.rawValue] }
        var pieces: [String] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: String?
            while start < end {
                var piece = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if vocabulary.contains(piece) {
                    found = piece
                    break
                }
                end -= 1
            }
            guard let found else { return [SpecialToken.unknown.rawValue] }
            pieces.append(found)
            start = end
        }
        return pieces
    }

    /// The ids of `tokenize(text)`.
    public func encode(_ text: String) -> [Int] {
        tokenize(text).map { vocabulary.id(of: $0) ?? unknownID }
    }

    /// BERT's input for one or two sentences: [CLS] a [SEP] or [CLS] a [SEP] b [SEP], with
    /// segment (token type) ids 0 for [CLS], a and the first [SEP], and 1 for b and its [SEP].
    public func encodePair(_ a: String, _ b: String?) -> (ids: [Int], segments: [Int]) {
        let first = [classificationID] + encode(a) + [separatorID]
        var ids = first
        var segments = [Int](repeating: 0, count: first.count)
        if let b {
            let second = encode(b) + [separatorID]
            ids += second
            segments += [Int](repeating: 1, count: second.count)
        }
        return (ids, segments)
    }

    /// Tokens back to text: pieces are joined with spaces and every "##" piece is glued to the
    /// one before ("un ##aff ##able" → "unaffable"). Lower-casing, stripped accents and the
    /// spaces around punctuation cannot be undone. Ids outside the vocabulary read as [UNK];
    /// `skipSpecialTokens` leaves out the five special tokens.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        let specials = skipSpecialTokens ? vocabulary.presentSpecialTokenIDs : []
        var text = ""
        for id in ids where !specials.contains(id) {
            let token = vocabulary.token(for: id) ?? SpecialToken.unknown.rawValue
            if token.hasPrefix("##"), !text.isEmpty {
                text += token.dropFirst(2)
            } else {
                text += text.isEmpty ? token : " " + token
            }
        }
        return text
    }

    // MARK: Special tokens in the text

    private enum Segment {
        case text(String)
        case special(String)
    }

    private func segments(of text: String) -> [Segment] {
        guard splitSpecialTokens else { return [.text(text)] }
        let specials = SpecialToken.allCases.map(\.rawValue).filter(vocabulary.contains)
            .map { Array($0.unicodeScalars) }
        guard !specials.isEmpty else { return [.text(text)] }
        let scalars = Array(text.unicodeScalars)
        var result: [Segment] = []
        var plainStart = 0
        var i = 0
        while i < scalars.count {
            if let special = specials.first(where: { scalars[i...].starts(with: $0) }) {
                if plainStart < i {
                    result.append(.text(String(String.UnicodeScalarView(scalars[plainStart..<i]))))
                }
                result.append(.special(String(String.UnicodeScalarView(special))))
                i += special.count
                plainStart = i
            } else {
                i += 1
            }
        }
        if plainStart < scalars.count {
            result.append(.text(String(String.UnicodeScalarView(scalars[plainStart...]))))
        }
        return result
    }
}
