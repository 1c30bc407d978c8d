// Cutting a tensor into pieces along one axis, and joining pieces back together.
// Multi-head attention is the typical use: head i owns columns i·d_h ..< (i+1)·d_h of W_Q,
// and the heads' outputs are concatenated along the feature axis (Vaswani et al. 2017, §3.2.2).
//
// Both work with the same [outer, length, inner] view of a tensor that the reductions use:
// `outer` is the product of the axes before `axis`, `inner` the product of those after it.
// In row-major order every outer index holds one contiguous run of length · inner scalars.

extension Tensor {
    /// The part of this tensor whose index along `axis` lies in `range`; the other axes are kept
    /// whole. `axis` may be negative (-1 is the last). `x.slice(axis: -1, range: 0..<4)` is the
    /// first four features of every row. An empty range gives a tensor with a 0 on that axis.
    ///
    /// Throws `axisOutOfRange` for a bad axis and `invalidShape` for a range outside the axis.
    public func slice(axis: Int, range: Range<Int>) throws -> Tensor {
        let axisIndex = try normalizedAxis(axis, operation: "slice")
        let length = shape[axisIndex]
        guard range.lowerBound >= 0, range.upperBound <= length else {
            throw TensorError.invalidShape(
                operation: "slice", shape: shape,
                reason: "range \(range) is outside axis \(axisIndex), which has indices 0..<\(length)")
        }
        let outer = shape[..<axisIndex].reduce(1, *)
        let inner = shape[(axisIndex + 1)...].reduce(1, *)
        var result: [Float] = []
        result.reserveCapacity(outer * range.count * inner)
        for o in 0..<outer {
            let start = (o * length + range.lowerBound) * inner
            result.append(contentsOf: scalars[start..<(start + range.count * inner)])
        }
        var newShape = shape
        newShape[axisIndex] = range.count
        return Tensor(validatedShape: newShape, scalars: result)
    }

    /// The tensors joined along `axis` (negative counts from the end): every tensor must have
    /// the same rank and the same dimensions on every other axis. Two [T, 4] tensors joined
    /// along -1 give [T, 8]; along 0 they give [2T, 4].
    ///
    /// Throws `invalidShape` for an empty list, `axisOutOfRange` for a bad axis, and
    /// `shapeMismatch` naming the first shape and the first one that does not fit.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
        guard let first = tensors.first else {
            throw TensorError.invalidShape(operation: "concatenate", shape: [],
                                           reason: "needs at least one tensor to join")
        }
        let axisIndex = try first.normalizedAxis(axis, operation: "concatenate")
        for tensor in tensors.dropFirst() {
            var expected = first.shape, got = tensor.shape
            if tensor.rank == first.rank {
                expected[axisIndex] = 0
                got[axisIndex] = 0
            }
            guard expected == got else {
                throw TensorError.shapeMismatch(operation: "concatenate", lhs: first.shape, rhs: tensor.shape)
            }
        }
        let outer = first.shape[..<axisIndex].reduce(1, *)
        let inner = first.shape[(axisIndex + 1)...].reduce(1, *)
        let totalLength = tensors.reduce(0) { $0 + $1.shape[axisIndex] }

        var result: [Float] = []
        result.reserveCapacity(outer * totalLength * inner)
        for o in 0..<outer {
            // For each outer index, lay the pieces' runs end to end.
            for tensor in tensors {
                let run = tensor.shape[axisIndex] * inner
                result.append(contentsOf: tensor.scalars[(o * run)..<((o + 1) * run)])
            }
        }
        var newShape = first.shape
        newShape[axisIndex] = totalLength
        return Tensor(validatedShape: newShape, scalars: result)
    }
}
