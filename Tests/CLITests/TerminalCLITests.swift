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
        environment["TX_LANG"] = "en"   // the English text the tests read, whatever the locale
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
    /// The normal output of every command that runs without a terminal and in seconds. tx
    /// lesson's steps are checked for every lesson in EveryLessonTests (as the pager prints them),
    /// tx train's in CLITrainRunTests, tx generate with SmolLM2 in CLISmolLM2Tests, the
    /// pager, menu and explorer screens in a pseudo-terminal (PseudoTerminalPagerTests,
    /// ExploreTerminalTests).
    static let commands: [[String]] = [
        ["list"],
        ["lesson", "4", "--no-pause", "--output-dir", "lesson"],
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
    ] + (minilmInstalled ? [["embed", "king - man + woman", "--out", "k.png"]] : [])

    @Test(arguments: commands)
    func normalOutputIsAtMostEightyColumns(arguments: [String]) throws {
        let tx = try TX()
        try FileManager.default.createDirectory(at: tx.directory.appendingPathComponent("lesson"), withIntermediateDirectories: true)
        let result = try tx.run(arguments, columns: 80)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(!result.stdout.isEmpty)
        let wide = linesWiderThan(80, in: result.stdout) + linesWiderThan(80, in: result.stderr)
        #expect(wide.isEmpty, "\(arguments.joined(separator: " ")): \(wide.joined(separator: "\n"))")
    }

    /// Every subcommand, as `tx --help` and `tx analyze --help` list them: a new one is covered
    /// without editing this test.
    static func subcommands(of command: [String], tx: TX) throws -> [[String]] {
        let help = try tx.run(command + ["--help"], columns: 80).stdout
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").compactMap { line -> [String]? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                  name.allSatisfy({ $0.isLowercase || $0 == "-" }) else { return nil }
            return command + [String(name)]
        }
    }

    @Test func everyHelpFitsWithItsUsageWrappedAndItsExamplesWhole() throws {
        let tx = try TX()
        let top = try Self.subcommands(of: [], tx: tx)
        #expect(top.count >= 14, "\(top)")
        let nested = try top.flatMap { try Self.subcommands(of: $0, tx: tx) }
        #expect(nested.contains(["analyze", "sweep"]))
        for command in [[]] + top + nested {
            let help = try tx.run(command + ["--help"], columns: 80).stdout
            let name = (["tx"] + command).joined(separator: " ")
            #expect(help.contains("USAGE: tx"), "\(name)")
            #expect(linesWiderThan(80, in: help).isEmpty, "\(name) --help:\n\(linesWiderThan(80, in: help).joined(separator: "\n"))")
            // The usage, wrapped between whole arguments, reads the same as on one wide line.
            let wide = try tx.run(command + ["--help"], columns: 400).stdout
            let oneLine = try #require(wide.split(separator: "\n").first { $0.hasPrefix("USAGE: ") }).description
            let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let first = try #require(lines.firstIndex { $0.hasPrefix("USAGE: ") })
            let block = [lines[first]] + lines[(first + 1)...].prefix { $0.hasPrefix("          ") }
            #expect(block.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ") == oneLine, "\(name)")
            for line in block.dropFirst() {
                #expect(line.dropFirst(10).hasPrefix("[") || line.dropFirst(10).hasPrefix("--") || line.dropFirst(10).hasPrefix("<"),
                        "\(name): usage broken inside an argument: \(line)")
            }
            guard command.count == 1 || command.isEmpty else { continue }   // analyze's own commands have none
            // Every example line starts with "tx " after its indentation; a command cut in two
            // would leave a continuation line starting with an option or a quoted word.
            guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Example") }) else {
                Issue.record("\(name): no Examples section"); continue
            }
            var continued = false
            for line in lines[(start + 1)...] {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || !line.hasPrefix("  ") { break }
                // Each example is a whole command (an environment variable may come first), or
                // goes on after a shell continuation "\".
                let command = trimmed.drop { $0 != " " && $0 != "=" }.first == "=" ? String(trimmed.drop { $0 != " " }.dropFirst()) : trimmed
                #expect(continued || command.hasPrefix("tx ") || command.hasPrefix(".build/"),
                        "\(name): example line \"\(line)\" is a broken-off piece")
                continued = trimmed.hasSuffix("\\")
            }
        }
    }

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
    }

    @Test func notesGoToStandardErrorAndResultsToStandardOutput() throws {
        let tx = try TX()
        let result = try tx.run(["compare", "--text", "The cat sat", "--out", "d.png"], columns: 80)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("Note: the trained models do not know every word of this text"))
        #expect(!result.stdout.contains("Note:"))
        #expect(result.stdout.contains("Parameters: encoder-only"))
        let attention = try tx.run(["attention", "--text", "The cat sat", "--out", "a.png"], columns: 80)
        #expect(attention.stderr.hasPrefix("Note: this head is untrained"))
        #expect(!attention.stdout.contains("Note:"))
    }
}

@Suite("The pager in a pseudo-terminal")
struct PseudoTerminalPagerTests {
    @Test func enterBackNumberUnknownKeyAndQuit() throws {
        let tx = try TX()
        let terminal = try PseudoTerminal(["lesson", "3", "--output-dir", "out"], in: tx.directory, width: 100, height: 300)
        func press(_ keys: String) -> String {
            let before = terminal.screenCount
            terminal.send(keys)
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
        terminal.send("q\n")
        #expect(terminal.waitForExit())
        #expect(terminal.process.terminationStatus == 0)
    }

    @Test func aLongStepIsPagedInASmallWindowWithItsTitleKept() throws {
        let tx = try TX()
        let terminal = try PseudoTerminal(["lesson", "3", "--output-dir", "out"], in: tx.directory, width: 80, height: 14)
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
        terminal.send("\n")
        #expect(terminal.waitForNextScreen(after: 1))
        let second = terminal.screen
        #expect(second.contains("step 1/10"))
        #expect(second.contains(title))                  // the title stays on top
        #expect(second != first)
        terminal.send("q\n")
        #expect(terminal.waitForExit())
    }

    @Test func theMenuMarksAFinishedLessonAndOffersTheNextOne() throws {
        let tx = try TX()
        let terminal = try PseudoTerminal(["start", "--output-dir", "out"], in: tx.directory, width: 80, height: 300)
        let prompt = "Lesson number or name"
        #expect(terminal.read(until: { _ in terminal.screen.contains(prompt) }))
        #expect(terminal.screen.contains("(Enter = 0, next-token)"))
        // Lesson 4 from its first step to its last, then back in the menu.
        terminal.send("4\n")
        #expect(terminal.waitForNextScreen(after: 1))
        #expect(terminal.screen.contains("Lesson 4"))
        var steps = 0
        while !terminal.screen.contains(prompt) && steps < 30 {
            let before = terminal.screenCount
            terminal.send("\n")
            #expect(terminal.read(until: { _ in terminal.screenCount > before && (terminal.screen.contains("q quit]")
                                                                                || terminal.screen.contains(prompt)) }))
            steps += 1
        }
        let menu = terminal.screen
        #expect(menu.contains(prompt))
        let lessonFour = try #require(menu.split(separator: "\n").first { $0.hasPrefix("  4  masks") })
        #expect(lessonFour.hasSuffix("✓ done"))
        #expect(!menu.split(separator: "\n").contains { $0.hasPrefix("  3  attention") && $0.hasSuffix("✓ done") })
        #expect(menu.contains("(Enter = 5, multi-head)"))
        #expect(menu.split(separator: "\n").allSatisfy { terminalColumns(String($0)) <= 80 })
        terminal.send("q\n")
        #expect(terminal.waitForExit())
        #expect(terminal.process.terminationStatus == 0)
    }
}
