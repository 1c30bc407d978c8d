// Operations that rearrange scalars without changing any of them.

extension Tensor {
    /// The same scalars, in the same order, viewed with a new shape.
    /// One dimension may be -1; it is inferred from the scalar count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let operation = "reshaped"
        func invalid(_ reason: String) -> TensorError {
            .invalidShape(operation: operation, shape: newShape, reason: reason)
        }
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else {
            throw invalid("only one dimension may be -1")
        }
        if let bad = newShape.first(where: { $0 < -1 }) {
            throw invalid("dimension \(bad) is negative")
        }
        var resolved = newShape
        if let slot = inferred.first {
            resolved[slot] = 1
            let known = try Tensor.scalarCount(of: resolved, operation: operation)
            // With a zero elsewhere, any value for -1 would fit, so it cannot be inferred.
            guard known != 0 else {
                throw invalid("-1 cannot be inferred when another dimension is 0")
            }
            guard count % known == 0 else {
                throw invalid("\(count) scalars of shape \(shape) cannot be split into rows of \(known)")
            }
            resolved[slot] = count / known
        }
        let needed = try Tensor.scalarCount(of: resolved, operation: operation)
        guard needed == count else {
            throw invalid("it holds \(needed) scalars but shape \(shape) has \(count)")
        }
        return Tensor(validatedShape: resolved, scalars: scalars)
    }

    /// Swaps the last two axes: `[..., m, n]` becomes `[..., n, m]`, each matrix transposed.
    public func transposed() throws -> Tensor {
        guard rank >= 2 else {
            throw TensorError.invalidShape(operation: "transposed", shape: shape,
                                           reason: "needs rank 2 or more (it swaps the last two axes)")
        }
        let rows = shape[rank - 2], columns = shape[rank - 1]
        let matrixSize = rows * columns
        let batches = matrixSize == 0 ? 0 : count / matrixSize
        var newShape = shape
        newShape.swapAt(rank - 2, rank - 1)

        var result = [Float](repeating: 0, count: count)
        for batch in 0..<batches {
            let base = batch * matrixSize
            for i in 0..<rows {
                for j in 0..<columns {
                    result[base + j * rows + i] = scalars[base + i * columns + j]
                }
            }
        }
        return Tensor(validatedShape: newShape, scalars: result)
    }

    /// Splits the feature axis among attention heads: `[..., T, d]` becomes `[..., h, T, d/h]`.
    ///
    /// Head `i` gets the contiguous slice of features `i*d/h ..< (i+1)*d/h` of every position,
    /// which is how multi-head attention divides one projection among its heads.
    public func splitHeads(_ heads: Int) throws -> Tensor {
        let operation = "splitHeads"
        guard rank >= 2 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "needs rank 2 or more ([..., T, d])")
        }
        guard heads > 0 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "the number of heads must be positive, not \(heads)")
        }
        let positions = shape[rank - 2], features = shape[rank - 1]
        guard features % heads == 0 else {
            throw TensorError.invalidShape(
                operation: operation, shape: shape,
                reason: "the last axis (\(features)) is not divisible by \(heads) heads")
        }
        let headSize = features / heads
        let batches = shape.dropLast(2).reduce(1, *)

        var result = [Float](repeating: 0, count: count)
        for batch in 0..<batches {
            let base = batch * positions * features   // same offset in input and output
            for head in 0..<heads {
                for t in 0..<positions {
                    let source = base + t * features + head * headSize
                    let target = base + (head * positions + t) * headSize
                    for j in 0..<headSize {
                        result[target + j] = scalars[source + j]
                    }
                }
            }
        }
        return Tensor(validatedShape: Array(shape.dropLast(2)) + [heads, positions, headSize], scalars: result)
    }

    /// Joins attention heads back together: `[..., h, T, dh]` becomes `[..., T, h*dh]`.
    /// The exact inverse of `splitHeads`.
    public func mergeHeads() throws -> Tensor {
        guard rank >= 3 else {
            throw TensorError.invalidShape(operation: "mergeHeads", shape: shape,
                                           reason: "needs rank 3 or more ([..., h, T, dh])")
        }
        let heads = shape[rank - 3], positions = shape[rank - 2], headSize = shape[rank - 1]
        let features = heads * headSize
        let batches = shape.dropLast(3).reduce(1, *)

        var result = [Float](repeating: 0, count: count)
        for batch in 0..<batches {
            let base = batch * positions * features
            for head in 0..<heads {
                for t in 0..<positions {
                    let source = base + (head * positions + t) * headSize
                    let target = base + t * features + head * headSize
                    for j in 0..<headSize {
                        result[target + j] = scalars[source + j]
                    }
                }
            }
        }
        return Tensor(validatedShape: Array(shape.dropLast(3)) + [positions, features], scalars: result)
    }
}
