#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How text is printed: with ANSI colour or plain, and how wide the screen is.
/// Colour is off when `NO_COLOR` is set (https://no-color.org), when `--no-color` is given,
/// when standard output is not a terminal, or when `TERM=dumb`.
public struct TerminalStyle: Sendable {
    public var useColor: Bool
    public var width: Int

    public init(useColor: Bool, width: Int = 80) {
        self.useColor = useColor
        self.width = width
    }

    /// The style for this process: colour decided as described above, width from the terminal.
    public static func detect(noColorFlag: Bool = false,
                              environment: [String: String] = currentEnvironment()) -> TerminalStyle {
        var color = !noColorFlag && isatty(STDOUT_FILENO) == 1
        if let value = environment["NO_COLOR"], !value.isEmpty { color = false }
        if environment["TERM"] == "dumb" { color = false }
        return TerminalStyle(useColor: color, width: terminalColumns() ?? 80)
    }

    /// Plain text: no escapes at all.
    public static let plain = TerminalStyle(useColor: false, width: 80)

    public func bold(_ text: String) -> String { sgr("1", text) }
    public func dim(_ text: String) -> String { sgr("2", text) }
    public func accent(_ text: String) -> String { sgr("1;36", text) }
    public func warning(_ text: String) -> String { sgr("33", text) }

    /// Text on a 24-bit background colour, with black or white foreground for contrast.
    public func onBackground(_ text: String, red: UInt8, green: UInt8, blue: UInt8) -> String {
        guard useColor else { return text }
        let luminance = 0.2126 * Double(red) + 0.7152 * Double(green) + 0.0722 * Double(blue)
        let foreground = luminance > 140 ? "30" : "97"
        return "\u{1B}[48;2;\(red);\(green);\(blue)m\u{1B}[\(foreground)m\(text)\u{1B}[0m"
    }

    private func sgr(_ code: String, _ text: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
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

/// True when standard input is a terminal a person can type into.
public func standardInputIsTerminal() -> Bool { isatty(STDIN_FILENO) == 1 }
