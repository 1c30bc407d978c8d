// Reductions along one axis: sum, mean, max. The reduced axis is removed from the shape
// (a [2, 3, 4] tensor summed over axis 1 has shape [2, 4]).

extension Tensor {
    /// The sum along `axis` (negative counts from the end: -1 is the last axis).
    public func sum(axis: Int) throws -> Tensor {
        try reduce(axis: axis, operation: "sum", initial: 0, +)
    }

    /// The arithmetic mean along `axis`. Throws if that axis has length 0 (the mean of nothing).
    public func mean(axis: Int) throws -> Tensor {
        let axisIndex = try normalizedAxis(axis, operation: "mean")
        let length = shape[axisIndex]
        try requireNonEmpty(axis: axisIndex, operation: "mean")
        return try sum(axis: axis) / Float(length)
    }

    /// The largest value along `axis`. Throws if that axis has length 0 (no values to choose from).
    /// A NaN anywhere along the axis gives NaN, as in PyTorch, so it cannot go unnoticed.
    public func max(axis: Int) throws -> Tensor {
        let axisIndex = try normalizedAxis(axis, operation: "max")
        try requireNonEmpty(axis: axisIndex, operation: "max")
        return try reduce(axis: axis, operation: "max", initial: -.infinity) { best, x in
            if best.isNaN || x.isNaN { return .nan }
            return x > best ? x : best
        }
    }

    private func requireNonEmpty(axis: Int, operation: String) throws {
        guard shape[axis] > 0 else {
            throw TensorError.invalidShape(operation: operation, shape: shape,
                                           reason: "axis \(axis) has length 0, so there is nothing to reduce")
        }
    }

    /// Folds `combine` along `axis`, starting from `initial`.
    ///
    /// View the tensor as [outer, length, inner]: `outer` is the product of the axes before
    /// `axis`, `inner` of those after. Walking outer → axis → inner reads the scalars in memory
    /// order, and the whole inner row of partial results is updated at once.
    private func reduce(axis: Int, operation: String, initial: Float,
                        _ combine: (Float, Float) -> Float) throws -> Tensor {
        let axis = try normalizedAxis(axis, operation: operation)
        let outer = shape[..<axis].reduce(1, *)
        let length = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)

        var result = [Float](repeating: initial, count: outer * inner)
        for o in 0..<outer {
            for a in 0..<length {
                let source = (o * length + a) * inner
                for i in 0..<inner {
                    result[o * inner + i] = combine(result[o * inner + i], scalars[source + i])
                }
            }
        }
        var newShape = shape
        newShape.remove(at: axis)
        return Tensor(validatedShape: newShape, scalars: result)
    }
}
