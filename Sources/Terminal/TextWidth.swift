/// How many terminal columns a string takes. Chinese, Japanese and Korean characters take
/// two columns, combining marks none, ANSI escape sequences none; everything else one.
/// Alignment of matrices with CJK token labels depends on this.
public func displayWidth(_ text: String) -> Int {
    var width = 0
    var inEscape = false
    for scalar in text.unicodeScalars {
        if inEscape {
            // An SGR sequence ends with a letter ("\u{1B}[38;2;1;2;3m").
            if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
            continue
        }
        if scalar == "\u{1B}" { inEscape = true; continue }
        width += columns(of: scalar)
    }
    return width
}

func columns(of scalar: Unicode.Scalar) -> Int {
    let v = scalar.value
    if v < 0x20 || (0x7F..<0xA0).contains(v) { return 0 }
    switch scalar.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: break
    }
    let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
        0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
    return wideRanges.contains { $0.contains(v) } ? 2 : 1
}

/// Pads `text` with spaces to `width` columns (by display width), on the left or right.
public func pad(_ text: String, to width: Int, alignRight: Bool = false) -> String {
    let missing = max(0, width - displayWidth(text))
    let spaces = String(repeating: " ", count: missing)
    return alignRight ? spaces + text : text + spaces
}

/// Cuts `text` to at most `width` columns, ending with "…" when something was cut.
public func truncate(_ text: String, to width: Int) -> String {
    guard displayWidth(text) > width, width > 0 else { return text }
    var result = ""
    var used = 0
    for character in text {
        let w = displayWidth(String(character))
        if used + w > width - 1 { break }
        result.append(character)
        used += w
    }
    return result + "…"
}

/// Wraps plain prose to `width` display columns. Lines break at spaces, and also between two
/// Chinese, Japanese or Korean characters (which are written without spaces), never inside a
/// word or a character; a single word wider than the line is cut between characters. Blank
/// lines separate paragraphs and are kept; lines that start with spaces (code, formulas,
/// lists) are kept as they are. A list item ("- ", "• ") keeps a hanging indent.
public func wrap(_ text: String, width: Int) -> String {
    let width = max(1, width)
    var output: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = String(line)
        if line.hasPrefix(" ") || line.hasPrefix("\t") || displayWidth(line) <= width {
            output.append(line)
            continue
        }
        let indent = line.hasPrefix("- ") || line.hasPrefix("• ") ? "  " : ""
        var current = ""
        var currentWidth = 0
        var atStart = true
        func flush() {
            while current.last == " " { current.removeLast() }   // no trailing spaces at a break
            output.append(current)
            current = indent
            currentWidth = displayWidth(indent)
            atStart = true
        }
        for piece in breakablePieces(line) {
            if piece.isSpace {
                if !atStart { current += " "; currentWidth += 1 }
                continue
            }
            let pieceWidth = displayWidth(piece.text)
            if !atStart && currentWidth + pieceWidth > width { flush() }
            if pieceWidth > width - currentWidth {
                // A word longer than a whole line: cut it between characters.
                for character in piece.text {
                    let w = displayWidth(String(character))
                    if !atStart && currentWidth + w > width { flush() }
                    current.append(character)
                    currentWidth += w
                    atStart = false
                }
            } else {
                current += piece.text
                currentWidth += pieceWidth
                atStart = false
            }
        }
        if !atStart {
            while current.last == " " { current.removeLast() }
            output.append(current)
        }
    }
    return output.joined(separator: "\n")
}

/// A line cut where it may break: each space alone, each run of other characters, and each
/// wide (CJK) character on its own, except that closing punctuation (。，、！？）」 and the
/// like) stays with the character before it and opening punctuation (（「《“) with the one
/// after it, as Chinese typesetting requires (no line starts with ，or ends with （).
private func breakablePieces(_ line: String) -> [(text: String, isSpace: Bool)] {
    var pieces: [(text: String, isSpace: Bool)] = []
    var word = ""
    let noBreakBefore: Set<Character> = ["。", "，", "、", "！", "？", "：", "；", "）", "」", "』", "》", "〉", "】", "…", "—", ",", ".", "!", "?", ":", ";", ")", "”", "’", "\""]
    let noBreakAfter: Set<Character> = ["（", "「", "『", "《", "〈", "【", "“", "‘"]
    func endWord() { if !word.isEmpty { pieces.append((word, false)); word = "" } }
    for character in line {
        if character == " " {
            endWord()
            pieces.append((" ", true))
        } else if let last = word.last, noBreakAfter.contains(last) {
            word.append(character)
        } else if isWide(character) && !noBreakBefore.contains(character) {
            endWord()
            word = String(character)
        } else if noBreakBefore.contains(character) || !(word.last.map(isWide) ?? false) {
            word.append(character)
        } else {
            // An ordinary character right after a wide one: a break is allowed between them.
            endWord()
            word = String(character)
        }
    }
    endWord()
    return pieces
}

/// True for a character that takes two columns (CJK).
func isWide(_ character: Character) -> Bool {
    character.unicodeScalars.first.map { columns(of: $0) == 2 } ?? false
}

/// Marks a line of prose that the pager may re-wrap to the width of the screen at the moment
/// it is shown (a private-use character, stripped before printing).
public let reflowMarker: Character = "\u{E000}"

/// Prose whose paragraphs are re-wrapped when shown: every line that is not blank and not
/// indented is marked for `reflow`, and left unwrapped.
public func reflowable(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        line.isEmpty || line.hasPrefix(" ") || line.hasPrefix("\t") ? String(line) : String(reflowMarker) + line
    }.joined(separator: "\n")
}

/// `text` ready for a screen `width` columns wide: marked prose lines wrapped to
/// `proseWidth` (at most `width`), everything else as it is.
public func reflow(_ text: String, width: Int, proseWidth: Int = 96) -> String {
    let limit = max(20, min(width, proseWidth))
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        guard line.contains(reflowMarker) else { return String(line) }
        return wrap(String(line.filter { $0 != reflowMarker }), width: limit)
    }.joined(separator: "\n")
}

/// `text` wrapped for a line that already starts `indent` columns in, continuation lines
/// indented by `continuation` spaces: for long vectors, token lists and sums printed under
/// prose, so that they break at a space instead of running off the screen.
public func wrapHanging(_ text: String, width: Int, indent: Int, continuation: Int) -> String {
    // The first line has the room after `indent`, the others the room after `continuation`
    // (a long label before a vector must not squeeze the vector's first line).
    let first = wrap(text, width: max(20, width - indent)).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    guard first.count == 2 else { return text }
    let padding = String(repeating: " ", count: continuation)
    let rest = wrap(String(first[1]), width: max(20, width - continuation)).split(separator: "\n", omittingEmptySubsequences: false)
    return ([String(first[0])] + rest.map { padding + $0 }).joined(separator: "\n")
}

/// A line that ends in a file path (a figure's "figure → Output/…/x.png", or a path alone),
/// broken for a screen `width` columns wide only after a "/", so no folder or file name is
/// cut; continuation lines keep the line's indentation. A single name wider than the screen
/// overflows rather than being split. Lines that fit, or whose last word is not a path,
/// come back unchanged.
public func breakPath(_ line: String, width: Int) -> [String] {
    guard displayWidth(line) > width else { return [line] }
    let start = line.lastIndex(of: " ").map { line.index(after: $0) } ?? line.startIndex
    let lead = String(line[..<start]), path = String(line[start...])
    guard path.contains("/"), displayWidth(path) > 1 else { return [line] }
    var segments: [String] = [], segment = ""
    for character in path {
        segment.append(character)
        if character == "/" { segments.append(segment); segment = "" }
    }
    if !segment.isEmpty { segments.append(segment) }
    let indent = String(line.prefix { $0 == " " })
    var lines: [String] = [], current = lead
    for segment in segments {
        let used = displayWidth(current)
        if used > displayWidth(indent) && used + displayWidth(segment) > width {
            lines.append(current)
            current = indent
        }
        current += segment
    }
    lines.append(current)
    return lines
}
