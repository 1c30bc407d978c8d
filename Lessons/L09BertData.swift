import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import TrainedModels
import Transformer
import Training

/// Lesson 9: how BERT's pre-training data is made: WordPiece, masked LM (15%, then 80/10/10),
/// and next-sentence pairs.
struct BertDataLesson {
    let context: LessonContext
    static let sentence = "The cat sleeps in the warm garden when she is tired"

    private func style(bold text: String) -> String { context.style.bold(text) }
    private func percent(_ value: Double) -> String { pad(formatNumber(Float(value), decimals: 2) + "%", to: 7, alignRight: true) }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("bert-data")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let demo = try BertDataDemo()
        let tokenizer = demo.tokenizer

        steps.append(PagerStep(title: localized("Learning from text with no labels"), body: prose("""
            BERT (2018) is an encoder: every token sees the whole sentence, left and right. That makes \
            it good at understanding, and it rules out the GPT way of training, predicting the next \
            word, because a model that can see the whole sentence can see the answer. BERT is trained \
            on two made-up tasks instead, both built automatically from plain text:

            - Masked language model: hide some words and ask the model to fill them in, using both \
            sides of the context (a cloze test).
            - Next-sentence prediction: show two sentences and ask whether the second really \
            followed the first.

            This lesson builds both kinds of training examples from a small corpus written for this \
            project (\(TeachingCorpus.documents.count) short documents in English and Chinese), following \
            BERT's reference code (create_pretraining_data.py); where this project departs from it, \
            the step says so.
            """)))

        // WordPiece.
        let examples = [Self.sentence, "The gardener was unhappily watering the tomatoes", "我是一个学生。"]
        let pieces = examples.map { text in
            "    " + text + "\n      → " + narrator.hanging(tokenizer.tokenize(text).joined(separator: " "), indent: 8, continuation: 8)
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("WordPiece: words, pieces and characters"), body: prose("""
            BERT reads word pieces. Its vocabulary (30,522 entries for BERT-base) holds common words \
            whole and rarer words as pieces; a piece that continues a word starts with ##. The text is \
            lower-cased, accents are stripped, punctuation is split off, and every Chinese character \
            is its own token. Each word is then cut greedily: the longest vocabulary entry that \
            starts the word, then the longest ## piece that continues it, and so on; a word that \
            cannot be cut becomes [UNK].

            Our teaching vocabulary has \(demo.vocabulary.count) entries, built from the corpus: \
            the frequent words whole, every character, and common endings such as ##ing and ##ly:
            """) + "\n\n" + pieces + "\n\n" + prose("""
            Five special tokens have jobs of their own: [CLS] starts every input (its final vector \
            is used for classifying the whole input), [SEP] ends a sentence, [PAD] fills short \
            sequences, [UNK] stands for the unknown, and [MASK] hides a word.
            """)))

        // One corrupted passage: the first corpus document, packed into one sequence as BERT packs
        // sentences. From the learner's seed on, the first seed that shows all three treatments.
        let passage = TeachingCorpus.documents[0].joined(separator: " ")
        var shownSeed = context.seed
        var corruption = try demo.corrupt(passage, seed: shownSeed)
        for offset in 0..<1_000 as Range<UInt64> {
            let candidate = try demo.corrupt(passage, seed: context.seed &+ offset)
            if Set(candidate.choices.compactMap { $0 }).count == 3 {
                shownSeed = context.seed &+ offset
                corruption = candidate
                break
            }
        }
        let stripPath = try figures.write(demo.strip(corruption, title: localized("Masked LM: what the model sees, and what it must predict"),
                                                     subtitle: localized("15% of the word pieces are chosen; of those 80% → [MASK], 10% → a random token, 10% kept · seed \(shownSeed)")),
                                          as: "01-corruption.png")
        // The header's words are translated; the position column widens to fit its header.
        let positionHeader = localized("pos")
        let positionWidth = max(3, displayWidth(positionHeader))
        var table = style(bold: "    " + pad(positionHeader, to: positionWidth, alignRight: true) + "  " + pad(localized("original"), to: 12)
            + " " + pad(localized("input"), to: 12) + " " + pad(localized("what"), to: 8) + " " + localized("label"))
        for index in corruption.originalTokens.indices {
            guard let choice = corruption.choices[index] else { continue }
            let what: String
            switch choice {
            case .mask: what = "[MASK]"
            case .random: what = localized("random")
            case .kept: what = localized("kept")
            }
            table += "\n    " + pad(String(index), to: positionWidth, alignRight: true) + "  " + pad(corruption.originalTokens[index], to: 12)
                + " " + pad(corruption.inputTokens[index], to: 12) + " " + pad(what, to: 8) + " " + (corruption.labels[index] ?? "")
        }
        let seedNote = shownSeed == context.seed ? localized("seed \(shownSeed)")
            : localized("seed \(shownSeed), the first from your seed \(context.seed) on that shows all three treatments")
        steps.append(PagerStep(title: localized("Masked LM: choose 15%, then 80 / 10 / 10"), body: prose("""
            BERT's reference code (create_pretraining_data.py) first decides how many positions to \
            predict: round(15% × the length of the sequence), where the length counts [CLS] and \
            [SEP] too, at least 1 and at most max_predictions_per_seq (its default: \
            \(BertDataDemo.maxPredictionsPerSequence)). This lesson uses exactly that rule. It then \
            shuffles the positions that are not special tokens (the candidates) and takes that many. \
            Each chosen position then gets one of three treatments:

            - 80%: replaced by [MASK];
            - 10%: replaced by a random word piece;
            - 10%: left as it is.

            Whatever happened, the model must output the original token at every chosen position \
            (the label); at all other positions there is nothing to predict. Why not always [MASK]? \
            Because [MASK] never appears when the model is later used on real text. The random and \
            kept cases force the model to keep a good representation of every token, since it never \
            knows which visible words are genuine.

            The first document of the corpus, packed into one sequence as BERT packs sentences, \
            with \(seedNote): \(corruption.originalTokens.count) tokens, \(corruption.example.candidateCount) of them \
            candidates; round(0.15 × \(corruption.originalTokens.count)) = \
            round(\(Self.product(corruption.originalTokens.count))) = \(corruption.example.maskedPositions.count) chosen. \
            What the model reads:
            """) + "\n\n    " + narrator.hanging(corruption.inputTokens.joined(separator: " "), continuation: 4) + "\n\n"
            + prose("The chosen positions and what the model must predict there:") + "\n\n" + table
            + "\n\n" + figureLine(stripPath)))

        // Rates over many sequences.
        let corpusIDs = TeachingCorpus.documents.flatMap { $0 }.flatMap { sentence in
            tokenizer.tokenize(sentence).compactMap { demo.vocabulary.id(of: $0) }
        }
        let classification = try demo.vocabulary.requireID(of: .classification)
        let separator = try demo.vocabulary.requireID(of: .separator)
        var tally = MaskedLMTally()
        var generator = SeededGenerator(seed: context.seed)
        let sequences = 2_000, length = 100
        for index in 0..<sequences {
            let start = (index * 37) % max(1, corpusIDs.count - length)
            let ids = [classification] + corpusIDs[start..<(start + length)] + [separator]
            tally.add(try corruptForMaskedLM(ids: ids, vocabulary: demo.vocabulary,
                                             maxPredictions: BertDataDemo.maxPredictionsPerSequence, using: &generator))
        }
        let measured = [tally.chosenShare, tally.share(of: .mask), tally.share(of: .random), tally.share(of: .kept)].map { $0 * 100 }
        let ratesPath = try figures.write(GroupedBarChart(
            title: localized("Measured masking rates against BERT's recipe"),
            subtitle: localized("\(narrator.grouped(sequences)) sequences of \(length) word pieces from the corpus · \(narrator.grouped(tally.candidates)) candidate positions · seed \(context.seed)"),
            categories: [localized("chosen (of all)"), localized("[MASK] (of chosen)"), localized("random (of chosen)"), localized("kept (of chosen)")],
            series: [.init(name: localized("measured"), values: measured, color: RGB(hex: 0x2166AC)),
                     .init(name: "BERT", values: [15, 80, 10, 10], color: RGB(hex: 0xBBBBBB))],
            yLabel: localized("percent"), valueFormat: "%.1f%%", yRange: 0...100), as: "02-rates.png")
        // The two counting rules side by side on sequences of several lengths.
        let rateTokens = length + 2
        // BERT's own settings: 128 tokens with at most 20 predictions, 512 with at most 76.
        let bert128 = MaskCountRule.reference.count(length: 128, candidates: 126, rate: 0.15,
                                                    maxPredictions: BertDataDemo.maxPredictionsPerSequence)
        let bert512 = MaskCountRule.reference.count(length: 512, candidates: 510, rate: 0.15, maxPredictions: 76)
        let rateCount = MaskCountRule.reference.count(length: rateTokens, candidates: length, rate: 0.15,
                                                      maxPredictions: BertDataDemo.maxPredictionsPerSequence)
        let catWords = "the cat sat on the mat".split(separator: " ").count
        let catPieces = try demo.corrupt("the cat sat on the mat", seed: context.seed).originalTokens
        let samples: [(name: String, tokens: Int, candidates: Int)] = try [
            ("\"the cat sat on the mat\"", "the cat sat on the mat"), (localized("lesson sentence"), Self.sentence), (localized("document 1"), passage),
        ].map { name, text in
            let corrupted = try demo.corrupt(text, seed: context.seed)
            return (name, corrupted.originalTokens.count, corrupted.example.candidateCount)
        } + [(localized("30 pieces"), 32, 30), (localized("\(length) pieces"), rateTokens, length), (localized("BERT, 128 tokens"), 128, 126)]
        let comparison = Self.countingTable(samples, style: context.style)
        let short = samples[0]
        let shortReference = Self.count(.reference, short.tokens, short.candidates)
        let shortCandidates = Self.count(.candidates, short.tokens, short.candidates)
        let differing = samples.filter { Self.count(.reference, $0.tokens, $0.candidates) != Self.count(.candidates, $0.tokens, $0.candidates) }
        // "a, b, c": each comma is translated with the list ("a、b、c" in Chinese).
        let differingNames = differing.map(\.name).dropFirst().reduce(differing.first?.name ?? "") { localized("\($0), \($1)") }
        let differingNote = differing.isEmpty ? localized("On these lengths the two rules agree.")
            : localized("They differ on \(differingNames): the reference chooses more, since its length includes [CLS] and [SEP].")
        let shortNote = shortReference == shortCandidates ? localized(", the same count: here the two rules agree")
            : shortReference > shortCandidates ? localized(", so here the reference chooses more") : localized(", so here the reference chooses fewer")
        steps.append(PagerStep(title: localized("Do the rates come out right?"), body: prose("""
            Corrupt \(narrator.grouped(sequences)) sequences of \(length) word pieces (\(rateTokens) tokens with [CLS] and \
            [SEP]) and count (\(narrator.grouped(tally.candidates)) candidate positions):
            """) + "\n\n" + [
                localized("    chosen   \(percent(measured[0]))   of all candidates  (BERT: 15%)"),
                localized("    [MASK]   \(percent(measured[1]))   of the chosen      (80%)"),
                localized("    random   \(percent(measured[2]))   of the chosen      (10%)"),
                localized("    kept     \(percent(measured[3]))   of the chosen      (10%)"),
            ].joined(separator: "\n") + "\n\n" + prose("""
            The chosen count is fixed, not a coin flip per token: every one of these sequences \
            gets round(0.15 × \(rateTokens)) = round(\(Self.product(rateTokens))) = \(rateCount) of its \
            \(length) candidates, \(formatNumber(Float(rateCount * 100) / Float(length), decimals: 2))%. \
            Other lengths give other shares, because the rule rounds and counts [CLS] and [SEP], \
            which can never be chosen. Beside it, the simpler rule "15% of the candidates" (what \
            this project's tiny BERT was trained with, tx train bert):
            """) + "\n\n" + comparison + "\n\n" + prose("""
            \(differingNote) \
            "the cat sat on the mat" has \(catWords) words but \(short.tokens) tokens, because the tokenizer \
            splits words it lacks into pieces: \(catPieces.joined(separator: " ")). All but [CLS] and \
            [SEP] are candidates, \(short.candidates) of them. The reference takes round(0.15 × \
            \(short.tokens)) = round(\(Self.product(short.tokens))) = \(shortReference); 15% of the candidates \
            is round(\(Self.product(short.candidates))) = \(shortCandidates)\
            \(shortNote). \
            (Python 3's round, which the reference uses, rounds halves to even: 1.5 → 2, 4.5 → 4.) \
            Real BERT packs sentences into sequences of 128 tokens, where the rounding matters \
            little: round(0.15 × 128) = \(bert128) stays under the cap of \(BertDataDemo.maxPredictionsPerSequence) \
            predictions per sequence. For its last steps, at 512 tokens, the cap was 76, and \
            round(0.15 × 512) = round(76.80) = 77 is cut to \(bert512): there the cap bites. The 80/10/10 \
            split is drawn per chosen position, so it only comes out close, not exact.
            """) + "\n\n" + figureLine(ratesPath)))

        // Next-sentence prediction.
        var pairGenerator = SeededGenerator(seed: context.seed)
        let pairs = try makeNextSentencePairs(documents: TeachingCorpus.documents, tokenizer: tokenizer.tokenize,
                                              count: 2_000, maxLength: 48, using: &pairGenerator)
        // One English IsNext, one English NotNext and one Chinese pair, each short enough to read.
        let english = { (pair: NextSentencePair) in pair.tokens.contains { $0.unicodeScalars.contains { ("a"..."z").contains($0) } } }
        let shown = [pairs.first { $0.isNext && english($0) && $0.tokens.count <= 26 },
                     pairs.first { !$0.isNext && english($0) && $0.tokens.count <= 26 },
                     pairs.first { !english($0) && $0.tokens.count <= 26 }].compactMap { $0 }
        let nspPath = try figures.write(SentencePairFigure(
            title: localized("Next-sentence prediction: [CLS] A [SEP] B [SEP]"),
            subtitle: localized("segment A in blue, segment B in orange, the segment id under each token · half the pairs are real neighbours"),
            pairs: shown.map { .init(tokens: $0.tokens, segmentIDs: $0.segmentIDs, isNext: $0.isNext,
                                     caption: $0.isNext ? localized("B follows A in document \($0.documentA + 1)")
                                                        : localized("A from document \($0.documentA + 1), B from document \($0.documentB + 1)")) }),
            as: "03-next-sentence.png")
        let isNextShare = Double(pairs.filter(\.isNext).count) / Double(pairs.count) * 100
        let pairText = shown.prefix(2).map { pair in
            "    " + narrator.hanging(pair.tokens.joined(separator: " "), continuation: 4)
                + "\n    " + localized("segments: \(pair.segmentIDs.map(String.init).joined(separator: " "))")
                + "\n    " + localized("label: \(pair.isNext ? "IsNext" : "NotNext")")
        }.joined(separator: "\n\n")
        steps.append(PagerStep(title: localized("Next-sentence prediction"), body: prose("""
            The second task joins two sentences into one input, [CLS] A [SEP] B [SEP], and adds a \
            segment id to every token (0 for [CLS], A and the first [SEP]; 1 for B and the last \
            [SEP]) through a third embedding table. Half of the time B is the sentence that really \
            follows A (IsNext); the other half B comes from a different document (NotNext). The \
            model classifies the pair from the final vector of [CLS]. Pairs longer than the limit \
            are trimmed, always from the longer sentence.
            """) + "\n\n" + pairText + "\n\n" + prose("""
            Of \(pairs.count) pairs made with seed \(context.seed), \(formatNumber(Float(isNextShare), decimals: 1))% are IsNext. \
            Later work (RoBERTa, 2019) found this task adds little and dropped it; masked LM stayed.
            """) + "\n\n" + figureLine(nspPath)))

        // A trained tiny BERT fills in blanks.
        let fill = try Self.fillIn()
        let fillPath = try figures.write(PanelGrid(
            title: localized("The tiny BERT fills in [MASK]: the 5 most likely tokens at each masked position"),
            columns: fill.count, panels: fill.map { entry in
                // Red is the model's pick (its most likely token), as in every bar chart; the
                // hidden, correct token is marked with ✓ under its bar instead.
                let pick = entry.guesses.indices.max { entry.guesses[$0].probability < entry.guesses[$1].probability }
                return BarChart(title: localized("hidden: \"\(entry.original)\""),
                                categories: entry.guesses.map { $0.token == entry.original ? "\($0.token) ✓" : $0.token },
                                values: entry.guesses.map(\.probability), xLabel: localized("token"), yLabel: localized("probability"),
                                highlightIndex: pick, yRange: 0...1)
            }, subtitle: localized("tx train bert · red: the model's pick · ✓: the correct token · input: \(fill.first?.input.joined(separator: " ") ?? "")")),
            as: "04-tiny-bert-fills-in.png")
        let fillLines = fill.map { entry in
            "    " + localized("[MASK] at position \(entry.position), the original \"\(entry.original)\":") + "\n        "
                + entry.guesses.map { "\($0.token) \(formatNumber($0.probability, decimals: 2))" }.joined(separator: " · ")
        }.joined(separator: "\n")
        let rightFirst = fill.filter { $0.guesses.first?.token == $0.original }
        let inTopFive = fill.filter { entry in entry.guesses.contains { $0.token == entry.original } }
        steps.append(PagerStep(title: localized("A trained tiny BERT fills in the blanks"), body: prose("""
            What does a model learn from such data? This project ships a tiny BERT trained on it \
            (tx train bert: \(fill.first.map { String($0.layers) } ?? "?") layers, on sentence pairs \
            "[CLS] Chinese [SEP] English [SEP]" from the corpus). Hide \(fill.count) tokens of a pair it \
            never saw in training, all at once, and read its output at each [MASK]:
            """) + "\n\n    " + narrator.hanging(fill.first?.input.joined(separator: " ") ?? "", continuation: 4) + "\n\n" + fillLines + "\n\n" + prose("""
            The right token is its first guess at \(rightFirst.count) of \(fill.count) positions and among \
            its five at \(inTopFive.count). It has both sides of each blank to go on, and the other \
            language as well: that is what an encoder trained on masked LM learns to use.
            """) + "\n\n" + figureLine(fillPath)))

        steps.append(PagerStep(title: localized("Summary"), body: prose("""
            - BERT reads WordPiece tokens: common words whole, rare words in ## pieces, Chinese \
            character by character, with [CLS], [SEP], [PAD], [UNK] and [MASK] for special jobs.
            - Masked LM: choose round(15% × length) of the non-special positions, [CLS] and [SEP] \
            counted in the length; 80% become [MASK], 10% a random token, 10% stay; predict the \
            original at every chosen position.
            - Next-sentence prediction: [CLS] A [SEP] B [SEP] with segment ids, half real \
            neighbours, half not.

            Try your own sentence:
                tx mlm --text "…" --seed 1 --out Output/mine.png
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }

    /// 0.15 × n as the lesson prints it.
    static func product(_ n: Int) -> String { formatNumber(Float(0.15 * Double(n)), decimals: 2) }

    static func count(_ rule: MaskCountRule, _ tokens: Int, _ candidates: Int) -> Int {
        rule.count(length: tokens, candidates: candidates, rate: 0.15, maxPredictions: BertDataDemo.maxPredictionsPerSequence)
    }

    /// The reference rule and "15% of the candidates" side by side, one row per sequence.
    static func countingTable(_ rows: [(name: String, tokens: Int, candidates: Int)], style: TerminalStyle) -> String {
        func share(_ chosen: Int, _ candidates: Int) -> String {
            formatNumber(Float(chosen * 100) / Float(max(1, candidates)), decimals: 1) + "%"
        }
        let header = "    " + pad("", to: 26) + pad(localized("tokens"), to: 7, alignRight: true) + pad(localized("cand."), to: 7, alignRight: true)
            + pad(localized("reference"), to: 11, alignRight: true) + pad(localized("15% of cand."), to: 14, alignRight: true)
        let lines = rows.map { row -> String in
            let reference = count(.reference, row.tokens, row.candidates)
            let candidates = count(.candidates, row.tokens, row.candidates)
            return "    " + pad(truncate(row.name, to: 25), to: 26) + pad(String(row.tokens), to: 7, alignRight: true)
                + pad(String(row.candidates), to: 7, alignRight: true)
                + pad("\(reference) ", to: 5, alignRight: true) + pad(share(reference, row.candidates), to: 6, alignRight: true)
                + pad("\(candidates) ", to: 8, alignRight: true) + pad(share(candidates, row.candidates), to: 6, alignRight: true)
        }
        return ([style.bold(header)] + lines).joined(separator: "\n")
    }

    /// One filled-in [MASK]: where, what was there, the model's five best guesses.
    struct FillIn {
        let input: [String]
        let position: Int
        let original: String
        let guesses: [(token: String, probability: Float)]
        let layers: Int
    }

    /// The shipped tiny BERT on a held-out pair with three tokens masked at once.
    static func fillIn() throws -> [FillIn] {
        let bert = try TrainedModels.tinyBERT()
        let pair = bert.encodePair(ParallelCorpus.tokenizeChinese(fillSource), ParallelCorpus.tokenizeEnglish(fillTarget))
        var ids = pair.ids
        let positions = fillMasked.compactMap { word in pair.tokens.firstIndex(of: word) }
        for position in positions { ids[position] = bert.maskID }
        let input = pair.tokens.indices.map { positions.contains($0) ? "[MASK]" : pair.tokens[$0] }
        return try positions.map { position in
            FillIn(input: input, position: position, original: pair.tokens[position],
                   guesses: try bert.predictions(ids: ids, segments: pair.segments, position: position, count: 5),
                   layers: bert.model.layers.count)
        }
    }

    /// A pair the tiny BERT never saw whole in training (她 + 在图书馆), and the tokens hidden.
    static let fillSource = "她昨天在图书馆买了一本书。"
    static let fillTarget = "she bought a book in the library yesterday."
    static let fillMasked = ["买", "book", "yesterday"]
}
