#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Localization

/// One page of a lesson: a title and the text under it (already formatted: prose marked for
/// reflow, matrices, heatmaps, the paths of figures written).
public struct PagerStep: Sendable {
    /// The page's title, shown above the body on every screen of the step.
    public var title: String
    /// The page's text, already formatted.
    public var body: String

    /// A page with this title and body.
    public init(title: String, body: String) {
        self.title = title
        self.body = body
    }
}

/// What the pager hears from the person: a line they typed, a resized window, or the end.
public enum PagerEvent: Equatable, Sendable {
    case line(String)
    case resized
    case end
}

/// Where the pager reads a person's answers from. Standard input in real use; a list of
/// lines in tests.
public protocol LineSource {
    /// The next line typed, without its newline; nil at end of input.
    mutating func readLine() -> String?
    /// The next event; by default every line read, then the end.
    mutating func nextEvent() -> PagerEvent
}

extension LineSource {
    /// Every line that `readLine()` returns, then `.end`.
    public mutating func nextEvent() -> PagerEvent { readLine().map(PagerEvent.line) ?? .end }
}

/// Lines from standard input, read with read(2) so that a window resize (SIGWINCH, see
/// `ResizeSignal`) interrupts the wait and the page is drawn again at the new size.
public struct StandardInputLines: LineSource {
    private var pending: [UInt8] = []

    /// A reader of standard input; it reads one byte at a time, so nothing is buffered past a line.
    public init() {}

    /// The next line, waiting through window resizes; nil at end of input.
    public mutating func readLine() -> String? {
        while true {
            switch nextEvent() {
            case .line(let text): return text
            case .resized: continue
            case .end: return nil
            }
        }
    }

    /// The next line, `.resized` when the window changed size while waiting (see `ResizeSignal`),
    /// or `.end`; a last line without a newline is still returned.
    public mutating func nextEvent() -> PagerEvent {
        var byte: UInt8 = 0
        while true {
            if ResizeSignal.takePending() { return .resized }
            let count = read(STDIN_FILENO, &byte, 1)
            if count == 1 {
                if byte == UInt8(ascii: "\n") {
                    defer { pending.removeAll() }
                    return .line(String(decoding: pending, as: UTF8.self))
                }
                pending.append(byte)
            } else if count < 0 && errno == EINTR {
                continue   // a signal: a resize is picked up at the top of the loop
            } else {
                if pending.isEmpty { return .end }
                defer { pending.removeAll() }
                return .line(String(decoding: pending, as: UTF8.self))
            }
        }
    }
}

/// Answers given in advance, one per `readLine()`, for tests and scripts.
public struct ScriptedLines: LineSource {
    private var lines: [String]
    /// A source that returns `lines` in order, then nil.
    public init(_ lines: [String]) { self.lines = lines }
    /// The next of the given lines, or nil when none are left.
    public mutating func readLine() -> String? { lines.isEmpty ? nil : lines.removeFirst() }
}

/// SIGWINCH: installed without SA_RESTART, so a blocking read returns EINTR when the window
/// changes size and the pager redraws at once.
public enum ResizeSignal {
    /// Written by the signal handler, read by the reader. Safe without a lock: a
    /// `sig_atomic_t` store and load are single machine words, the only kind of shared state a
    /// signal handler may touch, and a missed or doubled redraw is harmless.
    nonisolated(unsafe) static var pending: sig_atomic_t = 0

    /// Installs the handler (once per process is enough; installing again is harmless).
    public static func install() {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in ResizeSignal.pending = 1 }
        #else
        action.__sigaction_u.__sa_handler = { _ in ResizeSignal.pending = 1 }
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGWINCH, &action, nil)
    }

    static func takePending() -> Bool {
        guard pending != 0 else { return false }
        pending = 0
        return true
    }
}

/// Steps through pages like `less`: a step longer than the window is shown one screen at a
/// time under its title; Enter = next screen or next step, b = back, a number + Enter =
/// that step, q = quit. Any other answer gets a one-line reply saying what the keys are.
/// When not interactive (standard input is not a terminal, or `--no-pause`) it prints every
/// page one after another and never waits, so piping a lesson to a file or running it in CI
/// just works.
public struct StepPager {
    /// How `run` ended: every step shown, or the person typed q.
    public enum Outcome: Equatable, Sendable { case finished, quit }

    /// Colour and glyphs; its width is used when the window size is unknown.
    public var style: TerminalStyle
    /// Wait for the person between screens; when false every page is printed at once and `run`
    /// never reads input.
    public var interactive: Bool
    /// Clear the screen before each page (interactive only), so a page reads as a page.
    public var clearsScreen: Bool
    /// The window's size now (columns, rows), read before every screen; nil when unknown
    /// (then the width is the style's and a step is never split).
    public var screenSize: () -> (columns: Int, rows: Int)?

    /// A pager. `screenSize` is asked before every screen; pass a fixed size in tests.
    public init(style: TerminalStyle, interactive: Bool, clearsScreen: Bool = true,
                screenSize: @escaping () -> (columns: Int, rows: Int)? = StepPager.terminalSize) {
        self.style = style
        self.interactive = interactive
        self.clearsScreen = clearsScreen
        self.screenSize = screenSize
    }

    /// The terminal's size, or nil when standard output is not a terminal.
    public static func terminalSize() -> (columns: Int, rows: Int)? {
        guard let columns = terminalColumns(), let rows = terminalRows() else { return nil }
        return (columns, rows)
    }

    /// Shows `steps` under `heading`; everything printed goes through `write`.
    @discardableResult
    public func run<Input: LineSource>(heading: String, steps: [PagerStep], input: inout Input,
                                       write: (String) -> Void) -> Outcome {
        guard !steps.isEmpty else { return .finished }
        guard interactive else {
            let width = screenSize()?.columns ?? style.width
            for (index, step) in steps.enumerated() {
                write(style.glyphs(page(heading: heading, step: step, index: index, count: steps.count, width: width)) + "\n")
            }
            return .finished
        }
        var index = 0
        var offset = 0          // the first body line on screen
        var message: String?    // a reply to the last answer, shown above the prompt
        var fromTheEnd = false  // going back into a step opens its last screen, as `less` does
        while true {
            let size = screenSize() ?? (style.width, 24)
            let width = max(20, size.columns)
            let header = headerLines(heading: heading, title: steps[index].title, index: index, count: steps.count, width: width)
            let body = bodyLines(steps[index].body, width: width)
            // The reply, wrapped to the window so the terminal never wraps it mid-word.
            let messageLines = message.map { wrap($0, width: width).split(separator: "\n").map(String.init) } ?? []
            // Rows left for the body: the header, a blank line, the message, the prompt.
            let available = max(3, size.rows - rowCount(header, width: width) - 2 - messageLines.count)
            if fromTheEnd {
                offset = previousScreenStart(body, before: body.count, available: available, width: width)
                fromTheEnd = false
            }
            offset = min(offset, max(0, body.count - 1))
            var end = offset, used = 0
            while end < body.count {
                let rows = rowCount([body[end]], width: width)
                if used + rows > available && end > offset { break }
                used += rows
                end += 1
            }
            let hasMore = end < body.count
            var screen = clearsScreen ? "\u{1B}[2J\u{1B}[H" : ""
            screen += header.joined(separator: "\n") + "\n" + body[offset..<end].joined(separator: "\n") + "\n"
            for line in messageLines { screen += style.warning(line) + "\n" }
            screen += style.dim(prompt(index: index, count: steps.count, firstLine: offset, lastLine: end,
                                       totalLines: body.count, hasMore: hasMore)) + " "
            write(style.glyphs(screen))
            message = nil
            let answer: String
            switch input.nextEvent() {
            case .end: write("\n"); return .quit
            case .resized: continue
            case .line(let line): answer = line.trimmingSpaces()
            }
            switch answer.lowercased() {
            case "q", "quit", "exit":
                return .quit
            case "", "n", "next", "f":
                if hasMore {
                    offset = end
                } else if index == steps.count - 1 {
                    return .finished
                } else {
                    index += 1
                    offset = 0
                }
            case "b", "back", "p", "prev":
                if offset > 0 {
                    offset = previousScreenStart(body, before: offset, available: available, width: width)
                } else if index > 0 {
                    index -= 1
                    fromTheEnd = true
                } else {
                    message = localized("This is the first step; there is nothing before it.")
                }
            default:
                if let number = Int(answer) {
                    if (1...steps.count).contains(number) {
                        index = number - 1
                        offset = 0
                    } else {
                        message = localized("There is no step \(number): this lesson has steps 1–\(steps.count).")
                    }
                } else {
                    let shown = answer.count > 12 ? String(answer.prefix(12)) + "…" : answer
                    message = localized("Unknown key \"\(shown)\". Enter = next, b = back, a step number (1–\(steps.count)) + Enter jumps to it, q = quit.")
                }
            }
        }
    }

    /// The line under a screen: what Enter does here, and the other keys.
    func prompt(index: Int, count: Int, firstLine: Int, lastLine: Int, totalLines: Int, hasMore: Bool) -> String {
        let enter: String
        if hasMore {
            enter = localized("Enter more (lines \(firstLine + 1)–\(lastLine) of \(totalLines))")
        } else {
            enter = index == count - 1 ? localized("Enter finish") : localized("Enter next")
        }
        return localized("[\(enter) · b back · a number 1–\(count) jumps · q quit]")
    }

    /// Where the screen before the one starting at `offset` starts.
    private func previousScreenStart(_ body: [String], before offset: Int, available: Int, width: Int) -> Int {
        var start = offset, used = 0
        while start > 0 {
            let rows = rowCount([body[start - 1]], width: width)
            if used + rows > available { break }
            used += rows
            start -= 1
        }
        return start
    }

    /// Rows `lines` take on a screen `width` columns wide (a longer line wraps).
    private func rowCount(_ lines: [String], width: Int) -> Int {
        lines.reduce(0) { $0 + max(1, (displayWidth($1) + width - 1) / width) }
    }

    private func headerLines(heading: String, title: String, index: Int, count: Int, width: Int) -> [String] {
        [style.dim(rule(heading: heading, index: index, count: count, width: width)), ""]
            + wrap(title, width: width).split(separator: "\n").map { style.accent(String($0)) } + [""]
    }

    private func bodyLines(_ body: String, width: Int) -> [String] {
        reflow(body, width: width).split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { breakPath(String($0), width: width) }
    }

    /// "── heading ──── step 2/7 ──", as wide as the screen (at most 100), the heading cut to fit.
    func rule(heading: String, index: Int, count: Int, width: Int) -> String {
        let counter = " " + localized("step \(index + 1)/\(count)") + " ──"
        let total = max(20, min(width, 100))
        let room = max(4, total - displayWidth(counter) - 5)
        let left = "── \(truncate(heading, to: room)) "
        let fill = max(2, total - displayWidth(left) - displayWidth(counter))
        return left + String(repeating: "─", count: fill) + counter
    }

    /// One whole page as text: the rule with the heading and step counter, the title, the
    /// body, prose wrapped to `width` (default: the style's).
    public func page(heading: String, step: PagerStep, index: Int, count: Int, width: Int? = nil) -> String {
        let width = width ?? style.width
        return headerLines(heading: heading, title: step.title, index: index, count: count, width: width).joined(separator: "\n")
            + "\n" + bodyLines(step.body, width: width).joined(separator: "\n") + "\n"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
