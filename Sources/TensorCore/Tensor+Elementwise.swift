#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Elementwise arithmetic with broadcasting, and the elementwise activation functions.
//
// Broadcasting here is deliberately simpler than NumPy's: two shapes fit when
//   - they are equal, or
//   - one is a suffix of the other ([n] onto [m, n]; [T, T] onto [h, T, T]), or
//   - one holds a single scalar (shape [], [1], [1, 1], ...).
// That covers every use in a Transformer (bias rows, masks shared by all heads, scale factors)
// and keeps the rule easy to state. In all three cases the result has the shape of one of the
// operands, and the other operand simply repeats along the result's scalars.

extension Tensor {
    /// The shape `lhs` and `rhs` broadcast to, or `nil` if they do not fit.
    static func broadcastShape(_ lhs: [Int], _ rhs: [Int]) -> [Int]? {
        if lhs == rhs { return lhs }
        if rhs.count < lhs.count, Array(lhs.suffix(rhs.count)) == rhs { return lhs }
        if lhs.count < rhs.count, Array(rhs.suffix(lhs.count)) == lhs { return rhs }
        if rhs.reduce(1, *) == 1 { return lhs }
        if lhs.reduce(1, *) == 1 { return rhs }
        return nil
    }

    /// Applies `combine` to matching scalars of `lhs` and `rhs` after broadcasting.
    static func broadcasting(_ lhs: Tensor, _ rhs: Tensor, operation: String,
                             _ combine: (Float, Float) -> Float) throws -> Tensor {
        guard let shape = broadcastShape(lhs.shape, rhs.shape) else {
            throw TensorError.shapeMismatch(operation: operation, lhs: lhs.shape, rhs: rhs.shape)
        }
        let count = shape.reduce(1, *)
        var result = [Float](repeating: 0, count: count)
        let l = lhs.scalars, r = rhs.scalars
        if l.count == count && r.count == count {
            for i in 0..<count { result[i] = combine(l[i], r[i]) }
        } else if l.count == count {
            // Row-major order makes a suffix-shaped operand repeat as one block, every r.count scalars.
            for start in Swift.stride(from: 0, to: count, by: r.count) {
                for j in 0..<r.count { result[start + j] = combine(l[start + j], r[j]) }
            }
        } else {
            for start in Swift.stride(from: 0, to: count, by: l.count) {
                for j in 0..<l.count { result[start + j] = combine(l[j], r[start + j]) }
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }

    /// A tensor of the same shape with `transform` applied to every scalar.
    public func map(_ transform: (Float) -> Float) -> Tensor {
        Tensor(validatedShape: shape, scalars: scalars.map(transform))
    }

    /// max(0, x) for every scalar. NaN stays NaN, so a bug upstream is not silently hidden.
    public func relu() -> Tensor {
        map { $0 < 0 ? 0 : $0 }
    }

    /// The Gaussian Error Linear Unit, exact form: 0.5 · x · (1 + erf(x / √2)).
    /// (GPT-2 used a tanh approximation; the difference is below 1e-3 everywhere.)
    public func gelu() -> Tensor {
        let inverseSquareRootOfTwo: Float = 0.70710678118654752
        return map { x in 0.5 * x * (1 + erf(x * inverseSquareRootOfTwo)) }
    }
}

// MARK: Tensor with Tensor (broadcasting; throws when the shapes do not fit)

public func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "add", +)
}

public func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "subtract", -)
}

/// Elementwise (Hadamard) product; for the matrix product use `matmul`.
public func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "multiply", *)
}

public func / (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "divide", /)
}

// MARK: Tensor with Float (always fits, so these do not throw)

public func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
public func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
public func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
public func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }

public func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
public func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
public func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
public func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs / $0 } }

public prefix func - (x: Tensor) -> Tensor { x.map { -$0 } }
