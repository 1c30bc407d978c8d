import ArgumentParser
import Figures
import Foundation
import TrainedModels
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
              tx explore --model translator --text "我是一个学生"   move through attention with the keys
              tx compare --text "我是一个学生" --target "I am a student" --out Output/compare.png
              tx mlm --text "The cat sleeps in the warm garden" --seed 3 --out Output/mlm.png
              tx params --model gpt2-medium
              tx shift --source "我是一个学生" --target "I am a student" --out Output/shift.png
              tx generate --model lm --text "the teacher" --temperature 0.8 --top-k 5 --seed 3
              tx train translator --seed 7              train a small Chinese → English translator
              tx embed "king - man + woman"             embedding arithmetic on a real model
              tx models                                 the real models: where, installed, intact
            """,
        subcommands: [List.self, Start.self, LessonCommand.self, Attention.self, Explore.self, Compare.self, Shift.self, Generate.self,
                      MaskedLM.self, Params.self, Train.self, Embed.self, Models.self],
        defaultSubcommand: List.self
    )

    /// Ctrl-C during a render or a save must leave no partial file: install the clean-up first.
    static func main() {
        InterruptCleanup.install()
        main(Array(CommandLine.arguments.dropFirst()))
    }
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

    @Option(help: "A folder with your own trained weights (translator.safetensors, language-model.safetensors, tiny-bert.safetensors from tx train --out) to use instead of the shipped ones; missing files fall back to the shipped ones.")
    var models: String?

    var style: TerminalStyle { TerminalStyle.detect(noColorFlag: noColor) }
    var interactive: Bool { !noPause && standardInputIsTerminal() }

    func context() throws -> LessonContext {
        if let models {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: models, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("--models \(models): no such folder (give the folder tx train --out wrote into)")
            }
            // Read by TrainedModels; set once, before any lesson runs.
            setenv(TrainedModels.directoryVariable, models, 1)
        }
        return LessonContext(seed: seed, outputRoot: outputDirectory, style: style)
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
