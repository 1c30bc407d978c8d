import Testing
import TensorCore

@Suite("Reductions over an axis")
struct ReductionTests {
    /// 0, 1, ..., 23 in shape [2, 3, 4]: x[i, j, k] = 12i + 4j + k, so sums are easy by hand.
    static let counting = try! Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))

    /// Reduces `t` over `axis` with plain loops over multi-indices.
    static func reference(_ t: Tensor, axis: Int, _ combine: ([Float]) -> Float) -> Tensor {
        var outShape = t.shape
        outShape.remove(at: axis)
        let outCount = outShape.reduce(1, *)
        let scalars = (0..<outCount).map { flat -> Float in
            var index = multiIndex(flat, in: outShape)
            index.insert(0, at: axis)
            let line = (0..<t.shape[axis]).map { a -> Float in
                index[axis] = a
                return t.scalars[flatIndex(index, in: t.shape)]
            }
            return combine(line)
        }
        return try! Tensor(shape: outShape, scalars: scalars)
    }

    @Test("sum over each axis of [2, 3, 4], by hand")
    func sumByHand() throws {
        let t = Self.counting
        // Axis 0: x[0,j,k] + x[1,j,k] = 12 + 8j + 2k.
        #expect(try t.sum(axis: 0) == Tensor([[12, 14, 16, 18], [20, 22, 24, 26], [28, 30, 32, 34]]))
        // Axis 1: Σj (12i + 4j + k) = 36i + 12 + 3k.
        #expect(try t.sum(axis: 1) == Tensor([[12, 15, 18, 21], [48, 51, 54, 57]]))
        // Axis 2: Σk (12i + 4j + k) = 48i + 16j + 6.
        #expect(try t.sum(axis: 2) == Tensor([[6, 22, 38], [54, 70, 86]]))
    }

    @Test("mean and max over each axis of [2, 3, 4], by hand")
    func meanAndMaxByHand() throws {
        let t = Self.counting
        #expect(try t.mean(axis: 0) == Tensor([[6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17]]))
        #expect(try t.mean(axis: 1) == Tensor([[4, 5, 6, 7], [16, 17, 18, 19]]))
        #expect(try t.mean(axis: 2) == Tensor([[1.5, 5.5, 9.5], [13.5, 17.5, 21.5]]))
        #expect(try t.max(axis: 0) == Tensor([[12, 13, 14, 15], [16, 17, 18, 19], [20, 21, 22, 23]]))
        #expect(try t.max(axis: 1) == Tensor([[8, 9, 10, 11], [20, 21, 22, 23]]))
        #expect(try t.max(axis: 2) == Tensor([[3, 7, 11], [15, 19, 23]]))
    }

    @Test("negative axes count from the end")
    func negativeAxes() throws {
        let t = Self.counting
        #expect(try t.sum(axis: -1) == t.sum(axis: 2))
        #expect(try t.mean(axis: -2) == t.mean(axis: 1))
        #expect(try t.max(axis: -3) == t.max(axis: 0))
    }

    @Test("random tensors against the loop reference, every axis", arguments: 0..<6)
    func randomAgainstReference(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(100 + seed))
        let shape = randomShape(rank: 1 + draw(4, &rng), maxDimension: 7, &rng)
        let t = Tensor.randomNormal(shape, using: &rng)
        for axis in shape.indices {
            let sum = Self.reference(t, axis: axis) { Float($0.reduce(0.0) { $0 + Double($1) }) }
            expectClose(try t.sum(axis: axis), sum, "sum \(shape) axis \(axis)")
            let mean = Self.reference(t, axis: axis) {
                Float($0.reduce(0.0) { $0 + Double($1) } / Double($0.count))
            }
            expectClose(try t.mean(axis: axis), mean, "mean \(shape) axis \(axis)")
            let max = Self.reference(t, axis: axis) { $0.max()! }
            #expect(try t.max(axis: axis) == max, "max \(shape) axis \(axis)")
        }
    }

    @Test("max handles negative numbers and -inf, and propagates NaN")
    func maxEdgeCases() throws {
        #expect(try Tensor([-5, -2, -9]).max(axis: 0).scalars == [-2])
        #expect(try Tensor([-.infinity, -.infinity]).max(axis: 0).scalars == [-.infinity])
        #expect(try Tensor([1, .nan, 3]).max(axis: 0).scalars[0].isNaN)
    }

    @Test("reducing a vector gives a rank-0 tensor")
    func toScalar() throws {
        let s = try Tensor([1, 2, 3, 4]).sum(axis: 0)
        #expect(s.shape == [])
        #expect(s[] == 10)
    }

    @Test("axes out of range throw axisOutOfRange", arguments: [3, -4, 100])
    func badAxis(axis: Int) throws {
        let t = Self.counting
        let error = try #require(throws: TensorError.self) { try t.sum(axis: axis) }
        #expect(error == .axisOutOfRange(operation: "sum", axis: axis, rank: 3))
        #expect(error.description.contains("axis \(axis)"))
        #expect(throws: TensorError.axisOutOfRange(operation: "mean", axis: axis, rank: 3)) { try t.mean(axis: axis) }
        #expect(throws: TensorError.axisOutOfRange(operation: "max", axis: axis, rank: 3)) { try t.max(axis: axis) }
    }

    @Test("sum of an empty axis is 0; mean and max of one throw")
    func emptyAxis() throws {
        let t = Tensor.zeros([3, 0])
        #expect(try t.sum(axis: 1) == Tensor.zeros([3]))
        #expect(throws: TensorError.self) { try t.mean(axis: 1) }
        #expect(throws: TensorError.self) { try t.max(axis: 1) }
        #expect(throws: TensorError.self) { try Tensor.filled([], with: 1).sum(axis: 0) }
    }
}
