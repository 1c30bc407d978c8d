import ArgumentParser
import Figures
import Foundation
import ModelIO
import TensorCore
import Terminal
import Transformer

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embedding arithmetic on a real model's word table: king - man + woman ≈ ?",
        discussion: """
            Adds and subtracts rows of all-MiniLM-L6-v2's word-embedding table (30,522 tokens × 384) \
            and prints the tokens whose rows are nearest to the result by cosine similarity, leaving \
            out the words of the expression. Each word must be a single token of the vocabulary \
            (lower case; an unknown word is reported with the pieces the tokeniser would cut it \
            into). The figure is a 2-D projection (PCA) of the input words, the result and its \
            neighbours; for "a - b + c" it also draws the arrows b → c and a → the best neighbour.

            The model is fetched by ./scripts/fetch-models.sh (tx models shows whether it is there). \
            --model also takes a path to another BERT-family model: its folder (config.json, vocab.txt, \
            model.safetensors) or its .safetensors file.

            Examples:
              tx embed "king - man + woman"
              tx embed --model minilm "paris - france + italy" --count 5 \\
                  --out Output/capitals.png
            """
    )

    @Argument(help: "Words joined by + and -, e.g. \"king - man + woman\".")
    var expression: String

    @Option(help: ArgumentHelp("The encoder whose word-embedding table is used: minilm, or a path to a BERT model's folder or .safetensors file.", valueName: "name-or-path"),
            completion: .modelOrPath(Names.embed))
    var model: String = "minilm"

    @Option(parsing: .unconditional, help: "How many neighbours to list, \(OptionBounds.text(OptionBounds.neighbours)).")
    var count: Int = 10

    @Option(help: "Where to write the figure (.png, .svg or .pdf); the folder must exist.", completion: .figure)
    var out: String = "Output/embed.png"

    func run() throws {
        try OptionBounds.check(count, in: OptionBounds.neighbours, option: "--count")
        let terms: [EmbeddingTerm]
        do { terms = try parseEmbeddingExpression(expression) } catch { throw CLIError("\(error)") }
        let real = try RealModel.load(model)
        guard case let .encoder(bert, name) = real else {
            throw CLIError("--model \(model): \(real.name) is a decoder; tx embed needs a BERT-family encoder's word table "
                           + "(minilm, or a folder with config.json, vocab.txt and model.safetensors)")
        }
        let table = bert.wordEmbeddings
        let vector: [Float], ids: [Int]
        do {
            (vector, ids) = try evaluateEmbeddingExpression(terms, table: table, tokenizer: bert.tokenizer)
        } catch {
            throw CLIError("\(error)")
        }
        // Finite weights can still overflow in the sums (rows of 1e38): refuse before printing.
        if let bad = vector.firstIndex(where: { !$0.isFinite }) {
            throw CLIError("\(name): the result vector is not finite (element \(bad) is \(vector[bad])): the embedding table's "
                           + "numbers overflow Float, so the weights are damaged")
        }
        // Tokens come from the model's vocab.txt: shown with visible escapes, never raw.
        let neighbours = nearestNeighbours(of: vector, in: table, vocabulary: bert.vocabulary.tokens.map(shown), count: count,
                                           excluding: Set(ids))
        if let bad = neighbours.first(where: { !$0.cosine.isFinite }) {
            throw CLIError("\(name): the cosine similarity with \"\(bad.token)\" is not finite: the embedding table's "
                           + "numbers overflow Float, so the weights are damaged")
        }
        let words = ids.map { shown(bert.vocabulary.token(for: $0) ?? "?") }
        try checkDestination(out, default: "Output/embed.png")   // after the words' and the model's checks

        // The figure: inputs and neighbours projected on the principal components of their rows
        // and the result; the result is drawn highlighted.
        var labels: [String] = []
        var rows: [[Float]] = []
        for (word, id) in zip(words, ids) where !labels.contains(word) { labels.append(word); rows.append(table.row(id)) }
        for n in neighbours where !labels.contains(n.token) { labels.append(n.token); rows.append(table.row(n.id)) }
        let pca: PrincipalComponents
        do { pca = try principalComponents(of: rows + [vector], count: 2) } catch { throw CLIError("\(error)") }
        let points = zip(labels, pca.projections).map { EmbeddingPlot.Point(x: Double($1[0]), y: Double($1[1]), label: $0) }
        let resultXY = pca.projections[rows.count]
        let signed = terms.map { ($0.sign < 0 ? "− " : "+ ") + shown($0.word) }.joined(separator: " ")
        let expressionText = signed.hasPrefix("+ ") ? String(signed.dropFirst(2)) : signed
        var arrows: [EmbeddingPlot.Arrow] = []
        var from: Int? = terms.firstIndex { $0.sign > 0 }.flatMap { labels.firstIndex(of: words[$0]) }
        if terms.count == 3, terms[0].sign > 0, terms[1].sign < 0, terms[2].sign > 0, let best = neighbours.first,
           let a = labels.firstIndex(of: words[0]), let b = labels.firstIndex(of: words[1]),
           let c = labels.firstIndex(of: words[2]), let n = labels.firstIndex(of: best.token) {
            let legend = "\(words[1]) → \(words[2]) and \(words[0]) → \(best.token)"
            let color = RGB(hex: 0x2CA02C)
            arrows = [EmbeddingPlot.Arrow(from: b, to: c, color: color, legend: legend),
                      EmbeddingPlot.Arrow(from: a, to: n, color: color, legend: legend)]
            from = a
        }
        let chart = EmbeddingPlot(
            title: "\(expressionText) in \(name)'s embedding table",
            subtitle: "the input words, the result and its \(neighbours.count) nearest tokens, on their first two principal components",
            xLabel: "principal component 1", yLabel: "principal component 2",
            points: points, arrows: arrows,
            result: EmbeddingPlot.Result(x: Double(resultXY[0]), y: Double(resultXY[1]), label: expressionText, from: from,
                                         legend: "the result (dashed: from \(from.map { labels[$0] } ?? "its first word"))"))
        do { try render(chart, to: out) } catch { throw CLIError("\(error)") }

        let width = max(8, neighbours.map { displayWidth($0.token) }.max() ?? 0)
        var text = "\(expressionText)  (\(name) word embeddings, \(table.shape[0]) × \(table.shape[1]); "
            + "cosine similarity, the input words left out)\n\n"
        for (index, n) in neighbours.enumerated() {
            text += pad("\(index + 1).", to: 5, alignRight: true) + "  " + pad(n.token, to: width) + "  "
                + formatNumber(n.cosine, decimals: 3) + "\n"
        }
        text += "\nWrote \(out)\n"
        writeOut(text)
    }
}
