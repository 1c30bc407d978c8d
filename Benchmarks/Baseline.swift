import Foundation

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One long-lived `python scripts/bench/worker.py` with OPENBLAS_NUM_THREADS set: it answers one
/// JSON request per line (see worker.py), so samples of ours and of the baseline can alternate
/// without paying Python's start-up, numpy's import or a model's loading per sample.
final class BaselineWorker {
    let threads: Int
    let numpyVersion: String
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer: [UInt8] = []

    init(python: String, scripts: String, threads: Int) throws {
        let worker = (scripts as NSString).appendingPathComponent("worker.py")
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw BenchError("no Python at \(python): run scripts/bench.sh (it creates .venv-bench with the pinned "
                + "numpy and matplotlib), pass --python, or pass --no-baseline to time ours alone")
        }
        guard FileManager.default.fileExists(atPath: worker) else {
            throw BenchError("no \(worker): run tx-bench from the package root, or pass --scripts")
        }
        self.threads = threads
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", worker]
        var environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[name] = String(threads) }
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = environment
        let toWorker = Pipe(), fromWorker = Pipe()
        process.standardInput = toWorker
        process.standardOutput = fromWorker
        process.standardError = FileHandle.standardError
        input = toWorker.fileHandleForWriting
        output = fromWorker.fileHandleForReading
        try process.run()
        let ready = try BaselineWorker.readJSON(from: output, buffer: &buffer, process: process)
        guard ready["ready"] as? Bool == true else { throw BenchError("the baseline worker did not start: \(ready)") }
        numpyVersion = ready["numpy"] as? String ?? "?"
    }

    /// Per-call seconds of `samples` samples of `inner` calls each; with `warmup`, `inner` untimed
    /// calls come first.
    func run(_ bench: String, params: [String: Any], inner: Int, samples: Int = 1, warmup: Bool) throws -> [Double] {
        let request: [String: Any] = ["bench": bench, "params": params, "inner": inner, "samples": samples,
                                      "warmup": warmup ? inner : 0]
        var line = try JSONSerialization.data(withJSONObject: request)
        line.append(0x0A)
        try input.write(contentsOf: line)
        let answer = try BaselineWorker.readJSON(from: output, buffer: &buffer, process: process)
        if let error = answer["error"] as? String { throw BenchError("baseline \(bench): \(error)") }
        guard let times = answer["times"] as? [Double], !times.isEmpty else {
            throw BenchError("baseline \(bench): unexpected answer \(answer)")
        }
        return times
    }

    /// One sample, for `compare`.
    func sampler(_ bench: String, params: [String: Any]) -> (Int, Bool) throws -> Double {
        { inner, warmup in try self.run(bench, params: params, inner: inner, warmup: warmup)[0] }
    }

    func stop() {
        try? input.close()
        process.waitUntilExit()
    }

    private static func readJSON(from handle: FileHandle, buffer: inout [UInt8], process: Process) throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw BenchError("the baseline worker said: \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            let chunk = handle.availableData
            if chunk.isEmpty {
                throw BenchError("the baseline worker stopped (exit status \(process.isRunning ? -1 : process.terminationStatus)); "
                    + "its messages are above. Is the venv complete? Run scripts/bench.sh")
            }
            buffer.append(contentsOf: chunk)
        }
    }
}

/// The workers, one per thread count, started when first needed.
final class Baselines {
    let python: String
    let scripts: String
    let enabled: Bool
    private var workers: [Int: BaselineWorker] = [:]
    private(set) var startError: String?

    init(python: String, scripts: String, enabled: Bool) {
        self.python = python
        self.scripts = scripts
        self.enabled = enabled
    }

    /// The worker for `threads`, or nil (with `startError` set) when baselines are off or it cannot start.
    func worker(threads: Int) -> BaselineWorker? {
        guard enabled, startError == nil else { return nil }
        if let worker = workers[threads] { return worker }
        do {
            let worker = try BaselineWorker(python: python, scripts: scripts, threads: threads)
            workers[threads] = worker
            return worker
        } catch {
            startError = "\(error)"
            return nil
        }
    }

    var numpyVersion: String? { workers.values.first?.numpyVersion }

    func stopAll() {
        for worker in workers.values { worker.stop() }
        workers = [:]
    }
}
