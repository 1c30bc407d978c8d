#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// Rotary position embedding, RoPE (Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary
/// Position Embedding", §3.2–3.4), as Llama uses it.
///
/// The sinusoidal and learned encodings add a position vector to the input once, at the
/// bottom. RoPE instead turns every query and key, inside each attention layer, by an angle
/// that grows with its position. A head's d_h features form d_h/2 pairs; at position m, pair i
/// is rotated by the angle m·θ_i, with the frequencies of the sinusoidal encoding:
///
///     θ_i = base^(−2i / d_h)                    i = 0 … d_h/2 − 1  (base 10000 in the paper)
///     (x₂ᵢ, x₂ᵢ₊₁) → (x₂ᵢ·cos mθᵢ − x₂ᵢ₊₁·sin mθᵢ,  x₂ᵢ·sin mθᵢ + x₂ᵢ₊₁·cos mθᵢ)
///
/// Why a rotation: it keeps every vector's length, and rotating q by mθ and k by nθ changes
/// their dot product only through the difference: q_m · k_n = q · R((n − m)θ) k. So the attention
/// score of two tokens depends on how far apart they are, not on where they sit, although each
/// vector was only told its own position. Values are not rotated.
///
/// **Pairing.** The pairs are adjacent features (2i, 2i+1), as in the paper and in ggml's
/// "normal" rope: that is what the Llama weights in a GGUF file expect (llama.cpp's converter
/// permutes the rows of W_Q and W_K of a Hugging Face checkpoint, whose `rotate_half` pairs
/// feature i with i + d_h/2, so that adjacent pairs compute the same thing).
public struct RotaryPositionEmbedding: Sendable, Equatable {
    /// d_h, the features of one head (even).
    public let headDimension: Int
    /// The base of the frequencies (10000 in the paper, 100000 in SmolLM2).
    public let base: Double

    /// Throws `TransformerError.invalidConfiguration` unless d_h is positive and even and the
    /// base is a finite number above 1.
    public init(headDimension: Int, base: Double = 10_000) throws {
        guard headDimension > 0, headDimension % 2 == 0 else {
            throw TransformerError.invalidConfiguration(
                field: "RotaryPositionEmbedding.headDimension",
                reason: "must be positive and even (the features are rotated in pairs), not \(headDimension)")
        }
        guard base > 1, base.isFinite else {
            throw TransformerError.invalidConfiguration(
                field: "RotaryPositionEmbedding.base", reason: "must be a finite number above 1, not \(base)")
        }
        self.headDimension = headDimension
        self.base = base
    }

    /// θ_i = base^(−2i/d_h) for the d_h/2 pairs, fastest first (θ_0 = 1 radian per position).
    public var frequencies: [Double] {
        (0..<(headDimension / 2)).map { pow(base, -2 * Double($0) / Double(headDimension)) }
    }

    /// cos(m·θ_i) and sin(m·θ_i) for every pair at position m, computed in Double and rounded
    /// once, so large positions keep their accuracy.
    public func angles(position: Int) -> (cos: [Float], sin: [Float]) {
        let m = Double(position)
        return (frequencies.map { Float(cos(m * $0)) }, frequencies.map { Float(sin(m * $0)) })
    }

    /// Rotates x [..., T, d_h] (one head's queries or keys, or all heads' at once as
    /// [..., h, T, d_h]): row t is turned as position `startPosition + t`. Same shape out.
    /// Throws `TensorError.invalidShape` when the last axis is not d_h, and
    /// `TransformerError.invalidInput` for a negative start position.
    public func callAsFunction(_ x: Tensor, startPosition: Int = 0) throws -> Tensor {
        guard x.rank >= 2, x.shape[x.rank - 1] == headDimension else {
            throw TensorError.invalidShape(
                operation: "RotaryPositionEmbedding", shape: x.shape,
                reason: "needs [..., T, \(headDimension)]: positions, then one head's \(headDimension) features")
        }
        guard startPosition >= 0 else {
            throw TransformerError.invalidInput(operation: "RotaryPositionEmbedding",
                                                reason: "the start position is \(startPosition); it must be ≥ 0")
        }
        let positions = x.shape[x.rank - 2], dh = headDimension
        let table = (0..<positions).map { angles(position: startPosition + $0) }   // T × (cos, sin)
        var rotated = x.scalars
        for start in stride(from: 0, to: x.count, by: dh) {          // one position of one head
            let (cos, sin) = table[(start / dh) % positions]
            for i in 0..<(dh / 2) {
                let a = x.scalars[start + 2 * i], b = x.scalars[start + 2 * i + 1]
                rotated[start + 2 * i] = a * cos[i] - b * sin[i]
                rotated[start + 2 * i + 1] = a * sin[i] + b * cos[i]
            }
        }
        return try Tensor(shape: x.shape, scalars: rotated)           // (..., T, d_h)
    }
}
