import Testing
@testable import Transformer
@testable import Tokenizers
@testable import Training

@Suite("The teaching corpus")
struct TeachingCorpusTests {
    static func isChinese(_ sentence: String) -> Bool {
        sentence.unicodeScalars.contains { BertBasicTokenizer.isCJK($0) }
    }

    @Test func sizeAndShape() {
        let documents = TeachingCorpus.documents
        #expect(documents.count >= 30)
        for (index, document) in documents.enumerated() {
            #expect((3...6).contains(document.count), "document \(index) has \(document.count) sentences")
            for sentence in document {
                #expect(!sentence.isEmpty && sentence == sentence.trimmingWhiteSpace())
                #expect(sentence.hasSuffix(".") || sentence.hasSuffix("。"), "\(sentence)")
            }
        }
        #expect(TeachingCorpus.documents == TeachingCorpus.english + TeachingCorpus.chinese)
        #expect(Set(TeachingCorpus.sentences).count == TeachingCorpus.sentences.count, "no sentence repeats")
    }

    @Test func englishAndChinese() {
        // A document is in one language throughout.
        for document in TeachingCorpus.english {
            #expect(document.allSatisfy { !Self.isChinese($0) && $0.unicodeScalars.allSatisfy(\.isASCII) })
        }
        for document in TeachingCorpus.chinese {
            #expect(document.allSatisfy(Self.isChinese))
        }
        // Roughly two thirds English, one third Chinese.
        let share = Double(TeachingCorpus.chinese.count) / Double(TeachingCorpus.documents.count)
        #expect(share >= 0.25 && share <= 0.4)
        #expect(TeachingCorpus.english.count >= 20 && TeachingCorpus.chinese.count >= 10)
    }
}

private extension String {
    func trimmingWhiteSpace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
