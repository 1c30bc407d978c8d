import TensorCore

/// Anything that holds weights: every layer, stack and model of this module.
///
/// `parameters` lists each weight tensor once with a dotted name that says where it lives,
/// e.g. "encoder.layers.0.attention.query.weight" (PyTorch's `named_parameters()` convention,
/// with the names of this module's properties). `parameterCount` adds up the sizes of exactly
/// those tensors, so it is a count of real weights, not a formula.
public protocol HasParameters {
    var parameters: [(name: String, tensor: Tensor)] { get }
}

extension HasParameters {
    /// The number of scalars in `parameters`.
    public var parameterCount: Int {
        parameters.reduce(0) { $0 + $1.tensor.count }
    }
}

extension Linear: HasParameters {}
extension LayerNorm: HasParameters {}
extension Embedding: HasParameters {}
extension LearnedPositionalEncoding: HasParameters {}
extension MultiHeadAttention: HasParameters {}
extension FeedForward: HasParameters {}
extension EncoderLayer: HasParameters {}
extension DecoderLayer: HasParameters {}
extension EncoderStack: HasParameters {}
extension DecoderStack: HasParameters {}
extension EncoderOnlyModel: HasParameters {}
extension DecoderOnlyModel: HasParameters {}
extension EncoderDecoderModel: HasParameters {}
extension RMSNorm: HasParameters {}
extension SwiGLUFeedForward: HasParameters {}
extension LlamaDecoderLayer: HasParameters {}
extension LlamaReferenceModel: HasParameters {}

/// Prefixes every parameter name with `prefix` and a dot: "query.weight" → "attention.query.weight".
func prefixed(_ prefix: String, _ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    parameters.map { (name: "\(prefix).\($0.name)", tensor: $0.tensor) }
}
