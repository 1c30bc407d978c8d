import Foundation
import Testing
@testable import ModelIO
import Transformer
import Tokenizers

/// Every input under Fixtures/fuzz-regressions (once a crash, hang or out-of-memory found by
/// scripts/fuzz.sh) must now give exactly the error listed here, as the fuzz target parses it.
/// nil: the input is (now) a valid file.
let fuzzRegressionExpectations: [String: String?] = [:]
// Add entries as "gguf/<file>": "gguf: fuzz: <the exact message>".

private let regressionFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/fuzz-regressions", isDirectory: true)

/// The error message the fuzz target's parser gives for `bytes`, or nil when they parse.
private func parse(_ target: String, _ bytes: [UInt8]) throws -> String? {
    do {
        switch target {
        case "safetensors":
            _ = try SafeTensors(data: bytes, name: "fuzz")
        case "gguf":
            _ = try GGUFFile(data: Data(bytes), name: "fuzz")
        case "vocab":
            _ = try Vocabulary(utf8: bytes, name: "fuzz")
        case "bpe":
            let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            func lines(_ i: Int) -> [String] {
                guard i < parts.count, !parts[i].isEmpty else { return [] }
                return parts[i].split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            }
            let tokenizer = try ByteLevelBPE(tokens: lines(0), merges: lines(1))
            _ = tokenizer.encode(parts.count > 2 ? String(decoding: parts[2], as: UTF8.self) : "")
        default:
            Issue.record("unknown fuzz target folder \(target)")
        }
        return nil
    } catch {
        return "\(error)"
    }
}

@Test func fuzzRegressionInputsGiveTheirTypedErrors() throws {
    var seen: Set<String> = []
    for target in ["safetensors", "gguf", "vocab", "bpe"] {
        let folder = regressionFolder.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names.sorted() where !name.hasPrefix(".") {
            let key = "\(target)/\(name)"
            seen.insert(key)
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            guard let expected = fuzzRegressionExpectations[key] else {
                Issue.record("\(key) has no expected error in fuzzRegressionExpectations")
                continue
            }
            #expect(try parse(target, bytes) == expected, "\(key)")
        }
    }
    #expect(seen == Set(fuzzRegressionExpectations.keys), "an expectation without its input file")
}
