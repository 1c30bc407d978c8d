import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import TrainedModels
import Transformer
import Training

/// Lesson 7: the encoder–decoder in motion, with the translator this project trained
/// (`tx train translator`, shipped with the package): teacher forcing with the target shifted
/// right, the causal mask checked on real logits, cross-attention as alignment, and greedy
/// decoding one token at a time.
struct EncoderDecoderLesson {
    let context: LessonContext
    static let source = "我是一个学生。"
    static let reordered = "我昨天在花园里看到了一只猫。"
    /// Which characters of `reordered` translate which English word: a dictionary fact, used
    /// to check what the heads attend to. Words with no character of their own ("the",
    /// "</s>") are not listed.
    static let gloss: [String: String] = ["i": "我", "yesterday": "昨天", "in": "在里", "garden": "花园",
                                          "saw": "看到了", "a": "一只", "cat": "猫", ".": "。"]

    /// Per written word with a gloss: the source character it looks at most, and whether
    /// that character is (part of) its translation.
    struct AlignmentCheck: Equatable {
        let word: String
        let strongest: String
        let weight: Float
        /// The characters of its translation, summed, outweigh every other single character.
        let onTranslation: Bool
        /// The weight on all characters of its translation together.
        let translationWeight: Float
        /// The largest weight on a character outside its translation (0 if there is none).
        let otherWeight: Float
    }

    static func checkAlignment(_ weights: [[Float]], outputs: [String], source: [String]) -> [AlignmentCheck] {
        outputs.indices.compactMap { t in
            guard let gloss = gloss[outputs[t].lowercased()], t < weights.count else { return nil }
            let row = weights[t]
            let best = row.indices.max { row[$0] < row[$1] } ?? 0
            let inGloss = { (index: Int) in source[index].allSatisfy { gloss.contains($0) } }
            let mass = row.indices.filter(inGloss).reduce(Float(0)) { $0 + row[$1] }
            let other = row.indices.filter { !inGloss($0) }.map { row[$0] }.max() ?? 0
            return AlignmentCheck(word: outputs[t], strongest: source[best], weight: row[best],
                                  onTranslation: mass > other, translationWeight: mass, otherWeight: other)
        }
    }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("encoder-decoder")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let translator = try TrainedModels.translator()
        let targetIDs = Dictionary(translator.targetVocabulary.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func ids(_ tokens: [String]) -> [Int] { tokens.map { targetIDs[$0] ?? targetIDs["<unk>"] ?? 0 } }

        let source = ParallelCorpus.tokenizeChinese(Self.source)
        let target = try translator.translate(source)
        let shifted = shiftedRight(ids(target), startID: translator.startID, endID: translator.endID)
        let decoderInput = shifted.decoderInput.map(translator.targetToken)
        let labels = shifted.labels.map(translator.targetToken)

        steps.append(PagerStep(title: localized("Two stacks: one reads, one writes"), body: prose("""
            Translation turns one sequence into another of a different length, in another order. \
            The original Transformer (2017) splits the work: the encoder reads the whole source \
            sentence at once, with bidirectional self-attention, and turns each token into a vector \
            that knows its context; the decoder writes the target one token at a time, with causal \
            self-attention over what it has written so far and cross-attention to the encoder's \
            vectors.

            The model in this lesson is real and trained: the small Chinese → English translator \
            this project trains itself (tx train translator: 2 encoder and 2 decoder layers, 4 \
            heads, d_model 64, \(narrator.grouped(translator.model.parameters.scalarCount)) \
            parameters, 3,000 generated sentence pairs, shipped with the package). It translates \
            "\(Self.source)" as "\(target.joined(separator: " "))".
            """)))

        // Shifted right.
        let columnWidth = max(8, (decoderInput + labels).map(displayWidth).max() ?? 0) + 2
        func row(_ name: String, _ values: [String]) -> String {
            pad(name, to: 16) + values.map { pad($0, to: columnWidth) }.joined()
        }
        let table = [
            row(localized("position"), decoderInput.indices.map(String.init)),
            row(localized("decoder input"), decoderInput),
            row(localized("input ids"), shifted.decoderInput.map(String.init)),
            row(localized("must predict"), labels),
            row(localized("label ids"), shifted.labels.map(String.init)),
        ].map { "    " + $0 }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Teacher forcing: the target shifted right"), body: prose("""
            In training the whole target is known, so the decoder does not have to wait for its own \
            guesses. It reads the target shifted one place to the right, behind a start token <s>, \
            and at every position it must predict the token one place ahead; the last label is the \
            end token </s>. All positions are trained in one pass. Feeding the true previous tokens, \
            rather than the model's own, is called teacher forcing.
            """) + "\n\n" + table + "\n\n" + prose("""
            Position 0 reads <s> and must produce "\(labels[0])"; position \(labels.count - 1) reads \
            "\(decoderInput.last ?? "")" and must say the sentence is over. The loss is the mean \
            cross-entropy of the \(labels.count) predictions.
            """)))

        // The diagram with the trained cross-attention (teacher-forced on the target).
        let sourceIDs = translator.sourceIDs(source)
        let cross = try translator.model.crossAttentionWeights(source: sourceIDs, decoderInput: shifted.decoderInput,
                                                               padID: -1)
        func meanOverHeads(_ weights: Tensor) -> [[Float]] {
            let heads = weights.shape[0], rows = weights.shape[1], columns = weights.shape[2]
            return (0..<rows).map { t in (0..<columns).map { s in (0..<heads).map { weights[$0, t, s] }.reduce(0, +) / Float(heads) } }
        }
        let lastCross = meanOverHeads(cross[cross.count - 1])
        let diagramPath = try figures.write(
            ShiftRightDiagram(title: localized("Shifted right: what the decoder reads and what it must predict"),
                              subtitle: localized("the trained translator (tx train translator) · lines: its cross-attention, last layer, mean of 4 heads"),
                              sourceTokens: source, targetTokens: target, crossAttention: lastCross),
            as: "01-shifted-right.png")
        steps.append(PagerStep(title: localized("The picture"), body: prose("""
            The diagram puts it together: the source on top (what the encoder reads), the decoder \
            input with <s> first, the targets beneath with an arrow from each input position to the \
            token it must predict, and the causal mask beside the rows. The faint lines are the \
            trained model's cross-attention: from each decoder position to the source characters it \
            looked at while choosing its next word.
            """) + "\n\n" + figureLine(diagramPath)))

        // The causal mask, checked on the trained model's logits.
        let original = try translator.model.fullPrefixLogits(source: sourceIDs, decoderInput: shifted.decoderInput)
        var changed = shifted.decoderInput
        let replaced = changed.count - 2
        changed[replaced] = targetIDs["cat"] ?? changed[replaced]
        let perturbed = try translator.model.fullPrefixLogits(source: sourceIDs, decoderInput: changed)
        let differences = zip(original, perturbed).map { a, b in zip(a, b).map { abs($0 - $1) }.max() ?? 0 }
        let differenceLines = differences.enumerated().map { position, difference in
            "    " + localized("position \(position) (\(pad(decoderInput[position], to: 8))): largest logit change \(String(format: "%.2e", difference))")
                + (position < replaced ? "" : position == replaced ? "  " + localized("← replaced here") : "")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Position t never sees t+1"), body: prose("""
            Training all positions in one pass only works if position t cannot peek at the token it \
            must predict, which sits at t+1 in the decoder input. The causal mask guarantees it. A \
            check on the trained model: replace "\(decoderInput[replaced])" at position \(replaced) \
            with "cat" and run the decoder again.
            """) + "\n\n" + differenceLines + "\n\n" + prose("""
            The logits before position \(replaced) do not move at all (0 up to float rounding): \
            those positions never saw the word. From position \(replaced) on they change, as they \
            must.
            """)))

        // Cross-attention as alignment, on a sentence whose word order differs.
        let longSource = ParallelCorpus.tokenizeChinese(Self.reordered)
        let longTarget = try translator.translate(longSource)
        let longShifted = shiftedRight(ids(longTarget), startID: translator.startID, endID: translator.endID)
        let longCross = try translator.model.crossAttentionWeights(source: translator.sourceIDs(longSource),
                                                                   decoderInput: longShifted.decoderInput, padID: -1)
        let alignment = meanOverHeads(longCross[longCross.count - 1])
        let outputs = longTarget + ["</s>"]
        let alignmentPath = try figures.write(
            Heatmap(values: alignment, rowLabels: outputs, columnLabels: longSource,
                    title: localized("Cross-attention of the trained translator: the word order changes"),
                    subtitle: localized("last decoder layer, mean of 4 heads · query = the word being written, key = the Chinese character looked at"),
                    colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: localized("weight"),
                    xAxisTitle: AttentionAxisTitles.key, yAxisTitle: AttentionAxisTitles.query),
            as: "02-cross-attention-alignment.png")
        let checks = Self.checkAlignment(alignment, outputs: outputs, source: longSource)
        let strongest = outputs.indices.map { t -> String in
            let best = alignment[t].indices.max { alignment[t][$0] < alignment[t][$1] }!
            var line = "    \(pad(outputs[t], to: 10)) "
                + localized("looks most at \(longSource[best]) (\(String(format: "%.2f", alignment[t][best])))")
            if let check = checks.first(where: { $0.word == outputs[t] }), let gloss = Self.gloss[outputs[t].lowercased()] {
                line += check.onTranslation ? "  ✓" : "  ✗"
                line += " \(gloss) \(String(format: "%.2f", check.translationWeight))"
                line += check.onTranslation ? " > " : " ≤ "
                line += "\(String(format: "%.2f", check.otherWeight))"
            } else {
                line += "  " + localized("(no character of its own)")
            }
            return line
        }.joined(separator: "\n")
        let aligned = checks.filter(\.onTranslation)
        let misses = checks.filter { !$0.onTranslation }
        let missText = misses.map { "\"\($0.word)\" → \($0.strongest)" }.joined(separator: ", ")
        // One translatable sentence per claim; English keeps its spacing (two spaces when every
        // word is aligned), Chinese sentences run on without spaces.
        let alignedList = aligned.map { "\"\($0.word)\"" }.joined(separator: ", ")
        let alignedSentence = aligned.isEmpty
            ? localized("\(aligned.count) of the \(checks.count) words that have a translation in the source give it more weight than any other character, even where the order differs from English.")
            : localized("\(aligned.count) of the \(checks.count) words that have a translation in the source give it more weight than any other character (\(alignedList)), even where the order differs from English.")
        let gap = Language.current == .chinese ? "" : " "
        let missSentence = misses.isEmpty ? gap : localized("The others do not: \(missText). So the alignment is partial.") + gap
        let alignmentVerdict = alignedSentence + gap + missSentence + localized("""
            Nobody told the model which character means which word; \
            what alignment there is came out of learning to translate, and a model this small, \
            trained on this project's small corpus, learns only part of it. Cross-attention \
            does not have to be a clean word-to-word map anyway: a head can gather whatever helps \
            predict the next word, and the decoder's own self-attention carries the rest. (Rows \
            are labelled by the word being written: the query of the position that produces it.)
            """)
        steps.append(PagerStep(title: localized("Cross-attention: the decoder asks, the encoder answers"), body: prose("""
            In cross-attention the queries come from the decoder (what am I about to write?) and the \
            keys and values from the encoder's output (what does the source say?). Q is \
            [target positions × d_k], K and V are [source positions × d_k], so the weights form a \
            target × source matrix: for every word being written, a distribution over the source.

            Chinese puts the time first and English puts it last: "\(Self.reordered)" → \
            "\(longTarget.joined(separator: " "))". For each word written, the character the \
            heads look at most (mean of the 4 heads of the last layer). Then a check against \
            a dictionary: the weight on the word's translation (all its characters together) \
            against the largest weight on any other character; ✓ when the translation gets more:
            """) + "\n\n" + strongest + "\n\n" + narrator.verbatim(alignmentVerdict) + "\n\n" + figureLine(alignmentPath)))

        // Greedy decoding, step by step.
        let trace = try translator.decodingTrace(source, topK: 4)
        var stepTexts: [String] = []
        for (index, step) in trace.steps.enumerated() {
            let input = step.decoderInput.map(translator.targetToken)
            let candidates = step.topTokens.map { translator.targetToken($0.id) }
            let chosen = step.topTokens.firstIndex { $0.id == step.chosenID }
            let best = step.crossAttention.indices.max { step.crossAttention[$0] < step.crossAttention[$1] }!
            let path = try figures.write(
                DecodingStepFigure(title: localized("Greedy decoding, step \(index + 1): \(input.joined(separator: " ")) → ?"),
                                   decoderInput: input, candidates: candidates,
                                   probabilities: step.topTokens.map { Double($0.probability) }, chosenIndex: chosen,
                                   sourceTokens: source, crossAttention: step.crossAttention),
                as: String(format: "%02d-decoding-step-%d.png", 3 + index, index + 1))
            stepTexts.append(localized("step \(index + 1): the decoder reads \(input.joined(separator: " ")), looks most at \(source[best]) (\(String(format: "%.2f", step.crossAttention[best])))") + "\n"
                             + probabilityBars(tokens: candidates, probabilities: step.topTokens.map(\.probability),
                                               chosen: chosen, style: context.style)
                             + "\n" + figureLine(path))
        }
        steps.append(PagerStep(title: localized("Inference: one token at a time"), body: prose("""
            At inference there is no target to shift. The decoder starts from <s> alone, predicts a \
            distribution over the next word, the most likely one is appended (greedy decoding), and \
            the longer input goes back in, until it predicts </s>. The encoder runs once; its output \
            is reused at every step. (The decoder also keeps the keys and values of earlier \
            positions, a KV cache, since the causal mask means they never change.)
            """) + "\n\n" + stepTexts.joined(separator: "\n\n") + "\n\n" + prose("""
            Result: "\(trace.output.map(translator.targetToken).joined(separator: " "))". Training \
            fed the decoder the right previous words; at inference it feeds on its own, so an early \
            mistake can carry on. Lesson 12 shows the alternatives to always taking the top word.
            """)))

        // Summary.
        let love = try translator.translate(ParallelCorpus.tokenizeChinese("我爱你。"))
        steps.append(PagerStep(title: localized("Summary"), body: prose("""
            - Training: decoder input = <s> + target, labels = target + </s>, all positions at \
            once, the causal mask keeps each from seeing its own answer.
            - Cross-attention connects the two stacks: decoder queries, encoder keys and values; \
            trained, it partly aligns words across languages ("我爱你。" → "\(love.joined(separator: " "))").
            - Inference: start from <s>, predict, append, repeat until </s>.

            Try your own. The diagram:
                tx shift --source "我是一个学生" --target "I am a student"
            and greedy decoding, step by step:
                tx generate --model translator --text "我们每天在学校画一朵花"
            """) + "\n\n" + narrator.figuresWritten(figures.written)))

        return LessonRun(steps: steps, figures: figures.written)
    }
}
