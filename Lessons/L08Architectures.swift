import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import Transformer

/// Lesson 8: encoder-only, decoder-only and encoder–decoder, side by side on one input.
struct ArchitecturesLesson {
    let context: LessonContext
    static let source = "我昨天在花园里看到了一只猫"
    static let target = "I saw a cat in the garden yesterday."

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("architectures")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let demo = try ArchitectureDemo(trainedOn: Self.source, target: Self.target)
        let source = demo.sourceTokens, decoderInput = demo.decoderInputTokens

        steps.append(PagerStep(title: localized("One block, three families"), body: prose("""
            Every Transformer is built from the same pieces: embeddings, attention, feed-forward \
            layers, residuals and layer norms. What tells the families apart is which attention they \
            use, and so which position may see which:

            - Encoder-only (BERT, 2018): a stack of encoder layers with bidirectional self-attention. \
            Every token sees the whole input. Trained to fill in masked words, it is built for \
            understanding: classification, tagging, search.
            - Decoder-only (GPT, 2018 onwards): a stack of decoder layers with causal self-attention. \
            Every token sees only itself and what came before. Trained to predict the next token, it \
            is built for generation, and at scale it does almost everything (GPT-3, ChatGPT).
            - Encoder–decoder (the original 2017 Transformer, T5, BART): an encoder reads the whole \
            source, a decoder writes the target one token at a time and looks back at the source \
            through cross-attention. Built for turning one sequence into another: translation, \
            summaries.

            This lesson runs one sentence pair through a small trained model of each kind. All three \
            were trained by this project on its own Chinese–English corpus (tx train; the weights \
            ship with the package) and have 2 layers, 4 heads and d_model 64:

            - the tiny BERT (encoder-only) reads "[CLS] \(Self.source) [SEP] \(Self.target) [SEP]"; \
            it learned to fill in hidden words of such pairs;
            - the language model (decoder-only) reads "<s> \(Self.target)"; it learned to predict \
            the next English word;
            - the translator (encoder–decoder) reads "\(Self.source)" with its encoder and writes \
            "\(Self.target)" with its decoder.
            """)))

        // Masks in the terminal.
        func grid(_ mask: [[Bool]], rows: [String], columns: [String]) -> String {
            let labelWidth = rows.map(displayWidth).max() ?? 0
            // Labels on top when they fit the screen; otherwise numbered columns and a key.
            let fullWidth = max(2, columns.map(displayWidth).max() ?? 1)
            let numbered = labelWidth + 1 + columns.count * (fullWidth + 1) > context.style.width
            let width = numbered ? max(2, String(columns.count).count) : fullWidth
            let names = numbered ? columns.indices.map { String($0 + 1) } : columns
            var lines = [pad("", to: labelWidth) + " " + names.map { pad($0, to: width + 1, alignRight: true) }.joined()]
            for (index, row) in mask.enumerated() {
                lines.append(pad(rows[index], to: labelWidth) + " "
                             + row.map { pad($0 ? "●" : "·", to: width + 1, alignRight: true) }.joined())
            }
            if numbered {
                let key = columns.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " · ")
                let label = localized("columns:") + " "
                lines.append(wrapHanging(label + key, width: context.style.width, indent: 0, continuation: displayWidth(label)))
            }
            return lines.joined(separator: "\n")
        }
        // The masks do not depend on the weights: draw them over the Chinese sentence.
        let all = source.map { _ in source.map { _ in true } }
        let causal = source.indices.map { i in source.indices.map { $0 <= i } }
        let decoderSelf = demo.visibility(.decoderSelf), cross = demo.visibility(.cross)
        // One sentence, with or without the note on lower-casing.
        let decoderWords = decoderInput.joined(separator: " ")
        let encoderDecoderMasks: String = decoderInput.contains(where: { $0 != $0.lowercased() }) || Self.target == Self.target.lowercased()
            ? localized("""
                Encoder–decoder: the encoder's self-attention is all visible (as above); the decoder's \
                self-attention over its input "\(decoderWords)" is causal; and \
                cross-attention lets every decoder position see every source token:
                """)
            : localized("""
                Encoder–decoder: the encoder's self-attention is all visible (as above); the decoder's \
                self-attention over its input "\(decoderWords)" is causal (the English tokenizer of these \
                models lower-cases every word, so "I" is "i"); and \
                cross-attention lets every decoder position see every source token:
                """)
        steps.append(PagerStep(title: localized("Who may see whom"), body: prose("""
            ● = may attend, · = hidden. Rows are the tokens asking (queries), columns the tokens \
            looked at (keys).

            The masks depend only on the architecture, so here they are drawn over the Chinese \
            sentence alone. Encoder-only: everything is visible.
            """) + "\n\n" + grid(all, rows: source, columns: source) + "\n\n" + prose("""
            Decoder-only: the lower triangle. "\(source.first ?? "")" sees only itself; \
            "\(source.last ?? "")" sees the whole sentence.
            """) + "\n\n" + grid(causal, rows: source, columns: source) + "\n\n" + narrator.verbatim(encoderDecoderMasks) + "\n\n" + grid(decoderSelf.mask, rows: decoderSelf.rows, columns: decoderSelf.columns) + "\n\n"
            + grid(cross.mask, rows: cross.rows, columns: cross.columns)))

        // The comparison, one row per figure so that each fits a 16:9 slide.
        let comparisonPaths = [try figures.write(demo.architecturesFigure(), as: "01-architectures.png"),
                               try figures.write(demo.masksFigure(), as: "02-masks.png"),
                               try figures.write(demo.weightsFigure(), as: "03-attention-weights.png")]
        // The alignment claims are read off the same maps the figure draws.
        let alignment = demo.crossAlignment()
        let translations: [(word: String, characters: String)] = [("yesterday", "昨天"), ("garden", "花园"), ("cat", "猫")]
        let checked = translations.compactMap { pair in alignment.first { $0.written == pair.word }.map { (pair, $0) } }
        let onTranslation = checked.filter { pair, found in pair.characters.contains(found.strongest) }.count
        let writtenWidth = max(displayWidth(localized("writes")), alignment.map { displayWidth($0.written) }.max() ?? 0)
        let rowWidth = max(displayWidth(localized("row (reads)")), alignment.map { displayWidth($0.row) }.max() ?? 0)
        let alignmentTable = (["    " + pad(localized("writes"), to: writtenWidth + 2) + pad(localized("row (reads)"), to: rowWidth + 2)
                                + localized("looks most at")]
            + alignment.map { "    " + pad($0.written, to: writtenWidth + 2) + pad($0.row, to: rowWidth + 2)
                + $0.strongest + "  " + formatNumber($0.weight) }).joined(separator: "\n")
        // The three words are written into the sentences (not interpolated) so that each language
        // can list them in its own way; `translations` above is the list they are checked against.
        let verdict: LocalizedText = onTranslation == checked.count
            ? "All \(checked.count) of \"yesterday\", \"garden\" and \"cat\" look hardest at a character of their own translation (昨天, 花园, 猫), although the two word orders differ."
            : "\(onTranslation) of the \(checked.count) words \"yesterday\", \"garden\" and \"cat\" look hardest at a character of their own translation (昨天, 花园, 猫)."
        let bertShare = demo.englishAttentionOnChinese()
        steps.append(PagerStep(title: localized("Side by side"), body: prose("""
            Three figures put the three next to each other: the block diagrams (the encoder layer \
            has one attention, the decoder layer of an encoder–decoder has two), the masks, and the \
            attention maps of the trained models, averaged over heads. In the decoders' maps every \
            cell above the diagonal is hatched: the mask hides those keys, whatever the weights.

            Training is what gives the rest its shape. The maps label each decoder row by the word \
            it reads, and a decoder position reads one word and writes the next: the row \
            "\(alignment.first { $0.written == "yesterday" }?.row ?? "garden")" is where \
            "yesterday" is written. For each written word, the source character the translator's \
            cross-attention weights most (the last cross-attention map of the weights figure):
            """) + "\n\n" + alignmentTable + "\n\n" + prose(verdict)
            + (bertShare.map { share in "\n\n" + prose("""
                In the tiny BERT's map, the English tokens give \(formatNumber(share * 100, decimals: 0))% of \
                their attention, on average, to the Chinese sentence across the [SEP]: that is where it \
                can find a hidden word's translation. (Untrained models give noise here: add \
                --weights random to tx compare to see it.)
                """) } ?? "")
            + "\n\n" + comparisonPaths.map(figureLine).joined(separator: "\n")))

        // Model views.
        var viewPaths: [String] = []
        for (architecture, name) in [(ArchitectureDemo.Architecture.encoder, "04-encoder-model-view.png"),
                                     (.decoder, "05-decoder-model-view.png"),
                                     (.encoderDecoder, "06-encoder-decoder-cross-model-view.png")] {
            if let view = demo.modelView(architecture) {
                viewPaths.append(try figures.write(view, as: name))
            }
        }
        let trace = demo.trace(.encoderDecoder)
        let counts = AttentionKind.allCases.map { kind in
            "    \(pad(kind.rawValue, to: 20)) "
                + localized("\(trace.entries(kind: kind).count) maps (\(trace.layers(kind: kind)) layers × \(trace.heads) heads)")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Every layer, every head"), body: prose("""
            Each forward pass records an attention trace: for every layer and head, the weight \
            matrix, its kind and the token labels. The translator's trace holds three kinds:
            """) + "\n\n" + counts + "\n\n" + prose("""
            Drawn as a grid of layers × heads (a "model view"), one per trained model: the tiny \
            BERT's self-attention, the language model's causal self-attention and the translator's \
            cross-attention. Heads of one layer differ: some look at the previous token, some at \
            the matching word, some at punctuation or [SEP] (a place to put attention that is not \
            needed). You can make the same figures for your own sentence, and save the trace as \
            JSON with --json:
                tx attention --arch encoder --view model --text "…"
            """) + "\n\n" + viewPaths.map(figureLine).joined(separator: "\n")))

        // Outputs and sizes.
        let counts3 = demo.parameterCounts
        steps.append(PagerStep(title: localized("What each one outputs"), body: prose("""
            - Encoder-only: one vector per input token (\(demo.encoderOnlyTokens.count) × 64 here). A small head on top \
            turns them into a class, a tag per token, or the word behind a [MASK]. \
            \(narrator.grouped(counts3[.encoder]!)) parameters.
            - Decoder-only: at every position, a probability for each word in the vocabulary being the \
            next one (\(demo.decoderOnlyTokens.count) × vocabulary). Generation samples from the last row, appends, \
            repeats. \(narrator.grouped(counts3[.decoder]!)) parameters.
            - Encoder–decoder: the same next-word probabilities, but for the target, with the source \
            read once by the encoder (\(decoderInput.count) × vocabulary). \(narrator.grouped(counts3[.encoderDecoder]!)) \
            parameters, about twice as many: two stacks, and a cross-attention in every decoder layer.
            (The three vocabularies differ in size, which moves the counts a little.)

            Summary: same blocks, different masks. Bidirectional attention understands, causal \
            attention generates, and cross-attention connects a reader to a writer. Lesson 9 shows \
            how an encoder-only model like BERT gets its training data.
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }
}
