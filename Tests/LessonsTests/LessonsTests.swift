import Figures
import Foundation
import Localization
import ModelIO
import Testing
@testable import Lessons
import Terminal
import TensorCore
import Transformer

@Suite("Lesson catalog")
struct CatalogTests {
    @Test func findsLessonsByNumberAndName() throws {
        #expect(try LessonCatalog.lookup("3").slug == "attention")
        #expect(try LessonCatalog.lookup("03").slug == "attention")
        #expect(try LessonCatalog.lookup("Attention").number == 3)
        #expect(try LessonCatalog.lookup("03-attention").number == 3)
    }

    @Test func unknownAndPlannedLessonsExplainThemselves() {
        do {
            _ = try LessonCatalog.lookup("nosuch")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("unknown lesson 'nosuch'; available: "))
            #expect("\(error)".contains("3 (attention)"))
        }
        #expect(throws: LessonError.self) { try LessonCatalog.lookup("99") }
        // Every lesson of the syllabus is written now (lesson 13 was the last planned one).
        #expect(LessonCatalog.available.map(\.number) == Array(0...14))
        #expect((try? LessonCatalog.lookup("chatgpt-training"))?.number == 13)
    }

    @Test func syllabusIsNumberedInOrder() {
        #expect(LessonCatalog.all.map(\.number) == Array(0...14))
        #expect(LessonCatalog.all[3].directoryName == "03-attention")
        #expect(LessonCatalog.all[10].directoryName == "10-gpt-numbers")
    }
}

@Suite("Lesson 3: attention")
struct AttentionLessonTests {
    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func sameSeedSameFiguresOtherSeedOtherFigures() throws {
        let lesson = try LessonCatalog.lookup("attention")
        let a = try temporaryFolder(), b = try temporaryFolder(), c = try temporaryFolder()
        let runA = try lesson.run(LessonContext(seed: 7, outputRoot: a))
        _ = try lesson.run(LessonContext(seed: 7, outputRoot: b))
        _ = try lesson.run(LessonContext(seed: 8, outputRoot: c))
        #expect(runA.steps.count == 10)
        #expect(runA.figures.count == 8)
        for figure in runA.figures {
            let name = (figure as NSString).lastPathComponent
            let bytesA = FileManager.default.contents(atPath: figure)
            let bytesB = FileManager.default.contents(atPath: "\(b)/03-attention/\(name)")
            #expect(bytesA != nil && bytesA == bytesB, "\(name) differs between two runs with seed 7")
        }
        #expect(FileManager.default.contents(atPath: "\(a)/03-attention/04-weights.png")
                != FileManager.default.contents(atPath: "\(c)/03-attention/04-weights.png"))
    }

    /// The five stage figures are one series on slides: the grid of each (found by its axis titles,
    /// which are centred on it, and its row labels) sits at one place, masked stage or not.
    @Test func theStageFiguresHaveTheirGridsAtOnePlace() throws {
        let lesson = try LessonCatalog.lookup("attention")
        let log = RenderLog()
        _ = try RenderLog.$current.withValue(log) {
            try lesson.run(LessonContext(seed: 7, outputRoot: try temporaryFolder()))
        }
        let stages = log.entries.filter { ($0.path as NSString).lastPathComponent.hasPrefix("0") && $0.kind == "Heatmap" }
        #expect(stages.map { ($0.path as NSString).lastPathComponent }
                == ["01-scores.png", "02-scaled-scores.png", "03-masked-scores-causal.png", "04-weights.png", "05-weights-causal.png"])
        func box(_ text: String, in entry: RenderLog.Entry) throws -> Rect {
            try #require(entry.texts.first { $0.text == text }?.box, "\(entry.path): no \"\(text)\"")
        }
        let reference = try #require(stages.first)
        for entry in stages.dropFirst() {
            #expect(entry.size == reference.size)
            for text in ["query", "key", "tired"] {
                let a = try box(text, in: reference), b = try box(text, in: entry)
                #expect(abs(a.minX - b.minX) < 0.01 && abs(a.minY - b.minY) < 0.01,
                        "\((entry.path as NSString).lastPathComponent): \"\(text)\" at \(b), in 01 at \(a)")
            }
        }
        // The overview's four grids in one row: the queries labelled once, a key title under each
        // grid, all four at one height.
        let overview = try #require(log.entries.first { $0.path.hasSuffix("00-overview.png") })
        #expect(overview.texts.filter { $0.text == "query" }.count == 1)
        let keyTitles = overview.texts.filter { $0.text == "key" }.map(\.box).sorted { $0.minX < $1.minX }
        try #require(keyTitles.count == 4)
        #expect(keyTitles.allSatisfy { abs($0.minY - keyTitles[0].minY) < 0.01 }, "\(keyTitles)")
        #expect(overview.texts.filter { $0.text == "tired" }.count == 5, "one row label and four column labels")
    }

    /// A lesson run removes the figures an earlier run left in its folder under other names (a
    /// renamed figure), after writing its own; files not named like figures, folders and other
    /// lessons' folders are left alone.
    @Test func aRunRemovesItsFolderStaleFiguresOnly() throws {
        let root = try temporaryFolder()
        let manager = FileManager.default
        let folder = "\(root)/03-attention", other = "\(root)/04-masks"
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: other, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: "\(folder)/98-folder.png", withIntermediateDirectories: true)
        let bytes = Data([1, 2, 3])
        for name in ["99-old.png", "08-renamed-figure.png", "notes.png", "12-old.txt", "1-short.png", "mine-01-x.png"] {
            #expect(manager.createFile(atPath: "\(folder)/\(name)", contents: bytes))
        }
        #expect(manager.createFile(atPath: "\(other)/99-old.png", contents: bytes))
        let run = try LessonCatalog.lookup("attention").run(LessonContext(seed: 7, outputRoot: root))
        let left = try manager.contentsOfDirectory(atPath: folder).sorted()
        let written = run.figures.map { ($0 as NSString).lastPathComponent }
        #expect(written.count == 8)
        #expect(left == (written + ["12-old.txt", "1-short.png", "98-folder.png", "mine-01-x.png", "notes.png"]).sorted())
        #expect(manager.fileExists(atPath: "\(other)/99-old.png"))
    }

    @Test func lessonFigureNamesAreTwoDigitsADashAndPNG() {
        #expect(StaleFigures.isLessonFigureName("03-attention-weights.png"))
        #expect(StaleFigures.isLessonFigureName("10-x.png"))
        #expect(!StaleFigures.isLessonFigureName("3-attention.png"))
        #expect(!StaleFigures.isLessonFigureName("03attention.png"))
        #expect(!StaleFigures.isLessonFigureName("03-attention.svg"))
        #expect(!StaleFigures.isLessonFigureName("03-.png"))
        #expect(!StaleFigures.isLessonFigureName("٠٣-attention.png"))
    }

    @Test func theTextShowsRowSumsAndTheWeightedSum() throws {
        let run = try LessonCatalog.lookup("attention").run(LessonContext(seed: 7, outputRoot: try temporaryFolder()))
        let softmaxPage = try #require(run.steps.first { $0.title.contains("softmax") })
        // Every row of the printed weight table ends in a row sum of 1.00.
        let rows = softmaxPage.body.split(separator: "\n").filter { $0.contains("│") }.dropFirst()
        #expect(rows.count == 11)
        #expect(rows.allSatisfy { $0.hasSuffix("1.00") })
        let outputPage = try #require(run.steps.first { $0.title.contains("output") })
        #expect(outputPage.body.contains("z(it) ="))
    }

    @Test func demoMatchesTheLessonSentence() throws {
        let demo = try AttentionDemo(text: AttentionLesson.sentence, seed: 7)
        #expect(demo.tokens.count == 11)
        #expect(demo.stages.weights.shape == [11, 11])
        #expect(demo.input.row(0) == demo.input.row(4))   // "The" and "the": no positions yet
        #expect(throws: AttentionDemo.DemoError.self) { try AttentionDemo(text: " \n ", seed: 7) }
    }
}

@Suite("Why √d_k: the experiment")
struct ScaleExperimentTests {
    let experiment = ScaleExperiment.run(keyCount: 11, samples: 200, seed: 7)

    @Test func spreadOfTheDotProductGrowsLikeSquareRootOfDk() {
        #expect(experiment.rows.map(\.keyDimension) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
        for row in experiment.rows {
            let expected = Float(row.keyDimension).squareRoot()
            #expect(abs(row.scoreDeviation / expected - 1) < 0.12, "d_k \(row.keyDimension): spread \(row.scoreDeviation)")
        }
    }

    @Test func unscaledSaturatesScaledStaysLevel() throws {
        let first = try #require(experiment.rows.first), last = try #require(experiment.rows.last)
        #expect(last.entropyUnscaled < 0.3)
        #expect(last.maxWeightUnscaled > 0.9)
        #expect(first.entropyUnscaled > 1.5)
        for row in experiment.rows {
            #expect(abs(row.entropyScaled - first.entropyScaled) < 0.25)
            #expect(row.entropyScaled <= experiment.maximumEntropy)
        }
    }
}

@Suite("Every written lesson")
struct EveryLessonTests {
    /// Lessons 1 and 14 need the real models (and change TX_MODELS_DIR in one test): they have
    /// their own serialised suite, RealModelLessonsTests, with the same checks.
    /// Lesson 11 needs SmolLM2 and is only run where scripts/fetch-models.sh has put it.
    static let lessons = LessonCatalog.available.map(\.number).filter {
        !RealModelLessonsTests.lessons.contains($0) && ($0 != 11 || ModelStore.isInstalled(.smollm2))
    }.filter(onlyRequestedLessons)

    @Test(arguments: lessons)
    func writesItsFiguresAndRerendersThemByteForByte(number: Int) throws {
        let lesson = try LessonCatalog.lookup(String(number))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("every-\(UUID().uuidString)").path
        let log = RenderLog()
        let first = try RenderLog.$current.withValue(log) {
            try lesson.run(LessonContext(seed: 3, outputRoot: root + "/a"))
        }
        _ = try lesson.run(LessonContext(seed: 3, outputRoot: root + "/b"))
        // Printed as the pager prints it, no line is wider than 80 columns (East Asian wide
        // characters count 2), nor than 120 in a wider window, and no reflow marker leaks.
        let wide = overlong(first, width: 80, root: root + "/a")
        #expect(wide.isEmpty, "lesson \(number) at 80 columns:\n\(wide.joined(separator: "\n"))")
        #expect(overlong(first, width: 120, root: root + "/a").isEmpty)
        #expect(!pages(first, width: 80).contains(reflowMarker))
        #expect(first.steps.count >= 4)
        // A command the learner is invited to type is a line of its own, never cut by the
        // wrapping of the prose around it.
        for line in pages(first, width: 80).split(separator: "\n").map(String.init)
        where line.range(of: #"\btx [a-z]+ (--|")"#, options: .regularExpression) != nil {
            #expect(line.hasPrefix("    ") && line.trimmingCharacters(in: .whitespaces).hasPrefix("tx "),
                    "lesson \(number): a command inside prose: \(line)")
        }
        // The last page says where to go next.
        #expect(first.steps.last?.body.hasSuffix(lesson.nextLine) == true)
        // Every figure's text stays on its canvas and no two labels collide.
        #expect(log.entries.count == first.figures.count)
        // One width per kind, and the posters readable on a slide.
        for fault in figureLayoutFaults(log) + figureWidthFaults(log) + seriesWidthFaults(log) + seriesHeightFaults(log) + slideTextFaults(log)
            + missingPosters(log, lesson: lesson.directoryName) { Issue.record("\(fault)") }
        #expect(!first.figures.isEmpty)
        for figure in first.figures {
            #expect(figure.hasPrefix(root + "/a/" + lesson.directoryName + "/"))
            let a = try #require(FileManager.default.contents(atPath: figure))
            let b = FileManager.default.contents(atPath: figure.replacingOccurrences(of: root + "/a/", with: root + "/b/"))
            #expect(Array(a.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
            #expect(a == b, "\(figure) differs between two runs with one seed")
        }
        // Every figure is named in the text, so a learner knows where to look.
        let text = first.steps.map(\.body).joined(separator: "\n")
        for figure in first.figures { #expect(text.contains(figure)) }
    }
}

@Suite("Lessons 2 and 4: the facts they claim")
struct LessonClaimsTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)").path
    }

    @Test func positionsLessonShowsOrderBlindnessAndItsCure() throws {
        let run = try LessonCatalog.lookup("positions").run(LessonContext(seed: 7, outputRoot: folder()))
        #expect(run.steps[0].body.contains("largest difference 0.000000"))
        let added = try #require(run.steps.first { $0.title.contains("Adding positions") })
        #expect(!added.body.contains("largest difference 0.000)"))
        let overflowText = flat(run.steps.last.map(\.body) ?? "")
        #expect(overflowText.contains("a sequence of 9 positions is longer than maxLength 8"))
    }

    @Test func masksLessonShowsZeroWeightOnPaddingAndNoNaN() throws {
        let run = try LessonCatalog.lookup("masks").run(LessonContext(seed: 7, outputRoot: folder()))
        let padding = try #require(run.steps.first { $0.title == "The padding mask" })
        // In the weight table, the three [PAD] columns of every row print 0.00 and the row sums 1.00.
        let rows = padding.body.split(separator: "\n").filter { $0.contains("│") }.dropFirst()
        #expect(rows.count == 6)
        for row in rows {
            let cells = row.split(separator: " ").map(String.init)
            #expect(Array(cells.suffix(5).prefix(3)) == ["0.00", "0.00", "0.00"], "\(row)")
            #expect(cells.last == "1.00")
        }
        let nothing = try #require(run.steps.first { $0.title.contains("can see nothing") })
        #expect(nothing.body.contains("naive softmax([−∞, −∞, −∞]) = [NaN, NaN, NaN]"))
        #expect(nothing.body.contains("our softmax([−∞, −∞, −∞])   = [0.00, 0.00, 0.00]"))
    }
}

@Suite("Lessons 6 and 8: the facts they claim")
struct BlockAndArchitectureClaimsTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)").path
    }

    /// Transformer base (d 512, 8 heads, d_ff 2048), counted by hand:
    ///   attention 4·(512·512 + 512) = 1,050,624;  FFN 512·2048 + 2048 + 2048·512 + 512 = 2,099,712
    ///   encoder layer = 1,050,624 + 2,099,712 + 2·1,024 = 3,152,384
    ///   decoder layer = 2·1,050,624 + 2,099,712 + 3·1,024 = 4,204,032
    ///   6·3,152,384 + 6·4,204,032 + 37,000·512 = 63,082,496
    @Test func blockLessonCountsTheOriginalTransformer() throws {
        let run = try LessonCatalog.lookup("block").run(LessonContext(seed: 7, outputRoot: folder()))
        let counting = try #require(run.steps.last)
        for figure in ["= 1,050,624", "= 2,099,712", "= 3,152,384", "= 4,204,032", "63,082,496 parameters"] {
            #expect(counting.body.contains(figure), "missing \(figure)")
        }
        let norm = try #require(run.steps.first { $0.title.hasPrefix("Layer norm") })
        #expect(norm.body.contains("after layer norm:                     mean 0.000, standard deviation 1.000"))
    }

    @Test func architecturesLessonDrawsTheThreeMaskPatterns() throws {
        let run = try LessonCatalog.lookup("architectures").run(LessonContext(seed: 7, outputRoot: folder()))
        let masks = try #require(run.steps.first { $0.title == "Who may see whom" })
        let lines = masks.body.split(separator: "\n").map(String.init)
        // 我昨天在花园里看到了一只猫: the decoder-only grid's row "在" (4th token) sees exactly 4 keys.
        let rowsOfZai = lines.filter { $0.hasPrefix("在") }
        #expect(rowsOfZai.count == 2)   // the encoder-only grid and the decoder-only grid
        #expect(rowsOfZai.first?.filter { $0 == "●" }.count == 13)
        #expect(rowsOfZai.last?.filter { $0 == "●" }.count == 4)
        // Decoder input <s> i saw a cat in the garden yesterday . : row "garden" is the 8th.
        let garden = lines.filter { $0.hasPrefix("garden") }
        #expect(garden.map { $0.filter { $0 == "●" }.count } == [8, 13])   // causal row, cross row
    }
}

@Suite("Lessons 9 and 10: the facts they claim")
struct BertAndNumbersClaimsTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString)").path
    }

    @Test func bertDataLessonMeasuresTheRecipe() throws {
        let run = try LessonCatalog.lookup("bert-data").run(LessonContext(seed: 7, outputRoot: folder()))
        let rates = try #require(run.steps.first { $0.title.hasPrefix("Do the rates") })
        // 2000 sequences × 100 candidates, 15 chosen each: exactly 15.00%.
        #expect(rates.body.contains("chosen    15.00%"))
        func share(_ name: String) throws -> Double {
            let line = try #require(rates.body.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name) })
            let number = line.split(separator: " ").first { $0.hasSuffix("%") }!.dropLast()
            return try #require(Double(number))
        }
        #expect(abs(try share("[MASK]") - 80) < 1)
        #expect(abs(try share("random") - 10) < 1)
        #expect(abs(try share("kept") - 10) < 1)
        let mlm = try #require(run.steps.first { $0.title.hasPrefix("Masked LM") })
        // The example shows every treatment at least once.
        for what in ["[MASK]  ", "random  ", "kept    "] { #expect(mlm.body.contains(what)) }
    }

    @Test func numbersLessonComputesThePublishedShapes() throws {
        let run = try LessonCatalog.lookup("gpt-numbers").run(LessonContext(seed: 7, outputRoot: folder()))
        let text = run.steps.map(\.body).joined(separator: "\n")
        // GPT-2 small, counted by hand: 50257·768 + 1024·768 + 12·(4·(768² + 768) + 2·768·3072 + 3072 + 768 + 4·768) + 2·768
        let hand = 50257 * 768 + 1024 * 768 + 12 * (4 * (768 * 768 + 768) + 2 * 768 * 3072 + 3072 + 768 + 4 * 768) + 2 * 768
        #expect(hand == 124_439_808)
        #expect(text.contains("GPT-2 small (124,439,808)"))
        #expect(text.contains("GPT-3 175B (174,604,259,328)"))
        #expect(run.figures.count == 3)
    }
}

@Suite("Lessons 0, 7 and 12: the trained models in motion")
struct DecodingLessonTests {
    func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("decoding-\(UUID().uuidString)").path
    }

    @Test func encoderDecoderLessonShowsTheShiftAndThatTheFutureIsInvisible() throws {
        let run = try LessonCatalog.lookup("7").run(LessonContext(seed: 7, outputRoot: folder()))
        let shift = try #require(run.steps.first { $0.title.hasPrefix("Teacher forcing") })
        let rows = shift.body.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains(["decoder", "input", "<s>", "i", "am", "a", "student", "."]))
        #expect(rows.contains(["must", "predict", "i", "am", "a", "student", ".", "</s>"]))
        // Replacing the token at position 4 leaves positions 0…3 exactly unchanged.
        let future = try #require(run.steps.first { $0.title == "Position t never sees t+1" })
        for position in 0..<4 {
            let line = try #require(future.body.split(separator: "\n").first { $0.contains("position \(position) (") })
            #expect(line.hasSuffix("0.00e+00"), "\(line)")
        }
        let changed = try #require(future.body.split(separator: "\n").first { $0.contains("position 4 (") })
        #expect(!changed.contains("0.00e+00"))
        // Greedy decoding ends with the whole translation and a figure per step (6 steps + 2).
        let inference = try #require(run.steps.first { $0.title.hasPrefix("Inference") })
        #expect(inference.body.contains("Result: \"i am a student .\""))
        #expect(run.figures.count == 8)
        #expect(run.figures.first?.hasSuffix("01-shifted-right.png") == true)
    }

    @Test func nextTokenLessonsProbabilitiesSumToOneAndTheLoopEnds() throws {
        let run = try LessonCatalog.lookup("0").run(LessonContext(seed: 7, outputRoot: folder()))
        let scores = try #require(run.steps.first { $0.title == "Scores become probabilities" })
        #expect(scores.body.contains("Sum over all 60: 1.0000"))
        let loop = try #require(run.steps.first { $0.title.hasPrefix("The loop") })
        #expect(loop.body.contains("Final text: \"the teacher found a cat in the "))
        #expect(loop.body.contains("</s>"))
    }

    @Test func samplingLessonsDrawsMatchTheFinalDistribution() throws {
        let run = try LessonCatalog.lookup("12").run(LessonContext(seed: 7, outputRoot: folder()))
        let draws = try #require(run.steps.first { $0.title == "All three, then a draw" })
        let lines = draws.body.split(separator: "\n").filter { $0.contains("probability") && $0.contains("drawn") }
        // After T = 0.7 and top-k 5 the probabilities are about 0.24, 0.24, 0.19, 0.17, 0.15:
        // the first three sum to 0.67 < 0.75, the first four to 0.84, so top-p 0.75 keeps four.
        #expect(lines.count == 4)
        #expect(flat(draws.body).contains("p = 0.75 and seed 7, top-p keeps 4 of the 5 tokens top-k left"))
        var total = 0.0
        for line in lines {
            let numbers = line.split(separator: " ").compactMap { Double($0) }
            #expect(numbers.count == 2)
            #expect(abs(numbers[0] - numbers[1]) < 0.04, "\(line)")
            total += numbers[0]
        }
        #expect(abs(total - 1) < 0.002)
        let topK = try #require(run.steps.first { $0.title.hasPrefix("Top-k") })
        // k = 3 leaves exactly three non-zero rows in the first table.
        #expect(topK.body.contains("0.352") && topK.body.contains("0.347") && topK.body.contains("0.301"))
    }
}

@Suite("Lesson 3's overview is a pipeline")
struct AttentionOverviewTests {
    /// Panel 4 is the softmax of panel 3's masked scores: its cells have exactly the colours of a
    /// heatmap of softmax(masked scores) computed here and rendered on its own, and its hidden keys
    /// are hatched. The three score panels share one colour scale.
    @Test func theSoftmaxPanelIsTheSoftmaxOfTheMaskedScores() throws {
        let demo = try AttentionDemo(text: AttentionLesson.sentence, seed: 7,
                                     options: .init(modelDimension: AttentionLesson.modelDimension,
                                                    keyDimension: AttentionLesson.keyDimension))
        let tokens = demo.tokens, n = tokens.count
        let causal = try scaledDotProductAttention(query: demo.stages.query, key: demo.stages.key,
                                                   value: demo.stages.value, mask: causalMask(size: n))
        let overview = AttentionLesson.overview(stages: demo.stages, causal: causal, tokens: tokens, seedNote: "seed 7")
        // The reference: softmax of the masked scores, row by row, in Double.
        let masked = causal.maskedScores.rows
        let reference: [[Float]] = masked.map { row in
            let top = row.filter(\.isFinite).max() ?? 0
            let e = row.map { $0.isFinite ? exp(Double($0 - top)) : 0 }
            let total = e.reduce(0, +)
            return e.map { Float($0 / total) }
        }
        let hidden = masked.map { $0.map { !$0.isFinite } }
        let alone = Heatmap(values: reference, rowLabels: tokens, columnLabels: tokens, title: "reference",
                            colorMap: .viridis, valueRange: 0...1, showValues: false, hidden: hidden)
        let aloneImage = try PNGImage(data: renderPNGData(alone))
        let aloneFrame = Rect(origin: .zero, size: alone.preferredSize)

        let image = try PNGImage(data: renderPNGData(overview))
        let frame = Rect(origin: .zero, size: overview.preferredSize)
        #expect(overview.stages.count == 4)
        #expect(overview.stages[3].hidden == hidden)
        func pixel(_ image: PNGImage, _ p: Point) -> (UInt8, UInt8, UInt8) {
            image.pixel(x: Int(p.x * 2), y: Int(p.y * 2))
        }
        for i in 0..<n {
            for j in 0..<n {
                // A corner of the cell, clear of the number printed at its centre.
                let cell = overview.cellRect(stage: 3, row: i, column: j, in: frame)
                let p = Point(x: cell.minX + 0.12 * cell.width, y: cell.minY + 0.12 * cell.height)
                let refCell = alone.cellRect(row: i, column: j, in: aloneFrame)
                let q = Point(x: refCell.minX + 0.12 * refCell.width, y: refCell.minY + 0.12 * refCell.height)
                if hidden[i][j] {
                    let grey = pixel(image, p)
                    #expect(grey.0 == grey.1 && grey.1 == grey.2, "hidden cell (\(i), \(j)) is not hatched grey")
                } else {
                    let a = pixel(image, p), b = pixel(aloneImage, q)
                    let distance = max(abs(Int(a.0) - Int(b.0)), abs(Int(a.1) - Int(b.1)), abs(Int(a.2) - Int(b.2)))
                    #expect(distance <= 2, "cell (\(i), \(j)): overview \(a) vs softmax of the masked scores \(b)")
                }
            }
        }
        // One colour scale for the raw, scaled and masked scores, symmetric about 0 and reaching the
        // largest raw score; the weights on viridis 0–1.
        let largest = demo.stages.scores.scalars.filter(\.isFinite).map(abs).max() ?? 0
        #expect(overview.scales.map(\.stages) == [0..<3, 3..<4])
        #expect(overview.scales[0].range == -largest...largest)
        #expect(overview.scales[1].range == 0...1)
        // The raw and the scaled score of one cell differ in colour: the shrink is visible. Cell
        // (tired, animal) holds the largest raw score.
        func corner(_ stage: Int) -> Point {
            let cell = overview.cellRect(stage: stage, row: n - 1, column: 1, in: frame)
            return Point(x: cell.minX + 0.12 * cell.width, y: cell.minY + 0.12 * cell.height)
        }
        let raw = pixel(image, corner(0)), scaled = pixel(image, corner(1))
        #expect(raw != scaled)
    }
}

@Suite("Figures explain the space marker")
struct SpaceMarkerNoteTests {
    @Test func aSubtitleExplainsTheSpaceMarkerOnlyWhenALabelShowsIt() {
        #expect(withSpaceNote("\"The capital of France is\"", labels: ["The", "␣capital", "␣of"])
                == "\"The capital of France is\" · ␣ = space")
        #expect(withSpaceNote("\"The animal\"", labels: ["[CLS]", "the", "animal"]) == "\"The animal\"")
        let chinese = Language.$current.withValue(.chinese) { withSpaceNote("提示", labels: ["␣is"]) }
        #expect(chinese == "提示 · ␣ = 空格")
    }
}
