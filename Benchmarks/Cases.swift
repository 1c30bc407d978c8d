import Figures
import Foundation
import Synchronization
import ModelIO
import TensorCore
import Transformer

/// The one call into the project's matrix product, kept apart so the kernel under test is easy to
/// switch.
@inline(never)
func projectMatmul(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, threads: Int) {
    // One thread exactly on the 1-thread rows; on the others the kernel's own choice (both cores
    // above 4M multiply-adds, one below, where waking a second thread costs more than it saves).
    MatmulKernel.multiply(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n,
                          threads: threads == 1 ? 1 : nil)
}

/// Everything a benchmark needs: the options, the baselines, the rows written so far.
final class Bench {
    let quick: Bool
    let threadCounts: [Int]
    let baselines: Baselines
    let outputDirectory: String
    let scratchDirectory: String
    private(set) var rows: [Row] = []
    /// The machine's measured limits (filled by `probe()` before the benchmarks).
    var limits = MachineLimits()
    /// llama.cpp's llama-bench, when it could be built; nil rows say why.
    var llama: LlamaBench?
    var llamaMissing = "llama-bench not built"
    /// Extra lines for the Markdown file (how the comparisons were made).
    private(set) var notes: [String] = []

    init(quick: Bool, threadCounts: [Int], baselines: Baselines, outputDirectory: String) throws {
        self.quick = quick
        self.threadCounts = threadCounts
        self.baselines = baselines
        self.outputDirectory = outputDirectory
        scratchDirectory = (NSTemporaryDirectory() as NSString).appendingPathComponent("tx-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: scratchDirectory) }

    func note(_ line: String) { notes.append(line) }

    /// Measures ours against a baseline run by the worker with `threads` threads, adds the row and prints it.
    @discardableResult
    func measure(_ name: String, metric: Metric, target: Double, threads: Int = 1, plan: Plan,
                 baseline: (bench: String, params: [String: Any])?, baselineName: String = "numpy",
                 limit: ((Double) -> Double, String)? = nil, work: Work) throws -> Row {
        let worker = baseline == nil ? nil : baselines.worker(threads: threads)
        let sampler = baseline.flatMap { b in worker.map { $0.sampler(b.bench, params: b.params) } }
        return try measure(name, metric: metric, target: target, plan: plan, sampler: sampler,
                           baselineName: baselineName, limit: limit, work: work)
    }

    /// The same with any baseline sampler (seconds per call), e.g. llama-bench.
    @discardableResult
    func measure(_ name: String, metric: Metric, target: Double, plan: Plan,
                 sampler: ((Int, Bool) throws -> Double)?, baselineName: String,
                 limit: ((Double) -> Double, String)? = nil, missing: String? = nil, work: Work) throws -> Row {
        let result = try compare(work, plan: plan, baseline: sampler)
        var row = Row(benchmark: name, metric: metric, ours: median(result.ours).map { metric.value(seconds: $0) },
                      baseline: result.baseline.flatMap(median).map { metric.value(seconds: $0) },
                      baselineName: baselineName, target: target)
        if row.baseline == nil {
            row.note = result.baselineError ?? missing ?? baselines.startError.map { _ in "baseline not available" }
                ?? (baselines.enabled ? "no baseline" : "--no-baseline")
        }
        if let (fraction, name) = limit {
            row.oursOfLimit = row.ours.map(fraction)
            row.baselineOfLimit = row.baseline.map(fraction)
            row.limitName = name
        }
        add(row)
        return row
    }

    func add(_ row: Row) {
        rows.append(row)
        let ours = row.ours.map { "\(formatValue($0)) \(row.metric.unit)" } ?? "–"
        let baseline = row.baseline.map { "\(formatValue($0)) \(row.metric.unit)" } ?? "–"
        let ratio = row.ratio.map { String(format: "%.2f×", $0) } ?? "–"
        var line = "  \(row.benchmark): ours \(ours), \(row.baselineName) \(baseline), ratio \(ratio) (target ≥ \(String(format: "%g", row.target))×) \(row.met)"
        if !row.note.isEmpty { line += "  [\(row.note)]" }
        print(line)
        fflush(nil)
    }

    /// A short reason for the table; the whole message goes to the console.
    static func reason(_ error: any Error) -> String {
        print("  skipped: \(error)")
        if error is ModelStoreError { return "model not installed: run scripts/fetch-models.sh" }
        return "\(error)"
    }

    /// A row for a benchmark that could not run at all.
    func skip(_ name: String, metric: Metric, target: Double, baselineName: String = "numpy", reason: String) {
        add(Row(benchmark: name, metric: metric, ours: nil, baseline: nil, baselineName: baselineName,
                target: target, note: reason))
    }

    /// GFLOP/s as a fraction of the measured FMA peak at `threads` threads.
    func peakFraction(threads: Int) -> ((Double) -> Double, String)? {
        guard let peak = limits.peakGigaflops[threads], peak > 0 else { return nil }
        return ({ $0 / peak }, "FMA peak")
    }

    // MARK: Limits

    /// Measures the FMA peak and the read bandwidth for every thread count of the run.
    func probe() {
        for threads in threadCounts {
            let peak = MachineLimits.measurePeak(threads: threads)
            let bandwidth = MachineLimits.measureBandwidth(threads: threads)
            limits.peakGigaflops[threads] = peak
            limits.bandwidth[threads] = bandwidth
            let line = String(format: "  %d thread%@: FMA peak %.0f GFLOP/s, read bandwidth %.1f GB/s (load %@)",
                              threads, threads == 1 ? "" : "s", peak, bandwidth, loadNow())
            print(line)
            note("limits, \(threads) thread\(threads == 1 ? "" : "s"): FMA peak "
                + String(format: "%.0f GFLOP/s", peak) + ", read bandwidth " + String(format: "%.1f GB/s", bandwidth)
                + " (MachineLimits in Benchmarks/Probes.swift: 12 chains of SIMD16 fused multiply-adds per thread; "
                + "SIMD16 loads summing a 512 MiB buffer split between the threads; best of 5).")
        }
    }

    func loadNow() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    // MARK: Matmul

    func matmul() throws {
        var shapes: [(m: Int, k: Int, n: Int, label: String)] = [256, 512, 1024, 2048]
            .filter { !quick || $0 <= 1024 }.map { ($0, $0, $0, "\($0)³") }
        shapes += [(16, 384, 384, "MiniLM 16×384·384×384"), (16, 384, 1536, "MiniLM 16×384·384×1536"),
                   (128, 384, 1536, "MiniLM 128×384·384×1536"), (1, 576, 1536, "SmolLM2 1×576·576×1536")]
        var generator = SeededGenerator(seed: 1)
        for shape in shapes {
            let (m, k, n) = (shape.m, shape.k, shape.n)
            let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
            let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            for i in 0..<(m * k) { a[i] = generator.nextNormal() }
            for i in 0..<(k * n) { b[i] = generator.nextNormal() }
            for threads in threadCounts {
                let work: Work = {
                    projectMatmul(m: m, n: n, k: k, a: a, b: b, c: c, threads: threads)
                    return nil
                }
                let inner = try calibrate(work, target: quick ? 0.01 : 0.03)
                try measure("matmul \(shape.label), \(threads) thread\(threads == 1 ? "" : "s")",
                            metric: .gigaflops(flops: 2 * Double(m * n * k)), target: 0.95, threads: threads,
                            plan: Plan(rounds: quick ? 3 : 7, inner: inner),
                            baseline: ("matmul", ["m": m, "n": n, "k": k]),
                            limit: peakFraction(threads: threads), work: work)
            }
        }
        note("matmul: C = A·B in Float, row-major, C preallocated; ours is MatmulKernel.multiply, numpy is "
            + "np.matmul(a, b, out=c) (OpenBLAS sgemm) with OPENBLAS_NUM_THREADS = the row's thread count. "
            + "On the 2-thread rows ours makes its own choice (threads: nil): both cores above 4M multiply-adds, "
            + "one below. The SmolLM2 shape (m = 1) is a matrix-vector product: the model itself runs it on "
            + "the quantised blocks (QuantizedMatrix), not here.")
    }

    // MARK: Multi-head attention

    func attention() throws {
        let heads = 12, headDimension = 64, d = heads * headDimension
        var generator = SeededGenerator(seed: 2)
        let attention = try MultiHeadAttention(modelDimension: d, heads: heads, using: &generator)
        // One thread, as numpy's: the layer's products would otherwise take both cores.
        MatmulKernel.automaticThreadLimit.store(1, ordering: .relaxed)
        defer { MatmulKernel.automaticThreadLimit.store(.max, ordering: .relaxed) }
        for tokens in [16, 128] {
            let x = Tensor.randomNormal([tokens, d], using: &generator)
            let work: Work = { _ = try attention(x); return nil }
            let inner = try calibrate(work, target: quick ? 0.01 : 0.03)
            try measure("multi-head attention 12×\(tokens)×64", metric: .milliseconds, target: 1, plan:
                            Plan(rounds: quick ? 3 : 7, inner: inner),
                        baseline: ("mha", ["tokens": tokens, "heads": heads, "headDimension": headDimension]),
                        work: work)
        }
        note("multi-head attention: self-attention on T tokens of d = 768 (12 heads × 64), one thread "
            + "(ours held to it by MatmulKernel.automaticThreadLimit), "
            + "including the Q, K, V and output projections on both sides: per head softmax(Q·Kᵀ/√64)·V. "
            + "Ours is Transformer.MultiHeadAttention, which also keeps every stage for the lessons.")
    }

    // MARK: Figures

    static let tokens = "the animal did n't cross the street because it was too tired , said the vet"
        .split(separator: " ").map(String.init)

    static func softmaxRows(_ n: Int, using generator: inout SeededGenerator) -> [[Float]] {
        (0..<n).map { _ in
            let logits = (0..<n).map { _ in 2 * generator.nextNormal() }
            let top = logits.max() ?? 0
            let e = logits.map { Foundation.exp($0 - top) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    /// Width and height in pixels of a PNG file (its IHDR chunk).
    static func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        guard bytes.count == 24 else { throw BenchError("\(path) is not a PNG") }
        func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    func figures(heatmap doHeatmap: Bool, modelView doModelView: Bool) throws {
        var generator = SeededGenerator(seed: 3)
        let tokens = Bench.tokens
        let scale = 2.0
        if doHeatmap {
            let values = Bench.softmaxRows(16, using: &generator)
            let title = "Attention weights of one head", subtitle = "16 tokens, random softmax rows"
            let chart = Heatmap(values: values, rowLabels: tokens, columnLabels: tokens, title: title, subtitle: subtitle,
                                colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: "weight",
                                xAxisTitle: "key", yAxisTitle: "query")
            try figure("heatmap", label: "heatmap 16×16 PNG", chart: chart, scale: scale, params: [
                "values": values.map { $0.map(Double.init) }, "rowLabels": tokens, "columnLabels": tokens,
                "title": title, "subtitle": subtitle, "colorBarLabel": "weight", "xAxisTitle": "key",
                "yAxisTitle": "query"])
        }
        if doModelView {
            let weights = (0..<6).map { _ in (0..<12).map { _ in Bench.softmaxRows(16, using: &generator) } }
            let title = "Model view: every head of every layer", subtitle = "6 layers × 12 heads, 16 tokens, random softmax rows"
            let chart = ModelView(title: title, subtitle: subtitle, weights: weights, rowLabels: tokens,
                                  columnLabels: tokens, colorBarLabel: "weight")
            try figure("modelview", label: "model view 6×12 PNG", chart: chart, scale: scale, params: [
                "weights": weights.map { $0.map { $0.map { $0.map(Double.init) } } }, "rowLabels": tokens,
                "columnLabels": tokens, "title": title, "subtitle": subtitle, "colorBarLabel": "weight",
                "tokenLabels": chart.showsTokenLabels])
        }
        note("figures: one figure built and written as a PNG file per call (ours: Figures' `render(_:to:scale: 2)`, "
            + "which also fsyncs; matplotlib: Agg, `savefig`, `close`), imports excluded. The matplotlib figure has "
            + "the same pixel size, data, labels, colour bar (viridis, 0…1), axis titles, title and subtitle, at "
            + "dpi 144 so font sizes in points match. Both are kept for comparison as Output/bench-*-ours.png and "
            + "Output/bench-*-matplotlib.png.")
    }

    private func figure(_ bench: String, label: String, chart: any Chart, scale: Double, params: [String: Any]) throws {
        let ours = (outputDirectory as NSString).appendingPathComponent("bench-\(bench)-ours.png")
        try render(chart, to: ours, scale: scale)
        let (width, height) = try Bench.pngSize(ours)
        var params = params
        params["width"] = width
        params["height"] = height
        params["scale"] = scale
        params["path"] = (scratchDirectory as NSString).appendingPathComponent("\(bench)-matplotlib.png")
        params["sample"] = (outputDirectory as NSString).appendingPathComponent("bench-\(bench)-matplotlib.png")
        let path = (scratchDirectory as NSString).appendingPathComponent("\(bench)-ours.png")
        let work: Work = { try render(chart, to: path, scale: scale); return nil }
        try measure("\(label) (\(width)×\(height) px)", metric: .milliseconds, target: 10,
                    plan: Plan(rounds: quick ? 3 : 5, inner: 1), baseline: (bench, params),
                    baselineName: "matplotlib", work: work)
    }

    // MARK: Real models

    func minilm() throws {
        // 512 is MiniLM's whole position table, where issue 23 asks for 1.5× numpy.
        let lengths = [16, 128, 512]
        func target(_ n: Int) -> Double { n == 512 ? 1.5 : 1 }
        let model: BertEncoderModel
        do {
            model = try BertEncoderModel.loadInstalled()
        } catch {
            let why = Bench.reason(error)
            for threads in threadCounts {
                for n in lengths {
                    skip("MiniLM forward, \(n) tokens, \(threads) thread\(threads == 1 ? "" : "s")",
                         metric: .milliseconds, target: target(n), reason: why)
                }
            }
            return
        }
        var generator = SeededGenerator(seed: 4)
        let inputs = lengths.map { n in
            [101] + (0..<(n - 2)).map { _ in Int.random(in: 1000..<30000, using: &generator) } + [102]
        }
        // The model picks its own thread count for each product (MatmulKernel.automaticThreads);
        // the limit holds it to the row's count, the count numpy's OpenBLAS gets.
        defer { MatmulKernel.automaticThreadLimit.store(.max, ordering: .relaxed) }
        for threads in threadCounts {
            MatmulKernel.automaticThreadLimit.store(threads, ordering: .relaxed)
            for ids in inputs {
                let n = ids.count
                let work: Work = { _ = try model.forward(ids: ids); return nil }
                let inner = try calibrate(work, target: quick ? 0.02 : 0.05)
                try measure("MiniLM forward, \(n) tokens, \(threads) thread\(threads == 1 ? "" : "s")",
                            metric: .milliseconds, target: target(n), threads: threads,
                            plan: Plan(rounds: quick ? 3 : 7, inner: inner), baseline: ("minilm", ["ids": ids]), work: work)
            }
        }
        note("MiniLM forward: all-MiniLM-L6-v2 (6 layers, d 384, 12 heads) on one sequence of random word-piece ids; "
            + "ours is BertEncoderModel.forward with its automatic thread choice held to the row's count "
            + "(MatmulKernel.automaticThreadLimit), numpy is scripts/bench/minilm.py (the arithmetic of "
            + "scripts/reference/minilm_reference.py in float32, exact GELU through a vectorised erf) with "
            + "OPENBLAS_NUM_THREADS = the row's count.")
    }

    func smollm2() throws {
        let decodeTokens = quick ? 32 : 128
        let promptLengths = [16, 128, 512]
        let model: LlamaModel
        do {
            model = try LlamaModel.loadInstalled()
        } catch {
            let why = Bench.reason(error)
            for t in threadCounts {
                skip("SmolLM2 decode, \(t) thread\(t == 1 ? "" : "s")", metric: .tokensPerSecond(tokens: decodeTokens),
                     target: 1.2, reason: why)
            }
            return
        }
        let modelPath = try ModelStore.require(.smollm2).appendingPathComponent(ModelStore.Name.smollm2.files[0]).path
        let fileBytes = Double((try? FileManager.default.attributesOfItem(atPath: modelPath)[.size] as? Int) ?? 0)
        let flopsPerToken = 2 * Double(model.multiplyAddsPerToken)
        let oursBytes = Double(model.weightBytesPerToken)
        var generator = SeededGenerator(seed: 5)
        let chat = model.tokenizer.encode("The capital of France is")
        for threads in threadCounts {
            let label = "\(threads) thread\(threads == 1 ? "" : "s")"
            model.threadCount = threads
            let session = model.makeSession()
            let peak = limits.peakGigaflops[threads], bandwidth = limits.bandwidth[threads]

            // Prompt processing: the whole prompt in one append (batched products), from an empty cache.
            var lengths = promptLengths
            if !quick && threads == threadCounts.last { lengths.append(4096) }
            for n in lengths {
                let prompt = (0..<n).map { _ in Int.random(in: 200..<49_000, using: &generator) }
                let work: Work = {
                    session.reset()
                    let start = now()
                    _ = try session.append(prompt)
                    return now() - start
                }
                let sampler: ((Int, Bool) throws -> Double)? = llama.map { llama in
                    { _, _ in Double(n) / (try llama.tokensPerSecond(prompt: n, generate: 0, threads: threads)) }
                }
                let limit: ((Double) -> Double, String)? = peak.map { peak in
                    ({ $0 * flopsPerToken / 1e9 / peak }, "FMA peak")
                }
                print("    (load \(loadNow()))")
                try measure("SmolLM2 prompt \(n) tokens, \(label)", metric: .tokensPerSecond(tokens: n),
                            target: n == 4096 ? 1 : (threads >= 2 ? 1.2 : 1.0),
                            plan: Plan(rounds: quick || n == 4096 ? 2 : 3, inner: 1), sampler: sampler,
                            baselineName: "llama.cpp", limit: limit, missing: llamaMissing, work: work)
            }

            // Decoding: prompt not timed, then `decodeTokens` greedy tokens one at a time.
            let decode: Work = {
                session.reset()
                var logits = try session.append(chat)
                let start = now()
                for _ in 0..<decodeTokens {
                    logits = try session.append([LlamaModel.argmax(logits)])
                }
                return now() - start
            }
            let sampler: ((Int, Bool) throws -> Double)? = llama.map { llama in
                { _, _ in Double(decodeTokens) / (try llama.tokensPerSecond(prompt: 0, generate: decodeTokens, threads: threads)) }
            }
            print("    (load \(loadNow()))")
            let row = try measure("SmolLM2 decode \(decodeTokens) tokens vs llama.cpp, \(label)",
                                  metric: .tokensPerSecond(tokens: decodeTokens), target: threads >= 2 ? 1.3 : 1.2,
                                  plan: Plan(rounds: quick ? 2 : 3, inner: 1), sampler: sampler,
                                  baselineName: "llama.cpp", missing: llamaMissing, work: decode)
            if let bandwidth, bandwidth > 0 {
                // Each side's tok/s × the bytes it reads per token, over the bandwidth.
                rows[rows.count - 1].oursOfLimit = row.ours.map { $0 * oursBytes / 1e9 / bandwidth }
                rows[rows.count - 1].baselineOfLimit = row.baseline.map { $0 * fileBytes / 1e9 / bandwidth }
                rows[rows.count - 1].limitName = "bandwidth"
            }
            try measure("SmolLM2 decode \(decodeTokens) tokens vs numpy, \(label)",
                        metric: .tokensPerSecond(tokens: decodeTokens), target: 2.5, threads: threads,
                        plan: Plan(rounds: quick ? 2 : 3, inner: 1),
                        baseline: ("smollm2", ["prompt": chat, "tokens": decodeTokens]), work: decode)
        }
        model.threadCount = 1
        if let build = llama?.build { note("llama.cpp: \(build), vendored by llama-cpp-python \(LlamaBench.packageVersion), built by scripts/bench/build-llama-cpp.sh (CPU backend, GGML_NATIVE, Release).") }
        note("SmolLM2: SmolLM2-135M-Instruct, the same Q4_1 GGUF file for ours and llama.cpp. Prompt rows: a prompt of n "
            + "seeded random token ids run in one LlamaSession.append from an empty cache (batched products from the "
            + "quantised blocks, blockwise causal attention), against llama-bench -p n (one process per sample, its own "
            + "warm-up). Decode rows: \(decodeTokens) greedy tokens after \"The capital of France is\" (not timed), one at a "
            + "time with a KV cache, against llama-bench -n \(decodeTokens) and scripts/bench/smollm2.py (numpy, float32). "
            + "Samples alternate ours / baseline. Share of the limit: prompt GFLOP/s (2 × \(model.multiplyAddsPerToken / 1_000_000) M "
            + "multiply-adds per token, attention not counted) over the FMA peak; decode: tok/s × bytes read per token "
            + "(ours \(Int(oursBytes / 1e6)) MB as held in memory, llama.cpp the file's \(Int(fileBytes / 1e6)) MB) over the read bandwidth.")
    }
}
