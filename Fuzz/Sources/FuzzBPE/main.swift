// libFuzzer target: byte-level BPE vocabularies and merges. The input is three parts separated
// by NUL bytes: the tokens (one per line; "<|…|>" tokens are control tokens), the merges (one
// "left right" rule per line) and a text to encode. Building the tokenizer must either succeed
// or throw a ByteLevelBPEError; a tokenizer that builds must encode and decode without trapping.
import FuzzDriver
import Tokenizers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
    func lines(_ index: Int) -> [String] {
        guard index < parts.count, !parts[index].isEmpty else { return [] }
        return parts[index].split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }
    let tokens = lines(0), merges = lines(1)
    let text = parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : "Hello world"
    let types = tokens.map { $0.hasPrefix("<|") && $0.hasSuffix("|>") ? 3 : 1 }
    do {
        let tokenizer = try ByteLevelBPE(tokens: tokens, merges: merges, tokenTypes: types,
                                         preTokenizer: text.utf8.count % 2 == 0 ? .smollm : .gpt2,
                                         bosID: tokens.isEmpty ? nil : 0, eosID: tokens.isEmpty ? nil : tokens.count - 1)
        let ids = tokenizer.encode(text)
        _ = try? tokenizer.decode(ids)
        _ = tokenizer.tokenStrings(ids + [-1, tokens.count])
    } catch {
        _ = error.description
    }
    return 0
}

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzz(data, size)
}
