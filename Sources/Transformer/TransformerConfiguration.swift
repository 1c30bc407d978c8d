/// The sizes and choices that define a Transformer, shared by the three architectures.
///
/// The original base model (Vaswani et al. 2017, Table 3) would be
/// `layers: 6, modelDimension: 512, heads: 8, feedForwardDimension: 2048`, post-norm, ReLU,
/// sinusoidal positions, tied output. The presets here are small enough to print every matrix.
public struct TransformerConfiguration: Sendable, Equatable, Codable {
    /// Layers per stack (an encoder-decoder model has this many in each).
    public var layers: Int
    /// d_model: the length of every token's vector between layers.
    public var modelDimension: Int
    /// h: attention heads per layer; must divide modelDimension.
    public var heads: Int
    /// The hidden width of the feed-forward network (usually 4 · d_model).
    public var feedForwardDimension: Int
    /// Token ids are 0..<vocabularySize (one vocabulary for source and target).
    public var vocabularySize: Int
    /// The longest sequence a learned position table covers. Sinusoidal positions have no limit.
    public var maxLength: Int
    /// The non-linearity of the feed-forward networks.
    public var activation: Activation
    /// Whether each layer norm comes before its sublayer (pre) or after the residual sum (post).
    public var normPlacement: NormPlacement
    /// Sinusoidal or learned position vectors, added to the token embeddings.
    public var positions: PositionKind
    /// When true the output projection reuses the token embedding table (logits = h Eᵀ), as in
    /// the original Transformer (§3.4) and GPT-2; when false it has its own [d, vocab] weight.
    public var tiedOutput: Bool

    /// d_h = modelDimension / heads.
    public var headDimension: Int { heads > 0 ? modelDimension / heads : 0 }

    /// A configuration as given; the models check it (`TransformerError.invalidConfiguration`) when
    /// built.
    public init(layers: Int, modelDimension: Int, heads: Int, feedForwardDimension: Int,
                vocabularySize: Int, maxLength: Int, activation: Activation = .gelu,
                normPlacement: NormPlacement = .pre, positions: PositionKind = .learned,
                tiedOutput: Bool = true) {
        self.layers = layers
        self.modelDimension = modelDimension
        self.heads = heads
        self.feedForwardDimension = feedForwardDimension
        self.vocabularySize = vocabularySize
        self.maxLength = maxLength
        self.activation = activation
        self.normPlacement = normPlacement
        self.positions = positions
        self.tiedOutput = tiedOutput
    }

    /// Throws `TransformerError.invalidConfiguration` naming the first setting that cannot work:
    /// a size that is not positive, or heads that do not divide modelDimension.
    public func validate() throws {
        let sizes: [(String, Int)] = [
            ("layers", layers), ("modelDimension", modelDimension), ("heads", heads),
            ("feedForwardDimension", feedForwardDimension), ("vocabularySize", vocabularySize),
            ("maxLength", maxLength),
        ]
        for (name, value) in sizes where value <= 0 {
            throw TransformerError.invalidConfiguration(
                field: "TransformerConfiguration.\(name)", reason: "must be positive, not \(value)")
        }
        guard modelDimension % heads == 0 else {
            throw TransformerError.invalidConfiguration(
                field: "TransformerConfiguration.heads",
                reason: "modelDimension \(modelDimension) is not divisible by \(heads) heads "
                    + "(each head gets modelDimension / heads features)")
        }
    }

    // MARK: Presets

    /// 2 layers, d_model 16, 4 heads of 4, feed-forward 64, 32 tokens, up to 32 positions;
    /// pre-norm, GELU, learned positions, tied output (GPT-2's choices).
    public static let tiny = TransformerConfiguration(
        layers: 2, modelDimension: 16, heads: 4, feedForwardDimension: 64, vocabularySize: 32,
        maxLength: 32, activation: .gelu, normPlacement: .pre, positions: .learned, tiedOutput: true)

    /// `tiny` with the original Transformer's choices: post-norm, ReLU, sinusoidal positions.
    public static let tinyOriginal = TransformerConfiguration(
        layers: 2, modelDimension: 16, heads: 4, feedForwardDimension: 64, vocabularySize: 32,
        maxLength: 32, activation: .relu, normPlacement: .post, positions: .sinusoidal, tiedOutput: true)

    /// `tiny` with BERT's choices: post-norm, GELU, learned positions.
    public static let tinyBERT = TransformerConfiguration(
        layers: 2, modelDimension: 16, heads: 4, feedForwardDimension: 64, vocabularySize: 32,
        maxLength: 32, activation: .gelu, normPlacement: .post, positions: .learned, tiedOutput: true)

    /// `tiny` with GPT-2's choices (the same as `tiny`).
    public static let tinyGPT = tiny

    /// 4 layers, d_model 64, 4 heads of 16, feed-forward 256, 256 tokens, up to 128 positions;
    /// pre-norm, GELU, learned positions, tied output. Still prints, but no longer on one screen.
    public static let small = TransformerConfiguration(
        layers: 4, modelDimension: 64, heads: 4, feedForwardDimension: 256, vocabularySize: 256,
        maxLength: 128, activation: .gelu, normPlacement: .pre, positions: .learned, tiedOutput: true)
}
