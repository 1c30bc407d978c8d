import Foundation
import ModelIO
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
}
