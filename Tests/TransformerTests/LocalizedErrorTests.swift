import Foundation
import Testing
import Transformer

/// `error.localizedDescription` is the precise message `tx` prints after "Error: ".
@Suite("Transformer errors print their message")
struct TransformerLocalizedErrorTests {
    @Test func transformerError() {
        let error: any Error = TransformerError.tokenOutOfRange(id: 12, sequence: nil, position: 3, vocabularySize: 10)
        #expect(error.localizedDescription
                == "Embedding: token id 12 at position 3 is out of range; the vocabulary has 10 ids (0..<10)")
        #expect(error.localizedDescription == "\(error)")
    }
}
