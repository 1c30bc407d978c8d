import Foundation

/// llama.cpp's own benchmark, `llama-bench`, built by scripts/bench/build-llama-cpp.sh from the
/// pinned llama-cpp-python source package, run on the same GGUF file as ours. One sample is one
/// `llama-bench` process for one test (prompt processing of n tokens, or generating n tokens) with
/// one repetition after its own warm-up run, so samples of ours and of llama.cpp can alternate.
/// Model loading and the warm-up are not in its figure: llama-bench times only the test itself.
final class LlamaBench {
    /// The llama-cpp-python release whose vendored llama.cpp build-llama-cpp.sh builds (keep in step).
    static let packageVersion = "0.3.36"
    let binary: String
    let model: String
    /// "b1234 (abcdef0)" from llama-bench's JSON, known after the first sample.
    private(set) var build: String?

    init(binary: String, model: String) {
        self.binary = binary
        self.model = model
    }

    /// Tokens per second of one run: `prompt` > 0 times prompt processing of that many tokens,
    /// `generate` > 0 times generating that many tokens one at a time (from an empty context).
    func tokensPerSecond(prompt: Int, generate: Int, threads: Int) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", model, "-p", String(prompt), "-n", String(generate), "-t", String(threads),
                             "-r", "1", "-o", "json"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let last = String(decoding: messages, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw BenchError("llama-bench exited with status \(process.terminationStatus): \(last)")
        }
        guard let results = try JSONSerialization.jsonObject(with: data) as? [[String: Any]],
              let result = results.first, let rate = result["avg_ts"] as? Double, rate > 0 else {
            throw BenchError("llama-bench printed no result: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        if build == nil {
            let number = result["build_number"].map { "\($0)" } ?? "?"
            let commit = result["build_commit"] as? String ?? "?"
            build = "build \(number) (\(commit))"
        }
        return rate
    }
}
