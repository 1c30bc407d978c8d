import Foundation

/// What a `--model` argument names: one of the models `ModelStore` knows, or a path to the
/// user's own download. Only the two architectures this package can run are accepted.
public enum ModelLocation: Equatable, Sendable {
    /// A BERT-family encoder: a folder with config.json and vocab.txt, and its weights file
    /// (model.safetensors, or the .safetensors file the user named).
    case bertEncoder(folder: URL, weights: URL)
    /// A Llama-family decoder in one GGUF file.
    case llamaDecoder(file: URL)
}

/// A `--model` argument that names nothing usable.
public enum ModelLocatorError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyArgument(known: [String])
    case unknownName(String, known: [String])
    case noSuchPath(String)
    case unsupportedFile(String)
    case folderHoldsNoModel(String)
    case folderHoldsSeveralModels(String, files: [String])
    case missingCompanion(weights: String, missing: [String])
    case notRegularFile(String, kind: String)

    /// A one-line message saying what is wrong and what to give instead (the CLI prints it after
    /// "Error: ").
    public var description: String {
        switch self {
        case let .emptyArgument(known):
            "no model given: name one of \(known.joined(separator: ", ")), or give a path to a .gguf file, a .safetensors file or a model folder"
        case let .unknownName(name, known):
            "unknown model \"\(name)\": the known models are \(known.joined(separator: ", ")); "
                + "or give a path to a .gguf file, a .safetensors file or a model folder"
        case let .noSuchPath(path):
            "no such file or folder: \(path)"
        case let .unsupportedFile(path):
            "\(path) is not a model file this package reads: give a .gguf file (Llama-family decoder), "
                + "a .safetensors file beside its config.json and vocab.txt (BERT-family encoder), or a model folder"
        case let .folderHoldsNoModel(path):
            "the folder \(path) holds no model: expected one .gguf file, or config.json, vocab.txt and model.safetensors"
        case let .folderHoldsSeveralModels(path, files):
            "the folder \(path) holds several .gguf files (\(files.joined(separator: ", "))); name the one to use"
        case let .notRegularFile(path, kind):
            "\(path) is \(kind), not a regular file: give a model file or a model folder"
        case let .missingCompanion(weights, missing):
            "\(weights) needs \(missing.joined(separator: " and ")) in the same folder (a BERT model's configuration and vocabulary)"
        }
    }
}

extension ModelStore {
    /// Resolves a `--model` argument: a known name (checked against its pinned checksums, with
    /// an error saying how to fetch or repair it), or a path to a .gguf file, a .safetensors
    /// file or a folder holding either. Files at a path are not checksummed (there is nothing
    /// to compare them with); their parsers treat every byte as untrusted.
    public static func locate(_ argument: String) throws -> ModelLocation {
        guard !argument.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ModelLocatorError.emptyArgument(known: Name.allCases.map(\.rawValue))
        }
        if let name = Name(rawValue: argument.lowercased()) {
            let folder = try require(name)
            switch name {
            case .minilm: return .bertEncoder(folder: folder, weights: folder.appendingPathComponent("model.safetensors"))
            case .smollm2: return .llamaDecoder(file: folder.appendingPathComponent(name.files[0]))
            }
        }
        let path = (argument as NSString).expandingTildeInPath
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            // A bare word is most likely a mistyped name; anything path-like, a missing file.
            let looksLikePath = argument.contains("/") || argument.contains(".")
            throw looksLikePath ? ModelLocatorError.noSuchPath(argument)
                : ModelLocatorError.unknownName(argument, known: Name.allCases.map(\.rawValue))
        }
        let url = URL(fileURLWithPath: path, isDirectory: isFolder.boolValue)
        if isFolder.boolValue { return try locate(inFolder: url, shownAs: argument) }
        // A FIFO or a device would block or never end when read: refuse it by name here (the
        // readers check again on the open descriptor).
        if let kind = RegularFileReader.nonRegularKind(path) {
            throw ModelLocatorError.notRegularFile(argument, kind: kind)
        }
        switch url.pathExtension.lowercased() {
        case "gguf":
            return .llamaDecoder(file: url)
        case "safetensors":
            let folder = url.deletingLastPathComponent()
            let missing = ["config.json", "vocab.txt"].filter {
                !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
            guard missing.isEmpty else { throw ModelLocatorError.missingCompanion(weights: argument, missing: missing) }
            return .bertEncoder(folder: folder, weights: url)
        default:
            throw ModelLocatorError.unsupportedFile(argument)
        }
    }

    private static func locate(inFolder folder: URL, shownAs argument: String) throws -> ModelLocation {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        let ggufs = names.filter { $0.lowercased().hasSuffix(".gguf") }
        if ggufs.count == 1 { return .llamaDecoder(file: folder.appendingPathComponent(ggufs[0])) }
        if ggufs.count > 1 { throw ModelLocatorError.folderHoldsSeveralModels(argument, files: ggufs) }
        if names.contains("model.safetensors") {
            let missing = ["config.json", "vocab.txt"].filter { !names.contains($0) }
            guard missing.isEmpty else {
                throw ModelLocatorError.missingCompanion(weights: (argument as NSString).appendingPathComponent("model.safetensors"),
                                                         missing: missing)
            }
            return .bertEncoder(folder: folder, weights: folder.appendingPathComponent("model.safetensors"))
        }
        throw ModelLocatorError.folderHoldsNoModel(argument)
    }
}

extension ModelLocatorError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
