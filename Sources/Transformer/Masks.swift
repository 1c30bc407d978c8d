import TensorCore

/// The causal (look-ahead) mask of a decoder: query i may see keys 0…i and nothing later.
/// 1 marks a hidden key, so the result is 1 strictly above the diagonal: [size, size].
public func causalMask(size: Int) -> Tensor {
    var mask = Tensor.zeros([size, size])
    for row in 0..<size {
        for column in (row + 1)..<max(row + 1, size) { mask[row, column] = 1 }
    }
    return mask
}

/// For each query, the keys it may attend to under `mask` (1 = hidden), so a lesson can
/// print "query 2 sees keys 0, 1, 2". A nil mask means every key is visible.
public func visibleKeys(mask: Tensor?, queries: Int, keys: Int) -> [[Int]] {
    (0..<queries).map { query in
        (0..<keys).filter { key in
            guard let mask else { return true }
            return mask[query, key] == 0
        }
    }
}

// MARK: Padding masks
//
// A batch holds sequences of different lengths, so the shorter ones are filled up with a pad
// token. Pad tokens carry no meaning, so no query may attend to them: the padding mask hides
// those keys. It has shape [B, 1, 1, T_k] so that it broadcasts over the heads and the queries
// of attention scores [B, h, T_q, T_k]: each sequence hides its own pad keys from every head
// and every query. (Queries at pad positions still produce outputs; they are ignored later.)

/// The padding mask of a batch given each sequence's real length: [B, 1, 1, length], with 1
/// (hidden) at every key index ≥ that sequence's length. A length ≥ `length` hides nothing;
/// a length ≤ 0 hides every key (that sequence's queries then get all-zero weights).
public func paddingMask(lengths: [Int], length: Int) -> Tensor {
    let width = max(length, 0)
    var mask = Tensor.zeros([lengths.count, 1, 1, width])   // (B, 1, 1, T_k)
    for (sequence, realLength) in lengths.enumerated() {
        let firstPad = min(max(realLength, 0), width)
        for key in firstPad..<width {
            mask[sequence, 0, 0, key] = 1
        }
    }
    return mask
}

/// The padding mask of a batch of token ids: [B, 1, 1, T] with 1 wherever the id is `padID`.
/// T is the longest sequence; positions past the end of a shorter sequence are hidden too
/// (as if they held `padID`).
public func paddingMask(tokenIDs: [[Int]], padID: Int) -> Tensor {
    let length = tokenIDs.map(\.count).max() ?? 0
    var mask = Tensor.zeros([tokenIDs.count, 1, 1, length])   // (B, 1, 1, T_k)
    for (sequence, ids) in tokenIDs.enumerated() {
        for position in 0..<length where position >= ids.count || ids[position] == padID {
            mask[sequence, 0, 0, position] = 1
        }
    }
    return mask
}

/// The union of two masks (1 = hidden): a key is hidden when either mask hides it. The shapes
/// broadcast as in elementwise arithmetic, so a causal [T, T] and a padding [B, 1, 1, T] mask
/// give [B, 1, T, T]: query i of sequence b sees key j only if j ≤ i and j is not padding.
/// The result holds only 0 and 1. Throws `TensorError.shapeMismatch` naming both shapes
/// when they do not broadcast.
public func combineMasks(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let hiddenA = a.map { $0 != 0 ? 1 : 0 }
    let hiddenB = b.map { $0 != 0 ? 1 : 0 }
    do {
        return try (hiddenA + hiddenB).map { $0 > 0 ? 1 : 0 }
    } catch {
        throw TensorError.shapeMismatch(operation: "combineMasks", lhs: a.shape, rhs: b.shape)
    }
}
