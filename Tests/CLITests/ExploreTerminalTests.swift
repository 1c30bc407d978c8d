#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

let enterScreen = "\u{1B}[?1049h"
let hideCursor = "\u{1B}[?25l"
let restoreScreen = "\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l"

/// The terminal is as it was: the alternate screen left and the cursor shown after the last
/// frame, and the line settings (cooked mode, echo, signals) back.
func expectRestored(_ pty: PseudoTerminal, sourceLocation: SourceLocation = #_sourceLocation) {
    let text = pty.text
    #expect(text.contains(enterScreen), sourceLocation: sourceLocation)
    let lastHide = text.range(of: hideCursor, options: .backwards)
    let lastRestore = text.range(of: restoreScreen, options: .backwards)
    #expect(lastRestore != nil, "no restore sequence in the output", sourceLocation: sourceLocation)
    if let lastHide, let lastRestore {
        #expect(lastRestore.lowerBound > lastHide.lowerBound, sourceLocation: sourceLocation)
        // Nothing is drawn after the restore but what the shell will print next (an error line).
        #expect(!text[lastRestore.upperBound...].contains("\u{1B}["), sourceLocation: sourceLocation)
    }
    let now = pty.settings
    let flags = tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
    #expect(now.c_lflag & flags == pty.original.c_lflag & flags, sourceLocation: sourceLocation)
    #expect(now.c_lflag & tcflag_t(ICANON) != 0, "not back in cooked mode", sourceLocation: sourceLocation)
    #expect(now.c_iflag == pty.original.c_iflag, sourceLocation: sourceLocation)
}

@Suite("tx explore in a pseudo-terminal", .serialized)
struct ExploreTerminalTests {
    static let text = "我是一个学生"
    static let target = "i am a student"
    static var arguments: [String] { ["explore", "--model", "translator", "--text", text, "--target", target] }

    @Test func keysThenQuitRestoreTheTerminalAndSaveTheFiguresOfTxAttention() throws {
        let tx = try TX()
        try FileManager.default.createDirectory(at: tx.directory.appendingPathComponent("Output"), withIntermediateDirectories: true)
        let pty = try PseudoTerminal(Self.arguments, in: tx.directory)
        #expect(pty.read(until: { $0.contains("cross · layer 1/2 · head 1/4 · heatmap") }))
        // ← query, ] head 2, ↓ layer 2, then save the PNG and the JSON.
        pty.send("\u{1B}[D")
        pty.send("]")
        pty.send("\u{1B}[B")
        #expect(pty.read(until: { $0.contains("layer 2/2 · head 2/4 · heatmap") }))
        pty.send("s")
        let png = "Output/explore-translator-cross-heatmap-layer2-head2.png"
        #expect(pty.read(until: { $0.contains("saved \(png)") }))
        pty.send("j")
        #expect(pty.read(until: { $0.contains("saved Output/explore-translator-trace.json") }))
        pty.send("v")   // the lines view: its PNG is tx attention's --view lines
        #expect(pty.read(until: { $0.contains("· lines") }))
        pty.send("s")
        #expect(pty.read(until: { $0.contains("saved Output/explore-translator-cross-lines-layer2.png") }))
        pty.send("q")
        #expect(pty.waitForExit())
        #expect(pty.process.terminationReason == .exit && pty.process.terminationStatus == 0)
        expectRestored(pty)

        // tx attention draws the same figures and writes the same trace.
        let reference = try tx.run(["attention", "--arch", "encoder-decoder", "--weights", "trained", "--text", Self.text,
                                    "--target", Self.target, "--kind", "cross", "--layer", "2", "--head", "2",
                                    "--out", "heatmap.png", "--json", "trace.json"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let lines = try tx.run(["attention", "--arch", "encoder-decoder", "--weights", "trained", "--text", Self.text,
                                "--target", Self.target, "--kind", "cross", "--layer", "2", "--view", "lines", "--out", "lines.png"])
        #expect(lines.status == 0, "\(lines.stderr)")
        let saved = try #require(tx.data(png))
        #expect(saved.count > 1000)
        #expect(saved == tx.data("heatmap.png"))
        #expect(tx.data("Output/explore-translator-cross-lines-layer2.png") == tx.data("lines.png"))
        #expect(tx.data("Output/explore-translator-trace.json") == tx.data("trace.json"))
    }

    @Test func sigtermRestoresTheTerminal() throws {
        let tx = try TX()
        let pty = try PseudoTerminal(Self.arguments, in: tx.directory)
        #expect(pty.read(until: { $0.contains("heatmap") }))
        pty.send("v")
        #expect(pty.read(until: { $0.contains("· lines") }))
        pty.process.terminate()   // SIGTERM
        #expect(pty.waitForExit())
        #expect(pty.process.terminationReason == .uncaughtSignal && pty.process.terminationStatus == SIGTERM)
        expectRestored(pty)
    }

    @Test func ctrlCQuitsWithStatus130() throws {
        let tx = try TX()
        let pty = try PseudoTerminal(Self.arguments, in: tx.directory)
        #expect(pty.read(until: { $0.contains("heatmap") }))
        pty.send("\u{03}")
        #expect(pty.waitForExit())
        #expect(pty.process.terminationStatus == 130)
        expectRestored(pty)
    }

    @Test func followsAResizeAndAppendsTheNextToken() throws {
        let tx = try TX()
        let pty = try PseudoTerminal(["explore", "--model", "translator", "--text", Self.text, "--target", "i am"],
                                     in: tx.directory)
        #expect(pty.read(until: { $0.contains("query 3/3:") }))
        #expect(!pty.text.contains("\u{1B}[25;1H"))   // an 80×24 screen has no row 25
        pty.resize(width: 120, height: 30)
        // Redrawn from a clear screen, with rows down to the 30th.
        #expect(pty.read(until: { $0.contains("\u{1B}[2J") && $0.contains("\u{1B}[30;1H") }))
        // n: the translator's next words after "<s> i am"; Enter appends the first and runs again.
        pty.send("n")
        #expect(pty.read(until: { $0.contains("next token after the text") && $0.contains("1.  a ") }))
        pty.send("\r")
        #expect(pty.read(until: { $0.contains("appended \"a\" (now 4 tokens)") && $0.contains("query 4/4:") }))
        pty.send("q")
        #expect(pty.waitForExit())
        #expect(pty.process.terminationStatus == 0)
        expectRestored(pty)
    }

    @Test func errorsBeforeTheScreenOpensAreOneLine() throws {
        let tx = try TX()
        // Not a terminal (the usual test runner's stdin).
        let piped = try tx.run(Self.arguments)
        #expect(piped.status != 0)
        #expect(piped.stderrLines.count == 1)
        #expect(piped.stderr.contains("tx explore is interactive: its standard input and output must be a terminal"))
        #expect(!piped.stdout.contains("\u{1B}"))
        // In a terminal: a bad model, a bad folder, a word the translator does not know.
        for (arguments, message) in [
            (["explore", "--model", "nosuch", "--text", "hi"], "unknown model 'nosuch'"),
            (["explore", "--model", "translator", "--text", Self.text, "--out-dir", "missing"], "--out-dir missing: no such folder"),
            (["explore", "--model", "translator", "--text", "飞机"], "knows only the Chinese and English words"),
            (["explore", "--model", "lm", "--text", "the teacher", "--target", "x"], "--target goes with"),
        ] {
            let pty = try PseudoTerminal(arguments, in: tx.directory)
            #expect(pty.waitForExit())
            #expect(pty.process.terminationStatus != 0)
            let lines = pty.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            #expect(lines.count == 1 && lines[0].contains(message), "\(arguments): \(pty.text)")
            #expect(!pty.text.contains(enterScreen))
        }
    }
}
