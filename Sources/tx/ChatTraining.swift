import Figures
import Foundation
import ModelIO
import TensorCore
import TrainedModels
import Training
import Transformer

// `tx train sft|reward|ppo`: lesson 13's stages after pre-training. Each stage reads the one
// before it (the shipped weights, or those in --models FOLDER), prints its progress on stderr
// and its results on stdout, and writes safetensors that `tx lesson 13 --models FOLDER` reads.

enum ChatTraining {
    static let stages = ["sft", "reward", "ppo"]

    /// Held-out measurement: answers sampled per held-out request (temperature 1).
    static let samplesPerRequest = 32

    static func stage(_ name: String) -> ChatStage? {
        switch name {
        case "sft": .sft
        case "reward", "reward-model": .rewardModel
        case "ppo": .ppo
        default: nil
        }
    }

    static func run(_ stage: ChatStage, seed: UInt64, steps: Int?, beta: Double?, out: String?, models: String?) throws {
        if let models {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: models, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("--models \(models): no such folder (give the folder tx train --out wrote into)")
            }
            setenv(TrainedModels.directoryVariable, models, 1)
        }
        if beta != nil, stage != .ppo { throw CLIError("--beta is PPO's KL weight; only tx train ppo takes it") }
        if let beta, !(beta >= 0 && beta.isFinite && beta <= 100) {
            throw CLIError("--beta must be a number from 0 to 100 (got \(beta))")
        }
        if let steps, steps < 1 || steps > 100_000 { throw CLIError("--steps must be from 1 to 100000 (got \(steps))") }
        let fileStage: ChatStage = stage == .ppo && beta == 0 ? .ppoWithoutKL : stage
        // Output/, the default's folder, is created when missing; a folder given with --out must exist.
        if out == nil { try createDefaultOutputFolder() }
        let out = out ?? "Output/\(fileStage.fileName)"
        try checkWeightDestination(out)
        let labeller = Labeller()
        var progress = StderrProgress()
        let weights: [(name: String, tensor: Tensor)]
        let metadata: [String: String]
        let text: String
        do {
            switch stage {
            case .sft:
                var options = FineTuningOptions()
                options.seed = seed
                if let steps { options.steps = steps }
                let pretrained = try TrainedModels.languageModel()
                writeOut("Stage 2, supervised fine-tuning: \(options.demonstrationCount) demonstrations, \(options.steps) steps "
                         + "of \(options.batchSize), peak learning rate \(options.peakLearningRate), seed \(seed)\n")
                let (model, report) = try fineTune(pretrained, labeller: labeller, options: options) {
                    progress.show(step: $0.step, of: $0.totalSteps, "loss \(String(format: "%.4f", $0.loss))")
                }
                progress.finish()
                let before = try measureAnswers(ChatModel(pretrained), requests: ChatTask.heldOutRequests,
                                                samplesPerRequest: samplesPerRequest, labeller: labeller, seed: seed &+ 100).quality
                let after = try measureAnswers(model, requests: ChatTask.heldOutRequests,
                                               samplesPerRequest: samplesPerRequest, labeller: labeller, seed: seed &+ 100).quality
                weights = model.model.parameters.values.map { ($0.name, $0.value) }
                metadata = report.metadata(for: model)
                text = """
                    Loss \(String(format: "%.3f", report.losses.first ?? .nan)) → \(String(format: "%.3f", report.losses.last ?? .nan)) \
                    in \(duration(report.seconds))
                    Held-out requests (\(ChatTask.heldOutRequests.count) × \(samplesPerRequest) answers, temperature 1):
                      pre-trained  \(qualityLine(before))
                      SFT          \(qualityLine(after))

                    """
            case .rewardModel:
                var options = RewardModelOptions()
                options.seed = seed
                if let steps { options.steps = steps }
                let sft = try TrainedModels.chatModel(.sft)
                writeOut("Stage 3, reward model: the SFT body + a scalar head, Bradley–Terry loss on the labeller's "
                         + "comparisons; \(options.steps) steps of \(options.batchSize) pairs, seed \(seed)\n")
                let (model, report) = try trainRewardModel(sft: sft, labeller: labeller, options: options) {
                    progress.show(step: $0.step, of: $0.totalSteps, "loss \(String(format: "%.4f", $0.loss))")
                }
                progress.finish()
                weights = model.parameters.values.map { ($0.name, $0.value) }
                metadata = report.metadata(for: sft)
                let heldOut = report.heldOut
                text = """
                    \(report.trainingPairs) training pairs; loss \(String(format: "%.3f", report.losses.first ?? .nan)) → \
                    \(String(format: "%.3f", report.losses.last ?? .nan)) in \(duration(report.seconds))
                    Held-out pairs (\(heldOut.pairs), answers to requests never trained on):
                      reward model agrees with the labeller  \(percent(heldOut.rewardModel))
                      ceiling (a judge who knows the rule)    \(percent(heldOut.ceiling))   → \(percent(heldOut.rewardModel / heldOut.ceiling)) of the ceiling
                      the labeller with itself                \(percent(heldOut.selfAgreement))

                    """
            case .ppo, .ppoWithoutKL:
                var options = PPOOptions()
                options.seed = seed
                if let steps { options.steps = steps }
                if let beta { options.beta = Float(beta) }
                let sft = try TrainedModels.chatModel(.sft)
                let rewardModel = try TrainedModels.rewardModel()
                writeOut("Stage 4, PPO: \(options.steps) updates of \(options.requestsPerStep) requests × \(options.answersPerRequest) "
                         + "answers, KL weight β = \(options.beta), clip ε = \(options.clip), seed \(seed)\n")
                let (policy, report) = try trainPPO(sft: sft, rewardModel: rewardModel, labeller: labeller, options: options) {
                    progress.show(step: $0.step, of: options.steps,
                                  "reward \(String(format: "%+.3f", $0.meanReward))  true quality \(percent($0.meanQuality))  KL/token \(String(format: "%.3f", $0.meanKL))")
                }
                progress.finish()
                let before = try measureAnswers(sft, requests: ChatTask.heldOutRequests, samplesPerRequest: samplesPerRequest,
                                                labeller: labeller, seed: seed &+ 100)
                let after = try measureAnswers(policy, requests: ChatTask.heldOutRequests, samplesPerRequest: samplesPerRequest,
                                               labeller: labeller, seed: seed &+ 100)
                func meanReward(_ answers: [SampledAnswer], _ chat: ChatModel) throws -> Double {
                    var total = 0.0
                    for start in stride(from: 0, to: answers.count, by: 64) {
                        let slice = answers[start..<min(start + 64, answers.count)]
                        total += try rewardModel.rewards(slice.map { chat.sequence($0.request, answer: $0.ids, finished: $0.finished) })
                            .value.scalars.reduce(0.0) { $0 + Double($1) }
                    }
                    return total / Double(max(answers.count, 1))
                }
                let kl = try meanTokenKL(policy: policy, reference: sft, answers: after.answers)
                weights = policy.model.parameters.values.map { ($0.name, $0.value) }
                metadata = report.metadata(for: policy)
                text = """
                    \(options.steps) updates in \(duration(report.seconds))
                    Held-out requests (\(ChatTask.heldOutRequests.count) × \(samplesPerRequest) answers, temperature 1):
                      SFT  reward \(String(format: "%+.3f", try meanReward(before.answers, sft)))  \(qualityLine(before.quality))
                      PPO  reward \(String(format: "%+.3f", try meanReward(after.answers, policy)))  \(qualityLine(after.quality))
                      mean KL(PPO ‖ SFT) per answer token: \(String(format: "%.3f", kl)) nats

                    """
            }
        } catch let error as CLIError {
            progress.finish()
            throw error
        } catch {
            progress.finish()
            throw CLIError("\(error)")
        }
        do {
            try writeFileAtomically(try safeTensorsData(weights, metadata: metadata), to: out)
        } catch {
            throw CLIError("training finished but the weights could not be saved: \(error)")
        }
        writeOut(text + "Weights saved to \(out) (the same seed and options write the same bytes).\n")
    }

    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    static func qualityLine(_ quality: AnswerQuality) -> String {
        "true quality \(percent(quality.meanQuality))  perfect \(percent(quality.perfectShare))  "
            + "object \(percent(quality.mentionsObjectShare))  place \(percent(quality.mentionsPlaceShare))  "
            + "complete \(percent(quality.completeShare))"
    }
}

/// Checks an output path before minutes of training: .safetensors in an existing, writable folder.
func checkWeightDestination(_ out: String) throws {
    guard out.lowercased().hasSuffix(".safetensors") else {
        throw CLIError("--out must end in .safetensors, got \(out)")
    }
    let folder = (out as NSString).deletingLastPathComponent.isEmpty ? "." : (out as NSString).deletingLastPathComponent
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
          FileManager.default.isWritableFile(atPath: folder) else {
        throw CLIError("cannot write \(out): the folder \(folder) is missing or not writable")
    }
}

/// Progress on stderr: one line rewritten in place in a terminal, otherwise a line every 10%.
struct StderrProgress {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var drewInPlace = false
    private var lastDrawn: ContinuousClock.Instant?

    mutating func show(step: Int, of total: Int, _ detail: String) {
        let line = "step \(step)/\(total)  \(detail)"
        if terminal {
            let now = ContinuousClock.now
            if let lastDrawn, now - lastDrawn < .milliseconds(100), step != total { return }
            lastDrawn = now
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            drewInPlace = true
        } else if step == 1 || step == total || step % max(1, total / 10) == 0 {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    mutating func finish() {
        if drewInPlace { FileHandle.standardError.write(Data("\n".utf8)); drewInPlace = false }
    }
}

/// `tx generate --model sft|ppo`: the chat model answers a request such as "cat garden".
struct ChatGenerator: NextTokenModel {
    let chat: ChatModel
    let name: String
    let request: ChatRequest
    var prompt: [Int] { chat.prompt(request) }
    var description: String { "the \(name) of lesson 13 (tx train \(name == "SFT model" ? "sft" : "ppo")), answering the request \"\(request)\"" }
    var promptText: String { "" }
    var endID: Int? { chat.languageModel.endID }
    var separator: String { " " }
    func logits(after ids: [Int]) throws -> [Float] { try chat.model.logitRows(ids).last ?? [] }
    func token(_ id: Int) -> String { chat.vocabulary.indices.contains(id) ? chat.vocabulary[id] : "#\(id)" }

    static func make(_ model: String, text: String) throws -> ChatGenerator {
        guard let request = ChatTask.request(parsing: text) else {
            throw CLIError("--model \(model) answers a request of two words, an object and a place: "
                           + "objects \(ChatTask.objects.map(\.noun).joined(separator: ", ")); "
                           + "places \(ChatTask.places.joined(separator: ", ")) (e.g. --text \"cat garden\")")
        }
        let stage: ChatStage = model == "sft" ? .sft : .ppo
        return ChatGenerator(chat: try TrainedModels.chatModel(stage), name: stage.title, request: request)
    }
}
