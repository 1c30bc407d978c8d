import Testing
import TensorCore

@Suite("Reshape, transpose, heads")
struct ShapeTests {
    // MARK: reshaped

    @Test("reshape keeps the row-major order and infers one -1")
    func reshape() throws {
        let t = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let r = try t.reshaped([3, 2])
        #expect(r.shape == [3, 2])
        #expect(r.scalars == t.scalars)
        #expect(r.rows == [[0, 1], [2, 3], [4, 5]])
        #expect(try t.reshaped([-1]).shape == [6])
        #expect(try t.reshaped([1, -1, 2]).shape == [1, 3, 2])
        #expect(try t.reshaped([6, 1, 1]).shape == [6, 1, 1])
        #expect(try Tensor.zeros([0, 4]).reshaped([2, -1, 2]).shape == [2, 0, 2])
        #expect(try Tensor.filled([], with: 3).reshaped([1, 1]).scalars == [3])
    }

    @Test("bad reshapes throw invalidShape", arguments: [[4], [-1, -1], [4, -1], [2, -2, -3], [0, -1], [7]])
    func badReshape(shape: [Int]) throws {
        let t = Tensor.zeros([2, 3])
        let error = try #require(throws: TensorError.self) { try t.reshaped(shape) }
        guard case .invalidShape(let operation, let reported, _) = error else {
            Issue.record("expected invalidShape, got \(error)")
            return
        }
        #expect(operation == "reshaped")
        #expect(reported == shape)
        #expect(error.description.contains("\(shape)"))
    }

    @Test("reshape error message names both shapes")
    func reshapeMessage() throws {
        let error = try #require(throws: TensorError.self) { try Tensor.zeros([2, 3]).reshaped([4]) }
        #expect(error.description.contains("[4]") && error.description.contains("[2, 3]"))
    }

    // MARK: transposed

    @Test("transposing a hand example")
    func transposeHand() throws {
        let t = try Tensor([[1, 2, 3], [4, 5, 6]])
        #expect(try t.transposed() == Tensor([[1, 4], [2, 5], [3, 6]]))
        // Batched: each [2, 2] matrix transposed on its own.
        let batch = try Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try batch.transposed() == Tensor(shape: [2, 2, 2], scalars: [1, 3, 2, 4, 5, 7, 6, 8]))
    }

    @Test("transposing twice is the identity; matches the index-swapping reference",
          arguments: [[1, 1], [3, 17], [16, 33], [2, 3, 5], [2, 1, 4, 3], [0, 3], [2, 0, 5]])
    func transposeReference(shape: [Int]) throws {
        var rng = SeededGenerator(seed: 17)
        let t = Tensor.randomNormal(shape, using: &rng)
        let tt = try t.transposed()
        var expectedShape = shape
        expectedShape.swapAt(shape.count - 1, shape.count - 2)
        #expect(tt.shape == expectedShape)
        for flat in 0..<t.count {
            var index = multiIndex(flat, in: shape)
            index.swapAt(index.count - 1, index.count - 2)
            #expect(tt.scalars[flatIndex(index, in: expectedShape)] == t.scalars[flat])
        }
        #expect(try tt.transposed() == t)
    }

    @Test("transposing a vector throws")
    func transposeVector() {
        #expect(throws: TensorError.self) { try Tensor([1, 2, 3]).transposed() }
    }

    // MARK: splitHeads / mergeHeads

    @Test("splitHeads gives head i the i-th contiguous slice of the features")
    func splitHand() throws {
        // T = 2 positions, d = 4 features, 2 heads of size 2.
        let x = try Tensor([[0, 1, 2, 3],
                            [10, 11, 12, 13]])
        let heads = try x.splitHeads(2)
        #expect(heads.shape == [2, 2, 2])
        // Head 0 sees features 0..<2 of both positions; head 1 sees features 2..<4.
        #expect(heads.scalars == [0, 1, 10, 11,
                                  2, 3, 12, 13])
        #expect(heads[1, 0, 1] == 3)
        #expect(try heads.mergeHeads() == x)
    }

    @Test("splitHeads matches the index reference and mergeHeads inverts it",
          arguments: [([5, 12], 3), ([2, 7, 8], 4), ([2, 3, 4, 6], 2), ([3, 6], 1), ([3, 6], 6)])
    func roundTrip(shape: [Int], heads: Int) throws {
        var rng = SeededGenerator(seed: 23)
        let x = Tensor.randomNormal(shape, using: &rng)
        let split = try x.splitHeads(heads)
        let rank = shape.count
        let (positions, features) = (shape[rank - 2], shape[rank - 1])
        let headSize = features / heads
        let splitShape = Array(shape.dropLast(2)) + [heads, positions, headSize]
        #expect(split.shape == splitShape)
        for flat in 0..<split.count {
            // [..., h, t, j] comes from [..., t, h·headSize + j].
            let index = multiIndex(flat, in: splitShape)
            let (h, t, j) = (index[rank - 2], index[rank - 1], index[rank])
            let source = Array(index.dropLast(3)) + [t, h * headSize + j]
            #expect(split.scalars[flat] == x.scalars[flatIndex(source, in: shape)])
        }
        #expect(try split.mergeHeads() == x)
    }

    @Test("splitHeads and mergeHeads reject shapes they cannot split")
    func headErrors() throws {
        let error = try #require(throws: TensorError.self) { try Tensor.zeros([4, 10]).splitHeads(3) }
        #expect(error == .invalidShape(operation: "splitHeads", shape: [4, 10],
                                       reason: "the last axis (10) is not divisible by 3 heads"))
        #expect(throws: TensorError.self) { try Tensor.zeros([4, 10]).splitHeads(0) }
        #expect(throws: TensorError.self) { try Tensor.zeros([10]).splitHeads(2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([4, 10]).mergeHeads() }
    }
}
