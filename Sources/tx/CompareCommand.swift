import ArgumentParser
import Figures
import Lessons

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw encoder-only, decoder-only and encoder–decoder side by side for one input.",
        discussion: """
            Each architecture is a tiny randomly initialised model (2 layers, 4 heads). The figure \
            shows, per architecture, its block diagram, which position may see which (its masks), \
            and its attention maps. Encoder-only and decoder-only read --text; the encoder–decoder \
            reads --text as its source and "<s> --target" as its decoder input (--target defaults \
            to --text).

            Examples:
              tx compare --text "我是一个学生" --target "I am a student" --seed 7 --out Output/compare.png
              tx compare --text "The cat sat on the mat" --out Output/compare.pdf
            """
    )

    @Option(help: "The input sentence (the encoder–decoder's source).")
    var text: String

    @Option(help: "The encoder–decoder's target sentence; the decoder reads it shifted right after <s>.")
    var target: String?

    @Option(help: "Seed for the models' weights.")
    var seed: UInt64 = 7

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.")
    var out: String = "Output/compare.png"

    func run() throws {
        try checkDestination(out)
        let demo: ArchitectureDemo
        do {
            demo = try ArchitectureDemo(text: text, target: target, seed: seed)
        } catch {
            throw CLIError("\(error)")
        }
        do {
            try render(demo.comparison(), to: out)
        } catch {
            throw CLIError("\(error)")
        }
        writeOut("""
            Source (encoder):  \(demo.sourceTokens.joined(separator: " · "))
            Decoder input:     \(demo.decoderInputTokens.joined(separator: " · "))
            Parameters: encoder-only \(demo.parameterCounts[.encoder]!), decoder-only \(demo.parameterCounts[.decoder]!), \
            encoder–decoder \(demo.parameterCounts[.encoderDecoder]!)
            The models are untrained (seed \(seed)): the masks are exact, the attention patterns are noise.
            Wrote \(out)

            """)
    }
}

/// Fails early, before any work, when the output path cannot be written: unknown extension,
/// missing folder, or a folder that cannot be written.
func checkDestination(_ path: String) throws {
    do {
        try checkWritableDestination(path)
    } catch {
        throw CLIError("\(error)")
    }
}
