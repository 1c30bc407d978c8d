import Foundation
import TensorCore
import Testing

/// `error.localizedDescription` is the precise message `tx` prints after "Error: " (the
/// `description`), not Foundation's "The operation could not be completed".
@Suite("TensorCore errors print their message")
struct TensorCoreLocalizedErrorTests {
    @Test func tensorError() {
        let error: any Error = TensorError.invalidShape(operation: "reshape", shape: [2, -1], reason: "negative size")
        #expect(error.localizedDescription == "reshape: shape [2, -1] is invalid: negative size")
        #expect(error.localizedDescription == "\(error)")
    }

    @Test func parameterError() {
        let error: any Error = ParameterError.missing("W_q")
        #expect(error.localizedDescription == "no value given for parameter \"W_q\"")
        #expect(error.localizedDescription == "\(error)")
    }
}
