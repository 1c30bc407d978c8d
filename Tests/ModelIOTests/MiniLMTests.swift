import Foundation
import Testing
@testable import ModelIO
import TensorCore
import Transformer

// The Swift all-MiniLM-L6-v2 against golden fixtures written by an independent implementation:
// scripts/reference/minilm_reference.py (numpy float64 forward pass, Hugging Face `tokenizers`
// for the ids). Regenerate them with
//
//     scripts/reference/make_venv.sh && .venv-reference/bin/python scripts/reference/minilm_reference.py
//
// The tests that need the real model skip when scripts/fetch-models.sh has not been run.

// MARK: Shared model and fixtures

enum MiniLMFixture {
    /// Loaded once for the whole suite: reading 90 MB and transposing the weights is the slow part.
    static let model: Result<BertEncoderModel, any Error> = Result { try BertEncoderModel.loadInstalled() }

    static func loaded() throws -> BertEncoderModel { try model.get() }

    /// The sentences several tests need, each run once with its trace: a forward pass of the
    /// debug build takes about half a second, so the suite shares them.
    static let sharedTexts = [
        "The animal didn't cross the street because it was too tired", "The river bank was muddy",
        "She deposited the cheque at the bank.", "A man is playing a guitar.",
    ]
    static let outputs: Result<[String: BertEncoderOutput], any Error> = Result {
        let model = try loaded()
        var outputs: [String: BertEncoderOutput] = [:]
        for text in sharedTexts { outputs[text] = try model.forward(ids: model.encode(text), recordTrace: true) }
        return outputs
    }

    static func output(_ text: String) throws -> BertEncoderOutput {
        try #require(try outputs.get()[text], "\(text) is not one of the shared sentences")
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/minilm", isDirectory: true)

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func floats(_ value: Any?) throws -> [Float] {
        try #require(value as? [NSNumber]).map { $0.floatValue }
    }

    static func matrix(_ value: Any?) throws -> [[Float]] {
        try #require(value as? [Any]).map { try floats($0) }
    }
}

let minilmInstalled = ModelStore.isInstalled(.minilm)

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, aa: Float = 0, bb: Float = 0
    for (x, y) in zip(a, b) { dot += x * y; aa += x * x; bb += y * y }
    return dot / (aa.squareRoot() * bb.squareRoot())
}

// MARK: Against the reference

@Suite("MiniLM against the numpy reference", .enabled(if: minilmInstalled, "needs scripts/fetch-models.sh"))
struct MiniLMReferenceTests {
    @Test func configurationIsMiniLM() throws {
        let c = try MiniLMFixture.loaded().configuration
        #expect(c == (try BertEncoderConfiguration(hiddenSize: 384, layerCount: 6, headCount: 12, intermediateSize: 1536,
                                                     vocabularySize: 30522, maximumPositions: 512, segmentTypeCount: 2,
                                                     layerNormEpsilon: 1e-12)))
        #expect(c.headSize == 32)
    }

    @Test func tokenIDsMatchHuggingFaceTokenizers() throws {
        let model = try MiniLMFixture.loaded()
        let sentences = try #require(try MiniLMFixture.json("tokens.json")["sentences"] as? [[String: Any]])
        #expect(sentences.count == 8)
        for sentence in sentences {
            let text = try #require(sentence["text"] as? String)
            let ids = try #require(sentence["ids"] as? [Int])
            let tokens = try #require(sentence["tokens"] as? [String])
            #expect(model.encode(text) == ids, "\(text)")
            #expect(model.tokenize(text) == tokens, "\(text)")
        }
    }

    @Test func attentionWeightsMatch() throws {
        let entries = try #require(try MiniLMFixture.json("attention.json")["entries"] as? [[String: Any]])
        #expect(entries.count == 18)
        var traces: [String: AttentionTrace] = [:]
        var largest: Float = 0
        for entry in entries {
            let text = try #require(entry["text"] as? String)
            let trace = try #require(try traces[text] ?? MiniLMFixture.output(text).trace)
            traces[text] = trace
            let layer = try #require(entry["layer"] as? Int), head = try #require(entry["head"] as? Int)
            let expected = try MiniLMFixture.matrix(entry["weights"])
            let actual = try #require(trace.weights(layer: layer, head: head, kind: .encoderSelf))
            #expect(actual.count == expected.count)
            for (a, e) in zip(actual, expected) {
                #expect(a.count == e.count)
                for (x, y) in zip(a, e) { largest = max(largest, abs(x - y)) }
            }
        }
        #expect(largest < 1e-4, "largest attention difference \(largest)")
        // The trace's shape and labels.
        let trace = try #require(traces["The river bank was muddy"])
        #expect(trace.architecture == "encoder-only")
        #expect(trace.entries.count == 6 * 12)
        #expect(trace.layers(kind: .encoderSelf) == 6 && trace.heads == 12)
        #expect(trace.entries[0].queryTokens == ["[CLS]", "the", "river", "bank", "was", "muddy", "[SEP]"])
        #expect(trace.entries[0].keyTokens == trace.entries[0].queryTokens)
    }

    @Test func sentenceEmbeddingsMatch() throws {
        let model = try MiniLMFixture.loaded()
        let sentences = try #require(try MiniLMFixture.json("sentence_embeddings.json")["sentences"] as? [[String: Any]])
        #expect(sentences.count == 5)
        var embeddings: [[Float]] = []
        for sentence in sentences {
            let text = try #require(sentence["text"] as? String)
            let expected = try MiniLMFixture.floats(sentence["embedding"])
            // One sentence through the public call, the others pooled from the shared passes.
            let actual = MiniLMFixture.sharedTexts.contains(text)
                ? BertEncoderModel.meanPooledEmbedding(of: try MiniLMFixture.output(text).lastHiddenState)
                : try model.sentenceEmbedding(text)
            #expect(actual.count == 384)
            #expect(abs(actual.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5, "unit length")
            #expect(cosine(actual, expected) >= 0.9999, "\(text): cosine \(cosine(actual, expected))")
            embeddings.append(actual)
        }
        // The two "bank" sentences are more alike than the river bank and the guitar.
        #expect(cosine(embeddings[1], embeddings[2]) > cosine(embeddings[1], embeddings[3]))
    }

    @Test func lastHiddenStateMatches() throws {
        let model = try MiniLMFixture.loaded()
        let fixture = try MiniLMFixture.json("last_hidden_state.json")
        let ids = try #require(fixture["ids"] as? [Int])
        let text = try #require(fixture["text"] as? String)
        #expect(model.encode(text) == ids)
        let expected = try MiniLMFixture.matrix(fixture["lastHiddenState"])
        let output = try MiniLMFixture.output(text)
        #expect(output.lastHiddenState.shape == [ids.count, 384])
        #expect(output.hiddenStates.count == 7)
        #expect(output.hiddenStates.last == output.lastHiddenState)
        var largest: Float = 0
        for (t, row) in expected.enumerated() {
            for (j, value) in row.enumerated() { largest = max(largest, abs(output.lastHiddenState[t, j] - value)) }
        }
        #expect(largest < 1e-3, "largest hidden-state difference \(largest)")
        let embedding = try MiniLMFixture.floats(fixture["embeddingOutputRow0"])
        let first = output.hiddenStates[0].row(0)
        #expect(zip(first, embedding).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func kingMinusManPlusWomanNeighbours() throws {
        let model = try MiniLMFixture.loaded()
        let fixture = try MiniLMFixture.json("neighbours.json")
        let expected = try #require(fixture["neighbours"] as? [[String: Any]])
        let found = try model.embeddingArithmetic("king - man + woman", count: 5)
        #expect(found.map(\.token) == expected.compactMap { $0["token"] as? String })
        #expect(found.map(\.id) == expected.compactMap { $0["id"] as? Int })
        for (f, e) in zip(found, expected) {
            #expect(abs(f.cosine - ((e["cosine"] as? NSNumber)?.floatValue ?? .nan)) < 1e-4)
        }
        #expect(found.first?.token == "queen")
    }

    @Test func embeddingTableAndRows() throws {
        let model = try MiniLMFixture.loaded()
        #expect(model.wordEmbeddings.shape == [30522, 384])
        let king = try #require(model.embeddingRow(for: "king"))
        #expect(king == model.wordEmbeddings.row(2332))
        #expect(model.embeddingRow(for: "King") == nil)
        #expect(model.embeddingRow(for: "hyperparameterization") == nil)
        #expect(model.embeddingRow(for: "##ization") != nil)
    }

    @Test func inputErrorsAreValuesNotTraps() throws {
        let model = try MiniLMFixture.loaded()
        #expect(throws: BertEncoderError.emptyInput) { try model.forward(ids: []) }
        #expect(throws: BertEncoderError.idOutOfRange(position: 1, id: 30522, vocabularySize: 30522)) {
            try model.forward(ids: [101, 30522, 102])
        }
        #expect(throws: BertEncoderError.idOutOfRange(position: 0, id: -1, vocabularySize: 30522)) {
            try model.forward(ids: [-1])
        }
        #expect(throws: BertEncoderError.tooLong(count: 513, limit: 512)) {
            try model.forward(ids: [Int](repeating: 1000, count: 513))
        }
        #expect(BertEncoderError.tooLong(count: 513, limit: 512).description.contains("512"))
        #expect(throws: BertEncoderError.self) { try model.forward(ids: [101, 102], segments: [0]) }
        #expect(throws: BertEncoderError.self) { try model.forward(ids: [101, 102], segments: [0, 2]) }
        #expect {
            try model.embeddingArithmetic("king - Hyperparameterization")
        } throws: { error in
            error as? EmbeddingArithmeticError
                == .unknownWord("Hyperparameterization", pieces: ["hyper", "##para", "##meter", "##ization"])
        }
    }

    @Test func segmentsChangeTheOutput() throws {
        let model = try MiniLMFixture.loaded()
        let text = "The river bank was muddy"
        let plain = try MiniLMFixture.output(text).lastHiddenState
        let pair = try model.forward(ids: model.encode(text), segments: [0, 0, 0, 0, 1, 1, 1]).lastHiddenState
        #expect(pair.shape == plain.shape)
        #expect(plain.row(0) != pair.row(0))       // attention carries sentence B's change to [CLS]
    }
}

// MARK: Hostile folders (no real model needed)

/// A tiny BERT folder: hidden 4, 1 layer, 2 heads, feed-forward 8, the 8-token vocabulary below.
struct TinyBertFolder {
    let url: URL
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s"]

    static func config(_ overrides: [String: String] = [:], removing: Set<String> = []) -> String {
        var fields: [String: String] = [
            "hidden_size": "4", "num_hidden_layers": "1", "num_attention_heads": "2", "intermediate_size": "8",
            "vocab_size": "8", "max_position_embeddings": "6", "type_vocab_size": "2", "layer_norm_eps": "1e-12",
            "hidden_act": "\"gelu\"", "model_type": "\"bert\"",
        ]
        for (key, value) in overrides { fields[key] = value }
        let body = fields.filter { !removing.contains($0.key) }.sorted { $0.key < $1.key }
            .map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        return "{\(body)}"
    }

    static func tensors(prefix: String = "") -> [(name: String, tensor: Tensor)] {
        var generator = SeededGenerator(seed: 7)
        func random(_ shape: [Int]) -> Tensor { Tensor.randomNormal(shape, standardDeviation: 0.5, using: &generator) }
        var list: [(String, Tensor)] = [
            ("embeddings.word_embeddings.weight", random([8, 4])),
            ("embeddings.position_embeddings.weight", random([6, 4])),
            ("embeddings.token_type_embeddings.weight", random([2, 4])),
            ("embeddings.LayerNorm.weight", Tensor.ones([4])), ("embeddings.LayerNorm.bias", Tensor.zeros([4])),
        ]
        let p = "encoder.layer.0."
        for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
            list += [(p + name + ".weight", random([4, 4])), (p + name + ".bias", random([4]))]
        }
        list += [(p + "intermediate.dense.weight", random([8, 4])), (p + "intermediate.dense.bias", random([8])),
                 (p + "output.dense.weight", random([4, 8])), (p + "output.dense.bias", random([4]))]
        for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
            list += [(p + name + ".weight", Tensor.ones([4])), (p + name + ".bias", Tensor.zeros([4]))]
        }
        return list.map { (name: prefix + $0.0, tensor: $0.1) }
    }

    init(config: String = TinyBertFolder.config(), tensors: [(name: String, tensor: Tensor)] = TinyBertFolder.tensors(),
         tokenizerConfig: String? = "{\"do_lower_case\": true, \"strip_accents\": null}") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("tiny-bert-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: url.appendingPathComponent("config.json"))
        try Data((TinyBertFolder.vocabulary.joined(separator: "\n") + "\n").utf8)
            .write(to: url.appendingPathComponent("vocab.txt"))
        if let tokenizerConfig {
            try Data(tokenizerConfig.utf8).write(to: url.appendingPathComponent("tokenizer_config.json"))
        }
        try writeSafeTensors(tensors, metadata: ["format": "pt"], to: url.appendingPathComponent("model.safetensors").path)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    static func loadError(config: String = TinyBertFolder.config(),
                          tensors: [(name: String, tensor: Tensor)] = TinyBertFolder.tensors(),
                          tokenizerConfig: String? = nil) throws -> BertEncoderError? {
        let folder = try TinyBertFolder(config: config, tensors: tensors, tokenizerConfig: tokenizerConfig)
        defer { folder.remove() }
        do {
            _ = try BertEncoderModel.load(from: folder.url)
            return nil
        } catch let error as BertEncoderError {
            return error
        }
    }
}

extension BertEncoderError {
    var field: String? {
        switch self {
        case let .invalidConfiguration(field, _), let .invalidTokenizerConfiguration(field, _): return field
        default: return nil
        }
    }
}

@Suite("MiniLM loading: hostile folders")
struct BertEncoderLoadingTests {
    @Test func tinyFolderLoadsAndRuns() throws {
        let folder = try TinyBertFolder()
        defer { folder.remove() }
        let model = try BertEncoderModel.load(from: folder.url)
        #expect(model.tokenize("Hello worlds") == ["[CLS]", "hello", "world", "##s", "[SEP]"])
        #expect(model.encode("Hello worlds") == [2, 5, 6, 7, 3])
        let output = try model.forward(ids: model.encode("hello world"), recordTrace: true)
        #expect(output.lastHiddenState.shape == [4, 4])
        #expect(output.hiddenStates.count == 2)
        let trace = try #require(output.trace)
        #expect(trace.entries.count == 2)
        for entry in trace.entries { for row in entry.weights { #expect(abs(row.reduce(0, +) - 1) < 1e-5) } }
        #expect(throws: BertEncoderError.tooLong(count: 7, limit: 6)) { try model.forward(ids: [5, 5, 5, 5, 5, 5, 5]) }
        // No segments means all sentence A; no trace unless asked for.
        let plain = try model.forward(ids: [2, 5, 6, 3])
        #expect(plain.trace == nil)
        #expect(plain.lastHiddenState == (try model.forward(ids: [2, 5, 6, 3], segments: [0, 0, 0, 0]).lastHiddenState))
        #expect(plain.lastHiddenState != (try model.forward(ids: [2, 5, 6, 3], segments: [0, 0, 1, 1]).lastHiddenState))
        #expect(BertEncoderModel.meanPooledEmbedding(of: plain.lastHiddenState).count == 4)
        // A "bert." prefix (a checkpoint saved from a task model) loads the same weights.
        let prefixed = try TinyBertFolder(tensors: TinyBertFolder.tensors(prefix: "bert."))
        defer { prefixed.remove() }
        let same = try BertEncoderModel.load(from: prefixed.url)
        #expect(try same.forward(ids: [2, 5, 3]).lastHiddenState == (try model.forward(ids: [2, 5, 3]).lastHiddenState))
    }

    @Test func forwardMatchesHandComputedEmbeddingLayer() throws {
        let folder = try TinyBertFolder()
        defer { folder.remove() }
        let model = try BertEncoderModel.load(from: folder.url)
        let tensors = Dictionary(uniqueKeysWithValues: TinyBertFolder.tensors().map { ($0.name, $0.tensor) })
        let word = try #require(tensors["embeddings.word_embeddings.weight"])
        let position = try #require(tensors["embeddings.position_embeddings.weight"])
        let segment = try #require(tensors["embeddings.token_type_embeddings.weight"])
        let output = try model.forward(ids: [2, 6], segments: [0, 1])
        // Row 1: word 6 + position 1 + segment 1, then normalised (gamma 1, beta 0).
        let sum = (0..<4).map { word[6, $0] + position[1, $0] + segment[1, $0] }
        let mean = sum.reduce(0, +) / 4
        let variance = sum.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
        let expected = sum.map { ($0 - mean) / (variance + 1e-12).squareRoot() }
        for j in 0..<4 { #expect(abs(output.hiddenStates[0][1, j] - expected[j]) < 1e-5) }
    }

    @Test func missingConfigFieldIsNamed() throws {
        for field in ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
                      "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act"] {
            let error = try TinyBertFolder.loadError(config: TinyBertFolder.config(removing: [field]))
            #expect(error?.field == field, "removing \(field) gave \(String(describing: error))")
            #expect(error?.description.contains("is missing") == true)
        }
    }

    @Test func wrongTypesAndValuesAreNamed() throws {
        let cases: [(String, String)] = [
            ("hidden_size", "\"384\""), ("num_hidden_layers", "6.5"), ("num_attention_heads", "true"),
            ("vocab_size", "-3"), ("intermediate_size", "0"), ("type_vocab_size", "null"),
            ("max_position_embeddings", "[512]"), ("layer_norm_eps", "\"1e-12\""), ("layer_norm_eps", "-1"),
            ("hidden_act", "\"relu\""), ("hidden_act", "1"), ("position_embedding_type", "\"relative_key\""),
            ("hidden_size", "99999999999999999999999"),
        ]
        for (field, value) in cases {
            let error = try TinyBertFolder.loadError(config: TinyBertFolder.config([field: value]))
            #expect(error?.field == field, "\(field) = \(value) gave \(String(describing: error))")
        }
    }

    @Test func headsMustDivideHiddenSize() throws {
        let error = try TinyBertFolder.loadError(config: TinyBertFolder.config(["num_attention_heads": "3"]))
        #expect(error?.field == "num_attention_heads")
        #expect(error?.description.contains("do not divide hidden_size 4") == true)
    }

    @Test func configThatIsNotAnObjectOrNotJSON() throws {
        #expect(try TinyBertFolder.loadError(config: "[1, 2]")?.field == "(file)")
        #expect(try TinyBertFolder.loadError(config: "{\"hidden_size\": 4,")?.field == "(file)")
        #expect(try TinyBertFolder.loadError(config: "")?.field == "(file)")
    }

    @Test func missingTensorIsNamed() throws {
        for missing in ["embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.value.bias",
                        "encoder.layer.0.output.LayerNorm.weight"] {
            let error = try TinyBertFolder.loadError(tensors: TinyBertFolder.tensors().filter { $0.name != missing })
            #expect(error == .missingTensor(name: missing))
        }
    }

    @Test func misShapedTensorIsNamed() throws {
        var tensors = TinyBertFolder.tensors()
        let index = try #require(tensors.firstIndex { $0.name == "encoder.layer.0.intermediate.dense.weight" })
        tensors[index].tensor = Tensor.zeros([4, 8])            // transposed: [in, out] instead of [out, in]
        #expect(try TinyBertFolder.loadError(tensors: tensors)
            == .tensorShape(name: "encoder.layer.0.intermediate.dense.weight", expected: [8, 4], actual: [4, 8]))
        // A config that promises more layers than the file holds.
        let error = try TinyBertFolder.loadError(config: TinyBertFolder.config(["num_hidden_layers": "2"]))
        #expect(error == .missingTensor(name: "encoder.layer.1.attention.self.query.weight"))
        // A vocabulary larger than the table.
        #expect(try TinyBertFolder.loadError(config: TinyBertFolder.config(["vocab_size": "9"]))
            == .tensorShape(name: "embeddings.word_embeddings.weight", expected: [9, 4], actual: [8, 4]))
    }

    @Test func tokenizerConfigOptions() throws {
        #expect(try TinyBertFolder.loadError(tokenizerConfig: "{\"do_lower_case\": \"yes\"}")?.field == "do_lower_case")
        #expect(try TinyBertFolder.loadError(tokenizerConfig: "{\"tokenize_chinese_chars\": false}")?.field
            == "tokenize_chinese_chars")
        let cased = try TinyBertFolder(tokenizerConfig: "{\"do_lower_case\": false}")
        defer { cased.remove() }
        #expect(try BertEncoderModel.load(from: cased.url).tokenize("Hello hello") == ["[CLS]", "[UNK]", "hello", "[SEP]"])
    }

    @Test func missingFolderSaysWhichFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-bert-\(UUID().uuidString)")
        #expect {
            _ = try BertEncoderModel.load(from: url)
        } throws: { error in
            guard case let BertEncoderError.fileError(path, _) = error else { return false }
            return path.hasSuffix("config.json")
        }
    }
}

// MARK: Embedding arithmetic (no real model needed)

@Suite("MiniLM embedding arithmetic")
struct EmbeddingArithmeticTests {
    @Test func parsesExpressions() throws {
        #expect(try parseEmbeddingExpression("king - man + woman")
            == [.init(sign: 1, word: "king"), .init(sign: -1, word: "man"), .init(sign: 1, word: "woman")])
        #expect(try parseEmbeddingExpression(" -man+woman ") == [.init(sign: -1, word: "man"), .init(sign: 1, word: "woman")])
        #expect(try parseEmbeddingExpression("paris − france + italy").map(\.sign) == [1, -1, 1])
        #expect(try parseEmbeddingExpression("queen") == [.init(sign: 1, word: "queen")])
        #expect(throws: EmbeddingArithmeticError.emptyExpression) { try parseEmbeddingExpression("   ") }
        #expect(throws: EmbeddingArithmeticError.expectedOperator(offset: 5, found: "\"man\"")) {
            try parseEmbeddingExpression("king man")
        }
        #expect(throws: EmbeddingArithmeticError.expectedWord(offset: 7, found: "\"+\"")) {
            try parseEmbeddingExpression("king - + man")
        }
        #expect(throws: EmbeddingArithmeticError.expectedWord(offset: 6, found: "the end")) {
            try parseEmbeddingExpression("king -")
        }
    }

    @Test func nearestNeighboursByCosine() throws {
        let table = try Tensor([[1, 0], [0, 1], [1, 1], [-1, 0], [0, 0], [2, 0.1]])
        let names = ["a", "b", "c", "d", "zero", "e"]
        let found = nearestNeighbours(of: [1, 0], in: table, vocabulary: names, count: 3, excluding: [0])
        #expect(found.map(\.token) == ["e", "c", "b"])
        #expect(found.map(\.id) == [5, 2, 1])
        #expect(abs(found[1].cosine - 1 / Float(2).squareRoot()) < 1e-6)
        // Ties keep id order: b (id 1) and zero (id 4) both have cosine 0.
        #expect(found[2].id == 1)
        #expect(nearestNeighbours(of: [1, 0, 0], in: table, vocabulary: names, count: 3, excluding: []).isEmpty)
        #expect(nearestNeighbours(of: [1, 0], in: table, vocabulary: names, count: 10, excluding: []).count == 6)
    }

    @Test func principalComponentsOfALine() throws {
        // Points along (3, 4)/5 with a little spread along (-4, 3)/5.
        let rows: [[Float]] = (-3...3).map { t in
            let s: Float = t % 2 == 0 ? 0.1 : -0.1
            return [3 * Float(t) / 5 - 4 * s / 5 + 1, 4 * Float(t) / 5 + 3 * s / 5 + 2]
        }
        let pca = try principalComponents(of: rows, count: 2)
        #expect(abs(pca.mean[0] - 1) < 0.02 && abs(pca.mean[1] - 2) < 0.02)
        #expect(abs(pca.components[0][0] - 0.6) < 1e-3 && abs(pca.components[0][1] - 0.8) < 1e-3)
        #expect(abs(pca.components[0][0] * pca.components[1][0] + pca.components[0][1] * pca.components[1][1]) < 1e-5)
        #expect(pca.variances[0] > pca.variances[1])
        #expect(abs(pca.variances[0] - 4) < 0.01)            // mean of t² for t in -3...3
        #expect(abs(pca.projections[6][0] - 3) < 0.01)
        #expect(try principalComponents(of: rows, count: 2) == pca)       // deterministic
        #expect(throws: EmbeddingArithmeticError.dimensionMismatch(expected: 2, actual: 3)) {
            try principalComponents(of: [[1, 2], [1, 2, 3]], count: 1)
        }
        #expect(throws: EmbeddingArithmeticError.self) { try principalComponents(of: [[1, 2]], count: 3) }
        #expect(throws: EmbeddingArithmeticError.self) { try principalComponents(of: [], count: 1) }
    }

    @Test(.enabled(if: minilmInstalled)) func minilmWordsSpreadOnThePlane() throws {
        let model = try MiniLMFixture.loaded()
        let words = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy"]
        let rows = try words.map { try #require(model.embeddingRow(for: $0)) }
        let pca = try principalComponents(of: rows, count: 2)
        #expect(pca.projections.count == 8 && pca.projections.allSatisfy { $0.count == 2 })
        #expect(pca.variances[0] >= pca.variances[1] && pca.variances[1] > 0)
    }
}
