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

/// Wraps plain prose to `width` columns at spaces. Blank lines separate paragraphs and are
/// kept; lines that start with spaces (code, formulas, lists) are kept as they are.
public func wrap(_ text: String, width: Int) -> String {
    var output: [String] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let line = String(line)
        if line.hasPrefix(" ") || line.hasPrefix("\t") || displayWidth(line) <= width {
            output.append(line)
            continue
        }
        // Keep a list marker's hanging indent ("- " or "1. ") on continuation lines.
        var indent = ""
        if line.hasPrefix("- ") || line.hasPrefix("• ") { indent = "  " }
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: true) {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if displayWidth(candidate) > width && !current.isEmpty {
                output.append(current)
                current = indent + word
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { output.append(current) }
    }
    return output.joined(separator: "\n")
}
