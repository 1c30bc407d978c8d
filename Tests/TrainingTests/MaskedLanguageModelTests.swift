import Testing
import TensorCore
@testable import Transformer
@testable import Tokenizers
@testable import Training

@Suite("Masked-LM corruption")
struct MaskedLanguageModelTests {
    /// The five specials (ids 0–4) and 995 ordinary words "w5" … "w999".
    static let vocabulary = try! Vocabulary(tokens: SpecialToken.allCases.map(\.rawValue) + (5..<1000).map { "w\($0)" })
    static let cls = 2, sep = 3, maskID = 4, pad = 0

    /// [CLS], `length` ordinary ids, [SEP], then `padding` × [PAD].
    static func sequence(length: Int, padding: Int = 0, using generator: inout SeededGenerator) -> [Int] {
        [cls] + (0..<length).map { _ in 5 + Int(generator.next() % 995) } + [sep]
            + Array(repeating: pad, count: padding)
    }

    @Test func ratesOverTwoHundredThousandCandidates() throws {
        // 2,000 sequences of 100 ordinary tokens between [CLS] and [SEP]: 200,000 candidates, and
        // 100 × 0.15 = 15 exactly, so no rounding is involved and exactly 15% must be chosen.
        // Within the 30,000 chosen, one standard deviation of the [MASK] share is 0.23 points,
        // so the 1-point tolerance is over four deviations.
        var data = SeededGenerator(seed: 11)
        var generator = SeededGenerator(seed: 2024)
        var tally = MaskedLMTally()
        var randomDrawsOfOriginal = 0
        for _ in 0..<2000 {
            let ids = Self.sequence(length: 100, using: &data)
            let example = try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, using: &generator)
            tally.add(example)
            #expect(example.candidateCount == 100)
            #expect(example.maskedPositions.count == 15)
            #expect(example.choices.first! == nil && example.choices.last! == nil, "[CLS] and [SEP] are never chosen")
            for position in ids.indices {
                switch example.choices[position] {
                case nil:
                    #expect(example.labels[position] == MaskedLMExample.ignoreIndex)
                    #expect(example.inputIDs[position] == ids[position])
                case .mask?:
                    #expect(example.labels[position] == ids[position])
                    #expect(example.inputIDs[position] == Self.maskID)
                case .kept?:
                    #expect(example.labels[position] == ids[position])
                    #expect(example.inputIDs[position] == ids[position])
                case .random?:
                    #expect(example.labels[position] == ids[position])
                    #expect((5..<1000).contains(example.inputIDs[position]), "a random token is never special")
                    if example.inputIDs[position] == ids[position] { randomDrawsOfOriginal += 1 }
                }
            }
        }
        #expect(tally.candidates == 200_000)
        #expect(abs(tally.chosenShare - 0.15) <= 0.005)
        #expect(abs(tally.share(of: .mask) - 0.80) <= 0.01)
        #expect(abs(tally.share(of: .random) - 0.10) <= 0.01)
        #expect(abs(tally.share(of: .kept) - 0.10) <= 0.01)
        // About 3,000 random draws from 995 ordinary ids hit the original about 3 times.
        #expect(randomDrawsOfOriginal < 20)
    }

    @Test func ratesWithUnevenLengthsAndPadding() throws {
        // Lengths 5…60 with padding: rounding now matters per sequence, but the share of the
        // candidates chosen stays close to 15%, and padding is never chosen.
        var data = SeededGenerator(seed: 5)
        var generator = SeededGenerator(seed: 6)
        var tally = MaskedLMTally()
        for index in 0..<3000 {
            let length = 5 + index % 56
            let ids = Self.sequence(length: length, padding: 60 - length, using: &data)
            let example = try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, using: &generator)
            tally.add(example)
            #expect(example.candidateCount == length)
            for position in ids.indices where ids[position] == Self.pad {
                #expect(example.choices[position] == nil)
            }
        }
        #expect(abs(tally.chosenShare - 0.15) <= 0.01)
    }

    /// How many positions get chosen among `candidates` ordinary tokens.
    func chosenCount(candidates: Int, rate: Double = 0.15, maxPredictions: Int? = nil) throws -> Int {
        var generator = SeededGenerator(seed: 1)
        var data = SeededGenerator(seed: 2)
        let ids = Self.sequence(length: candidates, using: &data)
        // `.candidates`: these tests are about the rounding of rate × count; the reference
        // rule (the default) is checked against Python 3 in LessonsTests' MaskCountRuleTests.
        return try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, maskingRate: rate,
                                      maxPredictions: maxPredictions, counting: .candidates,
                                      using: &generator).maskedPositions.count
    }

    @Test func roundingIsHalfToEven() throws {
        #expect(try chosenCount(candidates: 10) == 2)    // 1.5 → 2
        #expect(try chosenCount(candidates: 30) == 4)    // 4.5 → 4 (Python 3; Python 2 gave 5)
        #expect(try chosenCount(candidates: 50) == 8)    // 7.5 → 8
        #expect(try chosenCount(candidates: 70) == 10)   // 10.5 → 10
        #expect(try chosenCount(candidates: 20) == 3)    // 3.0
        #expect(try chosenCount(candidates: 3) == 1)     // 0.45 → 0, but at least one
        #expect(try chosenCount(candidates: 0) == 0)     // nothing to choose
        #expect(try chosenCount(candidates: 100, maxPredictions: 4) == 4)
        #expect(try chosenCount(candidates: 100, maxPredictions: 0) == 0)
        #expect(try chosenCount(candidates: 100, rate: 0) == 0)
        #expect(try chosenCount(candidates: 40, rate: 1) == 40)
    }

    @Test func sameSeedSameCorruption() throws {
        var data = SeededGenerator(seed: 3)
        let ids = Self.sequence(length: 120, using: &data)
        var first = SeededGenerator(seed: 77), second = SeededGenerator(seed: 77), other = SeededGenerator(seed: 78)
        let a = try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, using: &first)
        let b = try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, using: &second)
        let c = try corruptForMaskedLM(ids: ids, vocabulary: Self.vocabulary, using: &other)
        #expect(a == b)
        #expect(a.maskedPositions != c.maskedPositions)
    }

    @Test func everySpecialIsProtectedAndTheRandomPoolSkipsThem() throws {
        // Specials scattered through a small vocabulary: ids 1, 3, 4, 6, 8 are special,
        // 0, 2, 5, 7 ordinary. Random replacements must cover exactly the ordinary ids.
        let vocabulary = try Vocabulary(tokens: ["a", "[PAD]", "b", "[UNK]", "[CLS]", "c", "[SEP]", "d", "[MASK]"])
        let ids = [4, 0, 2, 3, 5, 7, 0, 6, 2, 5, 1, 1]
        var generator = SeededGenerator(seed: 9)
        var drawn = Set<Int>()
        for _ in 0..<500 {
            let example = try corruptForMaskedLM(ids: ids, vocabulary: vocabulary, maskingRate: 0.5, using: &generator)
            #expect(example.candidateCount == 7)
            for position in ids.indices where [1, 3, 4, 6, 8].contains(ids[position]) {
                #expect(example.choices[position] == nil, "special id \(ids[position]) was chosen")
            }
            for position in ids.indices where example.choices[position] == .random {
                drawn.insert(example.inputIDs[position])
            }
            for position in ids.indices where example.choices[position] == .mask {
                #expect(example.inputIDs[position] == 8)
            }
        }
        #expect(drawn == [0, 2, 5, 7])
    }

    @Test func badInputIsAnError() throws {
        var generator = SeededGenerator(seed: 1)
        #expect(throws: TransformerError.tokenOutOfRange(id: 1000, sequence: nil, position: 2, vocabularySize: 1000)) {
            try corruptForMaskedLM(ids: [2, 7, 1000, 3], vocabulary: Self.vocabulary, using: &generator)
        }
        #expect(throws: TransformerError.self) {
            try corruptForMaskedLM(ids: [2, 7, 3], vocabulary: Self.vocabulary, maskingRate: 1.5, using: &generator)
        }
        #expect(throws: TransformerError.self) {
            try corruptForMaskedLM(ids: [2, 7, 3], vocabulary: Self.vocabulary, maxPredictions: -1, using: &generator)
        }
        let noMask = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
        #expect(throws: VocabularyError.missingSpecialToken(.mask)) {
            try corruptForMaskedLM(ids: [2, 4, 3], vocabulary: noMask, using: &generator)
        }
        let onlySpecials = try Vocabulary(tokens: SpecialToken.allCases.map(\.rawValue))
        #expect(throws: TransformerError.self) {
            try corruptForMaskedLM(ids: [2, 3], vocabulary: onlySpecials, using: &generator)
        }
    }

    @Test func corruptsARealSentence() throws {
        // End to end: the WordPiece tokeniser over the teaching corpus, then the corruption.
        let vocabulary = try WordPieceVocabularyBuilder().build(from: TeachingCorpus.sentences)
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        let (ids, _) = tokenizer.encodePair("The cat sleeps in the garden every afternoon.",
                                             "She likes the warm stones near the roses.")
        var generator = SeededGenerator(seed: 7)
        let example = try corruptForMaskedLM(ids: ids, vocabulary: vocabulary, using: &generator)
        // "cat", "sleeps", "likes" and "roses" occur once in the corpus and fall apart
        // (c ##a ##t, s ##l ##e ##e ##p ##s, l ##i ##k ##es, r ##o ##s ##es), so A has 16 pieces and
        // B 15: 31 candidates besides [CLS] and the two [SEP]s, round(31 × 0.15 = 4.65) = 5 chosen.
        #expect(tokenizer.tokenize("The cat sleeps in the garden every afternoon.").count == 16)
        #expect(ids.count == 34)
        #expect(example.candidateCount == 31)
        #expect(example.maskedPositions.count == 5)
        #expect(!example.maskedPositions.contains(0) && !example.maskedPositions.contains(ids.count - 1))
        for position in example.maskedPositions {
            #expect(example.labels[position] == ids[position])
        }
    }
}
