import ArgumentParser
import Figures
import Lessons
import TensorCore
import Terminal

struct Attention: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the attention weights of one attention head over your sentence.",
        discussion: """
            The sentence is split into words (Chinese: one character each), each word gets a toy \
            embedding, and a randomly initialised head (W_Q, W_K, W_V drawn from --seed) computes \
            softmax(QKᵀ/√d_k). The weights are printed as a coloured grid and drawn to --out \
            (.png, .svg or .pdf). The head is untrained, so the pattern is not meaningful yet; \
            trained models come in a later version.

            Examples:
              tx attention --text "The animal didn't cross the street because it was too tired" --seed 7 --out Output/attention.png
              tx attention --text "我是一个学生" --causal --out Output/causal.svg
            """
    )

    @Option(help: "The sentence to attend over.")
    var text: String

    @Option(help: "Seed for the embeddings and the head's weights.")
    var seed: UInt64 = 7

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.")
    var out: String = "Output/attention.png"

    @Flag(help: "Apply the causal (look-ahead) mask: each word sees only itself and earlier words.")
    var causal = false

    @Option(name: .customLong("d-model"), help: "Embedding size d_model.")
    var modelDimension: Int = 8

    @Option(name: .customLong("d-k"), help: "Query/key size d_k.")
    var keyDimension: Int = 4

    @Flag(help: "No ANSI colour.")
    var noColor = false

    func run() throws {
        let style = TerminalStyle.detect(noColorFlag: noColor)
        // Check the destination before computing anything, so a bad path fails fast and cleanly.
        do {
            _ = try FigureFormat(path: out)
        } catch {
            throw CLIError("\(error)")
        }
        let demo: AttentionDemo
        do {
            demo = try AttentionDemo(text: text, seed: seed,
                                     options: .init(modelDimension: modelDimension, keyDimension: keyDimension, causal: causal))
        } catch {
            throw CLIError("\(error)")
        }
        let tokens = demo.tokens
        let kind = causal ? "causal self-attention, as in a decoder" : "self-attention, as in an encoder"
        let heatmap = Heatmap(values: demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens,
                              title: "Attention weights of one head · \(kind)",
                              subtitle: "randomly initialised, seed \(seed), d_model \(modelDimension), d_k \(keyDimension): untrained, so no meaning yet",
                              colorMap: .viridis, valueRange: 0...1, showValues: tokens.count <= 16,
                              colorBarLabel: "weight", xAxisTitle: "key (the word being looked at)",
                              yAxisTitle: "query (the word looking)")
        do {
            try render(heatmap, to: out)
        } catch {
            throw CLIError("\(error)")
        }
        let grid = TerminalHeatmap(style: style, showValues: true, decimals: 2,
                                   color: { ColorMap.viridis.color(at: $0).bytes })
            .format(demo.stages.weights.rows, rowLabels: tokens, columnLabels: tokens, range: 0...1)
        writeOut("""
            Tokens (\(tokens.count)): \(tokens.joined(separator: " · "))
            Attention weights of a randomly initialised head (\(kind)); each row sums to 1:

            \(grid)

            Note: this head is untrained (seed \(seed)); its pattern shows the mechanics, not meaning. \
            Trained models come in a later version of TransformerExplorer.
            Wrote \(out)

            """)
    }
}
