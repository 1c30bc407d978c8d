import Testing
@testable import Tokenizers
@testable import Training

@Suite("WordPiece and word-level tokenisers")
struct WordPieceTests {
    /// The vocabulary of google-research/bert's tokenization_test.py, ids 0–9.
    static let bertTestTokens = ["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing"]

    /// BERT's test vocabulary plus the pieces of its README example "unaffable", a few
    /// punctuation marks, Chinese characters, "hello" and the other special tokens.
    static let extendedTokens = bertTestTokens + ["##aff", "##able", ",", "!", "$", "hello", "我", "是", "学", "生",
                                                  "[PAD]", "[MASK]", "a", "##a", "。"]

    static func tokenizer(_ tokens: [String] = extendedTokens, lowercase: Bool = true, stripAccents: Bool? = nil,
                          maxWordLength: Int = 100, splitSpecialTokens: Bool = true) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Vocabulary(tokens: tokens), lowercase: lowercase,
                               stripAccents: stripAccents, maxWordLength: maxWordLength,
                               splitSpecialTokens: splitSpecialTokens)
    }

    @Test func bertsOwnTestCase() throws {
        let tokenizer = try Self.tokenizer(Self.bertTestTokens)
        #expect(tokenizer.tokenize("") == [])
        #expect(tokenizer.tokenize("unwanted running") == ["un", "##want", "##ed", "runn", "##ing"])
        // One letter without a piece turns the whole word into [UNK], not just the letter.
        #expect(tokenizer.tokenize("unwantedX running") == ["[UNK]", "runn", "##ing"])
        #expect(tokenizer.encode("UNwanted running") == [7, 4, 5, 8, 9])
    }

    @Test func greedyLongestMatchFirst() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.tokenize("unaffable") == ["un", "##aff", "##able"])
        // "wa" is in the vocabulary, but "want" is longer and wins.
        #expect(tokenizer.wordPieces("wanted") == ["want", "##ed"])
        #expect(tokenizer.wordPieces("wawant") == ["wa", "##want"])
        // No piece starts "run" ("runn" is longer than the word): the word is [UNK].
        #expect(tokenizer.wordPieces("run") == ["[UNK]"])
    }

    @Test func punctuationIsSplitOff() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.tokenize("want,want!") == ["want", ",", "want", "!"])
        // "$" is a Unicode symbol, but BERT counts every non-alphanumeric printable ASCII character.
        #expect(tokenizer.tokenize("wa$wa") == ["wa", "$", "wa"])
        let basic = BertBasicTokenizer()
        #expect(basic.tokenize("Hello, world!") == ["hello", ",", "world", "!"])
        #expect(basic.tokenize("¿qué—no?") == ["¿", "que", "—", "no", "?"])
        #expect(basic.tokenize("e-mail's") == ["e", "-", "mail", "'", "s"])
        // Unicode symbols that are not ASCII stay inside words (category S, not P).
        #expect(basic.tokenize("3€+2") == ["3€", "+", "2"])
    }

    @Test func everyCJKCharacterIsAToken() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.tokenize("我是学生。") == ["我", "是", "学", "生", "。"])
        // 们 is not in the vocabulary: only that character becomes [UNK].
        #expect(tokenizer.tokenize("我们是学生") == ["我", "[UNK]", "是", "学", "生"])
        #expect(tokenizer.tokenize("hello我") == ["hello", "我"])
        // Kana and Hangul are not in BERT's CJK ranges: they stay whole words.
        #expect(BertBasicTokenizer(lowercase: false).tokenize("ひらがな한국") == ["ひらがな한국"])
        // Uncased, accent stripping also removes the voicing mark of が (NFD: か + U+3099, a
        // combining mark), a known quirk of BERT's uncased models.
        let uncased = BertBasicTokenizer().tokenize("ひらがな")
        #expect(uncased == ["ひらかな"] && uncased[0].unicodeScalars.count == 4)
    }

    @Test func lowerCasingAndAccents() throws {
        #expect(try Self.tokenizer().tokenize("Héllo") == ["hello"])
        // The same accent written decomposed (e + U+0301) gives the same result.
        #expect(try Self.tokenizer().tokenize("He\u{301}llo") == ["hello"])
        #expect(BertBasicTokenizer(lowercase: true).tokenize("Héllo Naïve") == ["hello", "naive"])
        // Cased: nothing changes unless stripping is asked for.
        #expect(BertBasicTokenizer(lowercase: false).tokenize("Héllo") == ["Héllo"])
        #expect(BertBasicTokenizer(lowercase: false, stripAccents: true).tokenize("Héllo") == ["Hello"])
        #expect(BertBasicTokenizer(lowercase: true, stripAccents: false).tokenize("Héllo") == ["héllo"])
        // Lower-casing is Python's: a word-final capital sigma becomes ς.
        #expect(BertBasicTokenizer.lowercased("ΟΔΟΣ ΣΑΣ Σ") == "οδος σας σ")
        #expect(BertBasicTokenizer.lowercased("İSTANBUL") == "i\u{307}stanbul")
        let cased = try Self.tokenizer(lowercase: false)
        #expect(cased.stripAccents == false)
        #expect(cased.tokenize("Hello hello") == ["[UNK]", "hello"])
    }

    @Test func controlCharactersAndWhiteSpace() throws {
        let tokenizer = try Self.tokenizer()
        // U+0000 and the zero-width space (a format character) are deleted, not split at.
        #expect(tokenizer.tokenize("un\u{200B}want\u{0}ed") == ["un", "##want", "##ed"])
        // A private-use code point is not a control character in BERT's reference: it stays.
        #expect(BertBasicTokenizer().tokenize("a\u{E000}b\u{7}c") == ["a\u{E000}bc"])
        // Tabs, newlines, no-break and ideographic spaces all separate words.
        #expect(tokenizer.tokenize("want\twant\nwant\u{A0}want\u{3000}want") == Array(repeating: "want", count: 5))
    }

    @Test func overlongWordsBecomeUnknown() throws {
        let short = try Self.tokenizer(maxWordLength: 6)
        #expect(short.tokenize("running") == ["[UNK]"])           // 7 characters
        #expect(short.tokenize("wanted") == ["want", "##ed"])      // 6 characters
        let standard = try Self.tokenizer()
        #expect(standard.maxWordLength == 100)
        let hundred = standard.tokenize(String(repeating: "a", count: 100))
        #expect(hundred.count == 100 && hundred.first == "a" && hundred.last == "##a")
        #expect(standard.tokenize(String(repeating: "a", count: 101)) == ["[UNK]"])
        #expect(throws: TokenizerError.self) { try Self.tokenizer(maxWordLength: 0) }
    }

    @Test func encodePairGivesSegments() throws {
        let tokenizer = try Self.tokenizer()
        let pair = tokenizer.encodePair("unwanted", "running")
        #expect(pair.ids == [1, 7, 4, 5, 2, 8, 9, 2])
        #expect(pair.segments == [0, 0, 0, 0, 0, 1, 1, 1])
        let single = tokenizer.encodePair("running", nil)
        #expect(single.ids == [1, 8, 9, 2] && single.segments == [0, 0, 0, 0])
    }

    @Test func decodeJoinsPieces() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.decode([7, 4, 5, 8, 9]) == "unwanted running")
        // "-" is not in the vocabulary, and "affable" cannot be split once "a" is taken.
        #expect(tokenizer.decode(tokenizer.encode("Un-affable!")) == "un [UNK] [UNK] !")
        #expect(tokenizer.decode([1, 7, 4, 5, 2, 999]) == "[CLS] unwanted [SEP] [UNK]")
        #expect(tokenizer.decode([1, 7, 4, 5, 2], skipSpecialTokens: true) == "unwanted")
    }

    @Test func specialTokensInTheText() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.tokenize("want [MASK] running") == ["want", "[MASK]", "runn", "##ing"])
        #expect(tokenizer.tokenize("want[MASK]") == ["want", "[MASK]"])
        // Lower-case "[mask]" is ordinary text, and so is every special with the option off.
        #expect(tokenizer.tokenize("[mask]") == ["[UNK]", "[UNK]", "[UNK]"])
        let reference = try Self.tokenizer(splitSpecialTokens: false)
        #expect(reference.tokenize("want [MASK]") == ["want", "[UNK]", "[UNK]", "[UNK]"])
    }

    @Test func missingSpecialTokensAreErrors() throws {
        #expect(throws: VocabularyError.missingSpecialToken(.unknown)) {
            try WordPieceTokenizer(vocabulary: Vocabulary(tokens: ["[CLS]", "[SEP]", "a"]))
        }
        #expect(throws: VocabularyError.missingSpecialToken(.separator)) {
            try WordPieceTokenizer(vocabulary: Vocabulary(tokens: ["[UNK]", "[CLS]", "a"]))
        }
    }

    // MARK: The teaching vocabulary

    @Test func builtVocabularySplitsEveryCorpusWord() throws {
        let texts = TeachingCorpus.sentences
        let vocabulary = try WordPieceVocabularyBuilder().build(from: texts)
        #expect(Array(vocabulary.tokens.prefix(5)) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        let basic = BertBasicTokenizer()
        for text in texts {
            let tokens = tokenizer.tokenize(text)
            #expect(!tokens.contains("[UNK]"), "\(text) → \(tokens)")
            // Gluing the pieces back gives the basic tokeniser's words.
            #expect(tokenizer.decode(tokenizer.encode(text)) == basic.tokenize(text).joined(separator: " "))
        }
        // Frequent words stay whole; a word used once falls apart into pieces.
        #expect(tokenizer.tokenize("the") == ["the"])
        #expect(tokenizer.tokenize("morning") == ["morning"])
        let rare = tokenizer.tokenize("fractions")
        #expect(rare.count >= 2 && rare.dropFirst().allSatisfy { $0.hasPrefix("##") })
        #expect(vocabulary.contains("##ing") && vocabulary.contains("##ed") && vocabulary.contains("##ly"))
        #expect(vocabulary.contains("学") && vocabulary.contains("##学"))
        // A character the corpus never had is the only way to get [UNK].
        #expect(tokenizer.tokenize("ξ") == ["[UNK]"])
    }

    @Test func builderKeepsOnlyFrequentWordsAndUsedSuffixes() throws {
        let texts = ["the cat is jumping", "the dog is jumping", "the cat sleeps quietly"]
        let builder = WordPieceVocabularyBuilder(wholeWordCount: 2, minimumWordFrequency: 2)
        let vocabulary = try builder.build(from: texts)
        // the (3), then cat, is, jumping (2 each, in order of appearance): two are kept whole.
        #expect(vocabulary.contains("the") && vocabulary.contains("cat"))
        #expect(!vocabulary.contains("is") && !vocabulary.contains("jumping") && !vocabulary.contains("quietly"))
        // "##ing" ends two word occurrences; "##ly" only one; "##ness" none.
        #expect(vocabulary.contains("##ing") && !vocabulary.contains("##ly") && !vocabulary.contains("##ness"))
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        #expect(tokenizer.tokenize("jumping") == ["j", "##u", "##m", "##p", "##ing"])
        #expect(throws: TokenizerError.self) { try WordPieceVocabularyBuilder(suffixes: ["ing"]).build(from: texts) }
    }

    // MARK: Word level

    @Test func wordLevelVocabularyAndUnknowns() throws {
        let tokenizer = try WordLevelTokenizer(corpus: ["the cat sat", "The dog sat", "a cat"])
        // Specials first, then by frequency (the 2, cat 2, sat 2, dog 1, a 1), ties in order of appearance.
        #expect(tokenizer.vocabulary.tokens == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                                "the", "cat", "sat", "dog", "a"])
        #expect(tokenizer.encode("The bird sat.") == [5, 1, 7, 1])
        #expect(tokenizer.decode([5, 1, 7]) == "the [UNK] sat")
        let frequent = try WordLevelTokenizer(corpus: ["the cat sat", "The dog sat", "a cat"], minimumFrequency: 2)
        #expect(frequent.vocabulary.count == 8)
        let capped = try WordLevelTokenizer(corpus: ["the cat sat", "The dog sat", "a cat"], maximumSize: 6)
        #expect(capped.vocabulary.tokens.last == "the" && capped.vocabulary.count == 6)
        #expect(throws: TokenizerError.self) { try WordLevelTokenizer(corpus: ["a"], maximumSize: 4) }
    }

    @Test func wordLevelChinese() throws {
        let tokenizer = try WordLevelTokenizer(corpus: ["我是学生。", "我是老师。"])
        #expect(tokenizer.tokenize("我是学生") == ["我", "是", "学", "生"])
        #expect(tokenizer.decode(tokenizer.encode("我是学生。")) == "我是学生。")
        #expect(tokenizer.decode(tokenizer.encode("我是医生")) == "我是 [UNK] 生")
    }
}
