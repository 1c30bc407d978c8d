import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import Transformer

/// Lesson 2: positional encoding. Attention alone cannot tell "dog bites man" from
/// "man bites dog"; adding a position vector to each embedding fixes that.
struct PositionsLesson {
    let context: LessonContext

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("positions")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []

        // 1. Attention is blind to order: a permutation of the input permutes the output.
        let dimension = 8
        let first = ["dog", "bites", "man"], second = ["man", "bites", "dog"]
        let embedding = ToyEmbedding(dimension: dimension, seed: context.seed)
        var generator = SeededGenerator(seed: context.seed)
        let head = AttentionHead(modelDimension: dimension, keyDimension: 4, valueDimension: 4, using: &generator)
        let plainFirst = try head(embedding.embed(first)).output
        let plainSecond = try head(embedding.embed(second)).output
        let dogGap = maxDifference(plainFirst.row(0), plainSecond.row(2))
        steps.append(PagerStep(title: localized("Attention cannot see word order"), body: prose("""
            "dog bites man" and "man bites dog" use the same three words and mean opposite things. \
            Run both through one attention head (lesson 3 takes it apart stage by stage; here it is \
            enough that it compares every word with every other and adds up the results) and \
            compare the output vector for "dog":
            """) + "\n\n" + rowLine("dog bites man → z(dog)", plainFirst.row(0)) + "\n"
            + rowLine("man bites dog → z(dog)", plainSecond.row(2)) + "\n\n" + prose("""
            They are identical (largest difference \(formatNumber(dogGap, decimals: 6))). Attention \
            compares every word with every other word and adds up the results; a sum does not care \
            about order. Shuffle the input rows and the output rows shuffle the same way, nothing \
            else changes. The model must be told where each word stands.
            """)))

        // 2. The formula and a few values.
        let length = 50, width = 64
        let encoding = sinusoidalPositionalEncoding(length: length, dimension: width)
        let corner = try Tensor(shape: [6, 6], scalars: (0..<6).flatMap { pos in (0..<6).map { encoding[pos, $0] } })
        steps.append(PagerStep(title: localized("Sinusoidal positional encoding"), body: prose("""
            The original Transformer adds to each embedding a vector that depends only on the \
            position pos, built from sine and cosine waves of different wavelengths:

                PE(pos, 2i)   = sin( pos / 10000^(2i/d) )
                PE(pos, 2i+1) = cos( pos / 10000^(2i/d) )

            Dimension pair i oscillates with angular frequency ω_i = 1 / 10000^(2i/d): the first pair \
            turns fast (a full cycle every 2π ≈ 6.3 positions), the last pair so slowly that it barely \
            moves over thousands of positions. Together the pairs work like the hands of a clock, or \
            the digits of a binary counter: every position gets its own pattern.

            The first 6 positions and dimensions for d = \(width):
            """) + "\n\n" + narrator.matrix(corner, rows: (0..<6).map { localized("pos \($0)") },
                                             columns: (0..<6).map { localized("dim \($0)") }, decimals: 3)))

        // 3. The heatmap and the waves.
        // Columns reordered for the picture: the 32 sine dimensions, then the 32 cosine ones, so
        // each half runs smoothly from fast waves (left) to slow ones (right).
        let order = stride(from: 0, to: width, by: 2).map { $0 } + stride(from: 1, to: width, by: 2).map { $0 }
        let reordered = encoding.rows.map { row in order.map { row[$0] } }
        let heatmapPath = try figures.write(Heatmap(
            values: reordered, rowLabels: (0..<length).map { $0 % 5 == 0 ? "\($0)" : "" },
            columnLabels: order.enumerated().map { index, dim in index % 8 == 0 ? "\(dim)" : "" },
            title: localized("Sinusoidal positional encoding (\(length) positions × \(width) dimensions)"),
            subtitle: localized("columns: the 32 sine dimensions (0, 2, 4, …), then the 32 cosine ones (1, 3, 5, …) · fast waves left, slow right"),
            colorMap: .diverging, valueRange: -1...1, showValues: false, colorBarLabel: localized("PE value"),
            xAxisTitle: localized("dimension"), yAxisTitle: localized("position"), cellSize: 12), as: "01-sinusoidal-heatmap.png")
        // The waves drawn continuously from the formula; the encoding takes their values at whole positions.
        let waves: [(dimension: Int, color: UInt32, dashed: Bool)] = [
            (4, 0xB2182B, false), (5, 0xB2182B, true), (10, 0x2166AC, false), (20, 0x1B7837, false),
        ]
        let wavesPath = try figures.write(LineChart(
            title: localized("Each dimension is a wave over positions"),
            xLabel: localized("position"), yLabel: localized("PE(pos, dimension)"),
            series: waves.map { wave in
                let omega = Double(frequency(wave.dimension, width))
                let name = localized("dim \(wave.dimension): \(wave.dimension % 2 == 0 ? "sin" : "cos")(\(formatNumber(Float(omega), decimals: 3))·pos)")
                return LineChart.Series(name: name, points: stride(from: 0.0, through: 60.0, by: 0.25).map { x in
                    (x: x, y: wave.dimension % 2 == 0 ? sin(omega * x) : cos(omega * x))
                }, color: RGB(hex: wave.color), dashed: wave.dashed, showMarkers: false)
            }, yRange: -1.1...1.1,
            subtitle: localized("dims 4 and 5 are a sin/cos pair with one frequency; higher dimensions turn more slowly")),
            as: "02-waves.png")
        let slice = try Tensor(shape: [12, 16], scalars: (0..<12).flatMap { pos in (0..<16).map { encoding[pos, $0] } })
        steps.append(PagerStep(title: localized("Seeing the waves"), body: prose("""
            As a picture: each row is a position, each column a dimension, \
            \(context.style.useColor ? localized("red positive, blue negative") : localized("fuller blocks for larger values, + and − for the sign")). \
            The left columns flicker from row to row, the right ones change slowly. Here are \
            positions 0–11 and dimensions 0–15:
            """) + "\n\n" + narrator.heat(slice, rows: (0..<12).map { localized("pos \($0)") }, columns: (0..<16).map { "\($0)" },
                                          colors: TerminalColors.diverging, decimals: 1, range: -1...1, showValues: false)
            + "\n\n" + figureLine(heatmapPath) + "\n" + figureLine(wavesPath)))

        // 4. Relative positions are rotations.
        let pair = 2   // dimensions 4 and 5
        let omega = frequency(2 * pair, width)
        let shift = 3
        let rotationRows: [String] = [5, 17, 30].map { pos in
            let (s, c) = (encoding[pos, 2 * pair], encoding[pos, 2 * pair + 1])
            let angle = Float(shift) * omega
            let rotated = (s * cos(angle) + c * sin(angle), c * cos(angle) - s * sin(angle))
            let actual = (encoding[pos + shift, 2 * pair], encoding[pos + shift, 2 * pair + 1])
            return "    pos \(pad(String(pos), to: 2, alignRight: true)):  R(\(shift))·PE = (\(formatNumber(rotated.0, decimals: 4)), \(formatNumber(rotated.1, decimals: 4)))"
                + "   PE(pos+\(shift)) = (\(formatNumber(actual.0, decimals: 4)), \(formatNumber(actual.1, decimals: 4)))"
        }
        let similarity = try encoding.matmul(encoding.transposed())
        let similarityPath = try figures.write(Heatmap(
            values: similarity.rows, rowLabels: (0..<length).map { $0 % 5 == 0 ? "\($0)" : "" },
            columnLabels: (0..<length).map { $0 % 5 == 0 ? "\($0)" : "" },
            title: localized("PE(p) · PE(q): similarity depends on the distance |p − q|"),
            subtitle: localized("bright along the diagonal, the same pattern on every diagonal"),
            colorMap: .viridis, showValues: false, colorBarLabel: localized("dot product"),
            xAxisTitle: localized("position q"), yAxisTitle: localized("position p"), cellSize: 12), as: "03-position-similarity.png")
        steps.append(PagerStep(title: localized("Why sines and cosines: offsets are rotations"), body: prose("""
            Take one pair of dimensions (2i, 2i+1) = (sin(pos·ω), cos(pos·ω)). Moving k positions \
            ahead adds k·ω to the angle, which is a rotation by a fixed matrix R(k) that does not \
            depend on pos. So "three words later" looks the same everywhere in the sentence, and a \
            layer can learn relative positions with a linear map. For dimensions 4 and 5 \
            (ω = \(formatNumber(omega, decimals: 4))), rotating PE(pos) by R(\(shift)) gives PE(pos+\(shift)):
            """) + "\n\n" + rotationRows.joined(separator: "\n") + "\n\n" + prose("""
            A consequence: the dot product PE(p)·PE(q) depends only on the distance p − q, as the \
            similarity figure shows.
            """) + "\n\n" + figureLine(similarityPath)))

        // 5. Adding positions fixes the order problem.
        let withFirst = try head(embedding.embed(first) + sinusoidalPositionalEncoding(length: 3, dimension: dimension)).output
        let withSecond = try head(embedding.embed(second) + sinusoidalPositionalEncoding(length: 3, dimension: dimension)).output
        let newGap = maxDifference(withFirst.row(0), withSecond.row(2))
        steps.append(PagerStep(title: localized("Adding positions to the embeddings"), body: prose("""
            The encoding has the same width as the embeddings, so it is simply added: X + PE. \
            The same word now enters with a different vector at a different position. Run the two \
            sentences again:
            """) + "\n\n" + rowLine("dog bites man → z(dog)", withFirst.row(0)) + "\n"
            + rowLine("man bites dog → z(dog)", withSecond.row(2)) + "\n\n" + prose("""
            Now they differ (largest difference \(formatNumber(newGap, decimals: 3))): the dog that bites \
            and the dog that is bitten are no longer the same to the model.
            """)))

        // 6. Learned positions.
        var learnedGenerator = SeededGenerator(seed: context.seed)
        let learned = LearnedPositionalEncoding(maxLength: 8, dimension: 4, using: &learnedGenerator)
        var overflow = ""
        do {
            _ = try learned.encoding(length: 9)
        } catch {
            overflow = "\(error)"
        }
        steps.append(PagerStep(title: localized("Learned positions: the alternative"), body: prose("""
            BERT and GPT do not use the sine formula. They keep a second embedding table with one \
            row per position (BERT 512 rows, GPT-2 1024) and learn it in training like any other \
            weight. It can fit whatever the data wants, but it knows only the positions it was \
            trained on: ask a table of 8 positions for a ninth and you get

                \(narrator.hanging(overflow, continuation: 4))

            The sinusoidal formula gives a vector for any position, which is why the original paper \
            chose it. Newer models (Llama, SmolLM) use rotary embeddings (RoPE), which apply the same \
            rotation idea directly to queries and keys; lesson 14 rotates a real query of SmolLM2.

            Summary: attention is blind to order; add a position vector to each embedding; sines and \
            cosines make offsets into rotations; learned tables are the other common choice.
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    private func frequency(_ dimension: Int, _ width: Int) -> Float {
        1 / pow(10000, Float(dimension - dimension % 2) / Float(width))
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    private func rowLine(_ label: String, _ values: [Float]) -> String {
        "    " + pad(label, to: 24) + "[" + values.map { pad(formatNumber($0, decimals: 3), to: 8, alignRight: true) }.joined() + " ]"
    }
}
