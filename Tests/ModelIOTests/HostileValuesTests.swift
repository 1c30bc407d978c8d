import Foundation
import Testing
@testable import ModelIO
import TensorCore

// Issue 14: well-formed files with poisonous values, files that are not regular files, files
// that shrink while they load, files with tensors the architecture does not use. One table per
// class, on files the tests make.

/// A tiny Llama whose every weight is small and finite, except where `poison` says otherwise.
func tinyLlamaBytes(layerCount: Int = 1, blockCount: Int? = nil, extraTokens: [String] = [],
                    poison: [String: (index: Int, value: Float)] = [:]) -> [UInt8] {
    GGUFWriter.tinyLlama(layerCount: layerCount, blockCount: blockCount, extraTokens: extraTokens) { name, count in
        var generator = SeededGenerator(seed: UInt64(name.utf8.reduce(7) { $0 &* 31 &+ UInt64($1) }))
        var values = name.hasSuffix("norm.weight") ? [Float](repeating: 1, count: count)
            : (0..<count).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        if let (index, value) = poison[name] { values[index] = value }
        return values
    }
}

func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Hostile values: non-finite weights are errors naming the tensor")
struct NonFiniteWeightTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let tensor: String
        let index: Int
        let value: Float
        var testDescription: String { "\(value) in \(tensor)[\(index)]" }
    }

    static let ggufCases = [
        Case(tensor: "blk.0.attn_norm.weight", index: 3, value: .nan),
        Case(tensor: "token_embd.weight", index: 8 * 72 + 2, value: .infinity),   // a whole row is not needed: one value
        Case(tensor: "blk.0.ffn_down.weight", index: 0, value: -.infinity),
        Case(tensor: "output_norm.weight", index: 7, value: .nan),
    ]

    @Test(arguments: ggufCases)
    func ggufLlamaRefusesTheTensor(_ poison: Case) throws {
        let bytes = tinyLlamaBytes(poison: [poison.tensor: (poison.index, poison.value)])
        #expect(throws: (any Error).self) { try LlamaModel.load(from: try GGUFFile(data: Data(bytes))) }
        do {
            _ = try LlamaModel.load(from: try GGUFFile(data: Data(bytes)))
        } catch let error as GGUFError {
            #expect(error == .nonFinite(tensor: poison.tensor, index: poison.index, value: poison.value)
                    || (poison.value.isNaN && "\(error)".contains("\"\(poison.tensor)\": element \(poison.index) is nan")),
                    "\(error)")
        }
    }

    @Test func theSameFileWithoutPoisonLoadsAndGivesFiniteLogits() throws {
        let model = try LlamaModel.load(from: try GGUFFile(data: Data(tinyLlamaBytes())))
        let output = try model.forward(ids: model.tokenizer.encode("hi there"), recordTrace: true)
        let scalars = output.logits.scalars
        let allFinite = scalars.allSatisfy { $0.isFinite }
        let shape = output.logits.shape
        #expect(allFinite)
        #expect(shape == [8, 256])
    }

    /// Q8_0 keeps its blocks quantised in release builds: the f16 scale is what can be non-finite.
    @Test(arguments: [(UInt16(0x7C00), Float.infinity), (UInt16(0xFE00), Float.nan), (UInt16(0xFC00), -Float.infinity)])
    func quantisedScalesAreChecked(bits: UInt16, value: Float) throws {
        var block: [UInt8] = [UInt8(bits & 0xFF), UInt8(bits >> 8)] + [UInt8](repeating: 1, count: 32)
        let fine: [UInt8] = [0x00, 0x3C] + [UInt8](repeating: 1, count: 32)   // d = 1.0
        block = fine + block
        let bytes = ggufFile(tensors: [GGUFTestTensor(name: "q", dims: [64], type: 8, data: block)])
        let file = try GGUFFile(data: Data(bytes))
        #expect(throws: GGUFError.self) { try file.checkFinite("q") }
        do { try file.checkFinite("q") } catch {
            guard case let .nonFinite(tensor, index, found) = error else { Issue.record("\(error)"); return }
            #expect(tensor == "q" && index == 32)
            #expect(found.isNaN == value.isNaN && (value.isNaN || found == value))
        }
        #expect(throws: GGUFError.self) { try file.tensor(named: "q") }
    }

    static let bertCases = [
        Case(tensor: "embeddings.LayerNorm.weight", index: 1, value: .nan),
        Case(tensor: "embeddings.word_embeddings.weight", index: 4 * 5, value: .infinity),
        Case(tensor: "encoder.layer.0.attention.self.query.weight", index: 15, value: -.infinity),
    ]

    @Test(arguments: bertCases)
    func safetensorsBertRefusesTheTensor(_ poison: Case) throws {
        var tensors = TinyBertFolder.tensors()
        let position = try #require(tensors.firstIndex { $0.name == poison.tensor })
        var scalars = tensors[position].tensor.scalars
        scalars[poison.index] = poison.value
        tensors[position].tensor = try Tensor(shape: tensors[position].tensor.shape, scalars: scalars)
        let error = try #require(try TinyBertFolder.loadError(tensors: tensors))
        #expect("\(error)".contains("tensor \"\(poison.tensor)\": element \(poison.index) is \(poison.value)"), "\(error)")
    }
}

@Suite("Hostile files: only regular files, read with pread")
struct RegularFileTests {
    enum Kind: String, Sendable, CaseIterable { case fifo, folder, characterDevice, symlinkToFIFO }

    /// Makes `name` in `folder` into the given kind of non-regular file.
    static func make(_ kind: Kind, at url: URL) throws {
        switch kind {
        case .fifo: #expect(mkfifo(url.path, 0o644) == 0)
        case .folder: try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        case .characterDevice: try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: "/dev/zero")
        case .symlinkToFIFO:
            let target = url.deletingLastPathComponent().appendingPathComponent("the-fifo")
            #expect(mkfifo(target.path, 0o644) == 0)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target.path)
        }
    }

    static let expectedKind: [Kind: String] = [.fifo: "a FIFO (named pipe)", .folder: "a folder",
                                               .characterDevice: "a character device", .symlinkToFIFO: "a FIFO (named pipe)"]

    /// Each BERT companion file in turn replaced by a non-regular file: one error, no hang.
    @Test(arguments: Kind.allCases, ["vocab.txt", "config.json", "tokenizer_config.json", "model.safetensors"])
    func bertFolderFilesMustBeRegular(kind: Kind, file: String) throws {
        let folder = try TinyBertFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent(file)
        try FileManager.default.removeItem(at: url)
        try Self.make(kind, at: url)
        do {
            _ = try BertEncoderModel.load(from: folder.url)
            Issue.record("loaded a model whose \(file) is a \(kind)")
        } catch {
            #expect("\(error)".contains("is \(Self.expectedKind[kind]!)"), "\(error)")
            #expect("\(error)".contains("not a regular file"), "\(error)")
        }
    }

    @Test(arguments: Kind.allCases)
    func ggufMustBeRegular(kind: Kind) throws {
        let folder = try temporaryFolder("gguf-kind")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.gguf")
        try Self.make(kind, at: url)
        #expect(throws: GGUFError.self) { try GGUFFile(contentsOf: url) }
        do { _ = try GGUFFile(contentsOf: url) } catch {
            #expect("\(error)".contains("is \(Self.expectedKind[kind]!), not a regular file"), "\(error)")
        }
        if kind != .folder {
            // The locator says so by name, before any reading.
            #expect(throws: ModelLocatorError.notRegularFile(url.path, kind: Self.expectedKind[kind]!)) {
                try ModelStore.locate(url.path)
            }
        }
    }

    /// The file loses its tail after the first chunk has been read, as when another process
    /// truncates or rewrites it during the load: a clean error, not SIGBUS.
    @Test(arguments: ["gguf", "safetensors"])
    func aFileThatShrinksWhileLoadingIsAnError(format: String) throws {
        let folder = try temporaryFolder("shrink")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.\(format)").path
        let bytes: [UInt8] = format == "gguf" ? tinyLlamaBytes()
            : try safeTensorsData(TinyBertFolder.tensors(), metadata: [:])
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let truncate: (Int) -> Void = { _ in _ = Foundation.truncate(path, off_t(bytes.count / 2)) }
        let message: String
        do {
            if format == "gguf" {
                _ = try GGUFFile(contentsOf: URL(fileURLWithPath: path), chunkSize: 1024, afterChunk: truncate)
            } else {
                _ = try SafeTensors.read(contentsOf: path, chunkSize: 1024, afterChunk: truncate)
            }
            Issue.record("read a file that shrank")
            return
        } catch {
            message = "\(error)"
        }
        // Chunks of 1 KiB here, so the first chunk is read whole and the second comes up short.
        #expect(message.contains("ended after"), "\(message)")
        #expect(message.contains("changed while being read"), "\(message)")
    }

    @Test func theReaderStopsAtTheFirstShortChunk() throws {
        let folder = try temporaryFolder("shrink-reader")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("data").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 10_000)))
        #expect(throws: FileReadError.shrank(path: path, expected: 10_000, got: 4096)) {
            try RegularFileReader.read(path, limit: 1 << 20, chunkSize: 1024) { read in
                if read == 2048 { _ = truncate(path, 4096) }
            }
        }
        // Unchanged, the same reader returns every byte.
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 10_000)))
        #expect(try RegularFileReader.read(path, limit: 1 << 20, chunkSize: 1024) == Data(repeating: 7, count: 10_000))
    }
}

@Suite("Hostile files: tensors the architecture does not use")
struct UnusedTensorTests {
    @Test(arguments: [(3, 1), (2, 1), (30, 2)])
    func ggufWithMoreLayersThanBlockCount(layers: Int, blockCount: Int) throws {
        let bytes = tinyLlamaBytes(layerCount: layers, blockCount: blockCount)
        #expect(throws: LlamaError.self) { try LlamaModel.load(from: try GGUFFile(data: Data(bytes))) }
        do { _ = try LlamaModel.load(from: try GGUFFile(data: Data(bytes))) } catch let error as LlamaError {
            guard case let .unusedTensors(names, layerCount) = error else { Issue.record("\(error)"); return }
            #expect(layerCount == blockCount)
            #expect(names.count == 9 * (layers - blockCount))
            #expect(names.first == "blk.\(blockCount).attn_norm.weight")
            #expect("\(error)".contains("does not use"))
        }
    }

    @Test func bertConfigWithFewerLayersThanTheWeights() throws {
        var tensors = TinyBertFolder.tensors()
        // A second layer: the first one's tensors under encoder.layer.1.
        tensors += tensors.filter { $0.name.hasPrefix("encoder.layer.0.") }
            .map { (name: $0.name.replacingOccurrences(of: "layer.0.", with: "layer.1."), tensor: $0.tensor) }
        let error = try #require(try TinyBertFolder.loadError(tensors: tensors))
        guard case let .unusedTensors(names, layerCount) = error else { Issue.record("\(error)"); return }
        #expect(layerCount == 1 && names.count == 16)
        #expect(names.allSatisfy { $0.hasPrefix("encoder.layer.1.") })
        // The same weights with num_hidden_layers 2 load.
        #expect(try TinyBertFolder.loadError(config: TinyBertFolder.config(["num_hidden_layers": "2"]), tensors: tensors) == nil)
    }

    @Test func aPoolerAndATaskHeadAreNotCountedAsUnused() throws {
        var tensors = TinyBertFolder.tensors()
        tensors += [(name: "pooler.dense.weight", tensor: Tensor.zeros([4, 4])), (name: "classifier.bias", tensor: Tensor.zeros([2]))]
        #expect(try TinyBertFolder.loadError(tensors: tensors) == nil)
        tensors.append((name: "mystery.weight", tensor: Tensor.zeros([2])))
        #expect(try TinyBertFolder.loadError(tensors: tensors) == .unusedTensors(names: ["mystery.weight"], layerCount: 1))
    }
}

@Suite("Hostile files: the small messages")
struct HostileMessageTests {
    @Test(arguments: [0, 3, 4, 8, 16, 23])
    func aTruncatedHeaderSaysTheFileEndsEarly(length: Int) {
        let bytes = Array(tinyLlamaBytes().prefix(length))
        let error = ggufError(bytes)
        #expect("\(error.map { "\($0)" } ?? "no error")".contains("the file ends early"), "\(String(describing: error))")
    }

    @Test(arguments: [
        ("{\"hidden_size\": 4, \"hidden_size\": 8}", "holds the key \"hidden_size\" more than once"),
        ("{\"a\": {\"b\": 1, \"b\": 2}}", "duplicate key \"b\""),
    ])
    func aDuplicateKeyInConfigJSONIsNamed(config: String, message: String) throws {
        let error = try #require(try TinyBertFolder.loadError(config: config))
        #expect("\(error)".contains(message), "\(error)")
    }

    @Test func configJSONIsCappedAndMustBeUTF8() throws {
        let huge = "{\"x\": \"" + String(repeating: "a", count: BertEncoderConfiguration.maximumFileSize) + "\"}"
        let tooLarge = try #require(try TinyBertFolder.loadError(config: huge))
        #expect("\(tooLarge)".contains("more than the \(BertEncoderConfiguration.maximumFileSize) a config.json may have"), "\(tooLarge)")
        // Bytes that are not UTF-8 (a Latin-1 é): written raw.
        let folder = try TinyBertFolder()
        defer { folder.remove() }
        try Data([0x7B, 0x22, 0xE9, 0x22, 0x3A, 0x31, 0x7D]).write(to: folder.url.appendingPathComponent("config.json"))
        #expect(throws: BertEncoderError.fileError(path: folder.url.appendingPathComponent("config.json").path, reason: "is not UTF-8 text")) {
            try BertEncoderModel.load(from: folder.url)
        }
    }
}
