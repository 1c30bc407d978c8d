import ArgumentParser
import Catalog
import Foundation
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

    /// A `--model`: one of `names`, or a path to a model (a folder, a .gguf or a .safetensors
    /// file). A `.list` would offer only the names and a `.file` only the paths, so tx lists both
    /// itself when TAB is pressed (the shell runs `tx ---completion …` with what was typed).
    static func modelOrPath(_ names: [String]) -> CompletionKind {
        .custom { _, _, prefix in ModelCompletion.candidates(names: names, prefix: prefix) }
    }
}

/// The candidates of a `--model` completion.
enum ModelCompletion {
    /// The extensions of model files.
    static let modelExtensions: Set<String> = ["gguf", "safetensors"]

    /// The names that start with `prefix`, then the paths that do: folders (with a trailing "/",
    /// so the next TAB goes inside) and model files. Hidden entries only when `prefix` names
    /// them (".", as shells do); "~/" is looked up in the home folder and kept as typed.
    static func candidates(names: [String], prefix: String) -> [String] {
        names.filter { $0.hasPrefix(prefix) } + paths(prefix: prefix)
    }

    static func paths(prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let typedFolder = slash.map { String(prefix[...$0]) } ?? ""        // "" or ends with "/"
        let namePrefix = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        var folder = typedFolder.isEmpty ? "." : typedFolder
        if folder == "~/" || folder.hasPrefix("~/") {
            folder = NSHomeDirectory() + folder.dropFirst()
        }
        let files = FileManager.default
        guard let entries = try? files.contentsOfDirectory(atPath: folder) else { return [] }
        return entries.sorted().compactMap { entry in
            guard entry.hasPrefix(namePrefix), namePrefix.hasPrefix(".") || !entry.hasPrefix(".") else { return nil }
            var isFolder: ObjCBool = false
            guard files.fileExists(atPath: folder + "/" + entry, isDirectory: &isFolder) else { return nil }
            if isFolder.boolValue { return typedFolder + entry + "/" }
            let fileExtension = (entry as NSString).pathExtension.lowercased()
            return modelExtensions.contains(fileExtension) ? typedFolder + entry : nil
        }
    }
}
