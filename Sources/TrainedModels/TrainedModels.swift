import Foundation
import ModelIO
import TensorCore
import Transformer
import Training

/// The three small models this project trains itself (`tx train`), one per architecture.
public enum TrainedModelKind: String, CaseIterable, Sendable {
    /// Encoder–decoder, Chinese → English.
    case translator
    /// Decoder-only, the next English word.
    case languageModel = "language-model"
    /// Encoder-only, masked-LM over "[CLS] Chinese [SEP] English [SEP]".
    case maskedLanguageModel = "tiny-bert"

    /// The name `tx train` takes: translator, lm, bert.
    public init?(command: String) {
        switch command.lowercased() {
        case "translator": self = .translator
        case "lm", "language-model": self = .languageModel
        case "bert", "tiny-bert": self = .maskedLanguageModel
        default: return nil
        }
    }

    /// "translator.safetensors", "language-model.safetensors", "tiny-bert.safetensors".
    public var fileName: String { rawValue + ".safetensors" }

    /// How lessons and messages name it.
    public var title: String {
        switch self {
        case .translator: "translator"
        case .languageModel: "language model"
        case .maskedLanguageModel: "tiny BERT"
        }
    }

    /// The `format` metadata entry its weight files carry.
    var format: String {
        switch self {
        case .translator: "TransformerExplorer translator"
        case .languageModel: "TransformerExplorer language model"
        case .maskedLanguageModel: "TransformerExplorer tiny BERT"
        }
    }
}

/// What went wrong loading a trained model's weights.
public enum TrainedModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The package's own weights could not be found (the package was moved without its resources).
    case shippedWeightsMissing(file: String, looked: [String])
    /// The file is not a weight file of this kind of model, or its metadata is incomplete.
    case wrongFile(path: String, problem: String)

    /// The message `tx` prints after "Error: ".
    public var description: String {
        switch self {
        case let .shippedWeightsMissing(file, looked):
            "the package's trained weights \(file) are missing (looked in \(looked.joined(separator: ", "))); "
                + "rebuild with swift build, or retrain with tx train"
        case let .wrongFile(path, problem):
            "\(path): \(problem)"
        }
    }
}

/// Loads the trained models: the weights shipped with the package (trained by `tx train` with
/// the default options and seed), or a file `tx train --out` wrote.
public enum TrainedModels {
    /// The environment variable naming a folder of your own weights (what `tx train --out`
    /// wrote): a file found there is used instead of the shipped one.
    public static let directoryVariable = "TX_TRAINED_MODELS"

    /// The weight file of `kind` that lessons use: from `$TX_TRAINED_MODELS` when that folder
    /// has it, otherwise the shipped one.
    public static func url(of kind: TrainedModelKind) throws -> URL {
        try url(fileName: kind.fileName)
    }

    /// The file `fileName` from `$TX_TRAINED_MODELS` when that folder has it, otherwise the shipped one.
    static func url(fileName: String) throws -> URL {
        if let folder = ProcessInfo.processInfo.environment[directoryVariable], !folder.isEmpty {
            let file = URL(fileURLWithPath: folder).appendingPathComponent(fileName)
            if FileManager.default.isReadableFile(atPath: file.path) { return file }
        }
        return try shippedURL(fileName: fileName)
    }

    /// Where the shipped weight file of `kind` is.
    ///
    /// SwiftPM copies the resources into a bundle folder beside the built products; its
    /// generated `Bundle.module` stops the program when that folder is missing, so the folder is
    /// looked up here by hand and a missing one is an error, not a crash. The source folder is
    /// the fallback, for a binary moved away from its build folder in a checkout.
    public static func shippedURL(of kind: TrainedModelKind) throws -> URL {
        try shippedURL(fileName: kind.fileName)
    }

    static func shippedURL(fileName: String) throws -> URL {
        let bundleName = "TransformerExplorer_TrainedModels.resources"
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for base in [Bundle.main.bundleURL, executable.deletingLastPathComponent()] {
            candidates.append(base.appendingPathComponent(bundleName).appendingPathComponent("Weights"))
            // Test runners live one folder down (…/debug/Package.xctest/…).
            candidates.append(base.deletingLastPathComponent().appendingPathComponent(bundleName).appendingPathComponent("Weights"))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Weights"))
        for folder in candidates {
            let file = folder.appendingPathComponent(fileName)
            if FileManager.default.isReadableFile(atPath: file.path) { return file }
        }
        throw TrainedModelError.shippedWeightsMissing(file: fileName, looked: candidates.map(\.path))
    }

    /// The translator from the weight file at `path` (what `tx train translator --out` wrote),
    /// or, `path` nil, from `url(of: .translator)`. Throws `TrainedModelError.wrongFile` for
    /// another kind of file or incomplete metadata, and the file's own reading errors.
    public static func translator(from path: String? = nil) throws -> Translator {
        let (file, path) = try open(.translator, path: path)
        let configuration = try configuration(file, path: path)
        let source = try vocabulary(file, key: "sourceVocabulary", path: path)
        let target = try vocabulary(file, key: "targetVocabulary", path: path)
        let model = try TrainableSeq2Seq(configuration: configuration, sourceVocabularySize: source.count,
                                         targetVocabularySize: target.count, seed: 0)
        try load(file, into: model.parameters, path: path)
        return try Translator(model: model, sourceVocabulary: source, targetVocabulary: target)
    }

    /// The language model from the weight file at `path` (what `tx train lm --out` wrote), or,
    /// `path` nil, from `url(of: .languageModel)`. Throws as `translator(from:)` does.
    public static func languageModel(from path: String? = nil) throws -> LanguageModel {
        let (file, path) = try open(.languageModel, path: path)
        let words = try vocabulary(file, key: "vocabulary", path: path)
        let model = try TrainableSelfAttentionStack(configuration: configuration(file, path: path),
                                                    vocabularySize: words.count, pattern: .causal, seed: 0)
        try load(file, into: model.parameters, path: path)
        return try LanguageModel(model: model, vocabulary: words)
    }

    /// The tiny BERT from the weight file at `path` (what `tx train bert --out` wrote), or,
    /// `path` nil, from `url(of: .maskedLanguageModel)`. Throws as `translator(from:)` does.
    public static func tinyBERT(from path: String? = nil) throws -> TinyBERT {
        let (file, path) = try open(.maskedLanguageModel, path: path)
        let words = try vocabulary(file, key: "vocabulary", path: path)
        let model = try TrainableSelfAttentionStack(configuration: configuration(file, path: path),
                                                    vocabularySize: words.count, pattern: .bidirectional,
                                                    segmentCount: 2, seed: 0)
        try load(file, into: model.parameters, path: path)
        return try TinyBERT(model: model, vocabulary: words)
    }

    /// The metadata of a weight file (seed, steps, final loss, scores…).
    public static func metadata(of kind: TrainedModelKind, path: String? = nil) throws -> [String: String] {
        try open(kind, path: path).file.metadata
    }

    // MARK: Reading

    private static func open(_ kind: TrainedModelKind, path: String?) throws -> (file: SafeTensors, path: String) {
        let path = try path ?? url(of: kind).path
        let file = try SafeTensors.read(contentsOf: path)
        guard file.metadata["format"] == kind.format else {
            let found = file.metadata["format"].map { "a \"\($0)\" file" } ?? "a safetensors file without TransformerExplorer metadata"
            throw TrainedModelError.wrongFile(path: path, problem: "expected the \(kind.title)'s weights (from tx train), found \(found)")
        }
        return (file, path)
    }

    static func configuration(_ file: SafeTensors, path: String) throws -> TransformerConfiguration {
        func integer(_ key: String) throws -> Int {
            guard let text = file.metadata[key], let value = Int(text), value > 0, value <= 4096 else {
                throw TrainedModelError.wrongFile(path: path, problem: "metadata \"\(key)\" must be a whole number from 1 to 4096")
            }
            return value
        }
        for (key, expected) in [("activation", "gelu"), ("normPlacement", "pre"), ("positions", "sinusoidal"), ("tiedOutput", "true")] {
            guard file.metadata[key] == expected else {
                throw TrainedModelError.wrongFile(path: path, problem: "metadata \"\(key)\" must be \"\(expected)\"")
            }
        }
        let configuration = TransformerConfiguration(
            layers: try integer("layers"), modelDimension: try integer("modelDimension"), heads: try integer("heads"),
            feedForwardDimension: try integer("feedForwardDimension"), vocabularySize: 1, maxLength: 64,
            activation: .gelu, normPlacement: .pre, positions: .sinusoidal, tiedOutput: true)
        do {
            try configuration.validate()
        } catch {
            throw TrainedModelError.wrongFile(path: path, problem: "its configuration is invalid: \(error)")
        }
        return configuration
    }

    static func vocabulary(_ file: SafeTensors, key: String, path: String) throws -> [String] {
        guard let text = file.metadata[key], !text.isEmpty else {
            throw TrainedModelError.wrongFile(path: path, problem: "metadata \"\(key)\" is missing")
        }
        let tokens = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The lessons print these words and draw them as labels: a control character (an
        // escape sequence that clears the screen, say) has no place in a word of the corpus.
        if let position = tokens.firstIndex(where: { $0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } }) {
            throw TrainedModelError.wrongFile(
                path: path, problem: "metadata \"\(key)\" entry \(position) holds a control character; vocabulary entries are plain words")
        }
        return tokens
    }

    static func load(_ file: SafeTensors, into parameters: ParameterCollection, path: String) throws {
        var values: [String: Tensor] = [:]
        for name in file.tensorNames { values[name] = try file.tensor(named: name) }
        do {
            try parameters.load(values)
        } catch {
            throw TrainedModelError.wrongFile(path: path, problem: "the weights do not fit the model: \(error)")
        }
    }
}

extension TrainedModelError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
