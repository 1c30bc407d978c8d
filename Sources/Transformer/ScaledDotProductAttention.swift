#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Everything scaled dot-product attention computed on its way to the output, so a lesson or
/// figure can show each stage:
///
///     scores        = Q Kᵀ                      (T_q × T_k)
///     scaledScores  = scores / √d_k
///     maskedScores  = scaledScores, −∞ where the mask hides a key
///     weights       = softmax(maskedScores)     each row sums to 1 (0 for a fully hidden row)
///     output        = weights V                 (T_q × d_v)
///
/// Shapes may carry leading batch or head axes: Q [..., T_q, d_k], K [..., T_k, d_k],
/// V [..., T_k, d_v].
public struct AttentionStages: Sendable {
    /// Q, [..., T_q, d_k].
    public let query: Tensor
    /// K, [..., T_k, d_k].
    public let key: Tensor
    /// V, [..., T_k, d_v].
    public let value: Tensor
    /// Q Kᵀ, [..., T_q, T_k].
    public let scores: Tensor
    /// 1 / √d_k, the factor the scores were multiplied by.
    public let scale: Float
    /// scores · `scale`, [..., T_q, T_k].
    public let scaledScores: Tensor
    /// 1 where a key was hidden from a query; nil when nothing was hidden.
    public let mask: Tensor?
    /// The scaled scores with −∞ where the mask hides a key.
    public let maskedScores: Tensor
    /// softmax of each row of `maskedScores`, [..., T_q, T_k]: each row sums to 1 (0 when every key
    /// is hidden).
    public let weights: Tensor
    /// weights V, [..., T_q, d_v].
    public let output: Tensor
}

/// Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V  (Vaswani et al. 2017, eq. 1), keeping every stage.
///
/// - Parameter query: Q, [T_q, d_k] or with leading batch and head axes.
/// - Parameter key: K, [T_k, d_k], the same leading axes as Q.
/// - Parameter value: V, [T_k, d_v], the same leading axes as Q.
/// - Parameter mask: 1 where query i must not see key j (a causal mask hides the future, a padding
///   mask hides pad tokens), 0 elsewhere; shape [T_q, T_k] or any shape the scores broadcast over.
///   Hidden positions get −∞ before the softmax, so they receive exactly zero weight.
/// - Throws: `TensorError.shapeMismatch` when Q and K differ in d_k, K and V differ in length,
///   or the mask does not fit the scores.
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
                                      mask: Tensor? = nil) throws -> AttentionStages {
    guard query.rank >= 2, key.rank >= 2, value.rank >= 2 else {
        throw TensorError.invalidShape(operation: "attention", shape: query.shape,
                                       reason: "Q, K and V need at least two axes (tokens × features)")
    }
    let keyDimension = query.shape[query.rank - 1]
    guard key.shape[key.rank - 1] == keyDimension else {
        throw TensorError.shapeMismatch(operation: "attention (Q and K must share d_k)", lhs: query.shape, rhs: key.shape)
    }
    guard key.shape[key.rank - 2] == value.shape[value.rank - 2] else {
        throw TensorError.shapeMismatch(operation: "attention (K and V must have one row per key)", lhs: key.shape, rhs: value.shape)
    }
    // Q·Kᵀ without a transposed copy of K (bit-identical to `query.matmul(key.transposed())`).
    let scores = try query.matmulTransposed(key)
    let scale = 1 / Float(keyDimension).squareRoot()
    let scaledScores = scores * scale
    var maskedScores = scaledScores
    if let mask {
        maskedScores = try scaledScores.maskedFill(mask, with: -.infinity)
    }
    let weights = rowSoftmax(maskedScores)
    let output = try weights.matmul(value)
    return AttentionStages(query: query, key: key, value: value, scores: scores, scale: scale,
                           scaledScores: scaledScores, mask: mask, maskedScores: maskedScores,
                           weights: weights, output: output)
}

/// `Tensor.softmax()` over the last axis, bit for bit (the same exp, the same order of sums, the
/// same special cases), written over raw buffers: the array-subscript version spends most of its
/// time on bounds and uniqueness checks, which made it the slowest stage of attention.
func rowSoftmax(_ scores: Tensor) -> Tensor {
    let width = scores.shape.last ?? 1
    guard width > 0 else { return scores }
    let count = scores.count
    let result = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        scores.scalars.withUnsafeBufferPointer { input in
            guard let x = input.baseAddress, let out = buffer.baseAddress else { return }
            for start in stride(from: 0, to: count, by: width) {
                let row = x + start, y = out + start
                var rowMax = -Float.infinity
                var hasNaN = false
                for j in 0..<width {
                    let v = row[j]
                    if v.isNaN { hasNaN = true }
                    if v > rowMax { rowMax = v }
                }
                if hasNaN {
                    y.update(repeating: .nan, count: width)
                } else if rowMax == -.infinity {
                    y.update(repeating: 0, count: width)
                } else if rowMax == .infinity {
                    var winners = 0
                    for j in 0..<width where row[j] == .infinity { winners += 1 }
                    let share = 1 / Float(winners)
                    for j in 0..<width { y[j] = row[j] == .infinity ? share : 0 }
                } else {
                    var total: Float = 0
                    for j in 0..<width {
                        let e = exp(row[j] - rowMax)   // exp(-inf) is exactly 0
                        y[j] = e
                        total += e
                    }
                    for j in 0..<width { y[j] /= total }
                }
            }
        }
        initialized = count
    }
    // The shape is the input's, so the count fits.
    return (try? Tensor(shape: scores.shape, scalars: result)) ?? scores.softmax()
}
