// Reverse-mode automatic differentiation on tensors, in the spirit of Karpathy's micrograd.
//
// A `Variable` is one node of a computation graph: a tensor value, the gradient of some scalar
// loss with respect to that value, the variables it was computed from (its parents), and a
// backward function that turns the gradient of this node into gradients for the parents
// (the chain rule for one operation). `loss.backward()` sorts the graph topologically and
// runs the backward functions from the loss down to the leaves.
//
// There is no global state: a graph is just the objects that point at each other. Every op
// below computes its value with the ordinary `Tensor` operation and records how to
// differentiate it. All arithmetic is single-threaded and in a fixed order, so the same
// inputs give bit-identical gradients on every run.

/// A tensor that remembers how it was computed, so that gradients can flow back through it.
///
/// `Variable` is a reference type (several later nodes share one parent, and a parameter
/// collects the gradient of every use) with mutable `value` and `gradient`, so it is not
/// `Sendable`: a graph is built, differentiated and updated by one task, and the compiler
/// refuses to hand a variable (or a model holding variables) to another task. To use trained
/// weights elsewhere, send their tensors (`Tensor` is `Sendable`) or the saved file.
public final class Variable {
    /// The tensor this node holds. Mutable so that an optimiser can update parameters in place.
    public var value: Tensor
    /// d(loss)/d(value), the same shape as `value`; `nil` until a backward pass reaches this
    /// node. Gradients accumulate over backward passes until `zeroGradient()`.
    public var gradient: Tensor?
    /// An optional label, for printing graphs and error messages.
    public var name: String?

    /// The variables this one was computed from (empty for a leaf).
    public let parents: [Variable]
    /// Given d(loss)/d(self), returns d(loss)/d(parent) for each parent, in order, each of
    /// the parent's shape. `nil` for a leaf.
    let backwardFunction: ((Tensor) throws -> [Tensor])?

    /// A leaf: an input, a constant or a parameter.
    public init(_ value: Tensor, name: String? = nil) {
        self.value = value
        self.name = name
        self.parents = []
        self.backwardFunction = nil
    }

    /// An interior node, made by the ops.
    init(_ value: Tensor, parents: [Variable], backward: @escaping (Tensor) throws -> [Tensor]) {
        self.value = value
        self.parents = parents
        self.backwardFunction = backward
    }

    /// The shape of `value`.
    public var shape: [Int] { value.shape }

    /// Forgets the accumulated gradient.
    public func zeroGradient() { gradient = nil }

    /// Adds `contribution` to the stored gradient (gradients accumulate, as in PyTorch).
    func accumulate(_ contribution: Tensor) throws {
        if let existing = gradient {
            gradient = try existing + contribution
        } else {
            gradient = contribution
        }
    }

    /// Back-propagation from this node, which must hold a single scalar (the loss).
    ///
    /// 1. Sort every node reachable through `parents` so that each node comes after all of
    ///    its parents (depth-first post-order, as micrograd does).
    /// 2. Walk that order backwards, starting with d(loss)/d(loss) = 1. When a node is reached,
    ///    every use of it has already sent its contribution, so its gradient for this pass is
    ///    complete: add it to `gradient` and hand it to the node's backward function.
    ///
    /// The gradients of this pass are collected in a local table first and only then added to
    /// each node's `gradient`; that way a second `backward()` adds exactly the same amount
    /// again instead of re-propagating what the first pass left behind.
    public func backward() throws {
        guard value.count == 1 else {
            throw TensorError.invalidShape(operation: "backward", shape: value.shape,
                                           reason: "backward() starts from a single scalar (a loss); sum or mean first")
        }
        // Iterative depth-first search, so deep graphs cannot overflow the stack.
        var order: [Variable] = []
        var visited: Set<ObjectIdentifier> = []
        var stack: [(node: Variable, parentsDone: Bool)] = [(self, false)]
        while let (node, parentsDone) = stack.popLast() {
            if parentsDone {
                order.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for parent in node.parents.reversed() where !visited.contains(ObjectIdentifier(parent)) {
                stack.append((parent, false))
            }
        }

        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): Tensor.ones(value.shape)]
        for node in order.reversed() {
            guard let incoming = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
            try node.accumulate(incoming)
            guard let backwardFunction = node.backwardFunction else { continue }
            let parentGradients = try backwardFunction(incoming)
            for (parent, contribution) in zip(node.parents, parentGradients) {
                let key = ObjectIdentifier(parent)
                if let existing = pending[key] {
                    pending[key] = try existing + contribution
                } else {
                    pending[key] = contribution
                }
            }
        }
    }
}

// MARK: Broadcasting, undone

extension Tensor {
    /// The gradient of a broadcast, taken back to the operand's `shape`.
    ///
    /// If `x` of shape `shape` was stretched to `self.shape` (a bias [d] added to every row of
    /// [T, d]), each scalar of `x` was used once per copy, so its gradient is the sum of the
    /// gradients of all its copies: sum over every stretched axis.
    func unbroadcast(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        var result = [Float](repeating: 0, count: shape.reduce(1, *))
        let strides = Tensor.broadcastStrides(shape, to: self.shape)
        let source = scalars
        // Visits the gradient in row-major order, so the summation order is fixed.
        Tensor.forEachBroadcastOffset(self.shape, strides, strides) { i, target, _ in
            result[target] += source[i]
        }
        return Tensor(validatedShape: shape, scalars: result)
    }
}

// MARK: Elementwise arithmetic (broadcasting)

/// Elementwise sum with broadcasting; the gradient of each side is summed over its broadcast axes.
/// Throws `TensorError.shapeMismatch` when the shapes cannot be broadcast together.
public func + (lhs: Variable, rhs: Variable) throws -> Variable {
    let a = lhs.shape, b = rhs.shape
    // d(a + b)/da = 1 and d(a + b)/db = 1: the gradient passes through, summed over broadcast axes.
    return Variable(try lhs.value + rhs.value, parents: [lhs, rhs]) { g in
        [g.unbroadcast(to: a), g.unbroadcast(to: b)]
    }
}

/// Elementwise difference with broadcasting. Throws `TensorError.shapeMismatch` when the shapes
/// cannot be broadcast together.
public func - (lhs: Variable, rhs: Variable) throws -> Variable {
    let a = lhs.shape, b = rhs.shape
    // d(a - b)/da = 1, d(a - b)/db = -1.
    return Variable(try lhs.value - rhs.value, parents: [lhs, rhs]) { g in
        [g.unbroadcast(to: a), (-g).unbroadcast(to: b)]
    }
}

/// Elementwise product with broadcasting.
public func * (lhs: Variable, rhs: Variable) throws -> Variable {
    let a = lhs.value, b = rhs.value
    // d(a·b)/da = b, d(a·b)/db = a.
    return Variable(try a * b, parents: [lhs, rhs]) { g in
        [try (g * b).unbroadcast(to: a.shape), try (g * a).unbroadcast(to: b.shape)]
    }
}

/// Elementwise quotient with broadcasting. Throws `TensorError.shapeMismatch` when the shapes
/// cannot be broadcast together.
public func / (lhs: Variable, rhs: Variable) throws -> Variable {
    let a = lhs.value, b = rhs.value
    // d(a/b)/da = 1/b, d(a/b)/db = -a/b².
    return Variable(try a / b, parents: [lhs, rhs]) { g in
        [try (g / b).unbroadcast(to: a.shape),
         try (-(g * a) / (b * b)).unbroadcast(to: b.shape)]
    }
}

/// Multiplication by a constant (e.g. 1/√d_k): d(c·x)/dx = c.
public func * (lhs: Variable, rhs: Float) -> Variable {
    Variable(lhs.value * rhs, parents: [lhs]) { g in [g * rhs] }
}

/// Multiplication by a constant: d(c·x)/dx = c.
public func * (lhs: Float, rhs: Variable) -> Variable { rhs * lhs }

/// Division by a constant: d(x/c)/dx = 1/c.
public func / (lhs: Variable, rhs: Float) -> Variable {
    Variable(lhs.value / rhs, parents: [lhs]) { g in [g / rhs] }
}

/// Adding a constant: d(x + c)/dx = 1.
public func + (lhs: Variable, rhs: Float) -> Variable {
    Variable(lhs.value + rhs, parents: [lhs]) { g in [g] }
}

/// Subtracting a constant: d(x − c)/dx = 1.
public func - (lhs: Variable, rhs: Float) -> Variable {
    Variable(lhs.value - rhs, parents: [lhs]) { g in [g] }
}

/// Negation: d(−x)/dx = −1.
public prefix func - (x: Variable) -> Variable { x * -1 }

// MARK: Matrix product and shapes

extension Variable {
    /// The matrix product in the three forms of `Tensor.matmul`: `[m, k] x [k, n]`, batched
    /// `[..., m, k] x [..., k, n]`, and `[..., m, k] x [k, n]` with one shared right matrix.
    public func matmul(_ other: Variable) throws -> Variable {
        let a = value, b = other.value
        let c = try a.matmul(b)
        return Variable(c, parents: [self, other]) { g in
            // C = A·B  ⇒  dA = dC·Bᵀ (per batch; a shared B is used by every batch) ...
            let gradientA = try g.matmul(b.transposed())
            // ... and dB = Aᵀ·dC. A shared right matrix took part in every batch's product, so
            // its gradient sums over the batch: stack the batch into one tall [batches·m, k]
            // matrix and do a single product.
            let gradientB: Tensor
            if b.rank == 2 {
                let k = a.shape[a.rank - 1], n = b.shape[1]
                let rows = a.shape.dropLast().reduce(1, *)   // batches · m
                let stackedA = try a.reshaped([rows, k])
                let stackedG = try g.reshaped([rows, n])
                gradientB = try stackedA.transposed().matmul(stackedG)
            } else {
                gradientB = try a.transposed().matmul(g)
            }
            return [gradientA, gradientB]
        }
    }

    /// Swaps the last two axes; the gradient is swapped back.
    public func transposed() throws -> Variable {
        Variable(try value.transposed(), parents: [self]) { g in [try g.transposed()] }
    }

    /// The same scalars with a new shape; the gradient takes the old shape back.
    public func reshaped(_ newShape: [Int]) throws -> Variable {
        let old = shape
        return Variable(try value.reshaped(newShape), parents: [self]) { g in [try g.reshaped(old)] }
    }

    /// `[..., T, d]` → `[..., h, T, d/h]`; the gradient is merged back (mergeHeads is its inverse).
    public func splitHeads(_ heads: Int) throws -> Variable {
        Variable(try value.splitHeads(heads), parents: [self]) { g in [try g.mergeHeads()] }
    }

    /// `[..., h, T, dh]` → `[..., T, h·dh]`; the gradient is split again into h heads.
    public func mergeHeads() throws -> Variable {
        let heads = value.rank >= 3 ? shape[value.rank - 3] : 1
        return Variable(try value.mergeHeads(), parents: [self]) { g in [try g.splitHeads(heads)] }
    }

    /// The part along `axis` in `range`. Gradient: the incoming gradient in that part, zero elsewhere.
    public func slice(axis: Int, range: Range<Int>) throws -> Variable {
        let axisIndex = try value.normalizedAxis(axis, operation: "slice")
        let original = shape
        return Variable(try value.slice(axis: axisIndex, range: range), parents: [self]) { g in
            var before = original, after = original
            before[axisIndex] = range.lowerBound
            after[axisIndex] = original[axisIndex] - range.upperBound
            return [try Tensor.concatenate([Tensor.zeros(before), g, Tensor.zeros(after)], axis: axisIndex)]
        }
    }

    /// The variables joined along `axis`. Each gets back its own slice of the gradient.
    public static func concatenate(_ variables: [Variable], axis: Int) throws -> Variable {
        let value = try Tensor.concatenate(variables.map(\.value), axis: axis)
        let axisIndex = try value.normalizedAxis(axis, operation: "concatenate")
        let lengths = variables.map { $0.shape[axisIndex] }
        return Variable(value, parents: variables) { g in
            var start = 0
            return try lengths.map { length in
                defer { start += length }
                return try g.slice(axis: axisIndex, range: start..<(start + length))
            }
        }
    }
}

// MARK: Reductions

extension Variable {
    /// The sum along `axis`. Every scalar along the axis contributed once, so each receives
    /// the gradient of its sum: put the axis back with length 1 and broadcast.
    public func sum(axis: Int) throws -> Variable {
        let axisIndex = try value.normalizedAxis(axis, operation: "sum")
        let original = shape
        var kept = original
        kept[axisIndex] = 1
        return Variable(try value.sum(axis: axisIndex), parents: [self]) { g in
            [try g.reshaped(kept).broadcast(to: original)]
        }
    }

    /// The mean along `axis`: the sum's gradient divided by the axis length.
    public func mean(axis: Int) throws -> Variable {
        let axisIndex = try value.normalizedAxis(axis, operation: "mean")
        guard shape[axisIndex] > 0 else {
            throw TensorError.invalidShape(operation: "mean", shape: shape,
                                           reason: "axis \(axisIndex) has length 0, so there is nothing to reduce")
        }
        return try sum(axis: axisIndex) * (1 / Float(shape[axisIndex]))
    }

    /// The sum of every scalar, as a rank-0 tensor. d(Σx)/dx_i = 1.
    public func sum() -> Variable {
        var total: Float = 0
        for x in value.scalars { total += x }
        let original = shape
        return Variable(Tensor(validatedShape: [], scalars: [total]), parents: [self]) { g in
            [Tensor.filled(original, with: g.scalars[0])]
        }
    }

    /// The mean of every scalar, as a rank-0 tensor. d(mean)/dx_i = 1/n.
    public func mean() -> Variable {
        sum() * (1 / Float(Swift.max(value.count, 1)))
    }
}
