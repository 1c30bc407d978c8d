#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How text is printed: with ANSI colour or plain, in 24-bit or 256-colour, with or without
/// the box-drawing and shade glyphs, and how wide the screen is.
///
/// Colour is off when `NO_COLOR` is set (https://no-color.org), when `--no-color` is given,
/// when standard output is not a terminal, or when `TERM=dumb`. `FORCE_COLOR`
/// (https://force-color.org; any value but empty, `0` or `false`) turns it on where the output
/// is not a terminal or `TERM=dumb`; `NO_COLOR` and `--no-color` still win. 24-bit colour is used when
/// `COLORTERM` is `truecolor` or `24bit`; otherwise the 256-colour palette, which every
/// colour terminal in use understands. `TX_ASCII=1` replaces the glyphs whose width is
/// "ambiguous" in Unicode (─ │ · ● ░ ▒ ▓ █ …), which terminals in CJK locales draw two
/// columns wide, with ASCII.
public struct TerminalStyle: Sendable {
    /// The colour escapes to write: 24-bit RGB or the 256-colour palette.
    public enum ColorDepth: Sendable, Equatable {
        case trueColor
        case palette256
    }

    /// Write ANSI colour and bold/dim escapes; when false every styling function returns its text
    /// unchanged.
    public var useColor: Bool
    /// The screen width in terminal columns; tables and heatmaps wider than this are split into
    /// blocks of columns.
    public var width: Int
    /// 24-bit colour or the 256-colour palette (used only when `useColor` is true).
    public var colorDepth: ColorDepth
    /// Print grids and rules with ASCII only (see `asciiFallback`).
    public var ascii: Bool

    /// A style with these settings; `detect()` builds the one for the running process.
    public init(useColor: Bool, width: Int = 80, colorDepth: ColorDepth = .trueColor, ascii: Bool = false) {
        self.useColor = useColor
        self.width = width
        self.colorDepth = colorDepth
        self.ascii = ascii
    }

    /// The style for this process: colour decided as described above, width from the terminal
    /// (or `COLUMNS` when standard output is not one; 80 when neither says).
    public static func detect(noColorFlag: Bool = false,
                              environment: [String: String] = currentEnvironment(),
                              outputIsTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> TerminalStyle {
        var color = outputIsTerminal && environment["TERM"] != "dumb"
        let force = environment["FORCE_COLOR"]?.lowercased() ?? ""
        if !force.isEmpty && force != "0" && force != "false" { color = true }
        if noColorFlag { color = false }
        if let value = environment["NO_COLOR"], !value.isEmpty { color = false }
        let colorTerm = environment["COLORTERM"]?.lowercased() ?? ""
        let depth: ColorDepth = colorTerm == "truecolor" || colorTerm == "24bit" ? .trueColor : .palette256
        let ascii = ["1", "yes", "true"].contains(environment["TX_ASCII"]?.lowercased() ?? "")
        return TerminalStyle(useColor: color, width: currentWidth(environment: environment, outputIsTerminal: outputIsTerminal),
                             colorDepth: depth, ascii: ascii)
    }

    /// The screen width now: the terminal's, or `COLUMNS`, or 80. Read again at every page,
    /// so a resized window is used from the next page on.
    public static func currentWidth(environment: [String: String] = currentEnvironment(),
                                    outputIsTerminal: Bool = isatty(STDOUT_FILENO) == 1) -> Int {
        if outputIsTerminal, let columns = terminalColumns() { return columns }
        if let text = environment["COLUMNS"], let columns = Int(text), (20...1000).contains(columns) { return columns }
        return 80
    }

    /// Plain text: no escapes at all.
    public static let plain = TerminalStyle(useColor: false, width: 80)

    /// `text` in bold (unchanged without colour).
    public func bold(_ text: String) -> String { sgr("1", text) }
    /// `text` dimmed (unchanged without colour).
    public func dim(_ text: String) -> String { sgr("2", text) }
    /// `text` in bold cyan, for what should catch the eye (unchanged without colour).
    public func accent(_ text: String) -> String { sgr("1;36", text) }
    /// `text` in yellow, for warnings (unchanged without colour).
    public func warning(_ text: String) -> String { sgr("33", text) }

    /// Text on a background colour, with black or white foreground for contrast: 24-bit, or
    /// the nearest entry of the 256-colour palette.
    public func onBackground(_ text: String, red: UInt8, green: UInt8, blue: UInt8) -> String {
        guard useColor else { return text }
        let luminance = 0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)
        let foreground = luminance > 140 ? "30" : "97"
        let background: String
        switch colorDepth {
        case .trueColor: background = "48;2;\(red);\(green);\(blue)"
        case .palette256: background = "48;5;\(Self.paletteIndex(red: red, green: green, blue: blue))"
        }
        return "\u{1B}[\(background)m\u{1B}[\(foreground)m\(text)\u{1B}[0m"
    }

    /// The nearest colour of xterm's 256-colour palette: the 6 × 6 × 6 cube (16–231) or the
    /// 24-step grey ramp (232–255), whichever is closer.
    public static func paletteIndex(red: UInt8, green: UInt8, blue: UInt8) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ value: UInt8) -> Int {
            levels.indices.min { abs(levels[$0] - Int(value)) < abs(levels[$1] - Int(value)) }!
        }
        let (r, g, b) = (nearestLevel(red), nearestLevel(green), nearestLevel(blue))
        let cube = (levels[r], levels[g], levels[b])
        let average = (Int(red) + Int(green) + Int(blue)) / 3
        let greyStep = max(0, min(23, (average - 8 + 5) / 10))
        let grey = 8 + 10 * greyStep
        func distance(_ c: (Int, Int, Int)) -> Int {
            let dr = c.0 - Int(red), dg = c.1 - Int(green), db = c.2 - Int(blue)
            return dr * dr + dg * dg + db * db
        }
        return distance((grey, grey, grey)) < distance(cube) ? 232 + greyStep : 16 + 36 * r + 6 * g + b
    }

    /// `text` as it should reach the screen: unchanged, or with `asciiFallback` applied.
    public func glyphs(_ text: String) -> String { ascii ? asciiFallback(text) : text }

    private func sgr(_ code: String, _ text: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// Replaces the characters of East Asian width "ambiguous" that grids and rules use with
/// ASCII of the same width: a terminal in a CJK locale draws them two columns wide, which
/// breaks every alignment.
public func asciiFallback(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0x2500, 0x2501, 0x2504, 0x2508, 0x2550: result += "-"           // ─ ━ ┄ ┈ ═
        case 0x2502, 0x2503, 0x2551: result += "|"                            // │ ┃ ║
        case 0x250C...0x254B, 0x2552...0x256C: result += "+"                  // corners and joints
        case 0x2591: result += "."                                            // ░
        case 0x2592: result += ":"                                            // ▒
        case 0x2593: result += "#"                                            // ▓
        case 0x2580...0x2590, 0x2594...0x259F: result += "@"                  // █ and the other blocks
        case 0x25CF, 0x25CB, 0x25C6, 0x25A0, 0x25AA: result += "o"            // ● ○ ◆ ■ ▪
        case 0x00B7, 0x2022, 0x22C5: result += "."                            // · • ⋅
        case 0x2026: result += "."                                            // … (one column)
        case 0x2192: result += ">"                                            // →
        case 0x2190: result += "<"                                            // ←
        case 0x2191: result += "^"
        case 0x2193: result += "v"
        case 0x00D7: result += "x"                                            // ×
        case 0x2713: result += "+"                                            // ✓
        case 0x2717: result += "x"                                            // ✗
        case 0x2423: result += "_"                                            // ␣
        case 0x23CE: result += "~"                                            // ⏎
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// The process environment as a dictionary (kept here so tests can pass their own).
public func currentEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let pair = String(cString: entry)
        if let equals = pair.firstIndex(of: "=") {
            result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        pointer += 1
    }
    return result
}

/// Columns of the terminal on standard output, or nil when it is not a terminal.
public func terminalColumns() -> Int? {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
    return Int(size.ws_col)
}

/// Rows of the terminal on standard output, or nil when it is not a terminal.
public func terminalRows() -> Int? {
    var size = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
    return Int(size.ws_row)
}

/// True when standard input is a terminal a person can type into.
public func standardInputIsTerminal() -> Bool { isatty(STDIN_FILENO) == 1 }
