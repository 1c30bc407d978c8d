import ArgumentParser
import Foundation
import Figures
import Lessons
import Terminal

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw encoder-only, decoder-only and encoder–decoder side by side for one input.",
        discussion: """
            The figure shows, per architecture, its block diagram, which position may see which \
            (its masks), and its attention maps: a tall page to read or print. Lesson 8 shows the \
            same three rows as three figures, each fitting a 16:9 slide.

            --weights trained (the default when the models know every word): the three small models \
            trained on the project's Chinese–English corpus and shipped with the package. --text is \
            a Chinese sentence, --target its English translation (default: the translator's own). \
            The translator reads --text and writes --target; the language model reads \
            "<s> --target"; the tiny BERT reads "[CLS] --text [SEP] --target [SEP]".

            --weights random (the default for any other text): tiny randomly initialised models \
            (2 layers, 4 heads, --seed). Encoder-only and decoder-only read --text; the \
            encoder–decoder reads --text as its source and "<s> --target" as its decoder input \
            (--target defaults to --text). The masks are exact; the patterns are noise.

            Examples:
              tx compare --text "我昨天在花园里看到了一只猫" --out Output/compare.png
              tx compare --text "我是一个学生" --target "I am a student" \\
                  --weights random --seed 3
              tx compare --text "The cat sat on the mat" --out Output/compare.pdf
            """
    )

    @Option(help: "The input sentence (the encoder–decoder's source).")
    var text: String

    @Option(help: "The encoder–decoder's target sentence; the decoder reads it shifted right after <s>.")
    var target: String?

    @Option(help: "Seed for the weights with --weights random.")
    var seed: UInt64 = 7

    @Option(help: "trained (the shipped models; Chinese --text) or random (any text). Default: trained when the trained models know every word.")
    var weights: ArchitectureDemo.Weights?

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.", completion: .figure)
    var out: String = "Output/compare.png"

    func run() throws {
        // The user's text is printed and drawn: its control characters become visible escapes first.
        // The arguments (checked as the demo is made) come before the output folder.
        let demo = try makeArchitectureDemo(text: shown(text), target: target.map(shown), seed: seed, weights: weights)
        try checkDestination(out, default: "Output/compare.png")
        do {
            try render(demo.comparison(), to: out)
        } catch {
            throw CLIError("\(error)")
        }
        let width = TerminalStyle.currentWidth()
        writeOut("""
            Source (encoder):  \(wrapHanging(demo.sourceTokens.joined(separator: " · "), width: width, indent: 19, continuation: 19))
            Decoder input:     \(wrapHanging(demo.decoderInputTokens.joined(separator: " · "), width: width, indent: 19, continuation: 19))
            Parameters: encoder-only \(demo.parameterCounts[.encoder]!), decoder-only \(demo.parameterCounts[.decoder]!), \
            encoder–decoder \(demo.parameterCounts[.encoderDecoder]!)
            \(demo.weights == .trained ? "The models are the trained ones shipped with the package (tx train)." : "The models are untrained (seed \(seed)): the masks are exact, the attention patterns are noise.")
            Wrote \(out)

            """)
        if let note = untrainedFallbackNote(text: shown(text), target: target.map(shown), weights: weights) {
            writeErr(note)
        }
    }
}

/// Why `makeArchitectureDemo` fell back to untrained models, or nil when it did not.
func untrainedFallbackNote(text: String, target: String?, weights: ArchitectureDemo.Weights?) -> String? {
    guard weights == nil, !ArchitectureDemo.trainedModelsCover(text: text, target: target) else { return nil }
    return "Note: the trained models do not know every word of this text, so tiny untrained models are used "
        + "(--weights random). Try a sentence like 我昨天在花园里看到了一只猫 for the trained ones.\n"
}

/// The folder of every command's default output path.
let defaultOutputFolder = "Output"

/// Creates Output/ when it is missing (for a default output path only).
func createDefaultOutputFolder() throws {
    guard !FileManager.default.fileExists(atPath: defaultOutputFolder) else { return }
    do {
        try FileManager.default.createDirectory(atPath: defaultOutputFolder, withIntermediateDirectories: false)
    } catch {
        throw CLIError("cannot create the folder \(defaultOutputFolder): \(error.localizedDescription)")
    }
}

/// Fails early, before any work, when the output path cannot be written: unknown extension,
/// missing folder, or a folder that cannot be written. When `path` is the command's default
/// (`defaultPath`, in Output/), a missing Output/ is created first: a fresh checkout or folder
/// has none. A folder the user named must exist, so that a typo creates nothing.
func checkDestination(_ path: String, default defaultPath: String? = nil) throws {
    if path == defaultPath { try createDefaultOutputFolder() }
    do {
        try checkWritableDestination(path)
    } catch {
        throw CLIError("\(error)")
    }
}

extension ArchitectureDemo.Weights: ExpressibleByArgument {}

/// The three architectures on one input: the trained models when asked for, or by default when
/// they know every token; otherwise tiny random ones (`untrainedFallbackNote` says why; callers
/// print it only once their work has succeeded, so a failing command prints one line).
/// `recordQueriesKeys` puts every head's queries and keys in the traces (`--with-qk`).
func makeArchitectureDemo(text: String, target: String?, seed: UInt64, weights: ArchitectureDemo.Weights?,
                          recordQueriesKeys: Bool = false) throws -> ArchitectureDemo {
    let covered = ArchitectureDemo.trainedModelsCover(text: text, target: target)
    if weights == .trained, !covered {
        throw CLIError("--weights trained: the trained models know only the Chinese and English words of the "
                       + "project's corpus (e.g. --text \"我昨天在花园里看到了一只猫\"); use --weights random for any text")
    }
    do {
        return (weights ?? (covered ? .trained : .random)) == .trained
            ? try ArchitectureDemo(trainedOn: text, target: target, recordQueriesKeys: recordQueriesKeys)
            : try ArchitectureDemo(text: text, target: target, seed: seed, recordQueriesKeys: recordQueriesKeys)
    } catch {
        throw CLIError("\(error)")
    }
}
