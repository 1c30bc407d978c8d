import Foundation
import Testing
import TrainedModels

/// `error.localizedDescription` is the precise message `tx` prints after "Error: ".
@Suite("TrainedModels errors print their message")
struct TrainedModelsLocalizedErrorTests {
    @Test func trainedModelError() {
        let error: any Error = TrainedModelError.wrongFile(path: "lm.safetensors", problem: "no tensor \"embedding\"")
        #expect(error.localizedDescription == "lm.safetensors: no tensor \"embedding\"")
        #expect(error.localizedDescription == "\(error)")
    }
}
