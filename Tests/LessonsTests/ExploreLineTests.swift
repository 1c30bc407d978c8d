import Foundation
import Testing
@testable import Lessons

@Suite("Lessons point to tx explore")
struct ExploreLineTests {
    @Test func lessonFiveEndsWithTheExploreCommandForItsTranslator() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("explore-line-\(UUID().uuidString)").path
        let run = try LessonCatalog.lookup("5").run(LessonContext(seed: 7, outputRoot: root))
        let lastLine = run.steps.last?.body.split(separator: "\n").last.map(String.init)
        #expect(lastLine?.hasSuffix("tx explore --model translator --text \"我昨天在花园里看到了一只猫\"") == true)
        // The command works: the shipped translator knows every character of that sentence.
        #expect(ArchitectureDemo.trainedModelsCover(text: "我昨天在花园里看到了一只猫", target: nil))
    }
}
