import Testing
import TensorCore

/// NumPy-style broadcasting: shapes aligned at their last axes, a dimension of 1 stretches.
@Suite("NumPy-style broadcasting")
struct BroadcastTests {
    /// The reference, written straight from the rule: for each result index, each operand reads
    /// the trailing part of that index, with 0 wherever its own dimension is 1.
    static func reference(_ lhs: Tensor, _ rhs: Tensor, resultShape: [Int],
                          _ op: (Float, Float) -> Float) -> [Float] {
        func scalar(of t: Tensor, at index: [Int]) -> Float {
            let trailing = Array(index.suffix(t.rank))
            let clamped = zip(trailing, t.shape).map { i, dimension in dimension == 1 ? 0 : i }
            return t.scalars[flatIndex(clamped, in: t.shape)]
        }
        return (0..<resultShape.reduce(1, *)).map { flat in
            let index = multiIndex(flat, in: resultShape)
            return op(scalar(of: lhs, at: index), scalar(of: rhs, at: index))
        }
    }

    @Test("[3, 1] + [1, 4] stretches both operands to [3, 4]")
    func outerSum() throws {
        let column = try Tensor([[1], [2], [3]])
        let row = try Tensor([[10, 20, 30, 40]])
        let sum = try column + row
        #expect(sum == (try Tensor([[11, 21, 31, 41], [12, 22, 32, 42], [13, 23, 33, 43]])))
        #expect(try row * column == Tensor([[10, 20, 30, 40], [20, 40, 60, 80], [30, 60, 90, 120]]))
        // [3, 1] with [4] (a missing axis counts as 1): the same outer pattern.
        #expect(try column + Tensor([10, 20, 30, 40]) == sum)
    }

    @Test("a [2, 1, 1, 3] padding-style mask added to [2, 2, 2, 3] scores repeats per sequence only")
    func paddingShape() throws {
        let scores = try Tensor(shape: [2, 2, 2, 3], scalars: (0..<24).map(Float.init))
        let perSequence = try Tensor(shape: [2, 1, 1, 3], scalars: [100, 200, 300, 1000, 2000, 3000])
        let sum = try scores + perSequence
        #expect(sum.shape == [2, 2, 2, 3])
        // Sequence 0 (first 12 scalars) adds 100, 200, 300; sequence 1 adds 1000, 2000, 3000.
        #expect(Array(sum.scalars[0..<6]) == [100, 201, 302, 103, 204, 305])
        #expect(Array(sum.scalars[12..<18]) == [1012, 2013, 3014, 1015, 2016, 3017])
        #expect(Array(sum.scalars[18..<24]) == [1018, 2019, 3020, 1021, 2022, 3023])
    }

    @Test("all four operators on random broadcastable pairs, against the index reference",
          arguments: 0..<16)
    func randomPairs(seed: Int) throws {
        var rng = SeededGenerator(seed: 1000 + UInt64(seed))
        let rank = 1 + draw(4, &rng)
        let shape = randomShape(rank: rank, maxDimension: 4, &rng)
        // Each operand: the trailing axes of `shape`, some dimensions replaced by 1.
        func operandShape() -> [Int] {
            Array(shape.suffix(1 + draw(rank, &rng))).map { draw(3, &rng) == 0 ? 1 : $0 }
        }
        let aShape = operandShape(), bShape = operandShape()
        let a = Tensor.randomNormal(aShape, using: &rng)
        let b = Tensor.randomUniform(bShape, in: 0.5...2, using: &rng)
        // The result shape, worked out independently: the larger dimension at each trailing axis.
        let resultRank = max(aShape.count, bShape.count)
        let resultShape = (0..<resultRank).map { axis -> Int in
            let fromEnd = resultRank - axis
            let x = fromEnd <= aShape.count ? aShape[aShape.count - fromEnd] : 1
            let y = fromEnd <= bShape.count ? bShape[bShape.count - fromEnd] : 1
            return max(x, y)
        }
        let ops: [(String, (Tensor, Tensor) throws -> Tensor, (Float, Float) -> Float)] = [
            ("+", { try $0 + $1 }, { $0 + $1 }), ("-", { try $0 - $1 }, { $0 - $1 }),
            ("*", { try $0 * $1 }, { $0 * $1 }), ("/", { try $0 / $1 }, { $0 / $1 }),
        ]
        let singleScalar = a.count == 1 || b.count == 1
        for (name, tensorOp, scalarOp) in ops {
            let result = try tensorOp(a, b)
            if !singleScalar {
                #expect(result.shape == resultShape, "\(aShape) \(name) \(bShape)")
            }
            #expect(result.count == resultShape.reduce(1, *))
            expectClose(result.scalars, Self.reference(a, b, resultShape: resultShape, scalarOp),
                        relativeTolerance: 1e-6, "\(aShape) \(name) \(bShape)")
        }
    }

    @Test("incompatible shapes throw, naming the operation and both shapes",
          arguments: [([2, 3], [2, 1, 2]), ([3, 1], [2, 4, 2]), ([2, 2, 1, 3], [3, 1, 3])])
    func incompatible(lhs: [Int], rhs: [Int]) throws {
        let error = try #require(throws: TensorError.self) { try Tensor.ones(lhs) * Tensor.ones(rhs) }
        #expect(error == .shapeMismatch(operation: "multiply", lhs: lhs, rhs: rhs))
        #expect(error.description.contains("\(lhs)") && error.description.contains("\(rhs)"))
        #expect(error.description.contains("or one of them 1"))
    }

    @Test("broadcast(to:) repeats the scalars along the stretched axes")
    func broadcastTo() throws {
        let mask = try Tensor(shape: [2, 1, 1, 3], scalars: [0, 0, 1, 0, 1, 1])
        let full = try mask.broadcast(to: [2, 2, 3, 3])
        #expect(full.shape == [2, 2, 3, 3])
        for head in 0..<2 {
            for query in 0..<3 {
                #expect([full[0, head, query, 0], full[0, head, query, 1], full[0, head, query, 2]] == [0, 0, 1])
                #expect([full[1, head, query, 0], full[1, head, query, 1], full[1, head, query, 2]] == [0, 1, 1])
            }
        }
        #expect(try Tensor([1, 2]).broadcast(to: [2, 2]) == Tensor([[1, 2], [1, 2]]))
        #expect(try Tensor([1, 2]).broadcast(to: [2]) == Tensor([1, 2]))
        // Shrinking or mismatching is an error naming both shapes.
        let error = try #require(throws: TensorError.self) { try Tensor.zeros([2, 3]).broadcast(to: [3]) }
        #expect(error == .shapeMismatch(operation: "broadcast", lhs: [2, 3], rhs: [3]))
        #expect(throws: TensorError.self) { try Tensor.zeros([2]).broadcast(to: [2, 3]) }
    }

    @Test("maskedFill with a [B, 1, 1, T_k] mask hides the same keys for every head and query")
    func maskedFillPadding() throws {
        let scores = Tensor.ones([2, 3, 2, 4])   // (B, h, T_q, T_k)
        // Sequence 0 has 3 real tokens, sequence 1 has 2.
        let mask = try Tensor(shape: [2, 1, 1, 4], scalars: [0, 0, 0, 1, 0, 0, 1, 1])
        let filled = try scores.maskedFill(mask, with: -.infinity)
        for head in 0..<3 {
            for query in 0..<2 {
                #expect((0..<4).map { filled[0, head, query, $0] } == [1, 1, 1, -.infinity])
                #expect((0..<4).map { filled[1, head, query, $0] } == [1, 1, -.infinity, -.infinity])
            }
        }
        // A [B, 1, T_q, T_k] mask (causal and padding combined) works as well.
        let perQuery = try Tensor(shape: [2, 1, 2, 4], scalars: [0, 1, 1, 1, 0, 0, 1, 1,
                                                                 1, 1, 1, 1, 0, 0, 0, 0])
        let second = try scores.maskedFill(perQuery, with: 0)
        #expect((0..<4).map { second[0, 2, 0, $0] } == [1, 0, 0, 0])
        #expect((0..<4).map { second[1, 1, 0, $0] } == [0, 0, 0, 0])
        #expect((0..<4).map { second[1, 1, 1, $0] } == [1, 1, 1, 1])
    }

    @Test("a mask that would enlarge the tensor throws shapeMismatch")
    func maskedFillTooBig() throws {
        let error = try #require(throws: TensorError.self) {
            try Tensor.zeros([3, 4]).maskedFill(Tensor.zeros([2, 1, 4]), with: 0)
        }
        #expect(error == .shapeMismatch(operation: "maskedFill", lhs: [3, 4], rhs: [2, 1, 4]))
        #expect(error.description.contains("[3, 4]") && error.description.contains("[2, 1, 4]"))
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3, 4]).maskedFill(Tensor.zeros([3, 1, 4]), with: 0) }
    }
}
