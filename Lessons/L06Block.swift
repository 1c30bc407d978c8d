import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import Transformer
import Tokenizers

/// Lesson 6: the Transformer block: feed-forward, residual connections, layer norm; the encoder
/// and decoder layers; pre-norm against post-norm; parameter counts.
struct BlockLesson {
    let context: LessonContext

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("block")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let d = 16
        let tokens = WordTokenizer().tokenize(AttentionLesson.sentence)
        let x = try ToyEmbedding(dimension: d, seed: context.seed).embed(tokens)
            + sinusoidalPositionalEncoding(length: tokens.count, dimension: d)

        let diagramPath = try figures.write(BlockDiagram(kind: .encoderDecoder, layers: 6,
                                                         title: localized("The original Transformer: 6 encoder and 6 decoder layers")),
                                            as: "01-encoder-decoder-blocks.png")
        steps.append(PagerStep(title: localized("Attention is one half of a block"), body: prose("""
            Attention mixes information between tokens. A Transformer layer (a "block") adds a \
            second half that works on each token on its own, and wraps both halves the same way:

                encoder layer:  x → self-attention → add & norm → feed-forward → add & norm
                decoder layer:  x → masked self-attention → add & norm
                                  → cross-attention (to the encoder) → add & norm
                                  → feed-forward → add & norm

            The original Transformer stacks 6 of each (the "N×" in the paper's figure). This lesson \
            builds each piece and runs it on the lesson-3 sentence with d_model = \(d).
            """) + "\n\n" + figureLine(diagramPath)))

        // Feed-forward.
        let xs = (0...120).map { -3.0 + Double($0) * 0.05 }
        let curve = { (activation: Activation) in
            xs.map { v in (x: v, y: Double(activation(Tensor([Float(v)])).scalars[0])) }
        }
        let activationsPath = try figures.write(LineChart(
            title: localized("The feed-forward layer's non-linearity: ReLU and GELU"),
            xLabel: "x", yLabel: localized("activation(x)"),
            series: [
                .init(name: localized("ReLU: max(0, x) (original Transformer)"), points: curve(.relu), color: RGB(hex: 0x2166AC), showMarkers: false),
                .init(name: localized("GELU: x·Φ(x) (BERT, GPT)"), points: curve(.gelu), color: RGB(hex: 0xB2182B), showMarkers: false),
            ], subtitle: localized("GELU is a smooth ReLU: small negative inputs are let through a little")), as: "02-activations.png")
        let samples: [Float] = [-2, -1, -0.5, 0, 0.5, 1, 2]
        let table = try Tensor([samples.map { Activation.relu(Tensor([$0])).scalars[0] },
                                samples.map { Activation.gelu(Tensor([$0])).scalars[0] }])
        var generator = SeededGenerator(seed: context.seed)
        let feedForward = FeedForward(modelDimension: d, hiddenDimension: 4 * d, activation: .gelu, using: &generator)
        steps.append(PagerStep(title: localized("Feed-forward: the same small network at every position"), body: prose("""
            FFN(x) = W₂ · activation(W₁ x + b₁) + b₂. It widens each token's vector to d_ff (usually \
            4 × d_model: 512 → 2048 in the original paper, here \(d) → \(4 * d)), applies a \
            non-linearity, and narrows it back. It is applied to every position separately with the \
            same weights: attention moves information between tokens, the feed-forward layer \
            transforms what each token now holds. Within one layer it is the biggest part; the last \
            step counts how big, per layer and over the whole model.
            """) + "\n\n" + narrator.matrix(table, rows: ["ReLU", "GELU"], columns: samples.map { "x=\(formatNumber($0, decimals: 1))" })
            + "\n\n" + prose("This feed-forward layer has \(feedForward.parameterCount) parameters: \(d)·\(4 * d) + \(4 * d) + \(4 * d)·\(d) + \(d).")
            + "\n\n" + figureLine(activationsPath)))

        // Residual.
        let attention = try MultiHeadAttention(modelDimension: d, heads: 4, using: &generator)
        let update = try attention(x).output
        let sum = try x + update
        func norm(_ row: [Float]) -> Float { row.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let focus = tokens.firstIndex(of: "it") ?? 0
        steps.append(PagerStep(title: localized("Residual connections: add, don't replace"), body: prose("""
            Each sublayer's output is added to its input: y = x + Sublayer(x). The sublayer only has \
            to learn a correction, and the input always gets through unchanged, in the forward pass \
            and, just as important, for the gradients in the backward pass. That is what lets \
            Transformers be 12, 96 or more layers deep. For the word "it":

                |x(it)|                     = \(formatNumber(norm(x.row(focus))))
                |attention(x)(it)|          = \(formatNumber(norm(update.row(focus))))
                |x(it) + attention(x)(it)|  = \(formatNumber(norm(sum.row(focus))))

            Because every sublayer adds into the same stream of vectors, this stream is often called \
            the residual stream.
            """)))

        // Layer norm.
        let layerNorm = LayerNorm(size: d)
        let normalised = try layerNorm(sum)
        func stats(_ row: [Float]) -> String {
            let mean = row.reduce(0, +) / Float(row.count)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(row.count)
            return localized("mean \(formatNumber(mean, decimals: 3)), standard deviation \(formatNumber(variance.squareRoot(), decimals: 3))")
        }
        steps.append(PagerStep(title: localized("Layer norm: keep every vector at a steady scale"), body: prose("""
            Adding layer after layer makes vectors drift in size. Layer norm rescales each token's \
            vector on its own: subtract its mean, divide by its standard deviation, then multiply by \
            a learned γ and add a learned β (one per dimension; they start at 1 and 0):

                LN(x) = γ · (x − mean(x)) / √(var(x) + ε) + β

            The vector of "it" after the residual: \(stats(sum.row(focus)))
            after layer norm:                     \(stats(normalised.row(focus)))
            """)))

        // Pre vs post.
        var postGenerator = SeededGenerator(seed: context.seed &+ 1)
        let post = try EncoderLayer(modelDimension: d, heads: 4, feedForwardDimension: 4 * d, normPlacement: .post, using: &postGenerator)
        let pre = EncoderLayer(attention: post.attention, attentionNorm: post.attentionNorm, feedForward: post.feedForward,
                               feedForwardNorm: post.feedForwardNorm, normPlacement: .pre)
        let postOut = try post(x).output, preOut = try pre(x).output
        let difference = zip(postOut.scalars, preOut.scalars).map { abs($0 - $1) }.max() ?? 0
        steps.append(PagerStep(title: localized("Where the norm goes: post-norm and pre-norm"), body: prose("""
            The original Transformer and BERT normalise after adding (post-norm); GPT-2 and most \
            large models since normalise the sublayer's input instead (pre-norm), and add one final \
            norm after the last layer:

                post-norm:  x = LN(x + Sublayer(x))
                pre-norm:   x = x + Sublayer(LN(x))

            Pre-norm leaves the residual stream untouched from bottom to top, which makes very deep \
            stacks train more stably. The same weights in both arrangements give different outputs \
            (largest difference here \(formatNumber(difference, decimals: 3))); a model is trained for one of them. \
            The output vector of "it", post-norm then pre-norm:
            """) + "\n\n" + narrator.matrix(try Tensor([postOut.row(focus), preOut.row(focus)]), rows: [localized("post"), localized("pre")],
                                             columns: (1...d).map { "\($0)" }, decimals: 2)))

        // Parameter counts of the original Transformer base.
        var bigGenerator = SeededGenerator(seed: 0)
        let base = (d: 512, heads: 8, ff: 2048)
        let encoderLayer = try EncoderLayer(modelDimension: base.d, heads: base.heads, feedForwardDimension: base.ff,
                                            activation: .relu, normPlacement: .post, using: &bigGenerator)
        let decoderLayer = try DecoderLayer(modelDimension: base.d, heads: base.heads, feedForwardDimension: base.ff,
                                            activation: .relu, normPlacement: .post, using: &bigGenerator)
        let attentionCount = encoderLayer.attention.parameterCount
        let ffnCount = encoderLayer.feedForward.parameterCount
        let normCount = encoderLayer.attentionNorm.parameterCount
        let vocabulary = 37_000
        let g = narrator.grouped
        let total = 6 * encoderLayer.parameterCount + 6 * decoderLayer.parameterCount + vocabulary * base.d
        steps.append(PagerStep(title: localized("Counting the parameters of a block"), body: prose("""
            The original Transformer "base" has d_model = 512, 8 heads, d_ff = 2048. Built with those \
            sizes, our layers hold (counted from their actual weight tensors):

                multi-head attention  4 · (512·512 + 512)                 = \(g(attentionCount))
                feed-forward          512·2048 + 2048 + 2048·512 + 512    = \(g(ffnCount))
                layer norm            2 · 512 (γ and β)                   = \(g(normCount))

                encoder layer   attention + feed-forward + 2 norms        = \(g(encoderLayer.parameterCount))
                decoder layer   2 attentions + feed-forward + 3 norms     = \(g(decoderLayer.parameterCount))

            Six of each plus one shared 37,000-token embedding table (also used as the output layer): \
            \(g(total)) parameters, about \(total / 1_000_000) million. The paper reports 65 million; the small gap \
            is down to details such as its exact vocabulary.

            Where do they sit? The feed-forward layer is \(Self.percent(ffnCount, of: encoderLayer.parameterCount)) of \
            an encoder layer and \(Self.percent(ffnCount, of: decoderLayer.parameterCount)) of a decoder layer (which \
            has a second attention), but over the whole model, with the embedding table, the 12 \
            feed-forward layers hold \(Self.percent(12 * ffnCount, of: total)) of the parameters: the biggest \
            single part of each layer, not most of the Transformer. Lesson 10 does the same sum for GPT-1, \
            GPT-2, GPT-3 and BERT.

            Summary: a block is attention (tokens talk) + feed-forward (each token thinks), each with \
            a residual connection and a layer norm; encoders have one attention per block, decoders \
            two (the second one looks at the encoder).
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        formatNumber(Float(Double(part) / Double(max(1, whole)) * 100), decimals: 0) + "%"
    }
}
