/// The simplest tokeniser that still behaves sensibly on English and Chinese: words split at
/// white space, punctuation split off as its own token (an apostrophe inside a word stays,
/// so "didn't" is one token), and every CJK character a token of its own (as BERT does).
/// Sub-word tokenisers (WordPiece) come with the BERT lessons.
public struct WordTokenizer: Sendable {
    /// The tokeniser; it has no settings.
    public init() {}

    /// The tokens of `text`, in order (empty for empty or all-white-space text).
    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty { tokens.append(current); current = "" }
        }
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            if character.isWhitespace {
                flush()
            } else if isCJK(character) {
                flush()
                tokens.append(String(character))
            } else if character.isPunctuation || character.isSymbol {
                let previousIsLetter = index > 0 && characters[index - 1].isLetter
                let nextIsLetter = index + 1 < characters.count && characters[index + 1].isLetter
                if (character == "'" || character == "’") && previousIsLetter && nextIsLetter {
                    current.append(character)   // didn't, it's
                } else {
                    flush()
                    tokens.append(String(character))
                }
            } else {
                current.append(character)
            }
        }
        flush()
        return tokens
    }
}

/// True for Chinese, Japanese and Korean characters and CJK punctuation.
package func isCJK(_ character: Character) -> Bool {
    character.unicodeScalars.contains { scalar in
        let v = scalar.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x20000...0x2FA1F).contains(v) || (0xF900...0xFAFF).contains(v)
            || (0x3000...0x303F).contains(v) || (0x3040...0x30FF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xFF00...0xFFEF).contains(v)
    }
}
