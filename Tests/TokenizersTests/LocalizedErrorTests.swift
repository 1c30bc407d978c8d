import Foundation
import Testing
import Tokenizers

/// `error.localizedDescription` is the precise message `tx` prints after "Error: ".
@Suite("Tokenizers errors print their message")
struct TokenizersLocalizedErrorTests {
    @Test func tokenizerError() {
        let error: any Error = TokenizerError.invalidConfiguration(field: "maxLength", reason: "must be positive")
        #expect(error.localizedDescription == "maxLength: must be positive")
        #expect(error.localizedDescription == "\(error)")
    }

    @Test func vocabularyError() {
        let error: any Error = VocabularyError.empty
        #expect(error.localizedDescription == "Vocabulary: no tokens (a vocab.txt needs one token per line)")
        #expect(error.localizedDescription == "\(error)")
    }

    @Test func byteLevelBPEError() {
        let error: any Error = ByteLevelBPEError.invalidMerge(index: 4, text: "abc")
        #expect(error.localizedDescription
                == "byte-level BPE: tokenizer.ggml.merges[4] \"abc\" is not two symbols separated by one space")
        #expect(error.localizedDescription == "\(error)")
    }
}
