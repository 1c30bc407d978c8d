import TensorCore

// A Transformer is N identical layers in a row (N = 6 in the paper). These two types hold one
// such stack each, plus the final layer norm that pre-norm stacks need: with pre-norm the
// residual stream x is never normalised inside a layer, so it is normalised once at the end
// (GPT-2 §2.3: "an additional layer normalization was added after the final self-attention block").

/// What an encoder stack produced.
public struct EncoderStackOutput: Sendable {
    /// The last layer's output, after the final layer norm for pre-norm stacks: [..., T, d].
    public let output: Tensor
    /// Every layer's output and attention, first layer first.
    public let layers: [EncoderLayerOutput]
}

/// N encoder layers and, for pre-norm, a final layer norm.
public struct EncoderStack: Sendable {
    /// The layers in order; `layers[0]` is layer 0.
    public let layers: [EncoderLayer]
    /// Present exactly for pre-norm stacks.
    public let finalNorm: LayerNorm?

    /// Random layers for `configuration` (which should be valid; bad sizes throw
    /// `TransformerError.invalidConfiguration`).
    public init(configuration c: TransformerConfiguration, using generator: inout SeededGenerator) throws {
        var layers: [EncoderLayer] = []
        for _ in 0..<max(c.layers, 0) {
            layers.append(try EncoderLayer(modelDimension: c.modelDimension, heads: c.heads,
                                           feedForwardDimension: c.feedForwardDimension,
                                           activation: c.activation, normPlacement: c.normPlacement,
                                           using: &generator))
        }
        self.layers = layers
        finalNorm = c.normPlacement == .pre ? LayerNorm(size: c.modelDimension) : nil
    }

    /// Given layers and final norm.
    public init(layers: [EncoderLayer], finalNorm: LayerNorm?) {
        self.layers = layers
        self.finalNorm = finalNorm
    }

    /// x [T, d] or [B, T, d] through every layer. `mask`: 1 = hidden (usually padding).
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) throws -> EncoderStackOutput {
        var h = x                                     // (B, T, d)
        var outputs: [EncoderLayerOutput] = []
        for layer in layers {
            let result = try layer(h, mask: mask)
            outputs.append(result)
            h = result.output                         // (B, T, d)
        }
        if let finalNorm { h = try finalNorm(h) }     // (B, T, d)
        return EncoderStackOutput(output: h, layers: outputs)
    }

    /// "layers.0.…", "layers.1.…", …, "finalNorm.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { index, layer in prefixed("layers.\(index)", layer.parameters) }
            + (finalNorm.map { prefixed("finalNorm", $0.parameters) } ?? [])
    }
}

/// What a decoder stack produced.
public struct DecoderStackOutput: Sendable {
    /// The last layer's output, after the final layer norm for pre-norm stacks: [..., T, d].
    public let output: Tensor
    /// Every layer's output and attention, first layer first.
    public let layers: [DecoderLayerOutput]
}

/// N decoder layers (with or without cross-attention) and, for pre-norm, a final layer norm.
public struct DecoderStack: Sendable {
    /// The layers in order; `layers[0]` is layer 0.
    public let layers: [DecoderLayer]
    /// Present exactly for pre-norm stacks.
    public let finalNorm: LayerNorm?

    /// Random layers for `configuration`; `crossAttention: false` builds GPT-style layers.
    public init(configuration c: TransformerConfiguration, crossAttention: Bool,
                using generator: inout SeededGenerator) throws {
        var layers: [DecoderLayer] = []
        for _ in 0..<max(c.layers, 0) {
            layers.append(try DecoderLayer(modelDimension: c.modelDimension, heads: c.heads,
                                           feedForwardDimension: c.feedForwardDimension,
                                           activation: c.activation, normPlacement: c.normPlacement,
                                           crossAttention: crossAttention, using: &generator))
        }
        self.layers = layers
        finalNorm = c.normPlacement == .pre ? LayerNorm(size: c.modelDimension) : nil
    }

    /// Given layers and final norm.
    public init(layers: [DecoderLayer], finalNorm: LayerNorm?) {
        self.layers = layers
        self.finalNorm = finalNorm
    }

    /// x [T, d] or [B, T, d] through every layer; see `DecoderLayer` for memory and the masks.
    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, selfMask: Tensor? = nil,
                               memoryMask: Tensor? = nil) throws -> DecoderStackOutput {
        var h = x                                     // (B, T, d)
        var outputs: [DecoderLayerOutput] = []
        for layer in layers {
            let result = try layer(h, memory: memory, selfMask: selfMask, memoryMask: memoryMask)
            outputs.append(result)
            h = result.output                         // (B, T, d)
        }
        if let finalNorm { h = try finalNorm(h) }     // (B, T, d)
        return DecoderStackOutput(output: h, layers: outputs)
    }

    /// "layers.0.…", "layers.1.…", …, "finalNorm.…".
    public var parameters: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { index, layer in prefixed("layers.\(index)", layer.parameters) }
            + (finalNorm.map { prefixed("finalNorm", $0.parameters) } ?? [])
    }
}
