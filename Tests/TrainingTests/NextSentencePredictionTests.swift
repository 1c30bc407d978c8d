import Testing
import TensorCore
@testable import Transformer
@testable import Tokenizers
@testable import Training

@Suite("Next-sentence pairs")
struct NextSentencePredictionTests {
    static func words(_ text: String) -> [String] { WordTokenizer().tokenize(text) }

    @Test func tenThousandPairsFromTheTeachingCorpus() throws {
        let documents = TeachingCorpus.documents
        var generator = SeededGenerator(seed: 42)
        let pairs = try makeNextSentencePairs(documents: documents, tokenizer: Self.words, count: 10_000,
                                              maxLength: 128, using: &generator)
        #expect(pairs.count == 10_000)
        // One standard deviation of the IsNext share over 10,000 fair coins is 0.5 points.
        let isNextShare = Double(pairs.filter(\.isNext).count) / Double(pairs.count)
        #expect(abs(isNextShare - 0.5) <= 0.02)

        for pair in pairs {
            if pair.isNext {
                #expect(pair.documentB == pair.documentA && pair.sentenceB == pair.sentenceA + 1)
            } else {
                #expect(pair.documentB != pair.documentA, "NotNext took B from A's own document")
            }
            #expect(pair.sentenceA + 1 < documents[pair.documentA].count, "A always has a successor")
            // No sentence of the corpus is longer than 128 tokens, so nothing is trimmed.
            #expect(pair.trimmedA == 0 && pair.trimmedB == 0)
            let a = Self.words(documents[pair.documentA][pair.sentenceA])
            let b = Self.words(documents[pair.documentB][pair.sentenceB])
            #expect(pair.tokens == ["[CLS]"] + a + ["[SEP]"] + b + ["[SEP]"])
            #expect(pair.segmentIDs == Array(repeating: 0, count: a.count + 2) + Array(repeating: 1, count: b.count + 1))
            #expect(Array(pair.tokensA) == a && Array(pair.tokensB) == b)
        }
        // Both kinds come from every part of the corpus, English and Chinese.
        #expect(Set(pairs.map(\.documentA)).count == documents.count)
        #expect(Set(pairs.filter { !$0.isNext }.map(\.documentB)).count == documents.count)
    }

    @Test func sameSeedSamePairs() throws {
        var first = SeededGenerator(seed: 3), second = SeededGenerator(seed: 3), other = SeededGenerator(seed: 4)
        let a = try makeNextSentencePairs(documents: TeachingCorpus.documents, tokenizer: Self.words, count: 50,
                                          maxLength: 64, using: &first)
        let b = try makeNextSentencePairs(documents: TeachingCorpus.documents, tokenizer: Self.words, count: 50,
                                          maxLength: 64, using: &second)
        let c = try makeNextSentencePairs(documents: TeachingCorpus.documents, tokenizer: Self.words, count: 50,
                                          maxLength: 64, using: &other)
        #expect(a == b)
        #expect(a != c)
    }

    /// The first pair of the wanted kind, drawing pairs one at a time.
    func firstPair(documents: [[String]], isNext: Bool, maxLength: Int) throws -> NextSentencePair {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<100 {
            let pair = try makeNextSentencePairs(documents: documents, tokenizer: Self.words, count: 1,
                                                 maxLength: maxLength, using: &generator)[0]
            if pair.isNext == isNext { return pair }
        }
        throw TransformerError.invalidInput(operation: "test", reason: "no pair of the wanted kind in 100 draws")
    }

    @Test func truncationTrimsTheLongerSideFromTheEnd() throws {
        // A has 8 tokens, B 2; room for 8 − 3 = 5: A loses its last 5.
        let documents = [["a b c d e f g h", "i j"], ["x y"]]
        let pair = try firstPair(documents: documents, isNext: true, maxLength: 8)
        #expect(pair.tokens == ["[CLS]", "a", "b", "c", "[SEP]", "i", "j", "[SEP]"])
        #expect(pair.segmentIDs == [0, 0, 0, 0, 0, 1, 1, 1])
        #expect(pair.trimmedA == 5 && pair.trimmedB == 0)

        // A 6, B 5, room 5: A→5, tie → B 4, A 4, tie → B 3, A 3, tie → B 2 (ties trim B, as BERT).
        let both = [["a1 a2 a3 a4 a5 a6", "b1 b2 b3 b4 b5"], ["x y"]]
        let trimmed = try firstPair(documents: both, isNext: true, maxLength: 8)
        #expect(trimmed.tokens == ["[CLS]", "a1", "a2", "a3", "[SEP]", "b1", "b2", "[SEP]"])
        #expect(trimmed.trimmedA == 3 && trimmed.trimmedB == 3)

        // NotNext: A "x y" (2 tokens) is shorter than B (8 tokens): B loses its last 5.
        let long = [["x y", "p q"], ["a b c d e f g h"]]
        let notNext = try firstPair(documents: long, isNext: false, maxLength: 8)
        #expect(notNext.tokens == ["[CLS]", "x", "y", "[SEP]", "a", "b", "c", "[SEP]"])
        #expect(notNext.trimmedA == 0 && notNext.trimmedB == 5)
    }

    @Test func truncationOverTheCorpus() throws {
        var generator = SeededGenerator(seed: 8)
        let maxLength = 12
        let pairs = try makeNextSentencePairs(documents: TeachingCorpus.documents, tokenizer: Self.words, count: 2000,
                                              maxLength: maxLength, using: &generator)
        var trimmedCount = 0
        for pair in pairs {
            #expect(pair.tokens.count <= maxLength)
            let a = Self.words(TeachingCorpus.documents[pair.documentA][pair.sentenceA])
            let b = Self.words(TeachingCorpus.documents[pair.documentB][pair.sentenceB])
            // What is kept is the start of each sentence.
            #expect(Array(pair.tokensA) == Array(a.prefix(pair.tokensA.count)))
            #expect(Array(pair.tokensB) == Array(b.prefix(pair.tokensB.count)))
            #expect(pair.tokensA.count + pair.trimmedA == a.count && pair.tokensB.count + pair.trimmedB == b.count)
            guard pair.trimmedA + pair.trimmedB > 0 else { continue }
            trimmedCount += 1
            // Trimming stops as soon as the pair fits, and the longer side goes first.
            #expect(pair.tokens.count == maxLength)
            if a.count > b.count { #expect(pair.trimmedA > 0) }
            if b.count >= a.count { #expect(pair.trimmedB > 0) }
            if pair.trimmedA > 0, pair.trimmedB > 0 { #expect(abs(pair.tokensA.count - pair.tokensB.count) <= 1) }
        }
        #expect(trimmedCount > 500)
    }

    @Test func corporaWithoutPairsAreErrors() {
        var generator = SeededGenerator(seed: 1)
        let make = { (documents: [[String]], maxLength: Int) in
            errorText {
                _ = try makeNextSentencePairs(documents: documents, tokenizer: Self.words, count: 1,
                                              maxLength: maxLength, using: &generator)
            }
        }
        #expect(make([["one.", "two."]], 32)?.contains("at least 2 documents") == true)
        #expect(make([["one.", "two."], []], 32)?.contains("at least 2 documents") == true)
        #expect(make([["one."], ["two."]], 32)?.contains("no document has two sentences") == true)
        #expect(make([["one.", "two."], ["three."]], 4)?.contains("maxLength 4") == true)
        #expect(make([["one.", "  "], ["three."]], 32)?.contains("sentence 1 of document 0") == true)
        #expect(make([["one.", "two."], ["three."]], 5) == nil)
    }

    @Test func twoDocumentsAlwaysSwapForNotNext() throws {
        var generator = SeededGenerator(seed: 12)
        let documents = [["a b", "c d", "e f"], ["x", "y"], []]
        let pairs = try makeNextSentencePairs(documents: documents, tokenizer: Self.words, count: 400,
                                              maxLength: 16, using: &generator)
        for pair in pairs where !pair.isNext {
            #expect(pair.documentB == 1 - pair.documentA)
        }
        #expect(pairs.contains { $0.documentA == 1 } && pairs.contains { $0.documentA == 0 })
    }
}
