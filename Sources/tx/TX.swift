import ArgumentParser
import Figures
import Foundation
import TrainedModels
import Lessons
import Localization
import TensorCore
import Terminal

@main
struct TX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "TransformerExplorer: learn how Transformers work by building them and drawing what happens.",
        discussion: """
            Lessons run step by step in the terminal (Enter = next, b = back, q = quit) and write \
            their figures as PNG under Output/.

            Examples:
              tx list                     the lessons
              tx start                    the lesson menu (no terminal: run them all)
              tx lesson attention         step through lesson 3
              tx embed "king - man + woman"
              tx params --model gpt2-medium
              tx train translator         train a small Chinese → English translator
              tx models                   the real models: where, installed, intact
              tx attention --text "I love you" --out Output/love.png
              tx compare --text "我是一个学生" --target "I am a student" \\
                  --out Output/compare.png
              tx mlm --text "The cat sleeps in the warm garden" --seed 3 \\
                  --out Output/mlm.png
              tx shift --source "我是一个学生" --target "I am a student" \\
                  --out Output/shift.png
              tx generate --model lm --text "the teacher" --temperature 0.8 \\
                  --top-k 5 --seed 3
              tx explore --model translator --text "我是一个学生"
              tx analyze lens --model smollm2 \\
                  --text "The capital of France is"
            """,
        version: TransformerExplorerVersion.string,
        subcommands: [List.self, Start.self, LessonCommand.self, Attention.self, Explore.self, Compare.self, Shift.self,
                      Generate.self, MaskedLM.self, Params.self, Train.self, Embed.self, Models.self, Analyze.self],
        defaultSubcommand: List.self
    )

    /// Ctrl-C during a render or a save must leave no partial file: install the clean-up first.
    ///
    /// Errors are printed here rather than by ArgumentParser's `main` so that nothing from the
    /// command line or a file reaches the terminal raw: an unknown option "\u{1B}[2J" would
    /// otherwise clear the screen as it is echoed. Our own errors (`CLIError`) stay on one line;
    /// ArgumentParser's (which add a usage block) keep their line breaks, with every other
    /// control character shown as a visible escape.
    static func main() {
        InterruptCleanup.install()
        do {
            var command = try parseAsRoot(Array(CommandLine.arguments.dropFirst()))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            // --help and friends go to stdout, as ArgumentParser prints them, except that its
            // one-line USAGE (up to 200 columns for tx generate) is wrapped to the help's width.
            if code == .success {
                let help = fullMessage(for: error)
                if !help.isEmpty { print(wrapUsage(help, width: helpWidth())) }
                Foundation.exit(0)
            }
            let message = error is CLIError ? "Error: " + visibleText("\(error)")
                : visibleTextKeepingNewlines(fullMessage(for: error))
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code.rawValue)
        }
    }
}

/// Options every lesson-running command shares.
struct LessonOptions: ParsableArguments {
    @Option(help: "Seed for every random choice; the same seed gives the same numbers and figures.")
    var seed: UInt64 = 7

    @Option(name: .customLong("output-dir"), help: "Folder for figures; each lesson writes into its own subfolder.",
            completion: .directory)
    var outputDirectory: String = "Output"

    @Flag(help: "Print every step without waiting for Enter (automatic when stdin is not a terminal).")
    var noPause = false

    @Flag(help: "No ANSI colour (also when the NO_COLOR environment variable is set).")
    var noColor = false

    @Option(help: "A folder with your own trained weights (translator.safetensors, language-model.safetensors, tiny-bert.safetensors from tx train --out) to use instead of the shipped ones; missing files fall back to the shipped ones.",
            completion: .directory)
    var models: String?

    @Option(name: .customLong("lang"),
            help: "Language of the lessons, the menu and the figures' text: en or zh (default: TX_LANG, else zh when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese, else en).",
            completion: .list(Names.languages))
    var language: String?

    var style: TerminalStyle { TerminalStyle.detect(noColorFlag: noColor) }
    var interactive: Bool { !noPause && standardInputIsTerminal() }

    /// `--lang`, else `TX_LANG`, else the locale; an unknown name is a one-line error.
    func chosenLanguage() throws -> Language { try resolveLanguage(option: language) }

    func context() throws -> LessonContext {
        if let models {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: models, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("--models \(models): no such folder (give the folder tx train --out wrote into)")
            }
            // Read by TrainedModels; set once, before any lesson runs.
            setenv(TrainedModels.directoryVariable, models, 1)
        }
        return LessonContext(seed: seed, outputRoot: outputDirectory, style: style, language: try chosenLanguage())
    }
}

/// The language `--lang` (or `TX_LANG`, or the locale) asks for, as a CLI error when unknown.
func resolveLanguage(option: String?) throws -> Language {
    do {
        return try Language.resolve(option: option)
    } catch {
        throw CLIError("\(error)")
    }
}

/// An error the user can fix: printed as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// With TX_ASCII=1 everything tx prints has its ambiguous-width glyphs replaced by ASCII.
private let asciiOutput = TerminalStyle.detect().ascii

/// Results: standard output.
func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(fitToScreen(asciiOutput ? asciiFallback(text) : text).utf8))
}

/// Notes and progress: standard error, so that the results on standard output can be piped
/// or compared on their own.
func writeErr(_ text: String) {
    FileHandle.standardError.write(Data((asciiOutput ? asciiFallback(text) : text).utf8))
}

/// The width ArgumentParser lays help out in: COLUMNS, else the terminal's, else 80.
func helpWidth(environment: [String: String] = currentEnvironment()) -> Int {
    if let text = environment["COLUMNS"], let columns = Int(text), columns > 0 { return columns }
    return terminalColumns() ?? 80
}

/// Help text with its "USAGE: " line wrapped at `width`: it breaks only between whole
/// arguments ("[--seed <seed>]" stays in one piece) and goes on under the first argument.
func wrapUsage(_ help: String, width: Int) -> String {
    help.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        let prefix = "USAGE: "
        guard line.hasPrefix(prefix), displayWidth(String(line)) > width else { return String(line) }
        // The arguments: split at spaces outside brackets.
        var pieces: [String] = [], piece = "", depth = 0
        for character in line.dropFirst(prefix.count) {
            if character == "[" || character == "<" { depth += 1 }
            if character == "]" || character == ">" { depth -= 1 }
            if character == " " && depth == 0 {
                if !piece.isEmpty { pieces.append(piece) }
                piece = ""
            } else {
                piece.append(character)
            }
        }
        if !piece.isEmpty { pieces.append(piece) }
        // "tx <command> [<subcommand>]" stays on the first line with the first argument.
        let indent = String(repeating: " ", count: prefix.count + 3)
        var lines: [String] = [], current = prefix
        for piece in pieces {
            let candidate = current.hasSuffix(" ") ? current + piece : current + " " + piece
            if displayWidth(candidate) > width, current != prefix, current != indent {
                lines.append(current)
                current = indent + piece
            } else {
                current = candidate
            }
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }.joined(separator: "\n")
}

/// The width of the terminal, or COLUMNS when output goes elsewhere; with neither (a pipe
/// into a file) nil: lines are kept whole.
func outputWidth() -> Int? {
    let environment = currentEnvironment()
    guard isatty(STDOUT_FILENO) == 1 || environment["COLUMNS"] != nil else { return nil }
    return TerminalStyle.currentWidth(environment: environment)
}

/// One indented item of a list ("  source → expected / got ✓"), its continuation lines
/// indented further, so that it wraps at a space within the screen instead of running off it.
func listItem(_ text: String, indent: Int = 2) -> String {
    let item = String(repeating: " ", count: indent) + text
    guard let width = outputWidth(), displayWidth(item) > width else { return item }
    return String(repeating: " ", count: indent)
        + wrapHanging(text, width: width, indent: indent, continuation: indent + 4)
}

/// Sentences tx prints start at the left edge; one wider than the screen is wrapped at word
/// boundaries by display width. Indented lines (tables, grids, code) are left alone: they are
/// laid out to fit by whoever prints them. The pager's screens are already fitted.
func fitToScreen(_ text: String) -> String {
    guard let width = outputWidth() else { return text }
    guard text.split(separator: "\n", omittingEmptySubsequences: false).contains(where: { displayWidth(String($0)) > width }),
          !text.contains("\u{1B}[2J") else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
        let line = String(line)
        return displayWidth(line) > width && !line.hasPrefix(" ") && !line.hasPrefix("\r") ? wrap(line, width: width) : line
    }.joined(separator: "\n")
}
