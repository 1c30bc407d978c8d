// libFuzzer target: any bytes as a WordPiece vocab.txt. Parsing must either succeed or throw a
// VocabularyError; a vocabulary that parses (and has [UNK], [CLS], [SEP]) then tokenises text.
import FuzzDriver
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let vocabulary = try Vocabulary(utf8: bytes, name: "fuzz/vocab.txt")
        if let tokenizer = try? WordPieceTokenizer(vocabulary: vocabulary) {
            let text = "Héllo, unaffable wörld! 的 " + vocabulary.tokens.prefix(8).joined(separator: " ")
            let ids = tokenizer.encode(text)
            _ = tokenizer.decode(ids)
        }
    } catch {
        _ = "\(error)"
    }
    return 0
}

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzz(data, size)
}
