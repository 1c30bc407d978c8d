import Foundation
import ModelIO
import Testing

// Issue 14, through the built `tx` as a user runs it: one table per class of hostile input,
// on files the tests make. Every refusal is one line on stderr, a non-zero exit, and no output.

// MARK: Files the tests make

/// Little-endian F32 safetensors bytes (written by hand: this target does not link TensorCore).
func safeTensorsBytes(_ tensors: [(name: String, shape: [Int], values: [Float])]) -> [UInt8] {
    var header: [String] = []
    var offset = 0
    var data: [UInt8] = []
    for tensor in tensors {
        let end = offset + 4 * tensor.values.count
        header.append("\"\(tensor.name)\":{\"dtype\":\"F32\",\"shape\":\(tensor.shape),\"data_offsets\":[\(offset),\(end)]}")
        for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        offset = end
    }
    var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
    while (json.count + 8) % 8 != 0 { json.append(0x20) }
    var length = UInt64(json.count).littleEndian
    return withUnsafeBytes(of: &length) { Array($0) } + json + data
}

/// A BERT folder (4 wide, 1 layer, 2 heads, 8 word pieces) with `poison` applied to one weight.
func writeTinyBert(in folder: URL, poison: (tensor: String, index: Int, value: Float)? = nil,
                   vocabulary: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s"]) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let config = """
        {"hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 8,
         "max_position_embeddings": 16, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
        """
    try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
    try Data((vocabulary.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
    var shapes: [(String, [Int])] = [("embeddings.word_embeddings.weight", [8, 4]), ("embeddings.position_embeddings.weight", [16, 4]),
                                     ("embeddings.token_type_embeddings.weight", [2, 4]),
                                     ("embeddings.LayerNorm.weight", [4]), ("embeddings.LayerNorm.bias", [4])]
    let p = "encoder.layer.0."
    for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
        shapes += [(p + name + ".weight", [4, 4]), (p + name + ".bias", [4])]
    }
    shapes += [(p + "intermediate.dense.weight", [8, 4]), (p + "intermediate.dense.bias", [8]),
               (p + "output.dense.weight", [4, 8]), (p + "output.dense.bias", [4])]
    for name in ["attention.output.LayerNorm", "output.LayerNorm"] { shapes += [(p + name + ".weight", [4]), (p + name + ".bias", [4])] }
    let tensors = shapes.enumerated().map { position, entry in
        let count = entry.1.reduce(1, *)
        var values = (0..<count).map { Float(($0 * 7 + position * 3) % 11) / 11 - 0.45 }
        if entry.0.hasSuffix("LayerNorm.weight") { values = [Float](repeating: 1, count: count) }
        if let poison, poison.tensor == entry.0 { values[poison.index] = poison.value }
        return (name: entry.0, shape: entry.1, values: values)
    }
    try Data(safeTensorsBytes(tensors)).write(to: folder.appendingPathComponent("model.safetensors"))
}

/// A tiny Llama GGUF: small finite weights, with `override` deciding any tensor's values.
func writeTinyLlama(to url: URL, extraTokens: [String] = [],
                    override: @escaping (String, Int) -> [Float]? = { _, _ in nil }) throws {
    let bytes = GGUFWriter.tinyLlama(extraTokens: extraTokens) { name, count in
        if let values = override(name, count) { return values }
        if name.hasSuffix("norm.weight") { return [Float](repeating: 1, count: count) }
        return (0..<count).map { Float(($0 * 13 + name.count) % 17) / 17 - 0.5 }
    }
    try Data(bytes).write(to: url)
}

/// A GGUF whose extra token's text is an escape sequence, and whose weights make that token
/// the most likely next token after anything (every embedding row points the same way, the
/// hostile one twice as far; everything in between is zero).
let hostileTokenText = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}1m\u{7F}"
func writeHostileTokenLlama(to url: URL) throws {
    try writeTinyLlama(to: url, extraTokens: [hostileTokenText]) { name, count in
        switch name {
        case "token_embd.weight": return (0..<count).map { $0 / 8 == 256 ? 2 : 1 }
        case let n where n.hasSuffix("norm.weight"): return [Float](repeating: 1, count: count)
        default: return [Float](repeating: 0, count: count)
        }
    }
}

/// The bytes a terminal obeys: C0 controls but newline, DEL, and C1 controls (0xC2 0x80–0x9F).
func rawControls(_ data: Data) -> [String] {
    var found: [String] = []
    let bytes = [UInt8](data)
    for (index, byte) in bytes.enumerated() {
        if (byte < 0x20 && byte != 0x0A) || byte == 0x7F { found.append(String(format: "0x%02X at %d", byte, index)) }
        if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
            found.append(String(format: "U+00%02X at %d", bytes[index + 1], index))
        }
    }
    return found
}

extension TX {
    /// Runs with a watchdog: a `tx` that blocks (on a FIFO, say) is killed after `seconds`,
    /// and the result says so with status -1.
    func run(_ arguments: [String], environment extra: [String: String] = [:], timeout seconds: Double) throws -> Result {
        let process = Process()
        process.executableURL = try TX.binary()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["TX_LANG"] = "en"   // the English text the tests read, whatever the locale
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let outFile = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
        let errFile = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outFile); try? FileManager.default.removeItem(at: errFile) }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        var timedOut = false
        if process.isRunning { timedOut = true; kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return Result(status: timedOut ? -1 : process.terminationStatus,
                      stdout: String(decoding: (try? Data(contentsOf: outFile)) ?? Data(), as: UTF8.self),
                      stderr: String(decoding: (try? Data(contentsOf: errFile)) ?? Data(), as: UTF8.self))
    }

    /// Files in the folder that the run may have written (not the ones the harness keeps).
    func outputs() -> [String] { files().filter { !$0.hasPrefix(".stdout-") && !$0.hasPrefix(".stderr-") } }
}

/// One hostile case: arguments, what the folder holds first, the error it must give.
struct HostileCase: Sendable, CustomTestStringConvertible {
    let name: String
    let arguments: [String]
    /// Every one of these must be in the one-line error.
    let message: [String]
    var environment: [String: String] = [:]
    var setup: @Sendable (URL) throws -> Void = { _ in }
    /// ArgumentParser's own errors add a usage block after the one-line error.
    var oneLine = true
    var testDescription: String { name }

    /// Runs the case and checks: non-zero exit, one line on stderr holding `message`, nothing
    /// written beyond what `setup` made, no raw control character anywhere in the output.
    func check() throws {
        let tx = try TX()
        try setup(tx.directory)
        let before = tx.outputs()
        let result = try tx.run(arguments, environment: environment, timeout: 60)
        #expect(result.status > 0, "status \(result.status); stdout \(result.stdout)")
        #expect(result.stderrLines.count == 1 || !oneLine, "\(result.stderr)")
        for part in message { #expect(result.stderr.contains(part), "\(result.stderr)") }
        #expect(tx.outputs() == before, "wrote \(Set(tx.outputs()).subtracting(before))")
        #expect(rawControls(Data((result.stdout + result.stderr).utf8)).isEmpty, "\(result.stderr)")
        #expect(!result.stderr.contains("EncodingError"))
        #expect(!result.stdout.contains("NaN") && !result.stdout.contains("−∞"), "\(result.stdout)")
    }
}

// MARK: Class 1: non-finite numbers are errors naming the tensor, or the layer and head

let nonFiniteCases: [HostileCase] = [
    HostileCase(name: "NaN in blk.0.attn_norm.weight (attention, --json)",
                arguments: ["attention", "--model", "m.gguf", "--text", "hi there", "--out", "a.png", "--json", "a.json"],
                message: ["\"blk.0.attn_norm.weight\": element 2 is nan", "not a finite number"],
                setup: { try writeTinyLlama(to: $0.appendingPathComponent("m.gguf")) { name, count in
                    name == "blk.0.attn_norm.weight" ? [1, 1, .nan] + [Float](repeating: 1, count: count - 3) : nil } }),
    HostileCase(name: "Inf embedding row (generate)",
                arguments: ["generate", "--model", "m.gguf", "--text", "hi", "--greedy", "--steps", "2"],
                message: ["\"token_embd.weight\": element 800 is inf"],
                setup: { try writeTinyLlama(to: $0.appendingPathComponent("m.gguf")) { name, count in
                    name == "token_embd.weight" ? (0..<count).map { $0 / 8 == 100 ? .infinity : 0.1 } : nil } }),
    HostileCase(name: "weights of 1e38 overflow in attention (attention, --json)",
                arguments: ["attention", "--model", "m.gguf", "--text", "hi there", "--out", "a.png", "--json", "a.json"],
                message: ["layer 1, head 1 computed a non-finite attention weight", "overflow"],
                setup: { try writeTinyLlama(to: $0.appendingPathComponent("m.gguf")) { name, count in
                    name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight") ? [Float](repeating: 1e38, count: count) : nil } }),
    HostileCase(name: "weights of 1e38 overflow the logits (generate)",
                arguments: ["generate", "--model", "m.gguf", "--text", "hi", "--steps", "2"],
                message: ["the logits at step 1 are not finite"],
                setup: { try writeTinyLlama(to: $0.appendingPathComponent("m.gguf")) { name, count in
                    // Every embedding the same positive row, and the final norm's gains at Float's
                    // largest: each logit is a sum of 8 such products, which overflows.
                    name == "output_norm.weight" ? [Float](repeating: .greatestFiniteMagnitude, count: count)
                        : name == "token_embd.weight" ? [Float](repeating: 1, count: count) : nil } }),
    HostileCase(name: "NaN in embeddings.LayerNorm.weight (BERT attention)",
                arguments: ["attention", "--model", "bert", "--text", "hello world", "--out", "a.png", "--json", "a.json"],
                message: ["tensor \"embeddings.LayerNorm.weight\": element 1 is nan"],
                setup: { try writeTinyBert(in: $0.appendingPathComponent("bert"), poison: ("embeddings.LayerNorm.weight", 1, .nan)) }),
    HostileCase(name: "Inf word-embedding row (BERT embed)",
                arguments: ["embed", "hello + world", "--model", "bert", "--out", "e.png"],
                message: ["tensor \"embeddings.word_embeddings.weight\": element 21 is inf"],
                setup: { try writeTinyBert(in: $0.appendingPathComponent("bert"), poison: ("embeddings.word_embeddings.weight", 21, .infinity)) }),
]

// MARK: Class 2: nothing from a file or argv reaches the terminal raw

let escape = "x\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}1m\u{7F}y"

/// Commands that succeed on hostile text: stdout, stderr and the JSON hold no raw control.
let escapeSuccessCases: [(name: String, arguments: [String], setup: @Sendable (URL) throws -> Void)] = [
    ("attention (toy head)", ["attention", "--text", escape, "--out", "a.png"], { _ in }),
    ("attention --arch with --json", ["attention", "--text", escape, "--arch", "encoder", "--weights", "random", "--out", "a.png", "--json", "a.json"], { _ in }),
    ("compare", ["compare", "--text", "\u{1B}[2J hi", "--weights", "random", "--out", "a.png"], { _ in }),
    ("shift", ["shift", "--source", "\u{1B}[2J hi", "--target", "a\u{9B}1m", "--out", "a.png"], { _ in }),
    ("mlm", ["mlm", "--text", escape + " the cat sleeps", "--out", "a.png"], { _ in }),
    ("generate: a GGUF token that is an escape sequence", ["generate", "--model", "m.gguf", "--text", "hi", "--greedy", "--steps", "3", "--out-dir", "."],
     { try writeHostileTokenLlama(to: $0.appendingPathComponent("m.gguf")) }),
    ("attention on a GGUF, text with escapes, --json", ["attention", "--model", "m.gguf", "--text", escape, "--out", "a.png", "--json", "a.json"],
     { try writeHostileTokenLlama(to: $0.appendingPathComponent("m.gguf")) }),
]

/// Errors that echo hostile argv: the echo is escaped.
let escapeErrorCases: [HostileCase] = [
    HostileCase(name: "unknown lesson", arguments: ["lesson", escape], message: ["unknown lesson 'x\\e]0;pwned\\u{7}\\e[2J\\u{9b}1m\\u{7f}y'"]),
    HostileCase(name: "unknown model (attention)", arguments: ["attention", "--model", escape, "--text", "hi", "--out", "a.png"],
                message: ["unknown model \"x\\e]0;pwned"]),
    HostileCase(name: "unknown model (generate)", arguments: ["generate", "--model", escape, "--text", "hi"], message: ["unknown model 'x\\e]0"]),
    HostileCase(name: "unknown training", arguments: ["train", escape], message: ["unknown model 'x\\e]0"]),
    HostileCase(name: "words the language model does not know", arguments: ["generate", "--model", "lm", "--text", escape],
                message: ["does not know", "\\e"]),
    HostileCase(name: "an unknown option (ArgumentParser's own error)", arguments: ["attention", "--text", "hi", "--" + escape],
                message: ["Unknown option '--x\\e]0;pwned"], oneLine: false),
    HostileCase(name: "a BERT vocab.txt holding an escape sequence is refused by line",
                arguments: ["attention", "--model", "bert", "--text", "hello world", "--out", "a.png", "--json", "a.json"],
                message: ["vocab.txt", "line 7 contains U+001B"],
                setup: { try writeTinyBert(in: $0.appendingPathComponent("bert"),
                                           vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world\u{1B}[2J", "##s"]) }),
    HostileCase(name: "a missing --out folder", arguments: ["attention", "--text", "hi", "--out", escape + "/a.png"], message: ["\\e[2J"]),
]

// MARK: Class 3: every size a user can set is bounded, before anything is allocated

let boundCases: [HostileCase] = [
    HostileCase(name: "train --d-model 2^62", arguments: ["train", "lm", "--d-model", "4611686018427387904"], message: ["--d-model 4611686018427387904 is out of range", "4 to 512"]),
    HostileCase(name: "train --batch-size 2^63−1", arguments: ["train", "lm", "--batch-size", "9223372036854775807"], message: ["--batch-size", "1 to 512"]),
    HostileCase(name: "train --d-model 2^31", arguments: ["train", "lm", "--d-model", "2147483648"], message: ["--d-model 2147483648 is out of range"]),
    HostileCase(name: "train --steps 2^31", arguments: ["train", "lm", "--steps", "2147483648"], message: ["--steps 2147483648 is out of range", "1 to 100000"]),
    HostileCase(name: "train --layers 100000", arguments: ["train", "lm", "--layers", "100000"], message: ["--layers 100000 is out of range", "1 to 8"]),
    HostileCase(name: "train --steps -5 (a range error, not 'Missing value')", arguments: ["train", "lm", "--steps", "-5"], message: ["--steps -5 is out of range"]),
    HostileCase(name: "train --batch-size 0", arguments: ["train", "bert", "--batch-size", "0"], message: ["--batch-size 0 is out of range"]),
    HostileCase(name: "generate --temperature 1e-38", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--temperature", "1e-38"],
                message: ["--temperature 1e-38 is out of range", "0.01 to 100", "--greedy"]),
    HostileCase(name: "generate --temperature nan", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--temperature", "nan"], message: ["--temperature nan is out of range"]),
    HostileCase(name: "generate --temperature -1", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--temperature", "-1"], message: ["--temperature -1.0 is out of range"]),
    HostileCase(name: "generate --top-k 0", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--top-k", "0"], message: ["--top-k 0 is out of range"]),
    HostileCase(name: "generate --top-k -3", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--top-k", "-3"], message: ["--top-k -3 is out of range"]),
    HostileCase(name: "generate --top-p 1.5", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--top-p", "1.5"], message: ["--top-p 1.5 is out of range"]),
    HostileCase(name: "generate --steps 2^62", arguments: ["generate", "--model", "lm", "--text", "the teacher", "--steps", "4611686018427387904"], message: ["--steps 4611686018427387904 is out of range", "1 to 200"]),
    HostileCase(name: "attention --d-model 2^40", arguments: ["attention", "--text", "hi", "--d-model", "1099511627776", "--out", "a.png"], message: ["--d-model 1099511627776 is out of range"]),
    HostileCase(name: "attention --d-k -1", arguments: ["attention", "--text", "hi", "--d-k", "-1", "--out", "a.png"], message: ["--d-k -1 is out of range"]),
    HostileCase(name: "attention --layer -1", arguments: ["attention", "--text", "hi", "--arch", "encoder", "--layer", "-1", "--out", "a.png"], message: ["--layer -1 is out of range"]),
    HostileCase(name: "attention --head 2^62", arguments: ["attention", "--text", "hi", "--arch", "encoder", "--head", "4611686018427387904", "--out", "a.png"], message: ["--head 4611686018427387904 is out of range"]),
    HostileCase(name: "embed --count 1000", arguments: ["embed", "king", "--count", "1000", "--out", "e.png"], message: ["--count 1000 is out of range"]),
    HostileCase(name: "generate --text \"\" (lm)", arguments: ["generate", "--model", "lm", "--text", ""], message: ["--text is empty"]),
    HostileCase(name: "generate --text \"\" (translator)", arguments: ["generate", "--model", "translator", "--text", " "], message: ["--text is empty"]),
]

// MARK: Class 4 and 5: only regular files, in and out

let regularFileCases: [HostileCase] = [
    HostileCase(name: "a FIFO as vocab.txt (used to hang forever)",
                arguments: ["attention", "--model", "bert", "--text", "hello world", "--out", "a.png"],
                message: ["vocab.txt is a FIFO (named pipe), not a regular file"],
                setup: { folder in
                    try writeTinyBert(in: folder.appendingPathComponent("bert"))
                    let vocab = folder.appendingPathComponent("bert/vocab.txt")
                    try FileManager.default.removeItem(at: vocab)
                    #expect(mkfifo(vocab.path, 0o644) == 0)
                }),
    HostileCase(name: "a FIFO as the .gguf", arguments: ["generate", "--model", "m.gguf", "--text", "hi"],
                message: ["m.gguf is a FIFO (named pipe), not a regular file"],
                setup: { #expect(mkfifo($0.appendingPathComponent("m.gguf").path, 0o644) == 0) }),
    HostileCase(name: "a symlink to /dev/zero as the .safetensors", arguments: ["embed", "hello", "--model", "bert/model.safetensors", "--out", "e.png"],
                message: ["is a character device, not a regular file"],
                setup: { folder in
                    try writeTinyBert(in: folder.appendingPathComponent("bert"))
                    let weights = folder.appendingPathComponent("bert/model.safetensors")
                    try FileManager.default.removeItem(at: weights)
                    try FileManager.default.createSymbolicLink(atPath: weights.path, withDestinationPath: "/dev/zero")
                }),
    HostileCase(name: "--out is a FIFO", arguments: ["attention", "--text", "hi", "--out", "a.png"],
                message: ["cannot write a.png: it is a FIFO (named pipe), not a regular file"],
                setup: { #expect(mkfifo($0.appendingPathComponent("a.png").path, 0o644) == 0) }),
    HostileCase(name: "--json is a FIFO", arguments: ["attention", "--text", "hi", "--arch", "encoder", "--weights", "random", "--out", "a.png", "--json", "a.json"],
                message: ["cannot write a.json: it is a FIFO (named pipe)"],
                setup: { #expect(mkfifo($0.appendingPathComponent("a.json").path, 0o644) == 0) }),
    HostileCase(name: "--out is a symlink to /dev/null", arguments: ["compare", "--text", "hi", "--weights", "random", "--out", "a.png"],
                message: ["cannot write a.png: it is a character device"],
                setup: { try FileManager.default.createSymbolicLink(atPath: $0.appendingPathComponent("a.png").path, withDestinationPath: "/dev/null") }),
    HostileCase(name: "train --out is a FIFO", arguments: ["train", "lm", "--steps", "2", "--out", "m.safetensors"],
                message: ["cannot write m.safetensors: it is a FIFO"],
                setup: { #expect(mkfifo($0.appendingPathComponent("m.safetensors").path, 0o644) == 0) }),
]

// MARK: Class 6: all or nothing for multi-file outputs

/// TX_TEST_FAIL_WRITE=N makes the Nth file written fail as a full disk does.
let allOrNothingCases: [HostileCase] = [
    HostileCase(name: "attention: the --json fails after the figure",
                arguments: ["attention", "--text", "hi there", "--arch", "encoder", "--weights", "random", "--out", "a.png", "--json", "a.json"],
                message: ["cannot write a.json: no space left on the device", "nothing was written"], environment: ["TX_TEST_FAIL_WRITE": "2"]),
    HostileCase(name: "attention on a real-model file: the --json fails after the figure",
                arguments: ["attention", "--model", "m.gguf", "--text", "hi there", "--out", "a.png", "--json", "a.json"],
                message: ["cannot write a.json: no space left on the device"], environment: ["TX_TEST_FAIL_WRITE": "2"],
                setup: { try writeTinyLlama(to: $0.appendingPathComponent("m.gguf")) }),
    HostileCase(name: "generate --out-dir: the third chart fails",
                arguments: ["generate", "--model", "lm", "--text", "the teacher", "--steps", "5", "--seed", "3", "--out-dir", "charts"],
                message: ["cannot write charts/step-03.png: no space left on the device", "no chart was written"],
                environment: ["TX_TEST_FAIL_WRITE": "3"],
                setup: { try FileManager.default.createDirectory(at: $0.appendingPathComponent("charts"), withIntermediateDirectories: false) }),
    HostileCase(name: "train: the last figure fails after the weights",
                arguments: ["train", "lm", "--steps", "2", "--d-model", "8", "--layers", "1", "--out", "m.safetensors"],
                message: ["language-model-attention.png: no space left on the device", "nothing was written"],
                environment: ["TX_TEST_FAIL_WRITE": "3"], oneLine: false),   // train's progress is on stderr too
    HostileCase(name: "train: the weights fail first",
                arguments: ["train", "lm", "--steps", "2", "--d-model", "8", "--layers", "1", "--out", "m.safetensors"],
                message: ["cannot write m.safetensors: no space left on the device"],
                environment: ["TX_TEST_FAIL_WRITE": "1"], oneLine: false),   // train's progress is on stderr too
]

@Suite("tx on hostile values, text, sizes and files (issue 14)")
struct HostileInputCLITests {
    @Test(arguments: nonFiniteCases)
    func nonFiniteNumbersAreOneLineErrors(_ hostile: HostileCase) throws { try hostile.check() }

    @Test(arguments: escapeErrorCases)
    func hostileArgumentsAreEchoedEscaped(_ hostile: HostileCase) throws { try hostile.check() }

    @Test(arguments: escapeSuccessCases.indices)
    func hostileTextNeverReachesTheTerminalRaw(_ index: Int) throws {
        let hostile = escapeSuccessCases[index]
        let tx = try TX()
        try hostile.setup(tx.directory)
        let result = try tx.run(hostile.arguments, environment: [:], timeout: 60)
        #expect(result.status == 0, "\(hostile.name): \(result.stderr)")
        #expect(rawControls(Data(result.stdout.utf8)).isEmpty, "\(hostile.name): \(rawControls(Data(result.stdout.utf8)))")
        #expect(rawControls(Data(result.stderr.utf8)).isEmpty, "\(hostile.name)")
        if let json = tx.data("a.json") {
            #expect(rawControls(json).filter { !$0.hasPrefix("0x0A") }.isEmpty, "\(hostile.name): the JSON")
            #expect((try? JSONSerialization.jsonObject(with: json)) != nil, "\(hostile.name): the JSON still parses")
        }
        if hostile.name.hasPrefix("generate") {
            // The hostile token was generated and is shown, escaped, every step.
            #expect(result.stdout.contains("\\e]0;pwned\\u{7}\\e[2J\\u{9b}1m\\u{7f}"), "\(result.stdout)")
            #expect(tx.outputs().filter { $0.hasPrefix("step-") } == ["step-01.png", "step-02.png", "step-03.png"])
        }
    }

    @Test(arguments: boundCases)
    func everySizeIsBounded(_ hostile: HostileCase) throws { try hostile.check() }

    @Test(arguments: regularFileCases)
    func onlyRegularFiles(_ hostile: HostileCase) throws { try hostile.check() }

    @Test(arguments: allOrNothingCases)
    func allOrNothing(_ hostile: HostileCase) throws { try hostile.check() }

    /// A real full disk (a 64 KiB tmpfs; needs root for mount): the error names the cause and
    /// no chart is left.
    @Test func aFullDiskSaysNoSpaceLeft() throws {
        let tx = try TX()
        let charts = tx.directory.appendingPathComponent("charts")
        try FileManager.default.createDirectory(at: charts, withIntermediateDirectories: false)
        guard getuid() == 0, mountTmpfs(charts.path, size: "64k") else { return }
        defer { unmount(charts.path) }
        let result = try tx.run(["generate", "--model", "lm", "--text", "the teacher", "--steps", "8", "--seed", "3", "--out-dir", "charts"],
                                timeout: 120)
        #expect(result.status == 1)
        #expect(result.stderr.contains("no space left on the device"), "\(result.stderr)")
        #expect(result.stderrLines.count == 1)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: charts.path)) ?? ["?"]).isEmpty)
    }

    /// PNG, SVG and PDF: two runs, byte for byte the same (a PDF used to carry the time).
    @Test(arguments: ["png", "svg", "pdf"])
    func figuresAreByteIdenticalAcrossRuns(format: String) throws {
        let tx = try TX()
        let first = try tx.run(["attention", "--text", "I love you", "--out", "a.\(format)"])
        sleep(1)
        let second = try tx.run(["attention", "--text", "I love you", "--out", "b.\(format)"])
        #expect(first.status == 0 && second.status == 0)
        let a = try #require(tx.data("a.\(format)")), b = try #require(tx.data("b.\(format)"))
        #expect(a == b)
        if format == "pdf" { #expect(String(decoding: a, as: UTF8.self).contains("/CreationDate (19700101000000Z)")) }
    }
}

func mountTmpfs(_ path: String, size: String) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/mount")
    process.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}

func unmount(_ path: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/umount")
    process.arguments = [path]
    try? process.run()
    process.waitUntilExit()
}
