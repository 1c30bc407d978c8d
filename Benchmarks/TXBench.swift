import ArgumentParser
import Figures
import Foundation
import ModelIO
import TensorCore

/// tx-bench: TransformerExplorer against numpy, matplotlib and llama.cpp (issue 8, "Speed").
@main
struct TXBench: ParsableCommand {
    static let benchmarks = ["matmul", "mha", "heatmap", "modelview", "minilm", "smollm2", "cost"]

    static let configuration = CommandConfiguration(
        commandName: "tx-bench",
        abstract: "Times TransformerExplorer against numpy, matplotlib and llama.cpp, and draws cost against length.",
        discussion: """
            Each benchmark warms up, then alternates samples of ours with samples of the matching Python \
            baseline (a long-lived worker, scripts/bench/worker.py, so imports and model loading are never \
            timed) and reports medians. Ratios are our speed over the baseline's: above 1 means faster.

            Run it through scripts/bench.sh, which makes the venv and the release build first.

            Benchmarks (for --only): \(benchmarks.joined(separator: ", ")).
            """
    )

    @Flag(help: "Fewer sizes and repeats (about a minute).")
    var quick = false

    @Option(help: "Run only these benchmarks, comma-separated (e.g. matmul,mha).")
    var only: String?

    @Option(help: "Thread count for matmul and SmolLM2 decode (default: both 1 and 2).")
    var threads: Int?

    @Flag(help: "Time ours only; no Python.")
    var noBaseline = false

    @Option(help: "Where the Markdown table goes.")
    var output = "Output/benchmarks.md"

    @Option(help: "Where the cost-against-length chart goes (PNG).")
    var chart = "Output/benchmark-cost.png"

    @Option(help: "The Python of the baselines' venv.")
    var python = ".venv-bench/bin/python"

    @Option(help: "The folder holding the Python baselines.")
    var scripts = "scripts/bench"

    @Option(help: "llama.cpp's llama-bench (scripts/bench.sh builds it); without it the llama.cpp rows are reported missing.")
    var llamaBench: String?

    @Option(help: "Why llama-bench is missing, for the table (scripts/bench.sh passes the build's error).")
    var llamaMissing: String?

    @Flag(help: "Skip the FMA-peak and bandwidth probes.")
    var noProbes = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        for name in selected where !Self.benchmarks.contains(name) {
            throw ValidationError("--only: unknown benchmark \"\(name)\"; known: \(Self.benchmarks.joined(separator: ", "))")
        }
    }

    var selected: [String] {
        guard let only else { return Self.benchmarks }
        return only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    func run() throws {
        let outputDirectory = (output as NSString).deletingLastPathComponent
        for path in [output, chart] {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        }
        let baselines = Baselines(python: python, scripts: scripts, enabled: !noBaseline)
        if !noBaseline && !FileManager.default.isExecutableFile(atPath: python) {
            throw BenchError("no Python at \(python): run scripts/bench.sh (it creates .venv-bench with the pinned "
                + "numpy and matplotlib), pass --python PATH, or pass --no-baseline to time ours alone")
        }
        let bench = try Bench(quick: quick, threadCounts: threads.map { [$0] } ?? [1, 2], baselines: baselines,
                              outputDirectory: outputDirectory.isEmpty ? "." : outputDirectory)
        defer {
            baselines.stopAll()
            bench.cleanUp()
        }
        let started = Date()
        let loadAtStart = loadAverage()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var busy: String?
        if let load = Double(loadAtStart.split(separator: " ").first ?? ""), load > Double(cores) - 0.5 {
            busy = String(format: "**The machine was busy**: load average %.1f on %d cores when the run started. Every "
                + "number is slowed by the other work; two-thread rows, ours and numpy's alike, mostly measure the "
                + "contention (OpenBLAS threads wait for each other), so read them as unreliable and rerun on a quiet machine.",
                load, cores)
            print("warning: load average \(loadAtStart) on \(cores) cores: the machine is busy, timings will be noisy")
        }
        if let llamaBench, FileManager.default.isExecutableFile(atPath: llamaBench),
           let store = try? ModelStore.require(.smollm2) {
            bench.llama = LlamaBench(binary: llamaBench,
                                     model: store.appendingPathComponent(ModelStore.Name.smollm2.files[0]).path)
        } else {
            bench.llamaMissing = llamaMissing ?? (llamaBench.map { "no llama-bench at \($0)" }
                ?? "llama.cpp not built: run scripts/bench.sh")
        }
        let chosen = Set(selected)
        if !noProbes {
            print("machine limits")
            bench.probe()
        }
        var costSection: String?
        if chosen.contains("matmul") { print("matmul"); try bench.matmul() }
        if chosen.contains("mha") { print("multi-head attention"); try bench.attention() }
        if chosen.contains("heatmap") || chosen.contains("modelview") {
            print("figures")
            try bench.figures(heatmap: chosen.contains("heatmap"), modelView: chosen.contains("modelview"))
        }
        if chosen.contains("minilm") { print("MiniLM"); try bench.minilm() }
        if chosen.contains("smollm2") { print("SmolLM2"); try bench.smollm2() }
        if chosen.contains("cost") { print("cost against sequence length"); costSection = try bench.cost(chartPath: chart) }
        if let error = baselines.startError { print("note: baselines skipped: \(error)") }

        let table = markdownTable(bench.rows)
        if !bench.rows.isEmpty { print("\n" + table + "\n") }
        var document = ["# Benchmarks", "", machineDescription(numpy: baselines.numpyVersion, started: started,
                                                               loadAtStart: loadAtStart), ""]
        if let busy { document += [busy, ""] }
        if !bench.rows.isEmpty {
            document += [table, "",
                         "Ratio: our speed over the baseline's (time: baseline ÷ ours; GFLOP/s and tok/s: ours ÷ "
                            + "baseline), so above 1 means faster; met: ratio ≥ target. Medians of alternating samples.",
                         ""]
            document += bench.notes.map { "- " + $0 }
            document.append("")
        }
        if let costSection { document += [costSection, ""] }
        let text = document.joined(separator: "\n")
        try writeFileAtomically(Array(text.utf8), to: output)
        print("wrote \(output)")
    }

    /// CPU, cores, build and baseline versions, so a table can be read later.
    func machineDescription(numpy: String?, started: Date, loadAtStart: String) -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let cpu = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let formatter = ISO8601DateFormatter()
        var line = "\(formatter.string(from: started)) · \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores · "
            + "tx-bench\(quick ? " --quick" : "")"
            + " (FMA instructions \(FusedMultiplyAdd.isEnabled ? "on" : "off: built without -DFUSED_MULTIPLY_ADD"))"
        if let numpy { line += " · numpy \(numpy)" }
        line += " · llama.cpp from llama-cpp-python \(LlamaBench.packageVersion)"
        return line + " · load average (1, 5, 15 min) at the start: \(loadAtStart), at the end: \(loadAverage())"
    }

    func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
