import Foundation
import ModelIO
import Testing

/// Every way a user can misuse `tx` that issue 9 lists, as one table: each case must print one
/// line to stderr, exit non-zero and write nothing (the files a case sets up are all that may
/// be in its folder afterwards).
struct Misuse: Sendable, CustomTestStringConvertible {
    enum Needs: Sendable { case nothing, minilm, smollm2 }

    let name: String
    let arguments: [String]
    let message: [String]
    var needs: Needs = .nothing
    /// Prepares the working folder; returns extra environment variables for the child.
    var setup: @Sendable (URL) throws -> [String: String] = { _ in [:] }

    var testDescription: String { name }

    var runnable: Bool {
        switch needs {
        case .nothing: true
        case .minilm: ModelStore.isInstalled(.minilm)
        case .smollm2: ModelStore.isInstalled(.smollm2)
        }
    }
}

/// A models folder whose minilm looks installed but whose config.json is not the pinned file.
@Sendable func corruptedModels(_ folder: URL) throws -> [String: String] {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString)")
    let minilm = root.appendingPathComponent("minilm")
    try FileManager.default.createDirectory(at: minilm, withIntermediateDirectories: true)
    // config.json is checked first, so the other files only need to exist.
    try Data("{\"hidden_size\": 384, \"tampered\": true}".utf8).write(to: minilm.appendingPathComponent("config.json"))
    for file in ["model.safetensors", "vocab.txt", "tokenizer_config.json"] {
        try Data().write(to: minilm.appendingPathComponent(file))
    }
    return ["TX_MODELS_DIR": root.path]
}

@Sendable func emptyModels(_ folder: URL) throws -> [String: String] {
    ["TX_MODELS_DIR": try TX.emptyModelsFolder()]
}

let misuseTable: [Misuse] = [
    Misuse(name: "unknown lesson", arguments: ["lesson", "nosuch"], message: ["unknown lesson 'nosuch'", "0 (next-token)"]),
    Misuse(name: "unknown model name (attention)", arguments: ["attention", "--model", "gpt9", "--text", sentence, "--out", "a.png"],
           message: ["unknown model \"gpt9\"", "the known models are minilm, smollm2"]),
    Misuse(name: "unknown model name (generate)", arguments: ["generate", "--model", "gpt9", "--text", "hi"],
           message: ["unknown model 'gpt9'", "lm, translator, sft, ppo, smollm2"]),
    Misuse(name: "model path that does not exist", arguments: ["attention", "--model", "nosuch/model.gguf", "--text", sentence, "--out", "a.png"],
           message: ["no such file or folder: nosuch/model.gguf"]),
    Misuse(name: "a file that is no model", arguments: ["attention", "--model", "notes.txt", "--text", sentence, "--out", "a.png"],
           message: ["notes.txt is not a model file this package reads"],
           setup: { try Data("hello".utf8).write(to: $0.appendingPathComponent("notes.txt")); return [:] }),
    Misuse(name: "a GGUF file that lies", arguments: ["attention", "--model", "bad.gguf", "--text", sentence, "--out", "a.png"],
           message: ["--model bad.gguf: cannot load it:"],
           setup: {
               // The right magic and version, then a tensor count of 2⁶³.
               var bytes: [UInt8] = Array("GGUF".utf8) + [3, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x80] + [0, 0, 0, 0, 0, 0, 0, 0]
               bytes += [UInt8](repeating: 0xFF, count: 64)
               try Data(bytes).write(to: $0.appendingPathComponent("bad.gguf"))
               return [:]
           }),
    Misuse(name: "a folder without a model", arguments: ["attention", "--model", "empty", "--text", sentence, "--out", "a.png"],
           message: ["the folder empty holds no model"],
           setup: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("empty"), withIntermediateDirectories: true); return [:] }),
    Misuse(name: "safetensors without its configuration", arguments: ["embed", "king - man", "--model", "w.safetensors", "--out", "e.png"],
           message: ["w.safetensors needs config.json and vocab.txt"],
           setup: { try Data().write(to: $0.appendingPathComponent("w.safetensors")); return [:] }),
    Misuse(name: "model not installed", arguments: ["attention", "--model", "minilm", "--text", sentence, "--out", "a.png"],
           message: ["the model minilm is not installed", "scripts/fetch-models.sh"], setup: emptyModels),
    Misuse(name: "model damaged (checksum mismatch)", arguments: ["attention", "--model", "minilm", "--text", sentence, "--out", "a.png"],
           message: ["the model minilm is damaged", "config.json has SHA-256", "expected 953f9c0d4634"], setup: corruptedModels),
    Misuse(name: "empty text", arguments: ["attention", "--model", "minilm", "--text", "   ", "--out", "a.png"], message: ["--text is empty"]),
    Misuse(name: "a model view without a model", arguments: ["attention", "--text", sentence, "--view", "grid", "--out", "a.png"],
           message: ["--view grid needs a model", "--arch"]),
    Misuse(name: "layer out of range (tiny model)", arguments: ["attention", "--arch", "encoder", "--text", sentence, "--layer", "9", "--out", "a.png"],
           message: ["--layer 9 is out of range", "layers 1…2"]),
    Misuse(name: "layer out of range (MiniLM)", arguments: ["attention", "--model", "minilm", "--text", sentence, "--layer", "7", "--out", "a.png"],
           message: ["--layer 7 is out of range: all-MiniLM-L6-v2 has layers 1…6"], needs: .minilm),
    Misuse(name: "head out of range (SmolLM2)", arguments: ["attention", "--model", "smollm2", "--text", sentence, "--head", "10", "--out", "a.png"],
           message: ["--head 10 is out of range: SmolLM2-135M-Instruct has heads 1…9"], needs: .smollm2),
    Misuse(name: "text longer than a figure shows",
           arguments: ["attention", "--model", "minilm", "--text", Array(repeating: "word", count: 80).joined(separator: " "), "--out", "a.png"],
           message: ["the text is 82 tokens long, but an attention figure shows at most 64", "--truncate"], needs: .minilm),
    Misuse(name: "text longer than the model's context",
           arguments: ["generate", "--model", "smollm2", "--greedy", "--steps", "20",
                       "--text", Array(repeating: "word", count: 8200).joined(separator: " ")],
           message: ["the text is 8200 tokens long", "context of 8192 leaves room for at most 8172", "--truncate"], needs: .smollm2),
    Misuse(name: "output folder missing", arguments: ["attention", "--model", "minilm", "--text", sentence, "--out", "no/such/a.png"],
           message: ["no/such"]),
    Misuse(name: "output folder not writable (a file in the way)",
           arguments: ["attention", "--model", "minilm", "--text", sentence, "--out", "plain.txt/a.png"],
           message: ["plain.txt"],
           setup: { try Data("x".utf8).write(to: $0.appendingPathComponent("plain.txt")); return [:] }),
    Misuse(name: "unsupported output extension", arguments: ["attention", "--model", "minilm", "--text", sentence, "--out", "a.bmp"],
           message: ["extension .bmp is not supported; use .png, .svg or .pdf"]),
    Misuse(name: "encoder where a decoder is needed", arguments: ["generate", "--model", "minilm", "--text", "hi"],
           message: ["all-MiniLM-L6-v2 is an encoder (BERT); it has no next-token head"], needs: .minilm),
    Misuse(name: "KL weight that is not a number", arguments: ["train", "ppo", "--beta", "nan"],
           message: ["--beta must be a number from 0 to 100 (got nan)"]),
    Misuse(name: "KL weight for a stage without one", arguments: ["train", "sft", "--beta", "0.1"],
           message: ["--beta is PPO's KL weight; only tx train ppo takes it"]),
    Misuse(name: "earlier stages from a missing folder", arguments: ["train", "reward", "--models", "nosuch"],
           message: ["--models nosuch: no such folder"]),
    Misuse(name: "a chat request the task does not know", arguments: ["generate", "--model", "sft", "--text", "cat moon"],
           message: ["--model sft answers a request of two words, an object and a place"]),
]

@Suite("tx misuse, the whole table")
struct MisuseTableTests {
    @Test(arguments: misuseTable)
    func oneLineNonZeroExitNothingWritten(_ misuse: Misuse) throws {
        guard misuse.runnable else { return }   // the model it needs is not installed here
        let tx = try TX()
        let environment = try misuse.setup(tx.directory)
        let before = tx.files()
        let result = try tx.run(misuse.arguments, environment: environment)
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        for part in misuse.message { #expect(result.stderr.contains(part), "\(result.stderr)") }
        #expect(tx.files() == before, "wrote \(Set(tx.files()).subtracting(before))")
    }
}

@Suite("tx interrupted: no partial file")
struct InterruptTests {
    /// Stops `tx` with `signal` while its figure is complete in the temporary file but not yet
    /// renamed (the test hook TX_TEST_PAUSE_BEFORE_RENAME holds it there): the temporary file
    /// must be removed and the figure must not appear.
    /// Every catchable signal whose default action ends the process (issue 14 found SIGHUP,
    /// SIGPIPE and SIGUSR1 leaving temporary files behind).
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR])
    func aSignalDuringTheWriteLeavesNoFile(signal: Int32) throws {
        let tx = try TX()
        let process = Process()
        process.executableURL = try TX.binary()
        process.arguments = ["attention", "--text", "I love you", "--out", "a.png"]
        process.currentDirectoryURL = tx.directory
        var environment = ProcessInfo.processInfo.environment
        environment["TX_TEST_PAUSE_BEFORE_RENAME"] = "20"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Wait until the temporary file exists (the write is in progress).
        let deadline = Date().addingTimeInterval(30)
        while !tx.files().contains(where: { $0.hasPrefix(".a.png.tmp-") }), Date() < deadline, process.isRunning {
            usleep(20_000)
        }
        #expect(tx.files().contains { $0.hasPrefix(".a.png.tmp-") })
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(tx.files().isEmpty, "left \(tx.files())")
    }

    /// Without the hook the same command writes its figure: the hook is what held it.
    @Test func withoutASignalTheFigureIsWritten() throws {
        let tx = try TX()
        let result = try tx.run(["attention", "--text", "I love you", "--out", "a.png"], environment: ["TX_TEST_PAUSE_BEFORE_RENAME": "0.2"])
        #expect(result.status == 0)
        #expect(tx.files() == ["a.png"])
    }
}
