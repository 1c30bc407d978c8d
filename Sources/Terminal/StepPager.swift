/// One page of a lesson: a title and the text under it (already formatted: prose,
/// matrices, heatmaps, the paths of figures written).
public struct PagerStep: Sendable {
    public var title: String
    public var body: String

    public init(title: String, body: String) {
        self.title = title
        self.body = body
    }
}

/// Where the pager reads a person's answers from. Standard input in real use; a list of
/// lines in tests.
public protocol LineSource {
    /// The next line typed, without its newline; nil at end of input.
    mutating func readLine() -> String?
}

public struct StandardInputLines: LineSource {
    public init() {}
    public mutating func readLine() -> String? { Swift.readLine(strippingNewline: true) }
}

public struct ScriptedLines: LineSource {
    private var lines: [String]
    public init(_ lines: [String]) { self.lines = lines }
    public mutating func readLine() -> String? { lines.isEmpty ? nil : lines.removeFirst() }
}

/// Steps through pages: Enter = next, b = back, q = quit. When not interactive (standard
/// input is not a terminal, or `--no-pause`) it prints every page one after another and
/// never waits, so piping a lesson to a file or running it in CI just works.
public struct StepPager {
    public enum Outcome: Equatable, Sendable { case finished, quit }

    public var style: TerminalStyle
    public var interactive: Bool
    /// Clear the screen before each page (interactive only), so a page reads as a page.
    public var clearsScreen: Bool

    public init(style: TerminalStyle, interactive: Bool, clearsScreen: Bool = true) {
        self.style = style
        self.interactive = interactive
        self.clearsScreen = clearsScreen
    }

    /// Shows `steps` under `heading`; everything printed goes through `write`.
    @discardableResult
    public func run<Input: LineSource>(heading: String, steps: [PagerStep], input: inout Input,
                                       write: (String) -> Void) -> Outcome {
        guard !steps.isEmpty else { return .finished }
        guard interactive else {
            for (index, step) in steps.enumerated() {
                write(page(heading: heading, step: step, index: index, count: steps.count) + "\n")
            }
            return .finished
        }
        var index = 0
        while true {
            if clearsScreen { write("\u{1B}[2J\u{1B}[H") }
            write(page(heading: heading, step: steps[index], index: index, count: steps.count) + "\n")
            let isLast = index == steps.count - 1
            let next = isLast ? "Enter finish" : "Enter next"
            let back = index > 0 ? " · b back" : ""
            write(style.dim("[\(next)\(back) · q quit] ") )
            guard let answer = input.readLine() else { write("\n"); return .quit }
            switch answer.trimmingSpaces().lowercased() {
            case "q", "quit", "exit":
                return .quit
            case "b", "back", "p", "prev":
                index = max(0, index - 1)
            case "":
                if isLast { return .finished }
                index += 1
            default:
                // Anything else re-shows the page; a number jumps to that step.
                if let number = Int(answer.trimmingSpaces()), (1...steps.count).contains(number) {
                    index = number - 1
                }
            }
        }
    }

    /// One page as text: a rule with the heading and step counter, the title, the body.
    public func page(heading: String, step: PagerStep, index: Int, count: Int) -> String {
        let counter = "step \(index + 1)/\(count)"
        let width = max(40, min(style.width, 100))
        let left = "── \(heading) "
        let right = " \(counter) ──"
        let fill = max(2, width - displayWidth(left) - displayWidth(right))
        let rule = left + String(repeating: "─", count: fill) + right
        return style.dim(rule) + "\n\n" + style.accent(step.title) + "\n\n" + step.body + "\n"
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
