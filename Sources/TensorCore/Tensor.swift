/// An n-dimensional array of `Float`, stored row-major and contiguous.
///
/// A `Tensor` is a value: copying one is cheap (the scalars are a copy-on-write array) and
/// changing a copy never changes the original. The shape is fixed at creation; operations
/// return new tensors.
///
/// Row-major means the last axis varies fastest: in a `[2, 3]` tensor the scalars are
/// `[a00, a01, a02, a10, a11, a12]`. A rank-0 tensor (shape `[]`) holds exactly one scalar.
public struct Tensor: Sendable, Equatable {
    /// The length of each axis, outermost first.
    public let shape: [Int]
    /// All the scalars, row-major.
    public private(set) var scalars: [Float]

    // MARK: Creating tensors

    /// A tensor of the given shape holding `scalars` in row-major order.
    /// Throws if a dimension is negative or `scalars.count` is not the product of the shape.
    public init(shape: [Int], scalars: [Float]) throws {
        let needed = try Tensor.scalarCount(of: shape, operation: "Tensor(shape:scalars:)")
        guard needed == scalars.count else {
            throw TensorError.scalarCountMismatch(shape: shape, count: scalars.count)
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A 2-D tensor from its rows. All rows must have the same length; `[]` gives shape `[0, 0]`.
    public init(_ rows: [[Float]]) throws {
        let columns = rows.first?.count ?? 0
        for (index, row) in rows.enumerated() where row.count != columns {
            throw TensorError.invalidShape(
                operation: "Tensor(rows)", shape: [rows.count, columns],
                reason: "row \(index) has \(row.count) scalars but row 0 has \(columns) (rows must not be ragged)")
        }
        self.init(validatedShape: [rows.count, columns], scalars: rows.flatMap { $0 })
    }

    /// A 1-D tensor (shape `[vector.count]`).
    ///
    /// Disfavoured so that the bare literal `Tensor([])`, which fits both initialisers, means
    /// the empty matrix `[0, 0]` instead of being ambiguous. Any non-empty literal fits only one.
    @_disfavoredOverload
    public init(_ vector: [Float]) {
        self.init(validatedShape: [vector.count], scalars: vector)
    }

    /// The internal initialiser for callers that have already made sure the shape is valid
    /// and matches the scalar count; it checks only in debug builds.
    init(validatedShape shape: [Int], scalars: [Float]) {
        assert(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == scalars.count,
               "internal error: shape \(shape) does not hold \(scalars.count) scalars")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of `shape` filled with `value`.
    /// A negative dimension is a programmer error and stops the program.
    public static func filled(_ shape: [Int], with value: Float) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor.filled: negative dimension in shape \(shape)")
        return Tensor(validatedShape: shape, scalars: Array(repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of `shape` filled with 0. A negative dimension stops the program.
    public static func zeros(_ shape: [Int]) -> Tensor { filled(shape, with: 0) }

    /// A tensor of `shape` filled with 1. A negative dimension stops the program.
    public static func ones(_ shape: [Int]) -> Tensor { filled(shape, with: 1) }

    /// Normally distributed scalars, drawn in row-major order from `rng`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using rng: inout SeededGenerator) -> Tensor {
        var result = zeros(shape)
        for i in result.scalars.indices {
            result.scalars[i] = mean + standardDeviation * rng.nextNormal()
        }
        return result
    }

    /// Uniformly distributed scalars in `range`, drawn in row-major order from `rng`.
    public static func randomUniform(_ shape: [Int], in range: ClosedRange<Float>,
                                     using rng: inout SeededGenerator) -> Tensor {
        var result = zeros(shape)
        let width = range.upperBound - range.lowerBound
        for i in result.scalars.indices {
            // Rounding in `lower + width * u` can land a hair outside the range; clamp it back.
            let value = range.lowerBound + width * rng.nextUniform()
            result.scalars[i] = Swift.min(Swift.max(value, range.lowerBound), range.upperBound)
        }
        return result
    }

    // MARK: Shape facts

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of scalars (the product of the shape; 1 for rank 0).
    public var count: Int { scalars.count }

    /// Checks a shape and returns how many scalars it holds.
    static func scalarCount(of shape: [Int], operation: String) throws -> Int {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw TensorError.invalidShape(operation: operation, shape: shape,
                                               reason: "dimension \(dimension) is negative")
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw TensorError.invalidShape(operation: operation, shape: shape,
                                               reason: "the number of scalars overflows Int")
            }
            product = next
        }
        return product
    }

    /// Turns a possibly negative axis (-1 = last) into an index into `shape`, or throws.
    func normalizedAxis(_ axis: Int, operation: String) throws -> Int {
        let resolved = axis < 0 ? axis + rank : axis
        guard resolved >= 0, resolved < rank else {
            throw TensorError.axisOutOfRange(operation: operation, axis: axis, rank: rank)
        }
        return resolved
    }

    // MARK: Reading and writing scalars

    /// The scalar at a full index, one integer per axis (`t[]` for a rank-0 tensor).
    /// A wrong number of indices or an index out of range is a programmer error and stops the program.
    public subscript(_ indices: Int...) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank,
                     "Tensor subscript: \(indices.count) indices given for a tensor of shape \(shape)")
        var flat = 0
        for (axis, index) in indices.enumerated() {
            precondition(index >= 0 && index < shape[axis],
                         "Tensor subscript: index \(indices) is out of range for shape \(shape)")
            flat = flat * shape[axis] + index
        }
        return flat
    }

    /// The rows of a rank-2 tensor; a rank-1 tensor is one row. Other ranks stop the program.
    public var rows: [[Float]] {
        switch rank {
        case 1:
            return [scalars]
        case 2:
            return (0..<shape[0]).map { row($0) }
        default:
            preconditionFailure("Tensor.rows: needs rank 1 or 2, but the shape is \(shape)")
        }
    }

    /// Row `i` of a rank-2 tensor.
    public func row(_ i: Int) -> [Float] {
        precondition(rank == 2, "Tensor.row: needs rank 2, but the shape is \(shape)")
        precondition(i >= 0 && i < shape[0], "Tensor.row: row \(i) is out of range for shape \(shape)")
        let width = shape[1]
        return Array(scalars[(i * width)..<((i + 1) * width)])
    }
}
