import Foundation
import Testing
@testable import Lessons

@Suite("Lessons point to tx explore")
struct ExploreLineTests {
    @Test func lessonFiveEndsWithTheExploreCommandForItsTranslator() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("explore-line-\(UUID().uuidString)").path
        let run = try LessonCatalog.lookup("5").run(LessonContext(seed: 7, outputRoot: root))
        // The last lines: the explore command, then where to go next.
        let lines = try #require(run.steps.last).body.split(separator: "\n").map(String.init)
        #expect(lines.last == "Next: lesson 6 · The Transformer block · tx lesson 6")
        #expect(lines.dropLast(1).last(where: { !$0.isEmpty })?.hasSuffix("tx explore --model translator --text \"我昨天在花园里看到了一只猫\"") == true)
        // The command works: the shipped translator knows every character of that sentence.
        #expect(ArchitectureDemo.trainedModelsCover(text: "我昨天在花园里看到了一只猫", target: nil))
    }
}
