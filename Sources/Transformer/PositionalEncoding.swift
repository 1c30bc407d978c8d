#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

// Attention treats its input as a set: permute the tokens and the outputs are permuted the
// same way, nothing else changes. Word order must therefore be added to the input. Two ways:

/// The sinusoidal positional encoding of Vaswani et al. 2017, §3.5: [length, dimension] with
///
///     PE(pos, 2i)   = sin(pos / 10000^(2i / d))
///     PE(pos, 2i+1) = cos(pos / 10000^(2i / d))
///
/// Each pair of dimensions (2i, 2i+1) is a point on the unit circle turning at its own
/// frequency ω_i = 1 / 10000^(2i/d), from one turn per 2π positions (i = 0) down to one per
/// 10000·2π. Moving k positions on rotates every pair by the angle k·ω_i, a linear map that
/// does not depend on pos, which is why the paper expected relative positions to be easy to
/// attend to. An odd `dimension` ends with a lone sine column. Negative sizes count as 0.
/// Computed in Double and rounded once, so large positions keep their accuracy.
public func sinusoidalPositionalEncoding(length: Int, dimension: Int) -> Tensor {
    let length = max(length, 0), dimension = max(dimension, 0)
    var encoding = Tensor.zeros([length, dimension])   // (T, d)
    for pair in 0..<((dimension + 1) / 2) {
        let frequency = 1 / pow(10000, Double(2 * pair) / Double(dimension))   // ω_i
        for position in 0..<length {
            let angle = Double(position) * frequency
            encoding[position, 2 * pair] = Float(sin(angle))
            if 2 * pair + 1 < dimension {
                encoding[position, 2 * pair + 1] = Float(cos(angle))
            }
        }
    }
    return encoding
}

/// Learned positions, as in BERT and GPT: one more embedding table, with one row per position
/// 0..<maxLength, trained like every other weight. It can learn whatever the data needs but
/// knows nothing beyond maxLength, so a longer sequence is an error (the sinusoidal formula has
/// no such limit).
public struct LearnedPositionalEncoding: Sendable {
    /// The table: row p is the vector added at position p. [maxLength, dimension].
    public let table: Embedding

    /// The number of positions the table covers (rows); positions run from 0 to maxLength − 1.
    public var maxLength: Int { table.vocabularySize }
    /// The length of each position vector, d_model.
    public var dimension: Int { table.dimension }

    /// A random table with entries from N(0, 1), about the size of the sinusoidal entries and of
    /// the √d-scaled token embeddings they are added to. Sizes must be positive.
    public init(maxLength: Int, dimension: Int, using generator: inout SeededGenerator) {
        table = Embedding(vocabularySize: maxLength, dimension: dimension, standardDeviation: 1,
                          using: &generator)
    }

    /// A table with given rows ([maxLength, dimension]).
    public init(table: Embedding) {
        self.table = table
    }

    /// The vectors of positions 0..<length: [length, dimension]. Throws
    /// `TransformerError.sequenceTooLong` when length > maxLength.
    public func encoding(length: Int) throws -> Tensor {
        guard length <= maxLength else {
            throw TransformerError.sequenceTooLong(length: length, maxLength: maxLength)
        }
        return try table.lookup(Array(0..<max(length, 0)))   // (T, d)
    }

    /// "weight" (the table).
    public var parameters: [(name: String, tensor: Tensor)] { table.parameters }
}

/// How a model adds word order to its input.
public enum PositionKind: String, Sendable, Codable, CaseIterable {
    /// Fixed sines and cosines (the original Transformer).
    case sinusoidal
    /// A learned table of maxLength rows (BERT, GPT-2).
    case learned
}
