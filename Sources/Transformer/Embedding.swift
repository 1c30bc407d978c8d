import TensorCore

/// A token embedding table: row i is the vector of token id i (Vaswani et al. 2017, §3.4).
/// Looking up a token is just reading its row; training would move the rows.
public struct Embedding: Sendable {
    /// The table, [vocabularySize, dimension].
    public let weight: Tensor

    /// Rows of the table: token ids run from 0 to vocabularySize − 1.
    public var vocabularySize: Int { weight.shape[0] }
    /// The length of each token's vector (columns of the table).
    public var dimension: Int { weight.shape[1] }

    /// A table with the given rows. Throws `TensorError.invalidShape` unless it is a matrix.
    public init(weight: Tensor) throws {
        guard weight.rank == 2 else {
            throw TensorError.invalidShape(operation: "Embedding", shape: weight.shape,
                                           reason: "the table must be a matrix [vocabularySize, dimension]")
        }
        self.weight = weight
    }

    /// A random table with entries drawn from N(0, standardDeviation²). Sizes must be positive
    /// (a programmer error otherwise, as in `Linear`; models validate their configuration first).
    public init(vocabularySize: Int, dimension: Int, standardDeviation: Float,
                using generator: inout SeededGenerator) {
        precondition(vocabularySize > 0 && dimension > 0,
                     "Embedding: sizes must be positive, got \(vocabularySize) × \(dimension)")
        weight = .randomNormal([vocabularySize, dimension], standardDeviation: standardDeviation,
                               using: &generator)
    }

    /// A random table with entries drawn from N(0, 1/dimension): each row has about unit length.
    /// The models multiply looked-up rows by √dimension (the paper's §3.4), which brings every
    /// entry to about unit size, like the positional encodings added to them; the unscaled
    /// table doubles as the output projection when the output is tied.
    public init(vocabularySize: Int, dimension: Int, using generator: inout SeededGenerator) {
        self.init(vocabularySize: vocabularySize, dimension: dimension,
                  standardDeviation: 1 / Float(dimension).squareRoot(), using: &generator)
    }

    /// The rows of `ids`, in order: [ids.count, dimension].
    /// Throws `TransformerError.tokenOutOfRange` for an id outside 0..<vocabularySize.
    public func lookup(_ ids: [Int]) throws -> Tensor {
        try lookup(ids, sequence: nil)
    }

    /// The rows of a batch of equally long sequences: [B, T, dimension].
    /// Throws `TransformerError.invalidInput` for ragged or empty batches and
    /// `TransformerError.tokenOutOfRange` (naming the sequence and position) for a bad id.
    public func lookup(batch: [[Int]]) throws -> Tensor {
        guard let length = batch.first?.count else {
            throw TransformerError.invalidInput(operation: "Embedding.lookup(batch:)",
                                                reason: "the batch holds no sequences")
        }
        if let ragged = batch.firstIndex(where: { $0.count != length }) {
            throw TransformerError.invalidInput(
                operation: "Embedding.lookup(batch:)",
                reason: "sequence \(ragged) has \(batch[ragged].count) ids but sequence 0 has \(length); "
                    + "pad the sequences to one length first")
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(batch.count * length * dimension)
        for (index, ids) in batch.enumerated() {
            scalars += try lookup(ids, sequence: index).scalars
        }
        return try Tensor(shape: [batch.count, length, dimension], scalars: scalars)   // (B, T, d)
    }

    private func lookup(_ ids: [Int], sequence: Int?) throws -> Tensor {
        let d = dimension
        var scalars: [Float] = []
        scalars.reserveCapacity(ids.count * d)
        for (position, id) in ids.enumerated() {
            guard id >= 0, id < vocabularySize else {
                throw TransformerError.tokenOutOfRange(id: id, sequence: sequence, position: position,
                                                       vocabularySize: vocabularySize)
            }
            scalars += weight.scalars[(id * d)..<((id + 1) * d)]
        }
        return try Tensor(shape: [ids.count, d], scalars: scalars)   // (T, d)
    }

    /// "weight".
    public var parameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)]
    }
}
