import ArgumentParser
import Figures
import Lessons
import Terminal
import Transformer
import Catalog

struct MaskedLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlm",
        abstract: "Corrupt a sentence as BERT's masked-LM pre-training does, and draw it.",
        discussion: """
            The sentence is split into WordPiece tokens (a teaching vocabulary built from the \
            project's corpus), wrapped in [CLS] … [SEP], and 15% of the word pieces are chosen: 80% \
            of those become [MASK], 10% a random token, 10% stay. The table shows what the model \
            reads and what it must predict; --out draws the corruption strip.

            Examples:
              tx mlm --text "The cat sleeps in the warm garden when she is tired" \\
                  --seed 3 --out Output/mlm.png
              tx mlm --text "我每天早上坐公交车去学校。" --seed 1 --out Output/mlm-zh.png
            """
    )

    @Option(help: "The sentence to corrupt.")
    var text: String

    @Option(help: "Seed for which positions are chosen and how they are replaced.")
    var seed: UInt64 = 7

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.", completion: .figure)
    var out: String = "Output/mlm.png"

    @Flag(help: "No ANSI colour.")
    var noColor = false

    func run() throws {
        let style = TerminalStyle.detect(noColorFlag: noColor)
        let demo: BertDataDemo
        let corruption: BertDataDemo.Corruption
        do {
            demo = try BertDataDemo(extraText: text)
            corruption = try demo.corrupt(text, seed: seed)
        } catch {
            throw CLIError("\(error)")
        }
        try checkDestination(out, default: "Output/mlm.png")   // after the text's checks
        do {
            try render(demo.strip(corruption, title: "Masked LM: what the model sees, and what it must predict",
                                  subtitle: "\(corruption.example.candidateCount) candidate positions, \(corruption.example.maskedPositions.count) chosen · seed \(seed)"),
                       to: out)
        } catch {
            throw CLIError("\(error)")
        }
        var lines = [style.bold("  pos  original     input        what     label")]
        for index in corruption.originalTokens.indices {
            let what: String
            switch corruption.choices[index] {
            case .mask?: what = "[MASK]"
            case .random?: what = "random"
            case .kept?: what = "kept"
            case nil: what = ""
            }
            lines.append("  " + pad(String(index), to: 3, alignRight: true) + "  " + pad(corruption.originalTokens[index], to: 12)
                         + " " + pad(corruption.inputTokens[index], to: 12) + " " + pad(what, to: 8) + " "
                         + (corruption.labels[index] ?? style.dim("·")))
        }
        writeOut("""
            Model input: \(corruption.inputTokens.joined(separator: " "))

            \(lines.joined(separator: "\n"))

            \(corruption.example.maskedPositions.count) of \(corruption.example.candidateCount) candidate positions chosen: \
            BERT's rule, round(0.15 × \(corruption.originalTokens.count) tokens, [CLS] and [SEP] counted), at most \
            \(BertDataDemo.maxPredictionsPerSequence); [CLS] and [SEP] are never chosen.
            Wrote \(out)

            """)
    }
}

struct Params: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parameter counts of GPT-1/2/3, BERT and the original Transformer, from their weight shapes.",
        discussion: """
            Without --model: every model's configuration, the count computed by summing its weight \
            tensors, and the published figure. With --model: that model's tensors one by one.

            Examples:
              tx params
              tx params --model gpt2-medium
            """
    )

    @Option(help: "One model's tensors: one of the names in the first column of 'tx params'.",
            completion: .list(Names.publishedModels))
    var model: String?

    @Flag(help: "No ANSI colour.")
    var noColor = false

    func run() throws {
        let style = TerminalStyle.detect(noColorFlag: noColor)
        guard let name = model else {
            writeOut(ModelSizes.table(PublishedModel.catalog, style: style) + "\n\n"
                     + wrap("L layers · d d_model · h heads · ctx context · paper = published count · ratio = computed / paper",
                            width: style.width) + "\n")
            return
        }
        guard let found = PublishedModel.named(name.lowercased()) else {
            let names = PublishedModel.catalog.map(\.name).joined(separator: ", ")
            throw CLIError("unknown model '\(name)'; known: \(names)")
        }
        var lines = [wrap("\(style.bold(found.displayName)) (\(found.year)): \(found.source)", width: style.width), ""]
        var groups: [(String, Int, [Int], Int)] = []   // name pattern, count of tensors, shape, total
        for (tensorName, shape) in weightShapes(of: found) {
            // Fold "layers.N." so each kind of tensor is listed once, with how many layers repeat it.
            let key = tensorName.replacingOccurrences(of: #"layers\.\d+\."#, with: "layers.*.", options: .regularExpression)
            let size = shape.reduce(1, *)
            if let index = groups.firstIndex(where: { $0.0 == key }) {
                groups[index].1 += 1
                groups[index].3 += size
            } else {
                groups.append((key, 1, shape, size))
            }
        }
        let width = groups.map { displayWidth($0.0) }.max() ?? 0
        for (key, repeats, shape, total) in groups {
            let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
            lines.append(pad(key, to: width) + "  " + pad(shapeText, to: 14) + pad(repeats > 1 ? "× \(repeats)" : "", to: 6)
                         + pad(ModelSizes.short(total), to: 9, alignRight: true))
        }
        let breakdown = ModelSizes.breakdown(found)
        lines.append("")
        lines.append("total: \(found.computedParameters) (\(ModelSizes.short(found.computedParameters))); published: \(found.publishedLabel)")
        lines.append(wrap(zip(ModelSizes.Breakdown.categories, breakdown.shares)
            .map { "\($0) \(formatNumber(Float($1 * 100), decimals: 1))%" }.joined(separator: " · "), width: style.width))
        if !found.notes.isEmpty { lines.append(""); lines.append(wrap(found.notes, width: max(40, min(style.width, 96)))) }
        writeOut(lines.joined(separator: "\n") + "\n")
    }
}
