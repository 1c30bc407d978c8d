import TensorCore

// What the three model types share on the way in: checking token ids and labels, padding a
// batch, and turning ids into the first hidden states (token embedding + position).

/// Token ids checked and made ready for a model.
struct ModelInput {
    /// (B, T): the ids, padded to one length; a single sequence is one row.
    let ids: [[Int]]
    /// False for a single sequence (tensors [T, d]), true for a batch ([B, T, d]).
    let batched: Bool
    /// (B, 1, 1, T), 1 at pad positions; nil for a single sequence.
    let paddingMask: Tensor?
    /// T labels for sequence 0, the one a trace records.
    let labels: [String]

    var length: Int { ids[0].count }

    /// Labels that stand in when the caller gave none, and for positions added by padding.
    static let padLabel = "<pad>"

    static func single(_ ids: [Int], labels: [String]?, operation: String) throws -> ModelInput {
        guard !ids.isEmpty else {
            throw TransformerError.invalidInput(operation: operation, reason: "the sequence holds no token ids")
        }
        if let labels, labels.count != ids.count {
            throw TransformerError.invalidInput(
                operation: operation, reason: "\(labels.count) token labels given for \(ids.count) token ids")
        }
        return ModelInput(ids: [ids], batched: false, paddingMask: nil,
                          labels: labels ?? ids.map { String($0) })
    }

    /// Pads every sequence with `padID` to the longest one; the padding mask hides every
    /// position that holds `padID` (given or added). `labels` belong to sequence 0 as given
    /// (before padding); positions added by padding are labelled "<pad>".
    static func batch(_ batch: [[Int]], padID: Int, labels: [String]?, vocabularySize: Int,
                      operation: String) throws -> ModelInput {
        guard let first = batch.first else {
            throw TransformerError.invalidInput(operation: operation, reason: "the batch holds no sequences")
        }
        let length = batch.map(\.count).max() ?? 0
        guard length > 0 else {
            throw TransformerError.invalidInput(operation: operation, reason: "every sequence of the batch is empty")
        }
        guard padID >= 0, padID < vocabularySize else {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "pad id \(padID) is outside the vocabulary 0..<\(vocabularySize) (pad positions are still embedded)")
        }
        if let labels, labels.count != first.count {
            throw TransformerError.invalidInput(
                operation: operation,
                reason: "\(labels.count) token labels given for the \(first.count) token ids of sequence 0")
        }
        let padded = batch.map { $0 + Array(repeating: padID, count: length - $0.count) }   // (B, T)
        let given = labels ?? first.map { $0 == padID ? padLabel : String($0) }
        return ModelInput(ids: padded, batched: true,
                          paddingMask: Transformer.paddingMask(tokenIDs: padded, padID: padID),   // (B, 1, 1, T)
                          labels: given + Array(repeating: padLabel, count: length - first.count))
    }

    /// The first hidden states: √d · E[ids] + positions (Vaswani et al. 2017, §3.4 and §3.5).
    /// [T, d] for a single sequence, [B, T, d] for a batch.
    func embedded(tokens: Embedding, positions: LearnedPositionalEncoding?) throws -> Tensor {
        let d = tokens.dimension
        let rows = batched ? try tokens.lookup(batch: ids) : try tokens.lookup(ids[0])   // (B, T, d)
        // The table's rows are about 1/√d in size (it doubles as the output matrix when tied);
        // scaling by √d brings them to the size of the position vectors added next.
        let scaled = rows * Float(d).squareRoot()                                         // (B, T, d)
        let position = try positions?.encoding(length: length)
            ?? sinusoidalPositionalEncoding(length: length, dimension: d)                 // (T, d)
        return try scaled + position                                                      // (B, T, d)
    }
}

/// logits = h W_out: the tied table's transpose Eᵀ [d, V] or an own weight [d, V].
func outputLogits(_ h: Tensor, tokens: Embedding, projection: Linear?) throws -> Tensor {
    if let projection { return try projection(h) }                  // (B, T, V)
    return try h.matmul(tokens.weight.transposed())                 // (B, T, d) x (d, V) -> (B, T, V)
}
