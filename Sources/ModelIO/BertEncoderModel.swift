import Foundation
import TensorCore
import Transformer
import Tokenizers

/// What one forward pass of a BERT encoder produced.
public struct BertEncoderOutput: Sendable {
    /// The last layer's token vectors: [T, hidden].
    public let lastHiddenState: Tensor
    /// The embedding layer's output (word + position + segment, layer-normed), then each layer's
    /// output: layerCount + 1 tensors of [T, hidden]. The last one is `lastHiddenState`.
    public let hiddenStates: [Tensor]
    /// Every head of every layer (kind `.encoderSelf`, labels = the word pieces), when asked for.
    public let trace: AttentionTrace?
}

/// A BERT-family encoder with real pre-trained weights (Devlin et al. 2019), built from the same
/// pieces as the toy models of the Transformer module: `Linear`, `LayerNorm`, `MultiHeadAttention`,
/// `FeedForward` and post-norm `EncoderLayer`s.
///
///     x = LN(word[id] + position[i] + segment[s])        the embedding layer
///     x = LN(x + SelfAttention(x))                        × layerCount, each followed by
///     x = LN(x + W₂ GELU(W₁ x + b₁) + b₂)                 the feed-forward sublayer
///
/// Loaded from a Hugging Face folder (config.json, model.safetensors, vocab.txt,
/// tokenizer_config.json), e.g. all-MiniLM-L6-v2 via `loadInstalled()`. This is the plain
/// `BertModel` (no pooler, no task head); `sentenceEmbedding` adds sentence-transformers' mean
/// pooling and normalisation on top.
public struct BertEncoderModel: Sendable {
    /// The sizes read from config.json (layers, hidden width, heads, vocabulary, positions).
    public let configuration: BertEncoderConfiguration
    /// The WordPiece tokeniser with the model's vocabulary and tokenizer_config.json's options.
    public let tokenizer: WordPieceTokenizer
    /// [vocabularySize, hidden]: row i is token i's vector before any context.
    public let wordEmbeddings: Tensor
    /// [maximumPositions, hidden]: learned, one row per position.
    public let positionEmbeddings: Tensor
    /// [segmentTypeCount, hidden]: sentence A (0) or B (1).
    public let segmentEmbeddings: Tensor
    /// The LayerNorm applied to word + position + segment embeddings before the first layer.
    public let embeddingNorm: LayerNorm
    /// The encoder layers in order; `layers[0]` is the first (layers count from 0).
    public let layers: [EncoderLayer]

    /// The tokeniser's vocabulary (vocab.txt): token strings and their ids.
    public var vocabulary: Vocabulary { tokenizer.vocabulary }

    /// The model whose weights are already split into their pieces; checks that the pieces fit
    /// the configuration.
    public init(configuration: BertEncoderConfiguration, tokenizer: WordPieceTokenizer, wordEmbeddings: Tensor,
                positionEmbeddings: Tensor, segmentEmbeddings: Tensor, embeddingNorm: LayerNorm,
                layers: [EncoderLayer]) throws {
        let c = configuration
        for (name, tensor, expected) in [("word embeddings", wordEmbeddings, [c.vocabularySize, c.hiddenSize]),
                                         ("position embeddings", positionEmbeddings, [c.maximumPositions, c.hiddenSize]),
                                         ("segment embeddings", segmentEmbeddings, [c.segmentTypeCount, c.hiddenSize])]
        where tensor.shape != expected {
            throw BertEncoderError.tensorShape(name: name, expected: expected, actual: tensor.shape)
        }
        guard layers.count == c.layerCount else {
            throw BertEncoderError.invalidConfiguration(
                field: "num_hidden_layers", problem: "is \(c.layerCount), but \(layers.count) layers were given")
        }
        guard tokenizer.vocabulary.count == c.vocabularySize else {
            throw BertEncoderError.vocabulary(
                "holds \(tokenizer.vocabulary.count) tokens, but the model has \(c.vocabularySize) word embeddings")
        }
        self.configuration = configuration
        self.tokenizer = tokenizer
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.segmentEmbeddings = segmentEmbeddings
        self.embeddingNorm = embeddingNorm
        self.layers = layers
    }

    // MARK: Loading

    /// all-MiniLM-L6-v2 from `ModelStore` (throws `ModelStoreError.notInstalled` saying how to
    /// fetch it when it is not there).
    public static func loadInstalled() throws -> BertEncoderModel {
        try load(from: try ModelStore.require(.minilm))
    }

    /// Loads a Hugging Face BERT folder: config.json, model.safetensors, vocab.txt and (optional)
    /// tokenizer_config.json. Every weight is checked for presence and exact shape; the error
    /// names the tensor. Names may carry a "bert." prefix (checkpoints saved from a task model).
    /// `weights` names another weights file than the folder's model.safetensors.
    public static func load(from directory: URL, weights weightsFile: URL? = nil) throws -> BertEncoderModel {
        let configuration = try BertEncoderConfiguration(contentsOf: directory.appendingPathComponent("config.json"))

        var settings = BertTokenizerSettings()
        let tokenizerConfig = directory.appendingPathComponent("tokenizer_config.json")
        if FileManager.default.fileExists(atPath: tokenizerConfig.path) {
            let data: Data
            do {
                // Chat templates and added-token lists make some of these large, never this large.
                data = try RegularFileReader.read(tokenizerConfig.path, limit: 16 << 20, what: "tokenizer_config.json")
            } catch {
                throw BertEncoderError.fileError(path: tokenizerConfig.path, reason: error.reason)
            }
            settings = try BertTokenizerSettings(jsonData: [UInt8](data))
        }
        let vocabularyPath = directory.appendingPathComponent("vocab.txt").path
        let tokenizer: WordPieceTokenizer
        let vocabularyBytes: Data
        do {
            // Real ones are a few hundred kilobytes (BERT's 30,522 pieces: 230 kB).
            vocabularyBytes = try RegularFileReader.read(vocabularyPath, limit: 64 << 20, what: "vocab.txt")
        } catch {
            throw BertEncoderError.fileError(path: vocabularyPath, reason: error.reason)
        }
        do {
            let vocabulary = try Vocabulary(utf8: [UInt8](vocabularyBytes), name: vocabularyPath)
            tokenizer = try WordPieceTokenizer(vocabulary: vocabulary, lowercase: settings.lowercase,
                                               stripAccents: settings.stripAccents)
        } catch {
            // Errors in the file's bytes already name it (VocabularyError.inFile).
            if case .inFile? = error as? VocabularyError { throw BertEncoderError.vocabulary("\(error)") }
            throw BertEncoderError.vocabulary("\(vocabularyPath): \(error)")
        }

        let weightsPath = (weightsFile ?? directory.appendingPathComponent("model.safetensors")).path
        let file: SafeTensors
        do {
            file = try SafeTensors.read(contentsOf: weightsPath)
        } catch {
            throw BertEncoderError.weights(error)
        }
        let weights = BertWeightReader(file: file)
        let model = try BertEncoderModel(configuration: configuration, weights: weights, tokenizer: tokenizer)
        try weights.checkNothingUnused(layerCount: configuration.layerCount)
        return model
    }

    init(configuration c: BertEncoderConfiguration, weights: BertWeightReader,
         tokenizer: WordPieceTokenizer) throws {
        let d = c.hiddenSize, ff = c.intermediateSize
        let word = try weights.tensor("embeddings.word_embeddings.weight", [c.vocabularySize, d])
        let position = try weights.tensor("embeddings.position_embeddings.weight", [c.maximumPositions, d])
        let segment = try weights.tensor("embeddings.token_type_embeddings.weight", [c.segmentTypeCount, d])
        let norm = try weights.layerNorm("embeddings.LayerNorm", size: d, epsilon: c.layerNormEpsilon)

        var layers: [EncoderLayer] = []
        for index in 0..<c.layerCount {
            let p = "encoder.layer.\(index)."
            let attention = try MultiHeadAttention(
                query: try weights.linear(p + "attention.self.query", input: d, output: d),
                key: try weights.linear(p + "attention.self.key", input: d, output: d),
                value: try weights.linear(p + "attention.self.value", input: d, output: d),
                output: try weights.linear(p + "attention.output.dense", input: d, output: d),
                heads: c.headCount)
            let feedForward = try FeedForward(
                expand: try weights.linear(p + "intermediate.dense", input: d, output: ff),
                contract: try weights.linear(p + "output.dense", input: ff, output: d),
                activation: .gelu)   // TensorCore's gelu is the exact erf form, as BERT's "gelu"
            layers.append(EncoderLayer(
                attention: attention,
                attentionNorm: try weights.layerNorm(p + "attention.output.LayerNorm", size: d, epsilon: c.layerNormEpsilon),
                feedForward: feedForward,
                feedForwardNorm: try weights.layerNorm(p + "output.LayerNorm", size: d, epsilon: c.layerNormEpsilon),
                normPlacement: .post))
        }
        try self.init(configuration: c, tokenizer: tokenizer, wordEmbeddings: word, positionEmbeddings: position,
                      segmentEmbeddings: segment, embeddingNorm: norm, layers: layers)
    }

    // MARK: Text to ids

    /// The word pieces of `text` between [CLS] and [SEP], as the model reads them.
    public func tokenize(_ text: String) -> [String] {
        [SpecialToken.classification.rawValue] + tokenizer.tokenize(text) + [SpecialToken.separator.rawValue]
    }

    /// The ids of `tokenize(text)`.
    public func encode(_ text: String) -> [Int] {
        [tokenizer.classificationID] + tokenizer.encode(text) + [tokenizer.separatorID]
    }

    // MARK: Forward

    /// The encoder on one sequence of ids (usually `encode(text)`), every token seeing every other.
    ///
    /// - Parameter ids: the token ids, [CLS] first and [SEP] last as `encode(_:)` makes them.
    /// - Parameter segments: one segment id per token (0 = sentence A, 1 = B); nil means all 0.
    /// - Parameter recordTrace: also return every head's attention weights, labelled with the
    ///   word pieces.
    /// - Throws: `BertEncoderError` for no tokens, more tokens than positions, an id outside the
    ///   vocabulary, or segments that do not fit.
    public func forward(ids: [Int], segments: [Int]? = nil, recordTrace: Bool = false) throws -> BertEncoderOutput {
        let c = configuration
        guard !ids.isEmpty else { throw BertEncoderError.emptyInput }
        guard ids.count <= c.maximumPositions else {
            throw BertEncoderError.tooLong(count: ids.count, limit: c.maximumPositions)
        }
        if let position = ids.firstIndex(where: { $0 < 0 || $0 >= c.vocabularySize }) {
            throw BertEncoderError.idOutOfRange(position: position, id: ids[position], vocabularySize: c.vocabularySize)
        }
        let segmentIDs = segments ?? [Int](repeating: 0, count: ids.count)
        guard segmentIDs.count == ids.count else {
            throw BertEncoderError.invalidSegments("has \(segmentIDs.count) ids for \(ids.count) tokens (one per token)")
        }
        if let position = segmentIDs.firstIndex(where: { $0 < 0 || $0 >= c.segmentTypeCount }) {
            throw BertEncoderError.invalidSegments(
                "id \(segmentIDs[position]) at token \(position) is outside 0..<\(c.segmentTypeCount)")
        }

        // The embedding layer: three table look-ups added up, then layer-normed.
        let d = c.hiddenSize
        var summed = [Float](repeating: 0, count: ids.count * d)
        wordEmbeddings.scalars.withUnsafeBufferPointer { word in
            positionEmbeddings.scalars.withUnsafeBufferPointer { position in
                segmentEmbeddings.scalars.withUnsafeBufferPointer { segment in
                    for t in ids.indices {
                        let w = ids[t] * d, p = t * d, s = segmentIDs[t] * d, o = t * d
                        for j in 0..<d { summed[o + j] = word[w + j] + position[p + j] + segment[s + j] }
                    }
                }
            }
        }
        var x = try embeddingNorm(try Tensor(shape: [ids.count, d], scalars: summed))   // (T, d)

        var hiddenStates = [x]
        var trace: AttentionTrace?
        let labels = recordTrace ? ids.map { vocabulary.token(for: $0) ?? SpecialToken.unknown.rawValue } : []
        if recordTrace { trace = AttentionTrace(architecture: "encoder-only") }
        for (index, layer) in layers.enumerated() {
            if trace == nil {
                // Nobody looks at the weights: blockwise attention, no T × T matrices kept.
                x = try layer.output(x)                     // (T, d)
                hiddenStates.append(x)
                continue
            }
            let result = try layer(x)                       // no mask: one unpadded sequence
            x = result.output                               // (T, d)
            hiddenStates.append(x)
            try trace?.record(weights: result.attention.weights, layer: index, kind: .encoderSelf,
                              queryTokens: labels, keyTokens: labels)   // weights (h, T, T)
        }
        return BertEncoderOutput(lastHiddenState: x, hiddenStates: hiddenStates, trace: trace)
    }

    /// The sentence vector of sentence-transformers' all-MiniLM-L6-v2: the mean of the last
    /// hidden state over every token ([CLS] and [SEP] included, as its mean pooling does with an
    /// attention mask of ones), divided by its length (L2). Cosine similarity of two such vectors
    /// is their dot product.
    public func sentenceEmbedding(_ text: String) throws -> [Float] {
        Self.meanPooledEmbedding(of: try forward(ids: encode(text)).lastHiddenState)
    }

    /// The pooling step of `sentenceEmbedding` alone: the mean of the rows of a last hidden
    /// state [T, d], L2-normalised. Empty for a tensor that is not a non-empty matrix.
    public static func meanPooledEmbedding(of hidden: Tensor) -> [Float] {
        guard hidden.rank == 2, hidden.shape[0] > 0 else { return [] }
        let tokens = hidden.shape[0], d = hidden.shape[1]
        var mean = [Float](repeating: 0, count: d)
        hidden.scalars.withUnsafeBufferPointer { h in
            for t in 0..<tokens { for j in 0..<d { mean[j] += h[t * d + j] } }
        }
        for j in 0..<d { mean[j] /= Float(tokens) }
        let length = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let divisor = max(length, 1e-12)                               // torch's F.normalize
        return mean.map { $0 / divisor }
    }

    // MARK: Embedding table

    /// The word-embedding row of `token`, or nil when `token` is not a single vocabulary entry
    /// (it is looked up exactly: "King" is not "king", and "##s" is a piece of its own).
    public func embeddingRow(for token: String) -> [Float]? {
        guard let id = vocabulary.id(of: token), id < wordEmbeddings.shape[0] else { return nil }
        return wordEmbeddings.row(id)
    }
}

/// Reads BERT's weights by their Hugging Face names, checking each shape, turning PyTorch's
/// [out, in] linear weights into the [in, out] that `Linear` multiplies by.
struct BertWeightReader {
    let file: SafeTensors
    /// The names read so far (a class so that copies of the reader share it).
    final class ReadLog { var names: Set<String> = [] }
    let log = ReadLog()
    /// "" or "bert.", whichever the file's embedding table uses.
    let prefix: String

    init(file: SafeTensors) {
        self.file = file
        let bare = (try? file.entry(named: "embeddings.word_embeddings.weight")) != nil
        let prefixed = (try? file.entry(named: "bert.embeddings.word_embeddings.weight")) != nil
        prefix = !bare && prefixed ? "bert." : ""
    }

    func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        let fullName = prefix + name
        log.names.insert(fullName)
        guard let entry = try? file.entry(named: fullName) else { throw BertEncoderError.missingTensor(name: fullName) }
        guard entry.shape == shape else {
            throw BertEncoderError.tensorShape(name: fullName, expected: shape, actual: entry.shape)
        }
        do {
            return try file.tensor(named: fullName)
        } catch {
            throw BertEncoderError.weights(error)
        }
    }

    /// Parts of a checkpoint that an encoder does not use by design: the pooler and the task
    /// heads of the model it was saved from, and the constant position-id buffer.
    static let ignorablePrefixes = ["pooler.", "cls.", "classifier.", "qa_outputs.", "embeddings.position_ids"]

    /// A config.json saying 1 layer beside 6 layers of weights would otherwise load as a
    /// 1-layer model without a word: every tensor must be read, or be one of the ignorable ones.
    func checkNothingUnused(layerCount: Int) throws {
        let unused = file.tensorNames.filter { name in
            guard !log.names.contains(name) else { return false }
            let bare = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
            return !Self.ignorablePrefixes.contains { bare.hasPrefix($0) }
        }
        guard unused.isEmpty else {
            throw BertEncoderError.unusedTensors(names: unused, layerCount: layerCount)
        }
    }

    func linear(_ name: String, input: Int, output: Int) throws -> Linear {
        let weight = try tensor(name + ".weight", [output, input])     // PyTorch: [out, in]
        let bias = try tensor(name + ".bias", [output])
        return try Linear(weight: try weight.transposed(), bias: bias)   // Linear: [in, out]
    }

    func layerNorm(_ name: String, size: Int, epsilon: Float) throws -> LayerNorm {
        try LayerNorm(gamma: try tensor(name + ".weight", [size]), beta: try tensor(name + ".bias", [size]),
                      epsilon: epsilon)
    }
}
