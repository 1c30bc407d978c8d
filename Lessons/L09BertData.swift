import Figures
import Foundation
import TensorCore
import Terminal
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

        steps.append(PagerStep(title: "Learning from text with no labels", body: prose("""
            BERT (2018) is an encoder: every token sees the whole sentence, left and right. That makes \
            it good at understanding, and it rules out the GPT way of training, predicting the next \
            word, because a model that can see the whole sentence can see the answer. BERT is trained \
            on two made-up tasks instead, both built automatically from plain text:

            - Masked language model: hide some words and ask the model to fill them in, using both \
            sides of the context (a cloze test).
            - Next-sentence prediction: show two sentences and ask whether the second really \
            followed the first.

            This lesson builds both kinds of training examples from a small corpus written for this \
            project (\(TeachingCorpus.documents.count) short documents in English and Chinese), exactly as \
            BERT's reference code does.
            """)))

        // WordPiece.
        let examples = [Self.sentence, "The gardener was unhappily watering the tomatoes", "我是一个学生。"]
        let pieces = examples.map { text in
            "    " + text + "\n      → " + tokenizer.tokenize(text).joined(separator: " ")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: "WordPiece: words, pieces and characters", body: prose("""
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
        let stripPath = try figures.write(demo.strip(corruption, title: "Masked LM: what the model sees, and what it must predict",
                                                     subtitle: "15% of the word pieces are chosen; of those 80% → [MASK], 10% → a random token, 10% kept · seed \(shownSeed)"),
                                          as: "01-corruption.png")
        var table = style(bold: "    pos  original     input        what     label")
        for index in corruption.originalTokens.indices {
            guard let choice = corruption.choices[index] else { continue }
            let what: String
            switch choice {
            case .mask: what = "[MASK]"
            case .random: what = "random"
            case .kept: what = "kept"
            }
            table += "\n    " + pad(String(index), to: 3, alignRight: true) + "  " + pad(corruption.originalTokens[index], to: 12)
                + " " + pad(corruption.inputTokens[index], to: 12) + " " + pad(what, to: 8) + " " + (corruption.labels[index] ?? "")
        }
        let seedNote = shownSeed == context.seed ? "seed \(shownSeed)"
            : "seed \(shownSeed), the first from your seed \(context.seed) on that shows all three treatments"
        steps.append(PagerStep(title: "Masked LM: choose 15%, then 80 / 10 / 10", body: prose("""
            From the positions that are not special tokens, BERT chooses 15% at random. Each chosen \
            position then gets one of three treatments:

            - 80%: replaced by [MASK];
            - 10%: replaced by a random word piece;
            - 10%: left as it is.

            Whatever happened, the model must output the original token at every chosen position \
            (the label); at all other positions there is nothing to predict. Why not always [MASK]? \
            Because [MASK] never appears when the model is later used on real text. The random and \
            kept cases force the model to keep a good representation of every token, since it never \
            knows which visible words are genuine.

            The first document of the corpus, packed into one sequence as BERT packs sentences, \
            with \(seedNote): \(corruption.example.candidateCount) candidate positions, \
            \(corruption.example.maskedPositions.count) chosen. What the model reads:
            """) + "\n\n" + prose(corruption.inputTokens.joined(separator: " ")) + "\n\n"
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
            tally.add(try corruptForMaskedLM(ids: ids, vocabulary: demo.vocabulary, using: &generator))
        }
        let measured = [tally.chosenShare, tally.share(of: .mask), tally.share(of: .random), tally.share(of: .kept)].map { $0 * 100 }
        let ratesPath = try figures.write(GroupedBarChart(
            title: "Measured masking rates against BERT's recipe",
            subtitle: "\(sequences) sequences of \(length) word pieces from the corpus · \(tally.candidates) candidate positions · seed \(context.seed)",
            categories: ["chosen (of all)", "[MASK] (of chosen)", "random (of chosen)", "kept (of chosen)"],
            series: [.init(name: "measured", values: measured, color: RGB(hex: 0x2166AC)),
                     .init(name: "BERT", values: [15, 80, 10, 10], color: RGB(hex: 0xBBBBBB))],
            yLabel: "percent", valueFormat: "%.1f%%", yRange: 0...100), as: "02-rates.png")
        let short = try demo.corrupt("the cat sat on the mat", seed: context.seed)
        steps.append(PagerStep(title: "Do the rates come out right?", body: prose("""
            Corrupt \(sequences) sequences of \(length) word pieces and count (\(tally.candidates) candidate positions):
            """) + "\n\n" + """
                chosen   \(percent(measured[0]))   of all candidates  (BERT: 15%)
                [MASK]   \(percent(measured[1]))   of the chosen      (80%)
                random   \(percent(measured[2]))   of the chosen      (10%)
                kept     \(percent(measured[3]))   of the chosen      (10%)
            """ + "\n\n" + prose("""
            The chosen share is exactly 15% because BERT's reference code does not flip a coin per \
            token: it shuffles the candidate positions and takes round(15% × count) of them, here \
            15 of every 100. On a short sentence the rounding shows: "the cat sat on the mat" has \
            \(short.example.candidateCount) candidates, 15% of that is 0.9, and one position \
            (\(formatNumber(Float(100) / Float(max(1, short.example.candidateCount)), decimals: 1))%) is chosen. Real BERT \
            packs sentences into sequences of up to 512 pieces, where rounding hardly matters. The \
            80/10/10 split is drawn per chosen position, so it only comes out close, not exact.
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
            title: "Next-sentence prediction: [CLS] A [SEP] B [SEP]",
            subtitle: "segment A in blue, segment B in orange, the segment id under each token · half the pairs are real neighbours",
            pairs: shown.map { .init(tokens: $0.tokens, segmentIDs: $0.segmentIDs, isNext: $0.isNext,
                                     caption: $0.isNext ? "B follows A in document \($0.documentA + 1)"
                                                        : "A from document \($0.documentA + 1), B from document \($0.documentB + 1)") }),
            as: "03-next-sentence.png")
        let isNextShare = Double(pairs.filter(\.isNext).count) / Double(pairs.count) * 100
        let pairText = shown.prefix(2).map { pair in
            "    " + pair.tokens.joined(separator: " ") + "\n    segments: " + pair.segmentIDs.map(String.init).joined(separator: " ")
                + "\n    label: " + (pair.isNext ? "IsNext" : "NotNext")
        }.joined(separator: "\n\n")
        steps.append(PagerStep(title: "Next-sentence prediction", body: prose("""
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

        steps.append(PagerStep(title: "Summary", body: prose("""
            - BERT reads WordPiece tokens: common words whole, rare words in ## pieces, Chinese \
            character by character, with [CLS], [SEP], [PAD], [UNK] and [MASK] for special jobs.
            - Masked LM: choose 15% of the non-special positions; 80% become [MASK], 10% a random \
            token, 10% stay; predict the original at every chosen position.
            - Next-sentence prediction: [CLS] A [SEP] B [SEP] with segment ids, half real \
            neighbours, half not.

            Watching a trained toy BERT fill in the blanks needs trained models, which come in a \
            later version of TransformerExplorer. Try your own sentence now: \
            tx mlm --text "…" --seed 1 --out Output/mine.png
            """) + "\n\nFigures written:\n" + figures.written.map { "    " + $0 }.joined(separator: "\n")))

        return LessonRun(steps: steps, figures: figures.written)
    }
}
