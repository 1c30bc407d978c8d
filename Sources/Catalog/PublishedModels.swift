import Transformer
// The sizes of published Transformers, and their parameters counted from the weight tensors
// their architecture needs. Counting tensor by tensor (rather than quoting a formula) shows
// where the parameters live: for GPT-3 175B about two thirds are in the feed-forward networks
// and one third in attention, while the token table, for all its 50,257 rows, is under 0.4%.

/// One published model: its sizes, its published parameter count, and where they come from.
public struct PublishedModel: Sendable, Equatable, Identifiable {
    /// Which of the three shapes of Transformer the model has.
    public enum Architecture: String, Sendable, CaseIterable, Codable {
        /// BERT: a stack of encoder layers, bidirectional attention.
        case encoderOnly
        /// GPT: a stack of decoder layers without cross-attention, causal attention.
        case decoderOnly
        /// The original Transformer, T5: an encoder stack and a decoder stack with cross-attention.
        case encoderDecoder
    }

    /// A short id such as "gpt2-medium".
    public var name: String
    /// The name as a paper or a slide writes it, e.g. "GPT-2 medium".
    public var displayName: String
    /// "Transformer", "GPT-1", "GPT-2", "GPT-3", "BERT".
    public var family: String
    /// The year of the paper that published the model.
    public var year: Int
    /// Encoder-only, decoder-only or encoder–decoder.
    public var architecture: Architecture
    /// Layers per stack: an encoder-decoder model has this many in the encoder and as many again
    /// in the decoder (the Transformer base is 6 + 6).
    public var layers: Int
    /// d_model.
    public var modelDimension: Int
    /// Attention heads per layer (each of d_model / heads dimensions).
    public var heads: Int
    /// d_ff, the hidden width of the feed-forward network.
    public var feedForwardDimension: Int
    /// Rows of the token table.
    public var vocabularySize: Int
    /// The longest input; with learned positions, the rows of the position table. Nil when the
    /// positions are sinusoidal and the paper sets no limit (no table either way).
    public var contextLength: Int?
    /// Learned (a table of `contextLength` rows) or sinusoidal (no weights).
    public var positions: PositionKind
    /// The output layer reuses the token table (counted once), as in all the models listed.
    public var tiedOutput: Bool
    /// Pre-norm stacks end with one more LayerNorm (GPT-2, GPT-3); post-norm ones do not.
    public var normPlacement: NormPlacement
    /// The feed-forward network's nonlinearity (ReLU or GELU).
    public var activation: Activation
    /// Rows of the segment (token type) table: 2 for BERT (sentence A, sentence B), else 0.
    public var tokenTypes: Int
    /// A LayerNorm right after the embeddings are summed (BERT).
    public var embeddingNorm: Bool
    /// BERT's pooler, a d×d layer with bias applied to [CLS]'s final vector for the
    /// next-sentence and classification heads. Counted: the published BERT checkpoints carry it.
    public var pooler: Bool
    /// The parameter count the source gives, e.g. 117_000_000.
    public var publishedParameters: Int
    /// The same as it is usually written, e.g. "117M".
    public var publishedLabel: String
    /// What the model was pre-trained on, in words.
    public var trainingData: String
    /// Where the sizes and the published count come from.
    public var source: String
    /// Why the count computed from the tensors differs from the published one (or that it agrees).
    public var notes: String

    /// `name`, so a list of models can be identified by it.
    public var id: String { name }

    /// A model from every field (see the properties for what each means).
    public init(name: String, displayName: String, family: String, year: Int, architecture: Architecture,
                layers: Int, modelDimension: Int, heads: Int, feedForwardDimension: Int, vocabularySize: Int,
                contextLength: Int?, positions: PositionKind, tiedOutput: Bool, normPlacement: NormPlacement,
                activation: Activation, tokenTypes: Int = 0, embeddingNorm: Bool = false, pooler: Bool = false,
                publishedParameters: Int, publishedLabel: String, trainingData: String, source: String,
                notes: String) {
        self.name = name
        self.displayName = displayName
        self.family = family
        self.year = year
        self.architecture = architecture
        self.layers = layers
        self.modelDimension = modelDimension
        self.heads = heads
        self.feedForwardDimension = feedForwardDimension
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.positions = positions
        self.tiedOutput = tiedOutput
        self.normPlacement = normPlacement
        self.activation = activation
        self.tokenTypes = tokenTypes
        self.embeddingNorm = embeddingNorm
        self.pooler = pooler
        self.publishedParameters = publishedParameters
        self.publishedLabel = publishedLabel
        self.trainingData = trainingData
        self.source = source
        self.notes = notes
    }

    /// The architecture of this module's models for `configuration`: what `EncoderOnlyModel`,
    /// `DecoderOnlyModel` or `EncoderDecoderModel` would build, so `weightShapes(of:)` lists
    /// exactly their `parameters` (no token types, embedding norm or pooler; no published count).
    public init(configuration c: TransformerConfiguration, architecture: Architecture, name: String = "custom") {
        self.init(name: name, displayName: name, family: "this module", year: 0, architecture: architecture,
                  layers: c.layers, modelDimension: c.modelDimension, heads: c.heads,
                  feedForwardDimension: c.feedForwardDimension, vocabularySize: c.vocabularySize,
                  contextLength: c.maxLength, positions: c.positions, tiedOutput: c.tiedOutput,
                  normPlacement: c.normPlacement, activation: c.activation, publishedParameters: 0,
                  publishedLabel: "", trainingData: "", source: "TransformerConfiguration", notes: "")
    }

    /// The count of `weightShapes(of: self)`.
    public var computedParameters: Int { parameterCount(of: self) }

    /// The model with this short name in `catalog`.
    public static func named(_ name: String) -> PublishedModel? {
        catalog.first { $0.name == name }
    }
}

/// Every weight tensor of `model`'s architecture with its shape, named as this module names its
/// own parameters ("tokenEmbedding.weight", "decoder.layers.0.selfAttention.query.weight", …;
/// a Linear weight is [in, out]), in the order the models list them:
///
/// - the token table [vocab, d]; the position table [context, d] when positions are learned;
///   BERT's token-type table [2, d] and embedding LayerNorm (γ, β);
/// - per encoder layer: W_Q, W_K, W_V, W_O [d, d] with biases [d]; a LayerNorm; the
///   feed-forward W_1 [d, ff], b_1 [ff], W_2 [ff, d], b_2 [d]; a LayerNorm;
/// - per decoder layer: the same, plus cross-attention and its LayerNorm when there is an
///   encoder (three LayerNorms);
/// - a final LayerNorm after each pre-norm stack (GPT-2, GPT-3);
/// - BERT's pooler [d, d] + [d];
/// - an output projection [d, vocab] only when the output is not tied to the token table (and
///   never for an encoder-only model, whose output is hidden states).
///
/// Not included: BERT's pre-training heads (the masked-LM transform, its LayerNorm and output
/// bias, and the next-sentence classifier), which are dropped after pre-training.
public func weightShapes(of model: PublishedModel) -> [(name: String, shape: [Int])] {
    let d = model.modelDimension, ff = model.feedForwardDimension, v = model.vocabularySize
    var shapes: [(name: String, shape: [Int])] = [("tokenEmbedding.weight", [v, d])]
    if model.positions == .learned, let context = model.contextLength {
        shapes.append(("positionEmbedding.weight", [context, d]))
    }
    if model.tokenTypes > 0 {
        shapes.append(("tokenTypeEmbedding.weight", [model.tokenTypes, d]))
    }
    if model.embeddingNorm {
        shapes += layerNormShapes("embeddingNorm", d)
    }

    func encoderStack() -> [(name: String, shape: [Int])] {
        var list: [(name: String, shape: [Int])] = []
        for layer in 0..<max(model.layers, 0) {
            let p = "encoder.layers.\(layer)"
            list += attentionShapes("\(p).attention", d) + layerNormShapes("\(p).attentionNorm", d)
                + feedForwardShapes("\(p).feedForward", d, ff) + layerNormShapes("\(p).feedForwardNorm", d)
        }
        if model.normPlacement == .pre { list += layerNormShapes("encoder.finalNorm", d) }
        return list
    }
    func decoderStack(crossAttention: Bool) -> [(name: String, shape: [Int])] {
        var list: [(name: String, shape: [Int])] = []
        for layer in 0..<max(model.layers, 0) {
            let p = "decoder.layers.\(layer)"
            list += attentionShapes("\(p).selfAttention", d) + layerNormShapes("\(p).selfAttentionNorm", d)
            if crossAttention {
                list += attentionShapes("\(p).crossAttention", d) + layerNormShapes("\(p).crossAttentionNorm", d)
            }
            list += feedForwardShapes("\(p).feedForward", d, ff) + layerNormShapes("\(p).feedForwardNorm", d)
        }
        if model.normPlacement == .pre { list += layerNormShapes("decoder.finalNorm", d) }
        return list
    }

    switch model.architecture {
    case .encoderOnly:
        shapes += encoderStack()
    case .decoderOnly:
        shapes += decoderStack(crossAttention: false)
    case .encoderDecoder:
        shapes += encoderStack() + decoderStack(crossAttention: true)
    }
    if model.pooler {
        shapes += [("pooler.weight", [d, d]), ("pooler.bias", [d])]
    }
    if !model.tiedOutput, model.architecture != .encoderOnly {
        shapes.append(("outputProjection.weight", [d, v]))
    }
    return shapes
}

/// The weight tensors of the model this module would build for `configuration`.
public func weightShapes(of configuration: TransformerConfiguration,
                         architecture: PublishedModel.Architecture) -> [(name: String, shape: [Int])] {
    weightShapes(of: PublishedModel(configuration: configuration, architecture: architecture))
}

/// The sum over `weightShapes(of: model)` of the product of each shape.
public func parameterCount(of model: PublishedModel) -> Int {
    weightShapes(of: model).reduce(0) { $0 + $1.shape.reduce(1, *) }
}

private func attentionShapes(_ prefix: String, _ d: Int) -> [(name: String, shape: [Int])] {
    ["query", "key", "value", "output"].flatMap { projection in
        [("\(prefix).\(projection).weight", [d, d]), ("\(prefix).\(projection).bias", [d])]
    }
}

private func feedForwardShapes(_ prefix: String, _ d: Int, _ ff: Int) -> [(name: String, shape: [Int])] {
    [("\(prefix).expand.weight", [d, ff]), ("\(prefix).expand.bias", [ff]),
     ("\(prefix).contract.weight", [ff, d]), ("\(prefix).contract.bias", [d])]
}

private func layerNormShapes(_ prefix: String, _ d: Int) -> [(name: String, shape: [Int])] {
    [("\(prefix).gamma", [d]), ("\(prefix).beta", [d])]
}

// MARK: The catalog

extension PublishedModel {
    /// Vaswani et al. 2017, Table 3, "base": 6 encoder and 6 decoder layers.
    public static let transformerBase = PublishedModel(
        name: "transformer-base", displayName: "Transformer (base)", family: "Transformer", year: 2017,
        architecture: .encoderDecoder, layers: 6, modelDimension: 512, heads: 8, feedForwardDimension: 2048,
        vocabularySize: 37_000, contextLength: nil, positions: .sinusoidal, tiedOutput: true,
        normPlacement: .post, activation: .relu, publishedParameters: 65_000_000, publishedLabel: "65M",
        trainingData: "WMT 2014 English–German, about 4.5 million sentence pairs",
        source: "Vaswani et al. 2017, \"Attention Is All You Need\", Table 3 and §5.1 "
            + "(a shared source–target vocabulary of about 37,000 byte-pair tokens)",
        notes: "The tensors give 63.1M with one 37,000-row table shared by encoder input, decoder input and "
            + "output. The paper says only \"about 37000\" tokens; the 65M would need about 40,700 in this "
            + "layout, so the gap is the exact vocabulary (and details the paper leaves open, such as biases "
            + "in the attention projections, worth 37K here).")

    /// Radford et al. 2018: 12 decoder layers, post-norm like the original Transformer.
    public static let gpt1 = PublishedModel(
        name: "gpt-1", displayName: "GPT-1", family: "GPT-1", year: 2018, architecture: .decoderOnly,
        layers: 12, modelDimension: 768, heads: 12, feedForwardDimension: 3072, vocabularySize: 40_478,
        contextLength: 512, positions: .learned, tiedOutput: true, normPlacement: .post, activation: .gelu,
        publishedParameters: 117_000_000, publishedLabel: "117M",
        trainingData: "BooksCorpus, about 7,000 unpublished books (about 5 GB)",
        source: "Radford et al. 2018, \"Improving Language Understanding by Generative Pre-Training\", §4.1 "
            + "(40,000 byte-pair merges; the released vocabulary has 40,478 tokens)",
        notes: "The tensors give 116.5M, which rounds to the published 117M.")

    private static func gpt2(_ size: String, _ layers: Int, _ d: Int, published: Int, label: String,
                             restated: String) -> PublishedModel {
        PublishedModel(
            name: "gpt2-\(size)", displayName: "GPT-2 \(size)", family: "GPT-2", year: 2019,
            architecture: .decoderOnly, layers: layers, modelDimension: d, heads: d / 64,
            feedForwardDimension: 4 * d, vocabularySize: 50_257, contextLength: 1024, positions: .learned,
            tiedOutput: true, normPlacement: .pre, activation: .gelu, publishedParameters: published,
            publishedLabel: label, trainingData: "WebText, about 40 GB of text from 8 million web pages linked from Reddit",
            source: "Radford et al. 2019, \"Language Models are Unsupervised Multitask Learners\", Table 2 "
                + "(heads of 64 dimensions as in the released models)",
            notes: "The paper's \(label) was miscounted: OpenAI later wrote that its original parameter counts "
                + "were wrong and restated this model as \(restated) (openai/gpt-2 README), which is what the "
                + "tensors give.")
    }

    /// GPT-2 small (Radford et al. 2019): 12 layers, d_model 768; published as 117M, restated as 124M.
    public static let gpt2Small = gpt2("small", 12, 768, published: 117_000_000, label: "117M", restated: "124M")
    /// GPT-2 medium: 24 layers, d_model 1024; published as 345M, restated as 355M.
    public static let gpt2Medium = gpt2("medium", 24, 1024, published: 345_000_000, label: "345M", restated: "355M")
    /// GPT-2 large: 36 layers, d_model 1280; published as 762M, restated as 774M.
    public static let gpt2Large = gpt2("large", 36, 1280, published: 762_000_000, label: "762M", restated: "774M")
    /// GPT-2 XL: 48 layers, d_model 1600; published as 1542M, restated as 1558M.
    public static let gpt2XL = gpt2("xl", 48, 1600, published: 1_542_000_000, label: "1542M", restated: "1558M")

    private static func gpt3(_ name: String, _ displayName: String, _ layers: Int, _ d: Int, _ heads: Int,
                             published: Int, label: String, notes: String) -> PublishedModel {
        PublishedModel(
            name: name, displayName: displayName, family: "GPT-3", year: 2020, architecture: .decoderOnly,
            layers: layers, modelDimension: d, heads: heads, feedForwardDimension: 4 * d, vocabularySize: 50_257,
            contextLength: 2048, positions: .learned, tiedOutput: true, normPlacement: .pre, activation: .gelu,
            publishedParameters: published, publishedLabel: label,
            trainingData: "About 300 billion tokens from filtered Common Crawl, WebText2, two book corpora and "
                + "English Wikipedia",
            source: "Brown et al. 2020, \"Language Models are Few-Shot Learners\", Table 2.1 (d_ff = 4 · d_model, "
                + "context 2048, GPT-2's vocabulary); the alternating sparse attention adds no weights",
            notes: notes)
    }

    /// GPT-3 Small (Brown et al. 2020, Table 2.1): 12 layers, d_model 768, 12 heads, 125M.
    public static let gpt3Small = gpt3("gpt3-small", "GPT-3 Small", 12, 768, 12, published: 125_000_000,
                                       label: "125M", notes: "The tensors give 125.2M, which rounds to the table's 125M.")
    /// GPT-3 Medium: 24 layers, d_model 1024, 16 heads, 350M.
    public static let gpt3Medium = gpt3(
        "gpt3-medium", "GPT-3 Medium", 24, 1024, 16, published: 350_000_000, label: "350M",
        notes: "The tensors give 355.9M, 1.7% above the table's 350M; the paper does not say how it counted. "
            + "It is GPT-2 medium's shape with a 2,048-row position table, and GPT-2 medium is 355M.")
    /// GPT-3 Large: 24 layers, d_model 1536, 16 heads, 760M.
    public static let gpt3Large = gpt3("gpt3-large", "GPT-3 Large", 24, 1536, 16, published: 760_000_000,
                                       label: "760M", notes: "The tensors give 760.3M, which rounds to the table's 760M.")
    /// GPT-3 XL: 24 layers, d_model 2048, 24 heads, 1.3B.
    public static let gpt3XL = gpt3("gpt3-xl", "GPT-3 XL", 24, 2048, 24, published: 1_300_000_000,
                                    label: "1.3B", notes: "The tensors give 1.32B, which rounds to the table's 1.3B.")
    /// GPT-3 2.7B: 32 layers, d_model 2560, 32 heads.
    public static let gpt3_2_7B = gpt3("gpt3-2.7b", "GPT-3 2.7B", 32, 2560, 32, published: 2_700_000_000,
                                       label: "2.7B", notes: "The tensors give 2.65B, which rounds to the table's 2.7B.")
    /// GPT-3 6.7B: 32 layers, d_model 4096, 32 heads.
    public static let gpt3_6_7B = gpt3("gpt3-6.7b", "GPT-3 6.7B", 32, 4096, 32, published: 6_700_000_000,
                                       label: "6.7B", notes: "The tensors give 6.66B, which rounds to the table's 6.7B.")
    /// GPT-3 13B: 40 layers, d_model 5140 as Table 2.1 prints it (most likely 5120), 40 heads.
    public static let gpt3_13B = gpt3(
        "gpt3-13b", "GPT-3 13B", 40, 5140, 40, published: 13_000_000_000, label: "13B",
        notes: "Table 2.1 gives d_model 5140, kept here, which 40 heads cannot share evenly (5140 / 40 = 128.5); "
            + "with its d_head of 128 it is most likely a misprint for 5120. The tensors give 12.95B with 5140 "
            + "and 12.85B with 5120; both round to 13B.")
    /// GPT-3 175B: 96 layers, d_model 12288, 96 heads.
    public static let gpt3_175B = gpt3("gpt3-175b", "GPT-3 175B", 96, 12288, 96, published: 175_000_000_000,
                                       label: "175B", notes: "The tensors give 174.6B, which rounds to the table's 175B.")

    private static func bert(_ size: String, _ layers: Int, _ d: Int, _ heads: Int, published: Int, label: String,
                             notes: String) -> PublishedModel {
        PublishedModel(
            name: "bert-\(size)", displayName: "BERT-\(size)", family: "BERT", year: 2018, architecture: .encoderOnly,
            layers: layers, modelDimension: d, heads: heads, feedForwardDimension: 4 * d, vocabularySize: 30_522,
            contextLength: 512, positions: .learned, tiedOutput: true, normPlacement: .post, activation: .gelu,
            tokenTypes: 2, embeddingNorm: true, pooler: true, publishedParameters: published, publishedLabel: label,
            trainingData: "BooksCorpus (800M words) and English Wikipedia (2,500M words)",
            source: "Devlin et al. 2019, \"BERT: Pre-training of Deep Bidirectional Transformers for Language "
                + "Understanding\", §3 (sizes and counts); the uncased WordPiece vocabulary has 30,522 tokens",
            notes: notes)
    }

    /// BERT-base (Devlin et al. 2019): 12 layers, d_model 768, 12 heads, 110M.
    public static let bertBase = bert(
        "base", 12, 768, 12, published: 110_000_000, label: "110M",
        notes: "The tensors give 109.5M with the pooler (590K) and 108.9M without; both round to 110M. "
            + "The pre-training heads (a further 0.62M) are not counted.")
    /// BERT-large: 24 layers, d_model 1024, 16 heads, 340M.
    public static let bertLarge = bert(
        "large", 24, 1024, 16, published: 340_000_000, label: "340M",
        notes: "The tensors give 335.1M with the pooler and 334.1M without, about 1.5% below the published 340M; "
            + "even the pre-training heads (1.1M) do not close the gap, and the paper does not say how it counted.")

    /// Every model above, oldest first, each family from small to large.
    public static let catalog: [PublishedModel] = [
        transformerBase, gpt1, bertBase, bertLarge, gpt2Small, gpt2Medium, gpt2Large, gpt2XL,
        gpt3Small, gpt3Medium, gpt3Large, gpt3XL, gpt3_2_7B, gpt3_6_7B, gpt3_13B, gpt3_175B,
    ]
}
