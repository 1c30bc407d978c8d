import Testing
import TensorCore

@Suite("Slice and concatenate")
struct SlicingTests {
    let cube = try! Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init))

    @Test("slicing each axis picks the right scalars")
    func sliceEachAxis() throws {
        let first = try cube.slice(axis: 0, range: 1..<2)
        #expect(first.shape == [1, 3, 4])
        #expect(first.scalars == (12..<24).map(Float.init))

        let middle = try cube.slice(axis: 1, range: 1..<3)
        #expect(middle.shape == [2, 2, 4])
        #expect(middle.scalars == [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23])

        let last = try cube.slice(axis: -1, range: 2..<4)
        #expect(last.shape == [2, 3, 2])
        #expect(last.scalars == [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23])
        // Every scalar agrees with the subscript of the original.
        for i in 0..<2 { for j in 0..<3 { for k in 0..<2 { #expect(last[i, j, k] == cube[i, j, k + 2]) } } }

        #expect(try cube.slice(axis: 2, range: 1..<1).shape == [2, 3, 0])
    }

    @Test("bad slices throw with the axis and range in the message")
    func badSlices() throws {
        let error = try #require(throws: TensorError.self) { try cube.slice(axis: 1, range: 2..<5) }
        #expect(error.description.contains("2..<5") && error.description.contains("0..<3"))
        #expect(error.description.contains("[2, 3, 4]"))
        let axisError = try #require(throws: TensorError.self) { try cube.slice(axis: 3, range: 0..<1) }
        #expect(axisError == .axisOutOfRange(operation: "slice", axis: 3, rank: 3))
    }

    @Test("concatenating the slices along any axis gives the original back", arguments: [0, 1, 2, -1])
    func roundTrip(axis: Int) throws {
        let length = cube.shape[(axis + 3) % 3]
        let pieces = try (0..<length).map { try cube.slice(axis: axis, range: $0..<($0 + 1)) }
        #expect(try Tensor.concatenate(pieces, axis: axis) == cube)
        let halves = [try cube.slice(axis: axis, range: 0..<1), try cube.slice(axis: axis, range: 1..<length)]
        #expect(try Tensor.concatenate(halves, axis: axis) == cube)
    }

    @Test("concatenate along the feature axis puts rows side by side")
    func sideBySide() throws {
        let a = try Tensor([[1, 2], [3, 4]])
        let b = try Tensor([[5], [6]])
        #expect(try Tensor.concatenate([a, b], axis: 1) == Tensor([[1, 2, 5], [3, 4, 6]]))
        #expect(try Tensor.concatenate([a, a], axis: 0) == Tensor([[1, 2], [3, 4], [1, 2], [3, 4]]))
    }

    @Test("concatenate errors: empty list, mismatched shapes, bad axis")
    func concatenateErrors() throws {
        #expect(throws: TensorError.self) { try Tensor.concatenate([], axis: 0) }
        let error = try #require(throws: TensorError.self) {
            try Tensor.concatenate([Tensor.zeros([2, 3]), Tensor.zeros([3, 3])], axis: 1)
        }
        #expect(error == .shapeMismatch(operation: "concatenate", lhs: [2, 3], rhs: [3, 3]))
        #expect(error.description.contains("except the one they are joined along"))
        #expect(throws: TensorError.self) {
            try Tensor.concatenate([Tensor.zeros([2, 3]), Tensor.zeros([2, 3, 1])], axis: 0)
        }
        #expect(throws: TensorError.self) { try Tensor.concatenate([Tensor.zeros([2, 3])], axis: 2) }
    }
}
