import ArgumentParser
import Figures
import Foundation
import ModelIO
import TensorCore
import Terminal
import TrainedModels
import Transformer
import Training

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one of the three small models from scratch and show how well it learned.",
        discussion: """
            All three learn from the project's generated Chinese–English corpus (3000
            sentence pairs); held-out pairs combine words in ways never seen in training
            (她 with 在图书馆, 昨天 with 一只鸟, …), so a good score means the model
            learned to combine, not to remember.

              translator  encoder–decoder (2 + 2 layers, d_model 64, 4 heads),
                          Chinese → English, teacher forcing; scored by
                          whole-sentence exact match with greedy decoding.
              lm          decoder-only (2 causal layers): the next English word;
                          scored by next-word accuracy beside the unigram and
                          bigram baselines.
              bert        encoder-only (2 layers) with masked-LM (15%, 80/10/10) on
                          "[CLS] Chinese [SEP] English [SEP]"; scored by top-1
                          accuracy at the hidden positions.

            AdamW, gradient clipping and a warm-up + cosine learning-rate schedule. The same seed \
            and options write the same bytes. Each takes well under a minute in a release build \
            (a debug build is much slower). The package ships the three models trained with the \
            defaults; the lessons use those unless you point them at a file (tx lesson --models FOLDER).

            In a terminal the progress is one line updated in place; otherwise a line every 10% of \
            the steps. Beside the weights it writes the loss curve and an attention figure.

            Examples:
              tx train translator
              tx train lm --seed 3
              tx train bert --steps 2000 --out Output/my-bert.safetensors
              tx train translator --steps 100 --d-model 32 --layers 1

            Lesson 13's stages after pre-training, each from the one before (the shipped
            weights, or --models FOLDER):
              sft         fine-tune the language model on 300 demonstrations of the
                          labeller's taste
              reward      a reward model (the SFT body + a scalar head) trained on
                          the labeller's comparisons
              ppo         PPO against the reward model with a KL penalty β (--beta;
                          0 shows reward hacking)
              tx train sft
              tx train reward --models Output
              tx train ppo --models Output
            """
    )

    static let models = ["translator", "lm", "bert"]

    @Argument(help: "What to train: translator, lm or bert; or lesson 13's stages sft, reward, ppo.",
              completion: .list(Names.train))
    var model: String

    @Option(parsing: .unconditional, help: "tx train ppo: the weight β of the per-token KL penalty toward the SFT model (default 0.1; 0 writes Output/ppo-beta0.safetensors).")
    var beta: Double?

    @Option(help: "tx train sft|reward|ppo: a folder with the earlier stages' weights (from tx train --out) instead of the shipped ones.",
            completion: .directory)
    var models: String?

    @Option(parsing: .unconditional, help: "Seed for the corpus sample, the initial weights, the order of the batches (and the masking).")
    var seed: UInt64 = TrainingOptions().seed

    @Option(parsing: .unconditional, help: "Optimiser steps, \(OptionBounds.text(OptionBounds.trainSteps)) (default: translator 800, lm 600, bert 1200).")
    var steps: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Sentence pairs per step, \(OptionBounds.text(OptionBounds.batchSize)).")
    var batchSize: Int = TrainingOptions().batchSize

    @Option(name: .customLong("d-model"), parsing: .unconditional, help: "Model width d_model, \(OptionBounds.text(OptionBounds.trainModelDimension)), a multiple of the 4 heads (the feed-forward layer gets 2 × d_model).")
    var modelDimension: Int?

    @Option(parsing: .unconditional, help: "Layers, \(OptionBounds.text(OptionBounds.trainLayers)) (the translator's decoder gets as many as its encoder).")
    var layers: Int?

    @Option(help: "Where to save the trained weights (safetensors, with the configuration and vocabulary in its metadata); the folder must exist. Default: Output/translator.safetensors, Output/language-model.safetensors or Output/tiny-bert.safetensors.",
            completion: .file(extensions: ["safetensors"]))
    var out: String?

    func run() throws {
        let name = model.lowercased()
        if let stage = ChatTraining.stage(name) {
            return try ChatTraining.run(stage, seed: seed, steps: steps, beta: beta, out: out, models: models)
        }
        guard let kind = TrainedModelKind(command: name) else {
            throw CLIError("unknown model '\(model)'; available: \((Self.models + ChatTraining.stages).joined(separator: ", "))")
        }
        var options: TrainingOptions = switch kind {
        case .translator: TrainingOptions()
        case .languageModel: .languageModel
        case .maskedLanguageModel: .maskedLanguageModel
        }
        // Every size is checked before anything is allocated (see OptionBounds).
        if let steps { try OptionBounds.check(steps, in: OptionBounds.trainSteps, option: "--steps") }
        try OptionBounds.check(batchSize, in: OptionBounds.batchSize, option: "--batch-size")
        if let modelDimension { try OptionBounds.check(modelDimension, in: OptionBounds.trainModelDimension, option: "--d-model") }
        if let layers { try OptionBounds.check(layers, in: OptionBounds.trainLayers, option: "--layers") }
        options.seed = seed
        if let steps { options.steps = steps }
        options.batchSize = batchSize
        if let modelDimension {
            options.modelDimension = modelDimension
            options.feedForwardDimension = 2 * modelDimension
        }
        if let layers { options.layers = layers }
        do {
            try options.validate()
        } catch {
            throw CLIError("\(error)")
        }
        let out = self.out ?? "Output/\(kind.fileName)"
        // Output/, the default's folder, is created when missing; a folder given with --out must exist.
        if self.out == nil { try createDefaultOutputFolder() }
        // Check the destination before a minute of training, not after.
        guard out.lowercased().hasSuffix(".safetensors") else {
            throw CLIError("--out must end in .safetensors, got \(out)")
        }
        let folder = (out as NSString).deletingLastPathComponent.isEmpty ? "." : (out as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.isWritableFile(atPath: folder) else {
            throw CLIError("cannot write \(out): the folder \(folder) is missing or not writable")
        }
        do { try checkOutputDestination(out) } catch {
            throw CLIError("\(error)")
        }
        // The weights and both figures are published together at the end, or none of them.
        let outputs = StagedOutputs()

        let terminal = isatty(STDERR_FILENO) == 1
        let shape = kind == .translator ? "\(options.layers) + \(options.layers) layers" : "\(options.layers) layers"
        writeOut("Training the \(kind.title): \(shape), d_model \(options.modelDimension), "
                 + "\(options.heads) heads, d_ff \(options.feedForwardDimension); \(options.steps) steps of "
                 + "\(options.batchSize) sentences, peak learning rate \(options.peakLearningRate), seed \(options.seed)\n")
        var display = ProgressDisplay(terminal: terminal, totalSteps: options.steps)
        let weights: [(name: String, tensor: Tensor)]
        let metadata: [String: String]
        let text: String
        let draw: () throws -> [String]
        do {
            switch kind {
            case .translator:
                let result = try trainTranslator(options: options) { display.show($0) }
                (weights, metadata) = (result.model.parameters.values.map { ($0.name, $0.value) }, result.report.metadata)
                text = Self.reportText(result.report)
                draw = { try Self.drawFigures(result, folder: folder, outputs: outputs) }
            case .languageModel:
                let result = try trainLanguageModel(options: options) { display.show($0) }
                (weights, metadata) = (result.model.model.parameters.values.map { ($0.name, $0.value) }, result.report.metadata)
                text = Self.reportText(result.report)
                draw = { try Self.drawFigures(result, folder: folder, outputs: outputs) }
            case .maskedLanguageModel:
                let result = try trainMaskedLanguageModel(options: options) { display.show($0) }
                (weights, metadata) = (result.model.model.parameters.values.map { ($0.name, $0.value) }, result.report.metadata)
                text = Self.reportText(result.report)
                draw = { try Self.drawFigures(result, folder: folder, outputs: outputs) }
            }
        } catch {
            display.finish()
            throw CLIError("\(error)")
        }
        display.finish()
        // Staged (temporary files that any terminating signal removes, see InterruptCleanup),
        // then published together: a full disk on the last figure leaves no weights behind.
        do {
            try outputs.stage(try safeTensorsData(weights, metadata: metadata), to: out)
        } catch {
            throw CLIError("training finished but the weights could not be saved (nothing was written): \(error)")
        }
        let figures: [String]
        do {
            figures = try draw()
            try outputs.publish()
        } catch {
            throw CLIError("training finished but the figures could not be written (nothing was written): \(error)")
        }
        writeOut(text + "Weights saved to \(out) (safetensors; tx train with the same seed and options writes the same bytes).\n"
                 + figures.map { "Figure: \($0)\n" }.joined())
    }

    static func lossChart(_ losses: [Float], title: String, subtitle: String) -> LineChart {
        LineChart(title: title, xLabel: "step", yLabel: "cross-entropy (nats per predicted token)",
                  series: [.init(name: "training loss", points: losses.enumerated().map { (x: Double($0.offset + 1), y: Double($0.element)) },
                                 color: RGB(hex: 0x2166AC), showMarkers: false, lineWidth: 1.5)],
                  subtitle: subtitle)
    }

    /// The loss curve, and the last decoder layer's cross-attention (averaged over heads) for a
    /// held-out sentence with a time word, so the reader can see 昨天 line up with "yesterday".
    static func drawFigures(_ result: (model: TrainableSeq2Seq, report: TranslatorTrainingReport), folder: String, outputs: StagedOutputs) throws -> [String] {
        let report = result.report
        let lossPath = (folder as NSString).appendingPathComponent("translator-loss.png")
        try outputs.stage(lossChart(report.losses, title: "Training the translator: loss per step",
                             subtitle: "\(report.steps) steps · final loss \(String(format: "%.4f", report.finalLoss)) · held-out exact match \(String(format: "%.1f%%", report.heldOutExactMatch * 100))"),
                   to: lossPath)
        let example = report.examples.first { $0.source.contains("昨天") } ?? report.examples.first
        guard let example else { return [lossPath] }
        let source = ParallelCorpus.tokenizeChinese(example.source)
        let output = ParallelCorpus.tokenizeEnglish(example.got)
        let sourceIDs = source.map { report.sourceVocabulary.firstIndex(of: $0) ?? 3 }
        let targetIndex = { (token: String) in report.targetVocabulary.firstIndex(of: token) ?? 3 }
        let decoderInput = [targetIndex("<s>")] + output.map(targetIndex)
        let layers = try result.model.crossAttentionWeights(source: sourceIDs, decoderInput: decoderInput, padID: 0)
        guard let last = layers.last else { return [lossPath] }
        let heads = last.shape[0], rows = last.shape[1], columns = last.shape[2]
        let mean = (0..<rows).map { t in (0..<columns).map { s in (0..<heads).map { last[$0, t, s] }.reduce(0, +) / Float(heads) } }
        let attentionPath = (folder as NSString).appendingPathComponent("translator-cross-attention.png")
        try outputs.stage(Heatmap(values: mean, rowLabels: output + ["</s>"], columnLabels: source,
                           title: "Cross-attention of the trained translator",
                           subtitle: "last decoder layer, mean of \(heads) heads · held-out sentence (never seen in training)",
                           colorMap: .viridis, valueRange: 0...1, showValues: true, colorBarLabel: "weight",
                           xAxisTitle: "source (Chinese, read by the encoder)", yAxisTitle: "output word being produced"),
                   to: attentionPath)
        return [lossPath, attentionPath]
    }

    static func reportText(_ report: TranslatorTrainingReport) -> String {
        func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
        var lines = [
            "",
            "Model: \(report.parameterCount) parameters; \(report.trainPairCount) training pairs, "
                + "vocabularies \(report.sourceVocabulary.count) (Chinese) and \(report.targetVocabulary.count) (English) tokens",
            "Steps: \(report.steps) in \(duration(report.seconds)) (\(Int(report.tokensPerSecond.rounded())) tokens/s); "
                + "evaluation \(duration(report.evaluationSeconds))",
            "Loss: \(String(format: "%.3f", report.losses.first ?? .nan)) at step 1, "
                + "\(String(format: "%.4f", report.finalLoss)) at step \(report.steps)",
            "Exact match, held-out (combinations never seen in training): \(percent(report.heldOutExactMatch)) "
                + "of \(report.heldOutCount)",
            "Exact match, training sample: \(percent(report.trainExactMatch)) of \(report.trainSampleCount)",
            "",
            "Held-out examples (source → expected / got):",
        ]
        for example in report.examples {
            lines.append(listItem("\(example.source) → \(example.expected) / \(example.got) \(example.isExactMatch ? "✓" : "✗")"))
        }
        let extraMistakes = report.mistakes.filter { mistake in !report.examples.contains(mistake) }
        if !extraMistakes.isEmpty {
            lines.append("Held-out mistakes:")
            for example in extraMistakes {
                lines.append(listItem("\(example.source) → \(example.expected) / \(example.got) ✗"))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// "1:05" for 65 seconds, "12.3 s" below a minute.
func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    return "\(whole / 60):" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60)"
}

/// The progress of a training run: one line rewritten in place in a terminal (at most ten
/// times a second), otherwise a line every 10% of the steps.
struct ProgressDisplay {
    let terminal: Bool
    let totalSteps: Int
    private var lastDrawn: ContinuousClock.Instant?
    private var drewInPlace = false
    private let clock = ContinuousClock()

    init(terminal: Bool, totalSteps: Int) {
        self.terminal = terminal
        self.totalSteps = totalSteps
    }

    static func line(_ progress: TrainingProgress) -> String {
        let width = String(progress.totalSteps).count
        let step = String(repeating: " ", count: max(0, width - String(progress.step).count)) + String(progress.step)
        return "step \(step)/\(progress.totalSteps)  loss \(String(format: "%.4f", progress.loss))  "
            + "\(Int(progress.tokensPerSecond.rounded())) tokens/s  \(duration(progress.secondsLeft)) left"
    }

    mutating func show(_ progress: TrainingProgress) {
        if terminal {
            let now = clock.now
            if let lastDrawn, now - lastDrawn < .milliseconds(100), progress.step != progress.totalSteps { return }
            lastDrawn = now
            writeErr("\r\u{1B}[2K" + Self.line(progress))
            drewInPlace = true
        } else {
            let every = max(1, progress.totalSteps / 10)
            if progress.step % every == 0 || progress.step == progress.totalSteps || progress.step == 1 {
                writeErr(Self.line(progress) + "\n")
            }
        }
    }

    /// Ends the in-place line.
    mutating func finish() {
        if drewInPlace { writeErr("\n"); drewInPlace = false }
    }
}
