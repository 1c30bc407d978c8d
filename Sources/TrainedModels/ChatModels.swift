import Foundation
import ModelIO
import TensorCore
import Training
import Transformer

/// The weight files of lesson 13's stages after pre-training (`tx train sft|reward|ppo`).
public enum ChatStage: String, CaseIterable, Sendable {
    /// Stage 2: the language model fine-tuned on demonstrations.
    case sft
    /// Stage 3: the SFT body with a scalar head, trained on the labeller's rankings.
    case rewardModel = "reward-model"
    /// Stage 4: the SFT model optimised with PPO against the reward model (β = 0.1).
    case ppo
    /// Stage 4 without the KL penalty (β = 0), to show reward hacking.
    case ppoWithoutKL = "ppo-beta0"

    /// "sft.safetensors", "reward-model.safetensors", "ppo.safetensors", "ppo-beta0.safetensors".
    public var fileName: String { rawValue + ".safetensors" }

    /// How lessons and messages name the stage ("SFT model", "reward model", …).
    public var title: String {
        switch self {
        case .sft: "SFT model"
        case .rewardModel: "reward model"
        case .ppo: "PPO policy"
        case .ppoWithoutKL: "PPO policy trained with β = 0"
        }
    }

    var format: String {
        switch self {
        case .sft: FineTuningReport.format
        case .rewardModel: RewardModelReport.format
        case .ppo, .ppoWithoutKL: PPOReport.format
        }
    }
}

extension TrainedModels {
    /// The weight file of `stage` lessons use: `$TX_TRAINED_MODELS` when it has one, else the shipped one.
    public static func url(of stage: ChatStage) throws -> URL {
        try url(fileName: stage.fileName)
    }

    /// A chat model (SFT or a PPO policy) from its weight file.
    public static func chatModel(_ stage: ChatStage, from path: String? = nil) throws -> ChatModel {
        let (file, path) = try open(stage, path: path)
        return try ChatModel(chatBody(file, path: path))
    }

    /// The reward model from its weight file.
    public static func rewardModel(from path: String? = nil) throws -> RewardModel {
        let (file, path) = try open(.rewardModel, path: path)
        let body = try chatBody(file, path: path, loadWeights: false)
        let rewardModel = try RewardModel(startingFrom: ChatModel(body))
        try load(file, into: rewardModel.parameters, path: path)
        return rewardModel
    }

    /// The metadata of a stage's weight file (training curves, seed, steps, β…).
    public static func metadata(of stage: ChatStage, path: String? = nil) throws -> [String: String] {
        try open(stage, path: path).file.metadata
    }

    private static func open(_ stage: ChatStage, path: String?) throws -> (file: SafeTensors, path: String) {
        let path = try path ?? url(of: stage).path
        let file = try SafeTensors.read(contentsOf: path)
        guard file.metadata["format"] == stage.format else {
            let found = file.metadata["format"].map { "a \"\($0)\" file" } ?? "a safetensors file without TransformerExplorer metadata"
            throw TrainedModelError.wrongFile(path: path, problem: "expected the \(stage.title)'s weights (from tx train), found \(found)")
        }
        return (file, path)
    }

    private static func chatBody(_ file: SafeTensors, path: String, loadWeights: Bool = true) throws -> LanguageModel {
        let words = try vocabulary(file, key: "vocabulary", path: path)
        let model = try TrainableSelfAttentionStack(configuration: configuration(file, path: path),
                                                    vocabularySize: words.count, pattern: .causal, seed: 0)
        if loadWeights { try load(file, into: model.parameters, path: path) }
        do {
            return try LanguageModel(model: model, vocabulary: words)
        } catch {
            throw TrainedModelError.wrongFile(path: path, problem: "\(error)")
        }
    }
}
