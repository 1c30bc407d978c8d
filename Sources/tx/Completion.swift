import ArgumentParser
import Catalog
import Lessons
import Localization
import ModelIO

/// The names each `--model` (and `tx lesson`, `tx train`, `--lang`) takes, in one place: the
/// shell completion (`tx --generate-completion-script bash|zsh|fish`) lists them, and the
/// "unknown model" messages print them, so the two cannot drift apart.
enum Names {
    /// The real pre-trained models scripts/fetch-models.sh installs: minilm, smollm2.
    static let realModels = ModelStore.Name.allCases.map(\.rawValue)
    /// The models trained in this package and shipped with it.
    static let shippedModels = ["translator", "lm", "bert"]

    static let lessons = LessonCatalog.all.map(\.slug)
    static let languages = Language.available.map(\.code)
    static let publishedModels = PublishedModel.catalog.map(\.name)
    static let train = Train.models + ChatTraining.stages
    static let attention = realModels
    static let embed = [ModelStore.Name.minilm.rawValue]
    static let generate = ["lm", "translator", "sft", "ppo"] + [ModelStore.Name.smollm2.rawValue]
    static let explore = realModels + shippedModels
    static let analyze = realModels + ["lm", "bert"]
    static let ablate = analyze + ["translator"]
}

extension CompletionKind {
    /// A figure: .png, .svg or .pdf.
    static let figure = CompletionKind.file(extensions: ["png", "svg", "pdf"])
}
