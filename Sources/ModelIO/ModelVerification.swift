import Foundation

/// Checking that an installed model's files are the ones the project pinned.
///
/// `scripts/fetch-models.sh` checks every file against `scripts/models.sha256` when it fetches,
/// and then writes a stamp file, `.verified`, into the model's folder: one line per file with
/// its SHA-256, its size and its modification time (whole seconds). Loading a model by name
/// compares each file's size and time with the stamp, which costs a `stat`, and hashes the
/// file again only when they differ (a file edited, replaced or truncated since). A file whose
/// digest is not the pinned one is refused with `ModelStoreError.checksumMismatch`.
///
/// What the stamp cannot see: a change that keeps both the size and the modification time.
/// `tx models` always hashes every file, for when that matters.
extension ModelStore {
    /// The stamp's file name inside each model folder.
    public static let stampFileName = ".verified"

    /// Throws unless every file the model needs is present and has its pinned digest.
    public static func verify(_ model: Name) throws {
        try verify(model, in: directory(of: model))
    }

    /// The same check on a folder of one model's files.
    public static func verify(_ model: Name, in folder: URL) throws {
        let stamp = readStamp(in: folder)
        var confirmed: [StampLine] = []
        var hashedAny = false
        for file in model.files {
            guard let expected = model.pinnedDigests[file] else { continue }
            let path = folder.appendingPathComponent(file).path
            guard let status = fileStatus(path) else {
                throw ModelStoreError.notInstalled(model: model.rawValue, directory: folder.path, package: model.package)
            }
            if let line = stamp[file], line.size == status.size, line.modified == status.modified, line.digest == expected {
                confirmed.append(line)
                continue
            }
            guard let actual = SHA256Hasher.hex(ofFile: path) else {
                throw ModelStoreError.notInstalled(model: model.rawValue, directory: folder.path, package: model.package)
            }
            guard actual == expected else {
                throw ModelStoreError.checksumMismatch(model: model.rawValue, file: path, expected: expected,
                                                       found: actual, package: model.package)
            }
            hashedAny = true
            confirmed.append(StampLine(file: file, digest: actual, size: status.size, modified: status.modified))
        }
        // Remember the good result so the next load needs no hashing (best effort: the folder
        // may be read-only, which only costs the next load the same hashing).
        if hashedAny { writeStamp(confirmed, in: folder) }
    }

    struct StampLine: Equatable {
        let file: String, digest: String, size: UInt64, modified: Int64
    }

    /// Size and modification time (whole seconds since 1970), or nil when the file is missing.
    static func fileStatus(_ path: String) -> (size: UInt64, modified: Int64)? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (UInt64(info.st_size), Int64(info.st_mtim.tv_sec))
    }

    /// The stamp's lines by file: "<sha256> <size> <mtime> <file>". Anything malformed is ignored
    /// (the file is then hashed, which is always safe).
    static func readStamp(in folder: URL) -> [String: StampLine] {
        let path = folder.appendingPathComponent(stampFileName).path
        guard let data = try? RegularFileReader.read(path, limit: 64 * 1024, what: "checksum stamp"),
              let text = String(data: data, encoding: .utf8) else { return [:] }
        var lines: [String: StampLine] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", maxSplits: 3)
            guard parts.count == 4, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit),
                  let size = UInt64(parts[1]), let modified = Int64(parts[2]) else { continue }
            let file = String(parts[3])
            lines[file] = StampLine(file: file, digest: parts[0].lowercased(), size: size, modified: modified)
        }
        return lines
    }

    static func writeStamp(_ lines: [StampLine], in folder: URL) {
        let text = lines.map { "\($0.digest) \($0.size) \($0.modified) \($0.file)\n" }.joined()
        let target = folder.appendingPathComponent(stampFileName)
        try? Data(text.utf8).write(to: target, options: .atomic)
    }
}

extension ModelStore.Name {
    /// SHA-256 of each file, the same values as `scripts/models.sha256` (a test keeps the two equal).
    public var pinnedDigests: [String: String] {
        switch self {
        case .minilm: [
            "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
            "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
        ]
        case .smollm2: [
            "SmolLM2-135M-Instruct.Q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        ]
        }
    }
}
