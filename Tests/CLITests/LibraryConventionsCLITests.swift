import Foundation
import ModelIO
import TensorCore
import Testing

/// What a program using the libraries sees is what `tx` prints.
@Suite("tx and the libraries agree")
struct LibraryConventionsCLITests {
    /// The library's `localizedDescription` is exactly tx's message after "Error: " and the name
    /// of the option that carried the bad value.
    @Test func errorMessageIsTheLibrarysLocalizedDescription() throws {
        var libraryMessage = ""
        do { _ = try ModelStore.locate("gpt9") } catch { libraryMessage = error.localizedDescription }
        #expect(libraryMessage.hasPrefix("unknown model \"gpt9\""))
        let result = try TX().run(["attention", "--model", "gpt9", "--text", "a b", "--out", "a.png"])
        #expect(result.status != 0)
        #expect(result.stderr == "Error: --model gpt9: \(libraryMessage)\n")
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The version lives in TensorCore; `tx --version`, the CHANGELOG's newest entry and the
    /// README's dependency line all say it.
    @Test func versionIsTheSameEverywhere() throws {
        let version = TransformerExplorerVersion.string
        #expect(version.split(separator: ".").count == 3 && version.split(separator: ".").allSatisfy { Int($0) != nil })
        let result = try TX().run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == version + "\n")
        let changelog = try String(contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## ") }
        #expect(newest?.hasPrefix("## \(version) ") == true, "CHANGELOG's newest entry: \(newest ?? "none")")
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("from: \"\(version)\")"))
    }

    /// scripts/consumer.sh builds and runs Examples/Consumer, a package depending on this one by
    /// path; its program must be the README's library example, character for character.
    @Test func consumerRunsTheReadmeExampleAsWritten() throws {
        let program = try String(contentsOf: Self.root.appendingPathComponent("Examples/Consumer/Sources/Consumer/main.swift"),
                                 encoding: .utf8)
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(program.hasPrefix("import Figures\n"))
        #expect(readme.contains("```swift\n" + program + "```\n"))
        let test = try String(contentsOf: Self.root.appendingPathComponent("scripts/test.sh"), encoding: .utf8)
        #expect(test.contains("./scripts/consumer.sh"))
    }
}
