import Foundation
import ModelIO
import Testing
@testable import Lessons
import TensorCore
import Terminal
import TrainedModels
import Catalog
import Tokenizers
import Training
import Transformer

/// Columns a line takes in a terminal: wide (CJK) characters 2, escapes 0.
func columnsOf(_ line: String) -> Int { displayWidth(line) }

/// Every page of `run` as the pager prints it at `width` columns (no terminal: nothing paged).
func pages(_ run: LessonRun, width: Int) -> String {
    var output = ""
    var input = ScriptedLines([])
    StepPager(style: TerminalStyle(useColor: false, width: width), interactive: false, screenSize: { nil })
        .run(heading: "Lesson", steps: run.steps, input: &input) { output += $0 }
    return output
}

/// The lines of `run` wider than `width` when printed at that width. Figure paths are measured
/// as if written under "Output/" (the default): a test's temporary folder is longer.
func overlong(_ run: LessonRun, width: Int, root: String) -> [String] {
    pages(run, width: width).replacingOccurrences(of: root, with: "Output").split(separator: "\n").map(String.init)
        .filter { columnsOf($0) > width }
}

/// Prose with its line breaks undone, so a sentence can be searched whole.
func flat(_ text: String) -> String {
    text.split(whereSeparator: { $0 == "\n" || $0 == reflowMarker }).map { $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: " ")
}

@Suite("The masked-LM counting rule")
struct MaskCountRuleTests {
    /// `[min(20, max(1, round(L * 0.15))) for L in range(3, 103)]` printed by Python 3: the
    /// number create_pretraining_data.py predicts for [CLS] + 1…100 candidates + [SEP].
    static let python3Reference = [
        1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 6, 6, 6,
        6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11,
        11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15,
        15]
    /// `[max(1, round(n * 0.15)) for n in range(1, 101)]`: 15% of the candidates alone.
    static let python3Candidates = [
        1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 6,
        6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 11,
        11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 15, 15,
        15, 15]

    @Test func theReferenceRuleMatchesCreatePretrainingDataForOneToAHundredCandidates() throws {
        let vocabulary = try Vocabulary(tokens: SpecialToken.allCases.map(\.rawValue) + (0..<200).map { "w\($0)" })
        let cls = try vocabulary.requireID(of: .classification), sep = try vocabulary.requireID(of: .separator)
        let pad = try vocabulary.requireID(of: .pad)
        for candidates in 1...100 {
            // Padding after [SEP] does not count: the reference counts before padding.
            let ids = [cls] + (0..<candidates).map { 5 + $0 } + [sep] + [Int](repeating: pad, count: 7)
            var generator = SeededGenerator(seed: UInt64(candidates))
            let example = try corruptForMaskedLM(ids: ids, vocabulary: vocabulary, maxPredictions: 20, using: &generator)
            #expect(example.maskedPositions.count == Self.python3Reference[candidates - 1], "\(candidates) candidates")
            var other = SeededGenerator(seed: UInt64(candidates))
            let simple = try corruptForMaskedLM(ids: ids, vocabulary: vocabulary, counting: .candidates, using: &other)
            #expect(simple.maskedPositions.count == Self.python3Candidates[candidates - 1], "\(candidates) candidates")
            #expect(!example.maskedPositions.contains(0) && !example.maskedPositions.contains(candidates + 1))
        }
        // The cap: 150 candidates, 152 tokens → round(22.8) = 23, capped at max_predictions_per_seq.
        let long = [cls] + (0..<150).map { 5 + $0 % 200 } + [sep]
        var generator = SeededGenerator(seed: 1)
        #expect(try corruptForMaskedLM(ids: long, vocabulary: vocabulary, maxPredictions: 20, using: &generator).maskedPositions.count == 20)
    }
}

@Suite("Sentences that state results match the results")
struct MeasuredClaimsTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)").path
    }

    /// Lesson 13's reward-model pair counts are rounds × requests × K(K−1)/2, as collectPreferences
    /// makes them: the shipped model's record and the held-out pairs it measures agree.
    @Test func lessonThirteenDerivesItsPairCounts() throws {
        let run = try LessonCatalog.lookup("13").run(LessonContext(seed: 7, outputRoot: folder()))
        let step = flat(try #require(run.steps.first { $0.title == "Stage 3: a model that imitates the labeller" }).body)
        let options = RewardModelOptions()
        let k = options.answersPerRequest, perGroup = k * (k - 1) / 2
        let training = options.trainingRounds * ChatTask.trainingRequests.count * perGroup
        let heldOut = options.heldOutRounds * ChatTask.heldOutRequests.count * perGroup
        #expect((k, perGroup, ChatTask.trainingRequests.count, ChatTask.heldOutRequests.count) == (4, 6, 32, 10))
        #expect((training, heldOut) == (1152, 480))
        #expect(try TrainedModels.metadata(of: .rewardModel)["trainingPairs"] == String(training))
        #expect(step.contains("compares every pair of those 4 answers, 4·3/2 = 6 pairs"))
        #expect(step.contains("\(options.trainingRounds) rounds × 32 requests × 6 pairs = 1,152 ranked pairs."))
        #expect(step.contains("\(options.heldOutRounds) rounds × 10 held-out requests × 6 = 480 pairs, never trained on"))
    }

    @Test func lessonNineCountsWhatItSays() throws {
        let run = try LessonCatalog.lookup("bert-data").run(LessonContext(seed: 7, outputRoot: folder()))
        let mlm = flat(try #require(run.steps.first { $0.title.hasPrefix("Masked LM") }).body)
        // "N tokens, C of them candidates; round(0.15 × N) = round(x) = K chosen", and the table lists K rows.
        let pattern = try Regex(#"(\d+) tokens, (\d+) of them candidates; round\(0\.15 × (\d+)\) = round\(([\d.]+)\) = (\d+) chosen"#)
        let match = try #require(mlm.firstMatch(of: pattern))
        let tokens = Int(match.output[1].substring!)!, candidates = Int(match.output[2].substring!)!
        let chosen = Int(match.output[5].substring!)!
        #expect(Int(match.output[3].substring!)! == tokens)
        #expect(chosen == MaskCountRuleTests.python3Reference[candidates - 1] || tokens != candidates + 2)
        #expect(chosen == min(20, max(1, Int((Double(tokens) * 0.15).rounded(.toNearestOrEven)))))
        let body = try #require(run.steps.first { $0.title.hasPrefix("Masked LM") }).body
        let rows = body.split(separator: "\n").filter { $0.hasPrefix("    ") && ($0.contains("[MASK]") || $0.contains(" random ") || $0.contains(" kept ")) && $0.first(where: \.isNumber) != nil }
        #expect(rows.count == chosen)

        // The side-by-side table: every row recomputed from the two formulas.
        let rates = try #require(run.steps.first { $0.title.hasPrefix("Do the rates") }).body
        let tableRows = rates.split(separator: "\n").map(String.init).filter { $0.hasSuffix("%") && $0.contains("  ") && !$0.contains("of the chosen") && !$0.contains("of all") }
        #expect(tableRows.count == 6)
        for row in tableRows {
            let numbers = row.split(separator: " ").compactMap { Int($0) }
            let (tokens, candidates, reference, simple) = (numbers[numbers.count - 4], numbers[numbers.count - 3], numbers[numbers.count - 2], numbers[numbers.count - 1])
            #expect(reference == min(20, max(1, Int((Double(tokens) * 0.15).rounded(.toNearestOrEven)))), "\(row)")
            #expect(simple == min(20, max(1, Int((Double(candidates) * 0.15).rounded(.toNearestOrEven)))), "\(row)")
        }
        // 30 candidates: the reference takes round(4.8) = 5, 15% of the candidates round(4.5) = 4.
        #expect(flat(rates).contains("They differ on 30 pieces"))

        // The tiny BERT: the sentence's counts are the ones its table shows.
        let fill = try #require(run.steps.first { $0.title.hasPrefix("A trained tiny BERT") }).body
        let entries = try BertDataLesson.fillIn()
        let right = entries.filter { $0.guesses.first?.token == $0.original }.count
        let inFive = entries.filter { entry in entry.guesses.contains { $0.token == entry.original } }.count
        #expect(flat(fill).contains("first guess at \(right) of \(entries.count) positions and among its five at \(inFive)"))
        for entry in entries {
            #expect(entry.guesses.count == 5)
            #expect(fill.contains(entry.guesses.map { "\($0.token) \(formatNumber($0.probability, decimals: 2))" }.joined(separator: " · ")))
        }
        #expect(run.figures.contains { $0.hasSuffix("04-tiny-bert-fills-in.png") })
        #expect(!flat(run.steps.map(\.body).joined(separator: "\n")).contains("later version"))
    }

    @Test func lessonTenGrowthFactorsAndSharesAreComputed() throws {
        let run = try LessonCatalog.lookup("gpt-numbers").run(LessonContext(seed: 7, outputRoot: folder()))
        let text = flat(run.steps.map(\.body).joined(separator: "\n"))
        let gpt1 = PublishedModel.named("gpt-1")!, gpt2 = PublishedModel.named("gpt2-xl")!, gpt3 = PublishedModel.named("gpt3-175b")!
        let a = Int((Double(gpt2.publishedParameters) / Double(gpt1.publishedParameters)).rounded())
        let b = Int((Double(gpt3.publishedParameters) / Double(gpt2.publishedParameters)).rounded())
        #expect(a == 13 && b == 113)
        #expect(text.contains("is \(a) times GPT-1") && text.contains("is \(b) times that GPT-2"))
        #expect(!text.contains("ten times"))
    }

    @Test func layerNormsAreNotCountedAsFeedForward() throws {
        let base = PublishedModel.named("transformer-base")!
        let split = ModelSizes.breakdown(base)
        // 12 feed-forward layers of 512·2048 + 2048 + 2048·512 + 512, nothing else.
        #expect(split.feedForward == 12 * (2 * 512 * 2048 + 2048 + 512))
        // 6 encoder layers × 2 norms + 6 decoder layers × 3 norms, each γ and β of 512.
        #expect(split.normsAndOther == (6 * 2 + 6 * 3) * 2 * 512)
        #expect(split.total == base.computedParameters)
    }

    @Test func lessonSixSaysWhereTheParametersSit() throws {
        let run = try LessonCatalog.lookup("block").run(LessonContext(seed: 7, outputRoot: folder()))
        let text = flat(run.steps.map(\.body).joined(separator: "\n"))
        // By hand: ffn = 2·512·2048 + 2048 + 512 = 2,099,712; encoder layer = 4·(512² + 512) + ffn + 2·1024 = 3,152,384;
        // decoder layer = 2·(4·(512² + 512)) + ffn + 3·1024 = 4,204,032; whole = 6·enc + 6·dec + 37,000·512 = 63,082,496.
        let ffn = 2_099_712, encoder = 3_152_384, decoder = 4_204_032, whole = 63_082_496
        func pct(_ a: Int, _ b: Int) -> String { String(Int((Double(a) / Double(b) * 100).rounded())) + "%" }
        #expect(text.contains("The feed-forward layer is \(pct(ffn, encoder)) of an encoder layer and \(pct(ffn, decoder)) of a decoder layer"))
        #expect(text.contains("feed-forward layers hold \(pct(12 * ffn, whole)) of the parameters"))
        #expect(pct(12 * ffn, whole) == "40%")
        #expect(!text.contains("Most of a Transformer's parameters sit here"))
    }

    @Test func lessonSevenDescribesTheAlignmentItMeasures() throws {
        let run = try LessonCatalog.lookup("encoder-decoder").run(LessonContext(seed: 7, outputRoot: folder()))
        let cross = try #require(run.steps.first { $0.title.hasPrefix("Cross-attention") }).body
        let rows = cross.split(separator: "\n").filter { $0.contains("looks most at") }
        let right = rows.filter { $0.contains("✓") }.count, wrong = rows.filter { $0.contains("✗") }.count
        #expect(right + wrong > 0)
        #expect(flat(cross).contains("\(right) of the \(right + wrong) words that have a translation in the source give it more weight than any other character"))
        #expect(flat(cross).contains("alignment is partial") == (wrong > 0))
        #expect(!flat(cross).contains("follows the meaning, not the position"))
    }

    @Test func theOrderIsAPathAndNothingPointsAtLessonThirteen() throws {
        var texts: [Int: String] = [:]
        for number in [2, 3, 8] {
            let run = try LessonCatalog.lookup(String(number)).run(LessonContext(seed: 7, outputRoot: folder()))
            texts[number] = flat(run.steps.map(\.body).joined(separator: "\n"))
        }
        // No lesson promises what no lesson keeps. The lessons' sources are searched (running all
        // of them here would double the suite's time).
        let lessons = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Lessons").standardized
        let sources = try FileManager.default.contentsOfDirectory(atPath: lessons.path).filter { $0.hasSuffix(".swift") }
        #expect(sources.count > 10)
        for name in sources {
            let text = flat(try String(contentsOf: lessons.appendingPathComponent(name), encoding: .utf8)).lowercased()
            #expect(!text.contains("a later lesson looks inside"), "\(name)")
            #expect(!text.contains("come in a later version"), "\(name)")
        }
        // Every lesson ends pointing at the one after it: 0 → 1 → … → 14, then the end.
        let numbers = LessonCatalog.available.map(\.number)
        #expect(numbers == Array(0...14))
        for (lesson, next) in zip(LessonCatalog.available, LessonCatalog.available.dropFirst()) {
            #expect(lesson.nextLine == "Next: lesson \(next.number) · \(next.title) · tx lesson \(next.number)")
        }
        #expect(LessonCatalog.available.last?.nextLine.hasPrefix("This was the last lesson.") == true)
        // No lesson ends by sending the learner back down the path.
        #expect(!texts[3]!.contains("Next: positional encoding (lesson 2)"))
        #expect(!texts[8]!.contains("Lesson 7 follows"))
        #expect(!texts[2]!.contains("the attention head of lesson 3"))
        #expect(texts[2]!.contains("lesson 14 rotates a real query"))
    }

    @Test(.enabled(if: ModelStore.isInstalled(.smollm2), "needs scripts/fetch-models.sh"))
    func lessonElevenCountsTheRightAnswersItShows() throws {
        let run = try LessonCatalog.lookup("in-context").run(LessonContext(seed: 7, outputRoot: folder()))
        var right = [0, 0, 0]
        for (taskIndex, task) in InContextLesson.tasks.enumerated() {
            let page = try #require(run.steps.first { $0.title.hasPrefix("Task \(taskIndex + 1)") }).body
            let answers = page.split(separator: "\n").filter { $0.contains("greedy answer: ") }.map { line in
                String(line.split(separator: "\"", omittingEmptySubsequences: false)[1])
            }
            #expect(answers.count == 3)
            for (index, answer) in answers.enumerated() where task.isRight(answer) { right[index] += 1 }
        }
        let summary = flat(try #require(run.steps.last).body)
        #expect(summary.contains("Right greedy answers: zero-shot \(right[0]) of 2, one-shot \(right[1]) of 2, few-shot \(right[2]) of 2."))
        #expect(!summary.contains("Lesson 13"))
    }
}
