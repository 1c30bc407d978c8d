import Foundation
import Testing
@testable import ModelIO

@Suite("ModelStore: pinned checksums and the --model locator")
struct ModelStoreTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The digests compiled into the package are the ones scripts/fetch-models.sh checks.
    @Test func compiledPinsEqualTheScriptsPinsFile() throws {
        let pinsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/models.sha256")
        let text = try String(contentsOf: pinsFile, encoding: .utf8)
        var fromScript: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            fromScript[String(parts[1])] = String(parts[0])
        }
        var compiled: [String: String] = [:]
        for model in ModelStore.Name.allCases {
            for (file, digest) in model.pinnedDigests { compiled["\(model.rawValue)/\(file)"] = digest }
        }
        #expect(compiled == fromScript)
    }

    /// A fake "smollm2" whose single file is "abc": pinned digests are replaced through a
    /// folder of our own, so the stamp logic is tested without the real 98 MB file.
    @Test func aDamagedFileIsRefusedAndAGoodOneIsStamped() throws {
        let folder = try scratch()
        let file = folder.appendingPathComponent(ModelStore.Name.smollm2.files[0])
        try Data("not the model".utf8).write(to: file)
        #expect {
            try ModelStore.verify(.smollm2, in: folder)
        } throws: { error in
            guard case let .checksumMismatch(model, path, expected, found, _) = error as? ModelStoreError else { return false }
            return model == "smollm2" && path == file.path
                && expected == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
                && found == SHA256Hasher.hex(Data("not the model".utf8))
        }
        // Nothing is stamped for a bad file.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(ModelStore.stampFileName).path))
    }

    @Test func aStampThatMatchesSizeAndTimeSkipsHashingAndAChangedFileIsHashedAgain() throws {
        let folder = try scratch()
        let file = folder.appendingPathComponent(ModelStore.Name.smollm2.files[0])
        try Data("stand-in".utf8).write(to: file)
        let status = try #require(ModelStore.fileStatus(file.path))
        let pinned = try #require(ModelStore.Name.smollm2.pinnedDigests[ModelStore.Name.smollm2.files[0]])
        // A stamp claiming the pinned digest for exactly this size and time: trusted, no hashing.
        let line = "\(pinned) \(status.size) \(status.modified) \(ModelStore.Name.smollm2.files[0])\n"
        try Data(line.utf8).write(to: folder.appendingPathComponent(ModelStore.stampFileName))
        try ModelStore.verify(.smollm2, in: folder)
        // The file changes size: the stamp no longer covers it, the file is hashed and refused.
        try Data("stand-in, edited".utf8).write(to: file)
        #expect(throws: ModelStoreError.self) { try ModelStore.verify(.smollm2, in: folder) }
    }

    @Test func stampLinesAreParsedAndMalformedOnesIgnored() throws {
        let folder = try scratch()
        let digest = String(repeating: "a", count: 64)
        try Data("""
            \(digest) 12 1700000000 vocab.txt
            not a line
            \(digest) twelve 1700000000 config.json
            \(digest) 5 1700000001 1_Pooling/config.json

            """.utf8).write(to: folder.appendingPathComponent(ModelStore.stampFileName))
        let lines = ModelStore.readStamp(in: folder)
        #expect(lines.keys.sorted() == ["1_Pooling/config.json", "vocab.txt"])
        #expect(lines["vocab.txt"] == ModelStore.StampLine(file: "vocab.txt", digest: digest, size: 12, modified: 1_700_000_000))
    }

    @Test func pathsResolveToTheArchitectureTheyHold() throws {
        let root = try scratch()
        let gguf = root.appendingPathComponent("my.gguf")
        try Data().write(to: gguf)
        #expect(try ModelStore.locate(gguf.path) == .llamaDecoder(file: gguf))
        // A folder with one .gguf file is that file.
        let decoderFolder = root.appendingPathComponent("decoder")
        try FileManager.default.createDirectory(at: decoderFolder, withIntermediateDirectories: true)
        try Data().write(to: decoderFolder.appendingPathComponent("m.GGUF"))
        #expect(try ModelStore.locate(decoderFolder.path) == .llamaDecoder(file: decoderFolder.appendingPathComponent("m.GGUF")))
        // A BERT folder, and a .safetensors file inside it.
        let bert = root.appendingPathComponent("bert")
        try FileManager.default.createDirectory(at: bert, withIntermediateDirectories: true)
        for name in ["config.json", "vocab.txt", "model.safetensors", "other.safetensors"] {
            try Data().write(to: bert.appendingPathComponent(name))
        }
        #expect(try paths(ModelStore.locate(bert.path)) == [bert.path, bert.appendingPathComponent("model.safetensors").path])
        let other = bert.appendingPathComponent("other.safetensors")
        #expect(try paths(ModelStore.locate(other.path)) == [bert.path, other.path])
    }

    /// The folder and weights of a BERT location as plain paths (URLs of folders may or may not
    /// end in "/", which makes them unequal without changing what they name).
    func paths(_ location: ModelLocation) -> [String] {
        guard case let .bertEncoder(folder, weights) = location else { return [] }
        return [folder.standardizedFileURL.path, weights.standardizedFileURL.path]
    }

    @Test func badArgumentsGetTypedErrors() throws {
        let root = try scratch()
        #expect(throws: ModelLocatorError.unknownName("gpt9", known: ["minilm", "smollm2"])) { try ModelStore.locate("gpt9") }
        #expect(throws: ModelLocatorError.noSuchPath("no/such.gguf")) { try ModelStore.locate("no/such.gguf") }
        #expect(throws: ModelLocatorError.emptyArgument(known: ["minilm", "smollm2"])) { try ModelStore.locate(" ") }
        let text = root.appendingPathComponent("notes.txt")
        try Data().write(to: text)
        #expect(throws: ModelLocatorError.unsupportedFile(text.path)) { try ModelStore.locate(text.path) }
        #expect(throws: ModelLocatorError.folderHoldsNoModel(root.path)) { try ModelStore.locate(root.path) }
        let weights = root.appendingPathComponent("w.safetensors")
        try Data().write(to: weights)
        #expect(throws: ModelLocatorError.missingCompanion(weights: weights.path, missing: ["config.json", "vocab.txt"])) {
            try ModelStore.locate(weights.path)
        }
        for name in ["a.gguf", "b.gguf"] { try Data().write(to: root.appendingPathComponent(name)) }
        #expect(throws: ModelLocatorError.folderHoldsSeveralModels(root.path, files: ["a.gguf", "b.gguf"])) {
            try ModelStore.locate(root.path)
        }
    }
}
