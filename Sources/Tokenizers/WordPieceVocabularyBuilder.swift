/// Builds a small WordPiece vocabulary from a corpus, for teaching.
///
/// Real WordPiece vocabularies are learned by merging pieces that raise the likelihood of the
/// training text (BERT's has 30,522). This builder is deliberately simpler and easy to follow:
///
///   1. the five special tokens (ids 0–4: [PAD] [UNK] [CLS] [SEP] [MASK]);
///   2. every character (code point) seen, as a word-start piece, in code-point order;
///   3. the `wholeWordCount` most frequent words of two or more characters that occur at least
///      `minimumWordFrequency` times (ties in order of first appearance);
///   4. those of `suffixes` (e.g. "##ing") that end at least `minimumSuffixFrequency` word
///      occurrences longer than the suffix;
///   5. "##" + every character seen, in code-point order.
///
/// Steps 2 and 5 guarantee that every word of the corpus can be split (at worst one character
/// per piece), so [UNK] only appears for characters the corpus never had. Rare words are not
/// in the vocabulary and visibly fall apart: "sleepily" might become sleep ##i ##ly.
/// Words are counted after BERT's basic tokenisation with the same lower-casing and accent
/// settings the tokeniser will use.
public struct WordPieceVocabularyBuilder: Sendable {
    /// Common English endings; each is only kept if the corpus uses it.
    public static let defaultSuffixes = ["##s", "##es", "##ed", "##ing", "##ly", "##er", "##ers", "##est",
                                         "##ness", "##ful", "##tion", "##ment"]

    /// Step 3: at most this many whole words are added (0 or more).
    public var wholeWordCount: Int
    /// Step 3: a word must occur at least this often.
    public var minimumWordFrequency: Int
    /// Step 4: the candidate suffix pieces, each "##" and at least one character.
    public var suffixes: [String]
    /// Step 4: a suffix is kept when at least this many word occurrences end with it.
    public var minimumSuffixFrequency: Int
    /// Whether words are lower-cased before counting (match the tokeniser's setting).
    public var lowercase: Bool
    /// Whether accents are removed; nil: when lower-casing, as BERT does.
    public var stripAccents: Bool?

    /// A builder with the given settings; the defaults suit the teaching corpus.
    public init(wholeWordCount: Int = 300, minimumWordFrequency: Int = 2,
                suffixes: [String] = WordPieceVocabularyBuilder.defaultSuffixes,
                minimumSuffixFrequency: Int = 2, lowercase: Bool = true, stripAccents: Bool? = nil) {
        self.wholeWordCount = wholeWordCount
        self.minimumWordFrequency = minimumWordFrequency
        self.suffixes = suffixes
        self.minimumSuffixFrequency = minimumSuffixFrequency
        self.lowercase = lowercase
        self.stripAccents = stripAccents
    }

    /// The vocabulary of `texts`. Throws `TokenizerError.invalidConfiguration` for a negative
    /// `wholeWordCount` or a suffix that does not start with "##" or has nothing after it. A
    /// suffix a vocabulary cannot hold (with white space, say) is left out.
    public func build(from texts: [String]) throws -> Vocabulary {
        guard wholeWordCount >= 0 else {
            throw TokenizerError.invalidConfiguration(
                field: "WordPieceVocabularyBuilder.wholeWordCount", reason: "must not be negative, not \(wholeWordCount)")
        }
        for suffix in suffixes where !suffix.hasPrefix("##") || suffix.unicodeScalars.count < 3 {
            throw TokenizerError.invalidConfiguration(
                field: "WordPieceVocabularyBuilder.suffixes",
                reason: "\"\(suffix)\" must be \"##\" followed by at least one character")
        }
        let basic = BertBasicTokenizer(lowercase: lowercase, stripAccents: stripAccents)
        let words = FrequencyCount(texts.lazy.flatMap(basic.tokenize))
        var characters = Set<Unicode.Scalar>()
        for word in words.order { characters.formUnion(word.unicodeScalars) }
        let sortedCharacters = characters.sorted { $0.value < $1.value }

        var tokens: [String] = []
        var taken = Set<[UInt8]>()
        func add(_ token: String) {
            if WordLevelTokenizer.isStorable(token), taken.insert(Array(token.utf8)).inserted { tokens.append(token) }
        }
        SpecialToken.allCases.forEach { add($0.rawValue) }                   // 1
        sortedCharacters.forEach { add(String($0)) }                          // 2
        var kept = 0                                                          // 3
        for (word, count) in words.sortedByFrequency() where kept < wholeWordCount {
            guard count >= minimumWordFrequency else { break }
            guard word.unicodeScalars.count >= 2 else { continue }
            add(word)
            kept += 1
        }
        for suffix in suffixes {                                              // 4
            let ending = Array(suffix.unicodeScalars.dropFirst(2))
            let uses = words.order.reduce(0) { total, word in
                let scalars = Array(word.unicodeScalars)
                return scalars.count > ending.count && scalars.suffix(ending.count).elementsEqual(ending)
                    ? total + words.count(of: word) : total
            }
            if uses >= minimumSuffixFrequency { add(suffix) }
        }
        sortedCharacters.forEach { add("##" + String($0)) }                  // 5
        return try Vocabulary(tokens: tokens)
    }
}
