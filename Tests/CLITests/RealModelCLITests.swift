import Foundation
import ModelIO
import Testing
@testable import tx

/// tx embed, tx models and the real-model lessons from the command line. Models are pointed at
/// through the child's environment (TX_MODELS_DIR), never this process's.
extension TX {
    func run(_ arguments: [String], environment extra: [String: String]) throws -> Result {
        let process = Process()
        process.executableURL = try TX.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["TX_LANG"] = "en"   // the English text the tests read, whatever the locale
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// An empty folder to use as TX_MODELS_DIR (outside the working folder, so `files()` stays clean).
    static func emptyModelsFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-models-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

let minilmInstalled = ModelStore.isInstalled(.minilm)

@Suite("SHA-256")
struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256Hasher.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hasher.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two blocks: the padding spills into a second block.
        #expect(SHA256Hasher.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// 1 MB of a fixed pattern, against `sha256sum` of the same bytes.
    static let megabyte = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })

    @Test func oneMegabyteMatchesSha256sum() {
        #expect(SHA256Hasher.hex(Self.megabyte) == "06b7bbfb7824aa03382051691630eb26de85102d1b08a81e907ec0744cd8a286")
    }

    @Test func feedingInPiecesGivesTheSameDigest() {
        var hasher = SHA256Hasher()
        var offset = 0
        for size in [1, 63, 64, 65, 1000, 4097] + [Int](repeating: 100_000, count: 11) {
            let end = min(offset + size, Self.megabyte.count)
            hasher.update(Self.megabyte[offset..<end])
            offset = end
        }
        hasher.update(Self.megabyte[offset...])
        #expect(SHA256Hasher.hexString(hasher.finalize()) == SHA256Hasher.hex(Self.megabyte))
    }

    @Test func fileDigestAndUnreadableFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(SHA256Hasher.hex(ofFile: path) == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(SHA256Hasher.hex(ofFile: path + ".missing") == nil)
    }
}

@Suite("tx models")
struct ModelsCommandTests {
    /// A models folder with MiniLM's four files (one of them corrupted) and no SmolLM2, and a
    /// pins file for it.
    func fakeModels() throws -> (models: String, pins: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fake-models-\(UUID().uuidString)")
        let minilm = root.appendingPathComponent("minilm")
        try FileManager.default.createDirectory(at: minilm, withIntermediateDirectories: true)
        var pins = ""
        for file in ModelStore.Name.minilm.files {
            let contents = Data("contents of \(file)\n".utf8)
            try contents.write(to: minilm.appendingPathComponent(file))
            pins += "\(SHA256Hasher.hex(contents))  minilm/\(file)\n"
        }
        try Data("tampered\n".utf8).write(to: minilm.appendingPathComponent("vocab.txt"))
        pins += "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53  smollm2/SmolLM2-135M-Instruct.Q4_1.gguf\n"
        let pinsPath = root.appendingPathComponent("models.sha256").path
        try pins.write(toFile: pinsPath, atomically: true, encoding: .utf8)
        return (root.path, pinsPath)
    }

    @Test func reportsPresenceAndChecksumsOfEveryFile() throws {
        let tx = try TX()
        let (models, pins) = try fakeModels()
        let result = try tx.run(["models", "--pins", pins], environment: ["TX_MODELS_DIR": models])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Models folder: \(models) (from TX_MODELS_DIR)")
        #expect(lines.contains { $0.hasPrefix("minilm  all-MiniLM-L6-v2") && $0.hasSuffix("[installed]") })
        #expect(lines.contains { $0.hasPrefix("smollm2  SmolLM2-135M-Instruct") && $0.hasSuffix("[not installed]") })
        #expect(lines.contains("  config.json            SHA-256 ok"))
        #expect(lines.contains("  model.safetensors      SHA-256 ok"))
        #expect(lines.contains { $0.hasPrefix("  vocab.txt              SHA-256 MISMATCH: expected ") })
        #expect(lines.contains("  SmolLM2-135M-Instruct.Q4_1.gguf  missing"))
        #expect(lines.last == "To fetch or repair the models, run ./scripts/fetch-models.sh from the package folder.")
        #expect(tx.files().isEmpty)
    }

    @Test func aMissingPinsFileIsReportedNotFatal() throws {
        let tx = try TX()
        let (models, _) = try fakeModels()
        let result = try tx.run(["models", "--pins", "/nonexistent/models.sha256"], environment: ["TX_MODELS_DIR": models])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Checksums: the pins file /nonexistent/models.sha256 is missing or unreadable, so SHA-256 is not checked"))
        #expect(result.stdout.contains("  config.json            present (not checked)"))
    }

    @Test func theDefaultPinsFileIsThisCheckoutsScriptsFile() throws {
        let tx = try TX()
        let result = try tx.run(["models"], environment: ["TX_MODELS_DIR": try TX.emptyModelsFolder()])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("Checksums: ") })
        let path = String(line.dropFirst("Checksums: ".count))
        #expect(path.hasSuffix("/scripts/models.sha256"))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(result.stdout.contains("[not installed]"))
        #expect(!result.stdout.contains("[installed]"))
    }
}

@Suite("tx embed")
struct EmbedCommandTests {
    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func kingMinusManPlusWomanIsQueen() throws {
        let tx = try TX()
        let result = try tx.run(["embed", "--model", "minilm", "king - man + woman", "--count", "3", "--out", "embed.png"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("king − man + woman  (all-MiniLM-L6-v2 word embeddings, 30522 × 384"))
        #expect(lines[1] == "   1.  queen     0.511")
        #expect(lines[2] == "   2.  kings     0.463")
        #expect(lines[3] == "   3.  monarch   0.414")
        #expect(lines.last == "Wrote embed.png")
        let png = try #require(tx.data("embed.png"))
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
        // The same command draws the same figure.
        _ = try tx.run(["embed", "king - man + woman", "--count", "3", "--out", "again.png"])
        #expect(tx.data("again.png") == png)
    }

    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func anUnknownWordSaysHowItTokenises() throws {
        let tx = try TX()
        let result = try tx.run(["embed", "king - man + transformerish", "--out", "embed.png"])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("\"transformerish\" is not a single token of the vocabulary (the tokeniser splits it into transform ##eri ##sh)"))
        #expect(tx.files().isEmpty)
    }

    @Test(arguments: [
        (["embed", "king - - man"], "a word was expected at character 8"),
        (["embed", "   "], "it is empty"),
        (["embed", "king - man", "--model", "gpt9", "--out", "embed.png"], "--model gpt9: unknown model \"gpt9\": the known models are minilm, smollm2"),
        (["embed", "king - man", "--count", "0"], "--count 0 is out of range"),
        (["embed", "king - man", "--out", "nosuch/embed.png"], "nosuch"),
    ])
    func misuseIsOneLineAndWritesNothing(arguments: [String], message: String) throws {
        let tx = try TX()
        let result = try tx.run(arguments)
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(tx.files().isEmpty)
    }

    @Test func aMissingModelSaysHowToFetchIt() throws {
        let tx = try TX()
        let empty = try TX.emptyModelsFolder()
        let result = try tx.run(["embed", "king - man + woman", "--out", "embed.png"], environment: ["TX_MODELS_DIR": empty])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("the model minilm is not installed in \(empty)/minilm; run scripts/fetch-models.sh"))
        #expect(tx.files().isEmpty)
    }

    @Test(arguments: [["embed"], ["models"]])
    func helpHasAnExample(command: [String]) throws {
        let result = try TX().run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"))
    }
}

@Suite("Real-model lessons without the models")
struct RealModelLessonCLITests {
    @Test func lessonOneExplainsWhatItNeedsAndWritesNothing() throws {
        let tx = try TX()
        let result = try tx.run(["lesson", "1", "--no-pause"], environment: ["TX_MODELS_DIR": try TX.emptyModelsFolder()])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("This lesson needs all-MiniLM-L6-v2"))
        #expect(result.stdout.contains("./scripts/fetch-models.sh"))
        #expect(result.stdout.contains("step 1/1"))
        #expect(tx.files().isEmpty)
    }

    @Test func lessonFourteenSkipsBothParts() throws {
        let tx = try TX()
        let result = try tx.run(["lesson", "14", "--no-pause"], environment: ["TX_MODELS_DIR": try TX.emptyModelsFolder()])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Skipped: all-MiniLM-L6-v2 is not installed"))
        #expect(result.stdout.contains("Skipped: SmolLM2-135M-Instruct is not installed"))
        #expect(tx.files().isEmpty)
    }
}

@Suite("tx attention --model", .serialized)
struct RealModelAttentionCLITests {
    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func miniLMHeadIsReproducibleAndMatchesTheLibrary() throws {
        let tx = try TX()
        let arguments = ["attention", "--model", "minilm", "--text", sentence, "--layer", "5", "--head", "1", "--json", "t.json"]
        let first = try tx.run(arguments + ["--out", "a.png"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try tx.run(arguments + ["--out", "b.png"])
        #expect(second.status == 0)
        #expect(tx.data("a.png") == tx.data("b.png"))
        #expect(first.stdout.contains("Tokens (15): [CLS] · the · animal · didn · ' · t · cross"))
        // The JSON trace holds every head, and layer 5 head 1 is what the library computes.
        let trace = try JSONDecoder().decode(AttentionTraceProbe.self, from: try #require(tx.data("t.json")))
        #expect(trace.entries.count == 6 * 12)
        let model = try BertEncoderModel.loadInstalled()
        let expected = try #require(try model.forward(ids: model.encode(sentence), recordTrace: true).trace)
        let entry = try #require(trace.entries.first { $0.layer == 4 && $0.head == 0 })
        let reference = try #require(expected.weights(layer: 4, head: 0, kind: .encoderSelf))
        #expect(entry.weights == reference)
    }

    @Test(.enabled(if: ModelStoreProbe.smollm2Installed, "needs scripts/fetch-models.sh"))
    func smolLM2TraceIsCausalInEveryHead() throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--model", "smollm2", "--text", "The capital of France is", "--view", "model",
                                 "--out", "m.png", "--json", "t.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Tokens (5): The · ␣capital · ␣of · ␣France · ␣is"))
        let trace = try JSONDecoder().decode(AttentionTraceProbe.self, from: try #require(tx.data("t.json")))
        #expect(trace.entries.count == 30 * 9)
        for entry in trace.entries {
            for (i, row) in entry.weights.enumerated() {
                #expect(abs(row.reduce(0, +) - 1) < 1e-4)
                #expect(row[(i + 1)...].allSatisfy { $0 == 0 })
            }
        }
        #expect(Array(try #require(tx.data("m.png")).prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }

    @Test(.enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
    func truncateKeepsTheFirstTokensAndTheClosingSeparator() throws {
        let tx = try TX()
        let long = Array(repeating: "word", count: 80).joined(separator: " ")
        let result = try tx.run(["attention", "--model", "minilm", "--text", long, "--truncate", "--out", "a.png"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Tokens (64): [CLS] · word"))
        #expect(result.stdout.contains("word · [SEP]\n"))
    }
}

/// The parts of the trace JSON these tests read (docs/trace-schema.md).
struct AttentionTraceProbe: Decodable {
    struct Entry: Decodable {
        let layer: Int, head: Int
        let weights: [[Float]]
    }
    let entries: [Entry]
}
