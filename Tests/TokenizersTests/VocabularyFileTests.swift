import Foundation
import Testing
@testable import Tokenizers

// Issue 9: vocab.txt is hostile input. The rules (see `Vocabulary`): one token per line; an
// empty line is an error wherever it is (BERT vocab files have none), except that the file may
// end with one newline; invalid UTF-8, a duplicate, white space or a control character inside a
// token are errors naming the line(s); "\r\n" and a leading byte-order mark are accepted.
@Suite struct VocabularyFileTests {
    func error(_ bytes: [UInt8], name: String = "vocab.txt") -> VocabularyError? {
        do {
            _ = try Vocabulary(utf8: bytes, name: name)
            return nil
        } catch {
            return error as? VocabularyError
        }
    }

    @Test func invalidUTF8NamesTheFileTheLineAndTheByte() {
        // Line 2 is "a" then a lone continuation byte.
        let found = error(Array("[UNK]\n".utf8) + [0x61, 0x80] + Array("\nb\n".utf8), name: "models/x/vocab.txt")
        #expect(found == .inFile(path: "models/x/vocab.txt", error: .invalidUTF8(line: 2, byteOffset: 1)))
        #expect(found?.problem == .invalidUTF8(line: 2, byteOffset: 1))
        #expect(found?.description
                == "Vocabulary: models/x/vocab.txt: line 2 is not valid UTF-8 (bad byte at offset 1 of the line)")
        // Overlong encodings, UTF-16 surrogates and a sequence cut by the end of the file.
        #expect(error([0xC0, 0xAF])?.problem == .invalidUTF8(line: 1, byteOffset: 0))
        #expect(error(Array("ok\n".utf8) + [0xED, 0xA0, 0x80])?.problem == .invalidUTF8(line: 2, byteOffset: 0))
        #expect(error(Array("ok\nab".utf8) + [0xE6, 0x97])?.problem == .invalidUTF8(line: 2, byteOffset: 2))
    }

    @Test func emptyLinesAreErrorsExceptOneFinalNewline() {
        #expect(error(Array("a\nb\n".utf8)) == nil)
        #expect(error(Array("a\nb".utf8)) == nil)
        #expect(error(Array("a\n\nb\n".utf8))?.problem == .emptyLine(line: 2))
        #expect(error(Array("a\nb\n\n".utf8))?.problem == .emptyLine(line: 3))
        #expect(error(Array("\na\n".utf8))?.problem == .emptyLine(line: 1))
        #expect(error(Array("a\r\n\r\nb".utf8))?.problem == .emptyLine(line: 2))
        #expect(error([])?.problem == .empty)
        #expect(error([0xEF, 0xBB, 0xBF])?.problem == .empty)
        #expect(VocabularyError.emptyLine(line: 3).description == "Vocabulary: line 3 is empty (id 2); every line must hold a token")
    }

    @Test func duplicatesNameBothLines() throws {
        let found = error(Array("[UNK]\nhello\n##s\nhello\n".utf8))
        #expect(found == .inFile(path: "vocab.txt", error: .duplicateToken(token: "hello", line: 4, firstLine: 2)))
        #expect(found?.description == "Vocabulary: vocab.txt: line 4 repeats the token \"hello\" already on line 2; "
                + "every token must be listed once")
        // Compared code point by code point: é and e + U+0301 are two tokens, as in BERT's Python.
        let vocabulary = try Vocabulary(utf8: Array("\u{E9}\ne\u{301}\n".utf8), name: "v")
        #expect(vocabulary.count == 2)
    }

    @Test func whiteSpaceControlsAndLongTokensAreRejected() {
        #expect(error(Array("a b\n".utf8))?.problem == .invalidCharacter(line: 1, scalar: 0x20))
        #expect(error(Array("ok\na\tb\n".utf8))?.problem == .invalidCharacter(line: 2, scalar: 0x09))
        #expect(error(Array("ok\nx\u{0}y\n".utf8))?.problem == .invalidCharacter(line: 2, scalar: 0))
        #expect(error(Array("ok\n\u{2028}\n".utf8))?.problem == .invalidCharacter(line: 2, scalar: 0x2028))
        let long = Array(repeating: UInt8(ascii: "x"), count: Vocabulary.maximumTokenBytes + 1)
        #expect(error(long)?.problem == .tokenTooLong(line: 1, bytes: Vocabulary.maximumTokenBytes + 1,
                                                       limit: Vocabulary.maximumTokenBytes))
    }

    @Test func crlfAndByteOrderMarkAreAccepted() throws {
        let vocabulary = try Vocabulary(utf8: [0xEF, 0xBB, 0xBF] + Array("[UNK]\r\n[CLS]\r\n[SEP]\r\n".utf8), name: "v")
        #expect(vocabulary.tokens == ["[UNK]", "[CLS]", "[SEP]"])
        // A byte-order mark anywhere else is a character (U+FEFF is not white space), so a token.
        #expect(try Vocabulary(utf8: Array("a\n\u{FEFF}b\n".utf8), name: "v").tokens == ["a", "\u{FEFF}b"])
    }

    @Test func aFileOnDiskIsNamedInTheError() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vocabulary-file-tests-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).txt")
        try Data("a\nb\na\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: VocabularyError.inFile(path: url.path, error: .duplicateToken(token: "a", line: 3, firstLine: 1))) {
            try Vocabulary(contentsOf: url.path)
        }
    }
}
