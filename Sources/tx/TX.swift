import ArgumentParser
import Foundation
import Lessons
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
              tx list                                   the lessons
              tx start                                  the lesson menu (no terminal: run them all)
              tx lesson attention                       step through lesson 3
              tx attention --text "I love you" --out Output/love.png
              tx compare --text "我是一个学生" --target "I am a student" --out Output/compare.png
              tx mlm --text "The cat sleeps in the warm garden" --seed 3 --out Output/mlm.png
              tx params --model gpt2-medium
              tx train translator --seed 7              train a small Chinese → English translator
            """,
        subcommands: [List.self, Start.self, LessonCommand.self, Attention.self, Compare.self, MaskedLM.self, Params.self, Train.self],
        defaultSubcommand: List.self
    )
}

/// Options every lesson-running command shares.
struct LessonOptions: ParsableArguments {
    @Option(help: "Seed for every random choice; the same seed gives the same numbers and figures.")
    var seed: UInt64 = 7

    @Option(name: .customLong("output-dir"), help: "Folder for figures; each lesson writes into its own subfolder.")
    var outputDirectory: String = "Output"

    @Flag(help: "Print every step without waiting for Enter (automatic when stdin is not a terminal).")
    var noPause = false

    @Flag(help: "No ANSI colour (also when the NO_COLOR environment variable is set).")
    var noColor = false

    var style: TerminalStyle { TerminalStyle.detect(noColorFlag: noColor) }
    var interactive: Bool { !noPause && standardInputIsTerminal() }

    func context() -> LessonContext {
        LessonContext(seed: seed, outputRoot: outputDirectory, style: style)
    }
}

/// An error the user can fix: printed as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func writeOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
