import Foundation
import Testing
@testable import Lessons
import Terminal

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
            #expect("\(error)" == "unknown lesson 'nosuch'; available: 3 (attention) (see 'tx list')")
        }
        #expect(throws: LessonError.self) { try LessonCatalog.lookup("99") }
        do {
            _ = try LessonCatalog.lookup("masks")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("lesson 4 (masks) is not written yet"))
        }
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
