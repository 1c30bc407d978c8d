import Foundation
import Testing
@testable import Tokenizers

@Suite("Vocabulary and special tokens")
struct VocabularyTests {
    /// The error `body` threw, if it was a VocabularyError.
    func vocabularyError(_ body: () throws -> Vocabulary) -> VocabularyError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? VocabularyError
        }
    }

    @Test func idsAreLineNumbersFromZero() throws {
        let vocabulary = try Vocabulary(vocabText: "[PAD]\n[UNK]\nhello\n##ing\n")
        #expect(vocabulary.count == 4)
        #expect(vocabulary.tokens == ["[PAD]", "[UNK]", "hello", "##ing"])
        #expect(vocabulary.id(of: "hello") == 2)
        #expect(vocabulary.id(of: "##ing") == 3)
        #expect(vocabulary.id(of: "Hello") == nil)
        #expect(vocabulary.token(for: 0) == "[PAD]")
        #expect(vocabulary.token(for: 3) == "##ing")
        #expect(vocabulary.token(for: 4) == nil)
        #expect(vocabulary.token(for: -1) == nil)
        #expect(vocabulary.id(of: .unknown) == 1)
        #expect(vocabulary.id(of: .mask) == nil)
    }

    @Test func lineEndings() throws {
        // No final newline, and Windows line ends, give the same tokens.
        #expect(try Vocabulary(vocabText: "a\nb").tokens == ["a", "b"])
        #expect(try Vocabulary(vocabText: "a\r\nb\r\n").tokens == ["a", "b"])
        // A byte-order mark at the start is skipped.
        #expect(try Vocabulary(utf8: [0xEF, 0xBB, 0xBF, 0x61, 0x0A, 0x62]).tokens == ["a", "b"])
    }

    @Test func emptyLinesAreErrorsNamingTheLine() {
        #expect(vocabularyError { try Vocabulary(vocabText: "a\n\nb\n") } == .emptyLine(line: 2))
        // One trailing newline is fine, a second one is an empty line 3.
        #expect(vocabularyError { try Vocabulary(vocabText: "a\nb\n\n") } == .emptyLine(line: 3))
        #expect(vocabularyError { try Vocabulary(vocabText: "\n") } == .emptyLine(line: 1))
        #expect(vocabularyError { try Vocabulary(vocabText: "a\n\r\nb") } == .emptyLine(line: 2))
        #expect(vocabularyError { try Vocabulary(vocabText: "") } == .empty)
        #expect(vocabularyError { try Vocabulary(tokens: []) } == .empty)
        #expect(vocabularyError { try Vocabulary(tokens: ["a", ""]) } == .emptyLine(line: 2))
        let text = errorText { _ = try Vocabulary(vocabText: "a\n\nb\n") }
        #expect(text?.contains("line 2") == true)
    }

    @Test func duplicatesAreErrorsNamingBothLines() {
        #expect(vocabularyError { try Vocabulary(vocabText: "a\nb\nc\nb\n") }
                == .duplicateToken(token: "b", line: 4, firstLine: 2))
        #expect(vocabularyError { try Vocabulary(tokens: ["x", "x"]) }
                == .duplicateToken(token: "x", line: 2, firstLine: 1))
        let text = errorText { _ = try Vocabulary(vocabText: "a\nb\nc\nb\n") }
        #expect(text?.contains("line 4") == true && text?.contains("line 2") == true)
    }

    @Test func tokensAreComparedCodePointByCodePoint() throws {
        // Swift's == calls these equal (canonical equivalence); BERT's Python does not.
        let composed = "\u{E9}", decomposed = "e\u{301}"
        #expect(composed == decomposed)
        let vocabulary = try Vocabulary(tokens: [composed, decomposed])
        #expect(vocabulary.id(of: composed) == 0)
        #expect(vocabulary.id(of: decomposed) == 1)
    }

    @Test func invalidUTF8IsAnErrorNamingTheLineAndByte() throws {
        // Line 2 is "b", 0xFF, "c": 0xFF never occurs in UTF-8.
        #expect(vocabularyError { try Vocabulary(utf8: [0x61, 0x0A, 0x62, 0xFF, 0x63, 0x0A]) }
                == .invalidUTF8(line: 2, byteOffset: 1))
        // An overlong "/" (C0 AF), a UTF-16 surrogate (ED A0 80), a sequence cut short (E4 B8).
        #expect(vocabularyError { try Vocabulary(utf8: [0xC0, 0xAF]) } == .invalidUTF8(line: 1, byteOffset: 0))
        #expect(vocabularyError { try Vocabulary(utf8: [0x61, 0x0A, 0xED, 0xA0, 0x80]) }
                == .invalidUTF8(line: 2, byteOffset: 0))
        #expect(vocabularyError { try Vocabulary(utf8: [0x61, 0x0A, 0x62, 0x0A, 0x78, 0xE4, 0xB8, 0x0A]) }
                == .invalidUTF8(line: 3, byteOffset: 1))
        // Well-formed multi-byte UTF-8 is accepted.
        #expect(try Vocabulary(utf8: Array("我\n##们\n".utf8)).tokens == ["我", "##们"])
        let text = errorText { _ = try Vocabulary(utf8: [0x61, 0x0A, 0x62, 0xFF]) }
        #expect(text?.contains("line 2") == true)
    }

    @Test func whiteSpaceAndControlCharactersAreRefused() {
        #expect(vocabularyError { try Vocabulary(vocabText: "ok\nnew york\n") }
                == .invalidCharacter(line: 2, scalar: 0x20))
        #expect(vocabularyError { try Vocabulary(vocabText: "a\tb") } == .invalidCharacter(line: 1, scalar: 0x09))
        #expect(vocabularyError { try Vocabulary(tokens: ["a", "b\u{0}"]) } == .invalidCharacter(line: 2, scalar: 0))
        #expect(vocabularyError { try Vocabulary(vocabText: "a\rb") } == .invalidCharacter(line: 1, scalar: 0x0D))
    }

    @Test func absurdSizesAreRefused() throws {
        let long = String(repeating: "x", count: Vocabulary.maximumTokenBytes + 1)
        #expect(vocabularyError { try Vocabulary(vocabText: "a\n" + long + "\n") }
                == .tokenTooLong(line: 2, bytes: Vocabulary.maximumTokenBytes + 1, limit: Vocabulary.maximumTokenBytes))
        #expect(try Vocabulary(vocabText: String(repeating: "x", count: Vocabulary.maximumTokenBytes)).count == 1)
        #expect(vocabularyError { try Vocabulary(tokens: Array(repeating: "a", count: Vocabulary.maximumTokenCount + 1)) }
                == .tooManyTokens(limit: Vocabulary.maximumTokenCount))
    }

    @Test func readsAFileAndReportsAMissingOne() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vocabulary-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let good = directory.appendingPathComponent("vocab.txt")
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n的\n##s\n".utf8).write(to: good)
        let vocabulary = try Vocabulary(contentsOf: good.path)
        #expect(vocabulary.count == 7 && vocabulary.id(of: "的") == 5)
        #expect(try vocabulary.specialTokenIDs() == SpecialTokenIDs(pad: 0, unknown: 1, classification: 2,
                                                                     separator: 3, mask: 4))

        let bad = directory.appendingPathComponent("bad.txt")
        try Data([0x61, 0x0A, 0x62, 0x0A, 0xFE, 0x0A]).write(to: bad)
        #expect(vocabularyError { try Vocabulary(contentsOf: bad.path) } == .inFile(path: bad.path, error: .invalidUTF8(line: 3, byteOffset: 0)))

        let missing = directory.appendingPathComponent("missing.txt").path
        guard case .unreadableFile(let path, _)? = vocabularyError({ try Vocabulary(contentsOf: missing) }) else {
            Issue.record("a missing file must be an unreadableFile error")
            return
        }
        #expect(path == missing)
    }

    @Test func specialTokenIDsAndMissingSpecials() throws {
        let vocabulary = try Vocabulary(tokens: ["hello", "[SEP]", "[CLS]", "[UNK]", "[PAD]", "[MASK]"])
        let ids = try vocabulary.specialTokenIDs()
        #expect(ids == SpecialTokenIDs(pad: 4, unknown: 3, classification: 2, separator: 1, mask: 5))
        #expect(ids[.separator] == 1 && ids.all == [1, 2, 3, 4, 5])
        #expect(vocabulary.presentSpecialTokenIDs == [1, 2, 3, 4, 5])

        let noMask = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"])
        #expect(throws: VocabularyError.missingSpecialToken(.mask)) { try noMask.specialTokenIDs() }
        #expect(throws: VocabularyError.missingSpecialToken(.mask)) { try noMask.requireID(of: .mask) }
        #expect(noMask.presentSpecialTokenIDs == [0, 1, 2, 3])
        #expect(SpecialToken.allCases.map(\.rawValue) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    }

    @Test func vocabTextRoundTrips() throws {
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "a", "##b", "我"])
        #expect(vocabulary.vocabText == "[PAD]\na\n##b\n我\n")
        #expect(try Vocabulary(vocabText: vocabulary.vocabText) == vocabulary)
    }
}
