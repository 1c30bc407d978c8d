import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Display columns of a line, as a terminal counts them: East Asian wide and fullwidth
/// characters take 2, combining marks 0, ANSI escapes 0. Written here, apart from the
/// Terminal module's own `displayWidth`, so the check does not trust the code it checks.
func terminalColumns(_ line: String) -> Int {
    var width = 0
    var inEscape = false
    for scalar in line.unicodeScalars {
        if inEscape { if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }; continue }
        if scalar == "\u{1B}" { inEscape = true; continue }
        let v = scalar.value
        if v < 0x20 { continue }
        if scalar.properties.generalCategory == .nonspacingMark { continue }
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v)
            || (0x20000...0x3FFFD).contains(v)
        width += wide ? 2 : 1
    }
    return width
}

func linesWiderThan(_ limit: Int, in text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { terminalColumns($0) > limit }
}

extension TX {
    func run(_ arguments: [String], columns: Int) throws -> Result {
        let process = Process()
        process.executableURL = try TX.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["COLUMNS"] = String(columns)
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Suite("Every tx command fits 80 columns")
struct EightyColumnTests {
    static let commands: [[String]] = [
        ["list"],
        ["attention", "--text", sentence, "--out", "a.png"],
        ["attention", "--text", "我昨天在花园里看到了一只猫", "--arch", "encoder-decoder", "--out", "b.png"],
        ["attention", "--text", "我昨天在花园里看到了一只猫", "--arch", "encoder", "--view", "grid", "--out", "c.png"],
        ["compare", "--text", "我昨天在花园里看到了一只猫", "--out", "d.png"],
        ["shift", "--source", "我是一个学生", "--target", "I am a student", "--out", "e.png"],
        ["generate", "--model", "lm", "--text", "the teacher", "--temperature", "0.8", "--top-k", "5", "--seed", "3"],
        ["generate", "--model", "translator", "--text", "我们每天在学校画一朵花", "--greedy"],
        ["mlm", "--text", "The cat sleeps in the warm garden when she is tired", "--seed", "3", "--out", "f.png"],
        ["params"],
        ["params", "--model", "gpt2-medium"],
        ["models"],
        // The analyses on the trained toy models (the real ones are slow in a debug build).
        ["analyze", "rollout", "--model", "bert", "--text", "我是学生 [SEP] I am a student", "--out", "g.png"],
        ["analyze", "flow", "--model", "bert", "--text", "我是学生 [SEP] I am a student", "--query", "student", "--out", "h.png"],
        ["analyze", "lens", "--model", "lm", "--text", "i saw a ball in the", "--out", "i.png"],
        ["analyze", "ablate", "--model", "bert", "--layer", "2", "--head", "1", "--text", "我是学生 [SEP] I am a [MASK]"],
        ["analyze", "ablate", "--model", "translator", "--kind", "cross", "--layer", "2", "--head", "3",
         "--text", "我昨天在花园里看到了一只猫"],
        ["analyze", "sweep", "--model", "lm", "--text", "i saw a ball in the", "--out", "j.png"],
    ]

    @Test func analyzeHelpFitsEightyColumnsUsageLinesToo() throws {
        let tx = try TX()
        for subcommand in ["", "rollout", "flow", "lens", "ablate", "sweep"] {
            let arguments = ["analyze"] + (subcommand.isEmpty ? [] : [subcommand]) + ["--help"]
            let help = try tx.run(arguments, columns: 80).stdout
            #expect(help.contains("USAGE: tx analyze"))
            let wide = help.split(separator: "\n").map(String.init).filter { terminalColumns($0) > 80 }
            #expect(wide.isEmpty, "\(arguments.joined(separator: " ")): \(wide.joined(separator: "\n"))")
        }
    }

    @Test func trainHelpKeepsItsTableAtEightyColumns() throws {
        let help = try TX().run(["train", "--help"], columns: 80).stdout
        let lines = help.split(separator: "\n").map(String.init)
        // The three rows start at the left of the table; their continuation lines stay indented.
        for name in ["translator", "lm", "bert"] {
            let row = try #require(lines.firstIndex { $0.hasPrefix("  \(name) ") })
            #expect(lines[row + 1].hasPrefix("              "), "\(lines[row + 1])")
        }
        #expect(lines.filter { terminalColumns($0) > 80 && !$0.hasPrefix("USAGE:") }.isEmpty)
    }

    @Test(arguments: commands)
    func normalOutputIsAtMostEightyColumns(arguments: [String]) throws {
        let tx = try TX()
        let result = try tx.run(arguments, columns: 80)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(!result.stdout.isEmpty)
        let wide = linesWiderThan(80, in: result.stdout) + linesWiderThan(80, in: result.stderr)
        #expect(wide.isEmpty, "\(arguments.joined(separator: " ")): \(wide.joined(separator: "\n"))")
    }

    @Test func helpExamplesAreNeverBrokenMidCommand() throws {
        let tx = try TX()
        for command in [["--help"], ["generate", "--help"], ["attention", "--help"], ["train", "--help"], ["compare", "--help"],
                        ["shift", "--help"], ["mlm", "--help"], ["embed", "--help"], ["analyze", "--help"]] {
            let help = try tx.run(command, columns: 80).stdout
            let lines = help.split(separator: "\n").map(String.init)
            // Every example line starts with "tx " after its indentation; a command cut in two
            // would leave a continuation line starting with an option or a quoted word.
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Examples:") }) else {
                Issue.record("\(command): no Examples section"); continue
            }
            var continued = false
            for line in lines[(start + 1)...] {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || !line.hasPrefix("  ") { break }
                // Each example is a whole command, or goes on after a shell continuation "\".
                #expect(continued || trimmed.hasPrefix("tx ") || trimmed.hasPrefix(".build/"),
                        "\(command): example line \"\(line)\" is a broken-off piece")
                #expect(terminalColumns(line) <= 80, "\(command): \(line)")
                continued = trimmed.hasSuffix("\\")
            }
        }
    }
}

/// `tx lesson` in a pseudo-terminal, driven by keys as a person would.
final class PagerPseudoTerminal {
    let master: Int32
    let process = Process()
    private(set) var output = ""

    init(_ arguments: [String], directory: URL, columns: Int, rows: Int) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw CocoaError(.featureUnsupported) }
        self.master = master
        process.executableURL = try TX.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "xterm"
        environment.removeValue(forKey: "COLUMNS")
        process.environment = environment
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        process.standardInput = handle
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        close(master)
    }

    /// Reads until `text` has appeared after the last cleared screen, or `seconds` pass.
    @discardableResult
    func waitForScreen(containing text: String, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var bytes: [UInt8] = Array(output.utf8)
        while Date() < deadline {
            if screen.contains(text) { return true }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            output = String(decoding: bytes, as: UTF8.self)
        }
        return screen.contains(text)
    }

    /// Waits for one more whole screen (cleared, drawn, ending in its prompt) than `before`.
    @discardableResult
    func waitForNextScreen(after before: Int, seconds: Double = 120) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screenCount > before && screen.contains("q quit]") { return true }
            waitForScreen(containing: "\u{0}", seconds: 0.3)
        }
        return false
    }

    var screenCount: Int { output.components(separatedBy: "\u{1B}[2J\u{1B}[H").count - 1 }

    /// What is on the screen now: everything after the last clear-screen sequence.
    /// (The terminal turns "\n" into "\r\n"; the "\r" are dropped.)
    var screen: String {
        (output.components(separatedBy: "\u{1B}[2J\u{1B}[H").last ?? "").replacingOccurrences(of: "\r", with: "")
    }

    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }
}

@Suite("The pager in a pseudo-terminal")
struct PseudoTerminalPagerTests {
    @Test func enterBackNumberUnknownKeyAndQuit() throws {
        let tx = try TX()
        let terminal = try PagerPseudoTerminal(["lesson", "3", "--output-dir", "out"], directory: tx.directory, columns: 100, rows: 300)
        func press(_ keys: String) -> String {
            let before = terminal.screenCount
            terminal.type(keys)
            #expect(terminal.waitForNextScreen(after: before), "no screen after \(keys.debugDescription)")
            return terminal.screen
        }
        #expect(terminal.waitForNextScreen(after: 0))
        #expect(terminal.screen.contains("step 1/10"))
        #expect(terminal.screen.contains("a number 1–10 jumps"))
        #expect(press("\n").contains("step 2/10"))
        #expect(press("b\n").contains("step 1/10"))
        #expect(press("3\n").contains("step 3/10"))
        let unknown = press("x\n")
        #expect(unknown.contains("Unknown key \"x\""))
        #expect(unknown.contains("step 3/10"))        // still on step 3
        #expect(press("42\n").contains("There is no step 42: this lesson has steps 1–10."))
        terminal.type("q\n")
        terminal.process.waitUntilExit()
        #expect(terminal.process.terminationStatus == 0)
    }

    @Test func aLongStepIsPagedInASmallWindowWithItsTitleKept() throws {
        let tx = try TX()
        let terminal = try PagerPseudoTerminal(["lesson", "3", "--output-dir", "out"], directory: tx.directory, columns: 80, rows: 14)
        #expect(terminal.waitForNextScreen(after: 0))
        let first = terminal.screen
        #expect(first.contains("step 1/10"))
        #expect(first.contains("Enter more (lines 1–"))
        let lines = first.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let title = lines.count > 2 ? lines[2] : ""
        #expect(!title.isEmpty)
        // No line on the screen is wider than the window, and the screen fits its height.
        #expect(lines.allSatisfy { terminalColumns($0) <= 80 })
        #expect(lines.count <= 14)
        terminal.type("\n")
        #expect(terminal.waitForNextScreen(after: 1))
        let second = terminal.screen
        #expect(second.contains("step 1/10"))
        #expect(second.contains(title))                  // the title stays on top
        #expect(second != first)
        terminal.type("q\n")
        terminal.process.waitUntilExit()
    }
}
