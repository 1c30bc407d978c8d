/// Text from a byte-level model comes in tokens that may cut a character in two: 中 is the
/// three bytes E4 B8 AD, and a token can end after E4 B8. These helpers join the bytes first
/// and show an unfinished character as its bytes instead of as "�".

/// `bytes` split into the text up to the last complete character and the 1–3 bytes of an
/// unfinished one after it (invalid bytes elsewhere become U+FFFD, as in any UTF-8 decoder).
public func splitCompleteCharacters(_ bytes: [UInt8]) -> (text: String, pending: [UInt8]) {
    var cut = bytes.count
    // A UTF-8 character is at most 4 bytes: look at most 3 back for an unfinished lead byte.
    for back in stride(from: 1, through: min(3, bytes.count), by: 1) {
        let byte = bytes[bytes.count - back]
        if byte & 0xC0 == 0x80 { continue }                           // a continuation byte
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        if length > back { cut = bytes.count - back }
        break
    }
    return (String(decoding: bytes[..<cut], as: UTF8.self), Array(bytes[cut...]))
}

/// Bytes as "<0xE4><0xB8>".
public func byteLabels(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" : "") + hex + ">"
    }.joined()
}
