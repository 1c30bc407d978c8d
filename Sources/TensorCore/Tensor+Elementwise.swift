#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Elementwise arithmetic with broadcasting, and the elementwise activation functions.
//
// Broadcasting follows NumPy's rule: line the two shapes up at their last axes; each pair of
// dimensions must be equal, or one of them must be 1 (a missing axis counts as 1), and the
// result takes the larger of the two. So
//   [2, 3]       + [3]           -> [2, 3]         a bias row added to every token
//   [h, T, T]    + [T, T]        -> [h, T, T]      one causal mask shared by every head
//   [B, h, T, T] + [B, 1, 1, T]  -> [B, h, T, T]   a per-sequence padding mask over heads and queries
//   [3, 1]       + [1, 4]        -> [3, 4]         both operands stretched
// One extra rule, kept from the first version of this file: an operand that holds a single
// scalar (shape [], [1], [1, 1], ...) fits anything and leaves the other shape unchanged
// (NumPy would add its leading 1s to the result: [1, 1, 1] + [2, 2] is [1, 2, 2] there).

extension Tensor {
    /// The shape `lhs` and `rhs` broadcast to, or `nil` if they do not fit.
    static func broadcastShape(_ lhs: [Int], _ rhs: [Int]) -> [Int]? {
        if lhs == rhs { return lhs }
        if rhs.reduce(1, *) == 1 && !rhs.contains(0) { return lhs }
        if lhs.reduce(1, *) == 1 && !lhs.contains(0) { return rhs }
        // NumPy's rule, walking both shapes from the last axis.
        let rank = Swift.max(lhs.count, rhs.count)
        var result = [Int](repeating: 0, count: rank)
        for offset in 1...rank {
            let l = offset <= lhs.count ? lhs[lhs.count - offset] : 1
            let r = offset <= rhs.count ? rhs[rhs.count - offset] : 1
            guard l == r || l == 1 || r == 1 else { return nil }
            result[rank - offset] = l == 1 ? r : l
        }
        return result
    }

    /// For each axis of `target`, how far to move in the scalars of a tensor of `shape` when the
    /// index along that axis grows by one: the usual row-major stride, or 0 where `shape` is
    /// stretched (a dimension of 1, or an axis it does not have).
    /// `shape` must broadcast to `target` (checked by the callers).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        if shape.reduce(1, *) == 1 { return strides }   // a single scalar: never move
        var step = 1
        for (offset, dimension) in shape.reversed().enumerated() {
            strides[target.count - 1 - offset] = dimension == 1 ? 0 : step
            step *= dimension
        }
        return strides
    }

    /// Every (result index → operand offset) pair, visited in row-major order of `target`:
    /// calls `body(resultOffset, lhsOffset, rhsOffset)`. An odometer over the axes keeps the
    /// offsets up to date without dividing.
    static func forEachBroadcastOffset(_ target: [Int], _ lhsStrides: [Int], _ rhsStrides: [Int],
                                       _ body: (Int, Int, Int) -> Void) {
        let count = target.reduce(1, *)
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: target.count)
        var l = 0, r = 0
        for flat in 0..<count {
            body(flat, l, r)
            // Advance the odometer: bump the last axis, carrying into earlier ones.
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                l += lhsStrides[axis]
                r += rhsStrides[axis]
                if index[axis] < target[axis] { break }
                l -= lhsStrides[axis] * target[axis]
                r -= rhsStrides[axis] * target[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// Applies `combine` to matching scalars of `lhs` and `rhs` after broadcasting.
    /// Inlined into each operator so `combine` is a known operation inside the loops (a bias
    /// added to every row of activations is one of the hottest loops of a forward pass).
    @inline(__always)
    static func broadcasting(_ lhs: Tensor, _ rhs: Tensor, operation: String,
                             _ combine: (Float, Float) -> Float) throws -> Tensor {
        guard let shape = broadcastShape(lhs.shape, rhs.shape) else {
            throw TensorError.shapeMismatch(operation: operation, lhs: lhs.shape, rhs: rhs.shape)
        }
        let count = shape.reduce(1, *)
        var result = [Float](repeating: 0, count: count)
        let l = lhs.scalars, r = rhs.scalars
        if l.count == count && r.count == count {
            // Nothing is stretched (at most axes of length 1 differ), so the layouts agree.
            for i in 0..<count { result[i] = combine(l[i], r[i]) }
        } else if lhs.shape == shape, isSuffix(rhs.shape, of: shape) || r.count == 1 {
            // Row-major order makes a suffix-shaped operand repeat as one block, every r.count scalars.
            for start in Swift.stride(from: 0, to: count, by: r.count) {
                for j in 0..<r.count { result[start + j] = combine(l[start + j], r[j]) }
            }
        } else if rhs.shape == shape, isSuffix(lhs.shape, of: shape) || l.count == 1 {
            for start in Swift.stride(from: 0, to: count, by: l.count) {
                for j in 0..<l.count { result[start + j] = combine(l[j], r[start + j]) }
            }
        } else {
            // The general case: both operands may be stretched along different axes.
            let lhsStrides = broadcastStrides(lhs.shape, to: shape)
            let rhsStrides = broadcastStrides(rhs.shape, to: shape)
            forEachBroadcastOffset(shape, lhsStrides, rhsStrides) { i, li, ri in
                result[i] = combine(l[li], r[ri])
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }

    /// True when `shape` equals the last `shape.count` axes of `target`.
    private static func isSuffix(_ shape: [Int], of target: [Int]) -> Bool {
        shape.count <= target.count && Array(target.suffix(shape.count)) == shape
    }

    /// This tensor stretched to `shape` by the broadcasting rule above, its scalars repeated
    /// along every stretched axis: a padding mask [B, 1, 1, T] broadcast to [B, h, T, T] shows
    /// the full mask each head applies. Throws `shapeMismatch` (naming both shapes) when this
    /// tensor does not broadcast to exactly `shape`.
    public func broadcast(to shape: [Int]) throws -> Tensor {
        let mismatch = TensorError.shapeMismatch(operation: "broadcast", lhs: self.shape, rhs: shape)
        guard shape.allSatisfy({ $0 >= 0 }), Tensor.broadcastShape(self.shape, shape) == shape else {
            throw mismatch
        }
        if self.shape == shape { return self }
        var result = [Float](repeating: 0, count: shape.reduce(1, *))
        let strides = Tensor.broadcastStrides(self.shape, to: shape)
        let source = scalars
        // One operand only: walk it as both "sides" and ignore the second offset.
        Tensor.forEachBroadcastOffset(shape, strides, strides) { i, offset, _ in
            result[i] = source[offset]
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
    ///
    /// erf comes from `Tensor.erf`, a rational approximation within 4.1e-7 of the true value
    /// (libm's `erff` is within about 1e-7), about eight times faster: a BERT feed-forward
    /// layer applies GELU to every one of its 1,536 hidden units per token, and with libm's
    /// scalar call that alone was a third of MiniLM's forward time on a short sentence.
    public func gelu() -> Tensor {
        let inverseSquareRootOfTwo: Float = 0.70710678118654752
        var result = [Float](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                var i = 0
#if !DEBUG
                // Sixteen lanes at a time; the same operations in the same order as the scalar
                // loop below, so every element gets the same bits either way.
                typealias V = SIMD16<Float>
                while i + 16 <= x.count {
                    let v = UnsafeRawPointer(x.baseAddress! + i).loadUnaligned(as: V.self)
                    let g = 0.5 * v * (1 + Tensor.erf(v * inverseSquareRootOfTwo))
                    UnsafeMutableRawPointer(y.baseAddress! + i).storeBytes(of: g, as: V.self)
                    i += 16
                }
#endif
                while i < x.count {
                    let v = SIMD2<Float>(repeating: x[i])
                    y[i] = (0.5 * v * (1 + Tensor.erf(v * inverseSquareRootOfTwo)))[0]
                    i += 1
                }
            }
        }
        return Tensor(validatedShape: shape, scalars: result)
    }

    /// erf(x) for every lane: x·P(x²)/Q(x²) on x clamped to [−4, 4] (beyond that erf is ±1 to
    /// float precision), with the odd degree-13 / even degree-8 rational approximation Eigen
    /// uses for float (`generic_fast_erf_float`). Largest error against the true erf: 4.1e-7,
    /// measured on 400,000 points of [−5, 5]. Plain multiplies and adds, so it stays fast
    /// without `-target-cpu native` and gives the same bits on every build.
    @inline(__always)
    static func erf<V: SIMD>(_ value: V) -> V where V.Scalar == Float {
        // pointwiseMin/Max rather than `clamped`, which compiles lane by lane (see FastMath.exp).
        let x = pointwiseMin(pointwiseMax(value, V(repeating: -4)), V(repeating: 4))
        let x2 = x * x
        var p = V(repeating: -2.72614225801306e-10)
        p = p * x2 + V(repeating: 2.77068142495902e-08)
        p = p * x2 + V(repeating: -2.10102402082508e-06)
        p = p * x2 + V(repeating: -5.69250639462346e-05)
        p = p * x2 + V(repeating: -7.34990630326855e-04)
        p = p * x2 + V(repeating: -2.95459980854025e-03)
        p = p * x2 + V(repeating: -1.60960333262415e-02)
        var q = V(repeating: -1.45660718464996e-05)
        q = q * x2 + V(repeating: -2.13374055278905e-04)
        q = q * x2 + V(repeating: -1.68282697438203e-03)
        q = q * x2 + V(repeating: -7.37332916720468e-03)
        q = q * x2 + V(repeating: -1.42647390514189e-02)
        var result = x * p / q
        result.replace(with: value, where: value .!= value)      // NaN in, NaN out
        return result
    }
}

// MARK: Tensor with Tensor (broadcasting; throws when the shapes do not fit)

/// Elementwise sum with broadcasting. Throws `TensorError.shapeMismatch` when the shapes cannot be
/// broadcast together.
public func + (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "add", +)
}

/// Elementwise difference with broadcasting. Throws `TensorError.shapeMismatch` when the shapes
/// cannot be broadcast together.
public func - (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "subtract", -)
}

/// Elementwise (Hadamard) product; for the matrix product use `matmul`.
public func * (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "multiply", *)
}

/// Elementwise quotient with broadcasting (IEEE rules: x / 0 is ±infinity or NaN). Throws
/// `TensorError.shapeMismatch` when the shapes cannot be broadcast together.
public func / (lhs: Tensor, rhs: Tensor) throws -> Tensor {
    try Tensor.broadcasting(lhs, rhs, operation: "divide", /)
}

// MARK: Tensor with Float (always fits, so these do not throw)

/// Adds `rhs` to every scalar.
public func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 + rhs } }
/// Subtracts `rhs` from every scalar.
public func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 - rhs } }
/// Multiplies every scalar by `rhs`.
public func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 * rhs } }
/// Divides every scalar by `rhs`.
public func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.map { $0 / rhs } }

/// Adds `lhs` to every scalar.
public func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs + $0 } }
/// `lhs` minus each scalar.
public func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs - $0 } }
/// Multiplies every scalar by `lhs`.
public func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs * $0 } }
/// `lhs` divided by each scalar.
public func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.map { lhs / $0 } }

/// Every scalar negated.
public prefix func - (x: Tensor) -> Tensor { x.map { -$0 } }
