/// Text that came from outside the program (a model file's token strings, a vocabulary, a
/// command-line argument) shown so that it cannot act on the terminal.
///
/// A terminal obeys control characters: ESC starts sequences that clear the screen, move the
/// cursor or set the window title (`ESC ] 0 ; … BEL`), and a lone U+009B (C1 "CSI") does the same
/// on many terminals. A GGUF token or a typo echoed in an error must never do that, so every
/// C0 control (U+0000–U+001F), DEL (U+007F) and C1 control (U+0080–U+009F) becomes a visible
/// escape in Swift's own spelling: `\e` for ESC, `\n`, `\r`, `\t`, `\0`, and `\u{9b}` for the
/// others. Everything else (CJK, emoji, combining marks) passes unchanged.
public func visibleText(_ text: String) -> String {
    // The fast path: most text holds no control character at all.
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var result = ""
    result.unicodeScalars.reserveCapacity(text.unicodeScalars.count + 8)
    for scalar in text.unicodeScalars {
        guard isControl(scalar) else { result.unicodeScalars.append(scalar); continue }
        switch scalar {
        case "\u{1B}": result += "\\e"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\0": result += "\\0"
        default: result += "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
    return result
}

/// `visibleText`, but line breaks stay line breaks: for multi-line text the program prints as
/// lines (a generated paragraph), where only the other controls would be hostile.
public func visibleTextKeepingNewlines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { visibleText(String($0)) }
        .joined(separator: "\n")
}

/// Whether `scalar` is a C0 control, DEL or a C1 control.
public func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// JSON bytes (UTF-8) with DEL and the C1 controls written as `\u007f` … `\u009f`.
///
/// JSON requires only U+0000–U+001F to be escaped inside strings, so an encoder leaves DEL and
/// the C1 controls raw, and `cat trace.json` would hand them to the terminal. Outside strings
/// JSON holds only ASCII punctuation, digits, letters and whitespace, so every such character in
/// the bytes sits inside a string, where the escape means the same character: the document
/// decodes to exactly the same values.
public func escapingInvisibleControlsInJSON(_ bytes: [UInt8]) -> [UInt8] {
    // DEL is the byte 0x7F; a C1 control U+0080–U+009F is 0xC2 followed by 0x80–0x9F in UTF-8
    // (0xC2 is never a continuation byte, so this pair cannot be the middle of another character).
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count)
    var index = 0
    func appendEscape(_ value: UInt8) {
        result.append(contentsOf: Array("\\u00".utf8))
        let digits = Array("0123456789abcdef".utf8)
        result.append(digits[Int(value >> 4)])
        result.append(digits[Int(value & 0xF)])
    }
    while index < bytes.count {
        let byte = bytes[index]
        if byte == 0x7F {
            appendEscape(0x7F)
        } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
            appendEscape(bytes[index + 1])
            index += 1
        } else {
            result.append(byte)
        }
        index += 1
    }
    return result
}
