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
