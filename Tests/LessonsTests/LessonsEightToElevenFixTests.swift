import Foundation
import ModelIO
import Testing
@testable import Lessons
import TensorCore
import Terminal
import Catalog
import Transformer
import Figures

/// The numbers behind lessons 8–11's corrected sentences, recomputed here.
@Suite("Lessons 8 to 11: corrected sentences follow their numbers")
struct LessonsEightToElevenFixTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fix811-\(UUID().uuidString)").path
    }

    @Test func lessonEightSaysTheTokenizerLowerCases() throws {
        let run = try LessonCatalog.lookup("architectures").run(LessonContext(seed: 7, outputRoot: folder()))
        let masks = flat(try #require(run.steps.first { $0.title == "Who may see whom" }).body)
        #expect(masks.contains("\"<s> i saw a cat"))
        #expect(masks.contains("lower-cases every word, so \"I\" is \"i\""))
    }

    /// The alignment table and both sentences after it are read off the translator's last
    /// cross-attention layer and the tiny BERT's last layer, recomputed here from the traces.
    @Test func lessonEightAlignmentFollowsTheCrossAttention() throws {
        let run = try LessonCatalog.lookup("architectures").run(LessonContext(seed: 7, outputRoot: folder()))
        let body = try #require(run.steps.first { $0.title == "Side by side" }).body
        let demo = try ArchitectureDemo(trainedOn: ArchitecturesLesson.source, target: ArchitecturesLesson.target)
        let cross = demo.trace(.encoderDecoder).entries(kind: .cross)
        let lastLayer = try #require(cross.map(\.layer).max())
        let heads = cross.filter { $0.layer == lastLayer }
        let input = demo.decoderInputTokens
        var onTranslation = 0
        for (word, characters) in [("yesterday", "昨天"), ("garden", "花园"), ("cat", "猫")] {
            // The row that writes `word` reads the token before it.
            let row = try #require(input.firstIndex(of: word)) - 1
            let mean = demo.sourceTokens.indices.map { key in heads.map { $0.weights[row][key] }.reduce(0, +) / Float(heads.count) }
            let best = try #require(mean.indices.max { mean[$0] < mean[$1] })
            let line = "\(word)  " + String(repeating: " ", count: 9 - word.count) + input[row]
            #expect(body.contains(line), "\(word) is written by the row \(input[row])")
            #expect(body.contains(line + String(repeating: " ", count: 13 - input[row].count) + demo.sourceTokens[best] + "  " + formatNumber(mean[best])))
            if characters.contains(demo.sourceTokens[best]) { onTranslation += 1 }
        }
        #expect(flat(body).contains("the row \"\(input[input.firstIndex(of: "yesterday")! - 1])\" is where \"yesterday\" is written"))
        #expect(flat(body).contains(onTranslation == 3 ? "All 3 of" : "\(onTranslation) of the 3 words"))
        // The BERT share: English rows' weight on the Chinese segment, last layer, heads averaged.
        let bert = demo.trace(.encoder).entries(kind: .encoderSelf)
        let bertLast = bert.filter { $0.layer == bert.map(\.layer).max()! }
        let tokens = demo.encoderOnlyTokens
        let separators = tokens.indices.filter { tokens[$0] == "[SEP]" }
        let english = (separators[0] + 1)..<separators[1], chinese = 1..<separators[0]
        let share = english.map { row in
            chinese.map { key in bertLast.map { $0.weights[row][key] }.reduce(0, +) / Float(bertLast.count) }.reduce(0, +)
        }.reduce(0, +) / Float(english.count)
        #expect(share > 0.05 && share < 0.95)
        #expect(flat(body).contains("the English tokens give \(formatNumber(share * 100, decimals: 0))% of their attention"))
    }

    @Test func lessonNineShowsThePiecesAndBothCounts() throws {
        let run = try LessonCatalog.lookup("bert-data").run(LessonContext(seed: 7, outputRoot: folder()))
        let rates = flat(try #require(run.steps.first { $0.title.hasPrefix("Do the rates") }).body)
        let demo = try BertDataDemo()
        let pieces = demo.tokenizer.encodePair("the cat sat on the mat", nil).ids.map { demo.vocabulary.token(for: $0) ?? "?" }
        #expect(pieces.count > 8, "some of the six words split into pieces")
        #expect(rates.contains("has 6 words but \(pieces.count) tokens"))
        #expect(rates.contains(pieces.joined(separator: " ")))
        let tokens = pieces.count, candidates = pieces.count - 2
        let reference = Int((Double(tokens) * 0.15).rounded(.toNearestOrEven))
        let simple = max(1, Int((Double(candidates) * 0.15).rounded(.toNearestOrEven)))
        #expect(rates.contains("round(0.15 × \(tokens)) = round(\(String(format: "%.2f", 0.15 * Double(tokens)))) = \(reference)"))
        #expect(rates.contains("is round(\(String(format: "%.2f", 0.15 * Double(candidates)))) = \(simple)"))
        #expect(rates.contains("the same count") == (reference == simple))
        #expect(!rates.contains("15% of the candidates would be"))
    }

    @Test func millionsKeepsOneDecimalAndSeparators() {
        #expect(ModelSizes.millions(124_439_808) == "124.4")
        #expect(ModelSizes.millions(174_604_259_328) == "174,604.3")
        #expect(ModelSizes.millions(2_700_000_000) == "2,700")
        #expect(ModelSizes.millions(2_651_596_800) == "2,651.6")
    }

    /// "1,234.5" → 1234.5
    func number(_ text: Substring) -> Double? { Double(text.replacingOccurrences(of: ",", with: "")) }

    @Test func lessonTenTablesCanBeCheckedByHand() throws {
        let run = try LessonCatalog.lookup("gpt-numbers").run(LessonContext(seed: 7, outputRoot: folder()))
        // The configuration table: computed M / paper M is the printed ratio, to rounding.
        let table = try #require(run.steps.first { $0.title.hasPrefix("The configurations") }).body
        #expect(flat(table).contains("both counts in millions (M)"))
        for model in PublishedModel.catalog where model.publishedParameters > 0 {
            let row = try #require(table.split(separator: "\n").first { $0.hasPrefix(model.name + " ") }, "\(model.name)")
            let cells = row.split(separator: " ")
            let computed = try #require(number(cells[cells.count - 3])), paper = try #require(number(cells[cells.count - 2]))
            let ratio = try #require(Double(cells[cells.count - 1]))
            #expect(abs(computed - Double(model.computedParameters) / 1e6) <= 0.05 + 1e-9, "\(row)")
            #expect(abs(paper - Double(model.publishedParameters) / 1e6) <= 0.05 + 1e-9, "\(row)")
            #expect(abs(computed / paper - ratio) < 0.0015, "\(row)")
        }
        // The rule-of-thumb table: GPT-3 2.7B's ratio follows from the two printed counts.
        let rule = try #require(run.steps.first { $0.title.hasPrefix("A rule of thumb") }).body
        let m = try #require(PublishedModel.named("gpt3-2.7b"))
        let row = try #require(rule.split(separator: "\n").first { $0.hasPrefix("    GPT-3 2.7B") })
        let cells = row.split(separator: " ")
        let counted = try #require(number(cells[cells.count - 3])), thumb = try #require(number(cells[cells.count - 2]))
        let printedRatio = try #require(Double(cells[cells.count - 1]))
        let exact = Double(12 * m.layers * m.modelDimension * m.modelDimension + m.vocabularySize * m.modelDimension)
        #expect(abs(thumb - exact / 1e6) <= 0.05 + 1e-9)
        #expect(abs(counted - Double(m.computedParameters) / 1e6) <= 0.05 + 1e-9)
        #expect(abs(thumb / counted - printedRatio) < 0.0015)
        // and the text says which way the ratio is taken.
        #expect(flat(rule).contains("ratio = rule / counted: the share of the parameters the rule catches"))
    }

    /// The bar chart of where the parameters go labels its bars with the percentages the terminal
    /// table prints (one decimal), so GPT-3's 0.4% of embeddings is not drawn as "0%".
    @Test func lessonTenBarsSayWhatTheTableSays() throws {
        let log = RenderLog()
        let run = try RenderLog.$current.withValue(log) {
            try LessonCatalog.lookup("gpt-numbers").run(LessonContext(seed: 7, outputRoot: folder()))
        }
        let step = try #require(run.steps.first { $0.title == "Where the parameters go" }).body
        let entry = try #require(log.entries.first { $0.path.hasSuffix("01-where-parameters-go.png") })
        let labels = Set(entry.texts.map(\.text))
        let gpt3 = try #require(step.components(separatedBy: "GPT-3 175B").last)
        let embeddings = try #require(gpt3.split(separator: "\n").first { $0.contains("embeddings") })
        let share = try #require(embeddings.split(separator: " ").last).dropLast()   // "0.4%" → "0.4"
        #expect(share == "0.4")
        #expect(labels.contains(String(share)), "\(labels.sorted())")
        #expect(!labels.contains("0%"))
    }

    @Test func lessonTenSplitsGrowthIntoDepthAndWidth() throws {
        let run = try LessonCatalog.lookup("gpt-numbers").run(LessonContext(seed: 7, outputRoot: folder()))
        let text = flat(try #require(run.steps.first { $0.title == "Depth and width" }).body)
        // GPT-2 small → XL: 12 → 48 layers (×4.0), (1600/768)² = 4.34: about equal.
        #expect(text.contains("layers 12 → 48, ×4.0; d_model 768 → 1,600, d² ×4.3. Depth and width contribute about equally."))
        // GPT-3 Small → 175B: 12 → 96 (×8.0), (12288/768)² = 256: width.
        #expect(text.contains("layers 12 → 96, ×8.0; d_model 768 → 12,288, d² ×256.0. Width contributes most."))
        #expect(!text.contains("come mostly from wider layers"))
        #expect(text.contains("locally banded sparse attention"))
        // The fitted slopes, by least squares here.
        func slope(_ family: String) -> String {
            let points = PublishedModel.catalog.filter { $0.family == family }
                .map { (log(Double($0.modelDimension)), log(Double($0.computedParameters))) }
            let n = Double(points.count)
            let sx = points.map(\.0).reduce(0, +), sy = points.map(\.1).reduce(0, +)
            let sxy = points.map { $0.0 * $0.1 }.reduce(0, +), sxx = points.map { $0.0 * $0.0 }.reduce(0, +)
            return String(format: "%.1f", (n * sxy - sx * sy) / (n * sxx - sx * sx))
        }
        let gpt2 = slope("GPT-2"), gpt3 = slope("GPT-3")
        #expect(Double(gpt2)! > 2 && Double(gpt3)! > 2)
        #expect(text.contains("log d_model is GPT-2 \(gpt2), GPT-3 \(gpt3):"))
    }

    /// Each panel says the answer is the model's and whether it is the expected one, from `isRight`.
    @Test func lessonElevenPanelsMarkTheModelsAnswer() {
        let task = InContextLesson.tasks[0]
        #expect(InContextLesson.panelTitle(shots: 0, answer: "cheese") == "zero-shot → answers \"cheese\"")
        #expect(InContextLesson.answerMark(right: task.isRight("cheese"), expected: task.expected) == "✗ expected \"fromage\"")
        #expect(InContextLesson.answerMark(right: task.isRight("Fromage."), expected: task.expected) == "✓ the expected answer")
    }

    @Test func lessonElevenVerdictFollowsTheCounts() {
        let tasks = InContextLesson.tasks
        // Few-shot right only where zero-shot was: no gain, though p rose in both.
        let same = InContextLesson.verdict(right: [[false, false, false], [true, false, true]],
                                           probability: [[0.01, 0.02, 0.03], [0.120, 0.2, 0.619]],
                                           tasks: tasks, answerTokens: ["␣from", "␣cold"])
        #expect(same.contains("added no right answer beyond zero-shot"))
        #expect(same.contains("p(␣cold) after \"hot =>\" went from 0.120 with no example to 0.619 with three"))
        #expect(same.contains("toward the right answer in every task, though not always far enough"))
        let gain = InContextLesson.verdict(right: [[false, false, true], [true, false, true]],
                                           probability: [[0.01, 0.02, 0.5], [0.3, 0.2, 0.1]],
                                           tasks: tasks, answerTokens: ["␣from", "␣cold"])
        #expect(gain.contains("turned 1 wrong zero-shot answer into a right one"))
        #expect(gain.contains("in 1 of 2 tasks, away from it in the rest"))
    }

    @Test(.enabled(if: ModelStore.isInstalled(.smollm2), "needs scripts/fetch-models.sh"))
    func lessonElevenPrintsTheRightAnswersProbability() throws {
        let run = try LessonCatalog.lookup("in-context").run(LessonContext(seed: 7, outputRoot: folder()))
        let model = try LlamaModel.loadInstalled()
        var right: [[Bool]] = [], p: [[Double]] = []
        for (taskIndex, task) in InContextLesson.tasks.enumerated() {
            let page = try #require(run.steps.first { $0.title.hasPrefix("Task \(taskIndex + 1)") }).body
            let lines = page.split(separator: "\n")
            let answers = lines.filter { $0.contains("greedy answer: ") }.map { String($0.split(separator: "\"", omittingEmptySubsequences: false)[1]) }
            let printed = lines.filter { $0.contains("first token of \"\(task.expected)\": ") }.map { Double($0.split(separator: " ").last!)! }
            #expect(answers.count == 3 && printed.count == 3)
            right.append(answers.map(task.isRight))
            p.append(printed)
            // Recompute p(first token of the answer) for zero- and few-shot with the model.
            let first = model.tokenizer.encode(" " + task.expected)[0]
            for (index, shots) in [(0, 0), (2, 3)] {
                let probabilities = try softmax(model.makeSession().append(model.tokenizer.encode(task.prompt(shots: shots))))
                #expect(abs(Double(probabilities[first]) - printed[index]) < 0.0006, "\(task.name) \(shots)")
            }
        }
        let summary = flat(try #require(run.steps.last).body)
        let tokens = InContextLesson.tasks.map { InContextLesson.visible((try? model.tokenizer.decode([model.tokenizer.encode(" " + $0.expected)[0]])) ?? "") }
        #expect(summary.contains(flat(InContextLesson.verdict(right: right, probability: p, tasks: InContextLesson.tasks, answerTokens: tokens))))
        #expect(!summary.contains("did not produce the right answers"))
        #expect(!summary.contains("Chat models are then fine-tuned"))
        #expect(flat(run.steps[0].body).contains("already instruction-tuned"))
    }
}
