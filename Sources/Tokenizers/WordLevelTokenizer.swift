/// The simplest tokeniser with a vocabulary: one id per whole word, for toy corpora.
///
/// Text is split by `WordTokenizer` (words at white space, punctuation on its own, one token per
/// CJK character) and, by default, lower-cased. A word missing from the vocabulary becomes
/// [UNK]: a word-level model cannot say anything about a word it has never seen, which is the
/// problem sub-word tokenisers such as WordPiece solve.
public struct WordLevelTokenizer: Sendable {
    /// The words the tokeniser knows (id = line index).
    public let vocabulary: Vocabulary
    /// Whether text is lower-cased before lookup.
    public let lowercase: Bool
    /// The id every unknown word gets.
    public let unknownID: Int

    /// A tokeniser over a given vocabulary. Throws `VocabularyError.missingSpecialToken` when
    /// the vocabulary has no [UNK].
    public init(vocabulary: Vocabulary, lowercase: Bool = true) throws {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        unknownID = try vocabulary.requireID(of: .unknown)
    }

    /// A tokeniser whose vocabulary is built from `texts` (see `buildVocabulary`).
    public init(corpus texts: [String], lowercase: Bool = true, minimumFrequency: Int = 1,
                maximumSize: Int? = nil) throws {
        try self.init(vocabulary: Self.buildVocabulary(from: texts, lowercase: lowercase,
                                                       minimumFrequency: minimumFrequency,
                                                       maximumSize: maximumSize),
                      lowercase: lowercase)
    }

    /// The five special tokens first (ids 0–4, in `SpecialToken.allCases` order: [PAD] [UNK]
    /// [CLS] [SEP] [MASK]), then every word seen at least `minimumFrequency` times, most
    /// frequent first; words equally frequent keep the order in which they first appear, so the
    /// same texts always give the same ids. `maximumSize` (specials included) keeps only the
    /// most frequent words. Words a vocabulary cannot hold (with a control character, or longer
    /// than `Vocabulary.maximumTokenBytes`) are left out and will read as [UNK].
    /// Throws `TokenizerError.invalidConfiguration` for a `maximumSize` below 5 or a
    /// `minimumFrequency` below 1.
    public static func buildVocabulary(from texts: [String], lowercase: Bool = true, minimumFrequency: Int = 1,
                                       maximumSize: Int? = nil) throws -> Vocabulary {
        guard minimumFrequency >= 1 else {
            throw TokenizerError.invalidConfiguration(
                field: "WordLevelTokenizer.minimumFrequency", reason: "must be at least 1, not \(minimumFrequency)")
        }
        let specials = SpecialToken.allCases.map(\.rawValue)
        if let maximumSize, maximumSize < specials.count {
            throw TokenizerError.invalidConfiguration(
                field: "WordLevelTokenizer.maximumSize",
                reason: "must leave room for the \(specials.count) special tokens, not \(maximumSize)")
        }
        let counts = FrequencyCount(texts.lazy.flatMap { words(of: $0, lowercase: lowercase) })
        var tokens = specials
        var taken = Set(specials.map { Array($0.utf8) })
        for (word, count) in counts.sortedByFrequency() where count >= minimumFrequency {
            if let maximumSize, tokens.count >= maximumSize { break }
            guard isStorable(word), taken.insert(Array(word.utf8)).inserted else { continue }
            tokens.append(word)
        }
        return try Vocabulary(tokens: tokens)
    }

    /// The words of `text` (lower-cased if `lowercase`), before any lookup.
    public func tokenize(_ text: String) -> [String] {
        Self.words(of: text, lowercase: lowercase)
    }

    /// One id per word; unknown words get `unknownID`.
    public func encode(_ text: String) -> [Int] {
        tokenize(text).map { vocabulary.id(of: $0) ?? unknownID }
    }

    /// The tokens joined by spaces, except between two CJK characters ("我 是" reads "我是").
    /// Ids outside the vocabulary read as [UNK].
    public func decode(_ ids: [Int]) -> String {
        var text = ""
        var previous: String?
        for id in ids {
            let token = vocabulary.token(for: id) ?? SpecialToken.unknown.rawValue
            if let previous {
                let bothCJK = previous.count == 1 && token.count == 1 && isCJK(previous.first!) && isCJK(token.first!)
                if !bothCJK { text += " " }
            }
            text += token
            previous = token
        }
        return text
    }

    static func words(of text: String, lowercase: Bool) -> [String] {
        let words = WordTokenizer().tokenize(text)
        return lowercase ? words.map { $0.lowercased() } : words
    }

    /// True when `Vocabulary` would accept the word as a token.
    static func isStorable(_ word: String) -> Bool {
        !word.isEmpty && word.utf8.count <= Vocabulary.maximumTokenBytes
            && !word.unicodeScalars.contains {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            }
    }
}

/// Counts how often each string occurs and remembers the order of first appearance, so that
/// sorting by frequency is deterministic (a Dictionary's own order changes from run to run).
struct FrequencyCount {
    private(set) var order: [String] = []
    private var counts: [[UInt8]: Int] = [:]

    init<S: Sequence>(_ items: S) where S.Element == String {
        for item in items { add(item) }
    }

    mutating func add(_ item: String, count: Int = 1) {
        let key = Array(item.utf8)
        if let existing = counts[key] {
            counts[key] = existing + count
        } else {
            counts[key] = count
            order.append(item)
        }
    }

    func count(of item: String) -> Int { counts[Array(item.utf8)] ?? 0 }

    /// Most frequent first; ties in order of first appearance.
    func sortedByFrequency() -> [(item: String, count: Int)] {
        order.enumerated()
            .map { (index: $0.offset, item: $0.element, count: count(of: $0.element)) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.index < $1.index }
            .map { (item: $0.item, count: $0.count) }
    }
}
