import Explorer
import Foundation
import Testing

/// `error.localizedDescription` is the precise message `tx` prints after "Error: ".
@Suite("Explorer errors print their message")
struct ExplorerLocalizedErrorTests {
    @Test func explorerError() {
        let error: any Error = ExplorerError.emptyTrace
        #expect(error.localizedDescription == "the model recorded no attention")
        #expect(error.localizedDescription == "\(error)")
    }

    @Test func rawTerminalFailure() {
        let error: any Error = RawTerminal.Failure.notATerminal
        #expect(error.localizedDescription == "tx explore is interactive: its standard input and output must be a terminal")
        #expect(error.localizedDescription == "\(error)")
    }
}
