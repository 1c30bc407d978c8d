import Testing
import TensorCore

@Suite("Creating and reading tensors")
struct TensorBasicsTests {
    @Test("init(shape:scalars:) keeps shape and row-major scalars")
    func shapeAndScalars() throws {
        let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.shape == [2, 3])
        #expect(t.rank == 2)
        #expect(t.count == 6)
        #expect(t[0, 2] == 3)
        #expect(t[1, 0] == 4)
        #expect(t.rows == [[1, 2, 3], [4, 5, 6]])
        #expect(t.row(1) == [4, 5, 6])
    }

    @Test("a scalar count that does not match the shape throws scalarCountMismatch")
    func countMismatch() throws {
        let error = try #require(throws: TensorError.self) { try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5]) }
        #expect(error == .scalarCountMismatch(shape: [2, 3], count: 5))
        #expect(error.description.contains("[2, 3]") && error.description.contains("6") && error.description.contains("5"))
    }

    @Test("negative dimensions throw invalidShape")
    func negativeDimension() {
        #expect(throws: TensorError.invalidShape(operation: "Tensor(shape:scalars:)", shape: [2, -3],
                                                 reason: "dimension -3 is negative")) {
            try Tensor(shape: [2, -3], scalars: [])
        }
    }

    @Test("rank 0 holds one scalar, read with an empty subscript")
    func rankZero() throws {
        var t = try Tensor(shape: [], scalars: [4])
        #expect(t.rank == 0 && t.count == 1)
        #expect(t[] == 4)
        t[] = 5
        #expect(t.scalars == [5])
        #expect(throws: TensorError.self) { try Tensor(shape: [], scalars: []) }
    }

    @Test("init from rows: 2-D, ragged rows throw, [] is [0, 0]")
    func fromRows() throws {
        let t = try Tensor([[1, 2], [3, 4], [5, 6]])
        #expect(t.shape == [3, 2])
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(try Tensor([]).shape == [0, 0])
        #expect(try Tensor([[Float]]()).shape == [0, 0])
        #expect(try Tensor([[], []]).shape == [2, 0])

        let error = try #require(throws: TensorError.self) { try Tensor([[1, 2], [3]]) }
        guard case .invalidShape(_, let shape, let reason) = error else {
            Issue.record("expected invalidShape, got \(error)")
            return
        }
        #expect(shape == [2, 2])
        #expect(reason.contains("row 1"))
    }

    @Test("init from a vector is 1-D; rows of a vector is one row")
    func fromVector() {
        let v = Tensor([1, 2, 3])
        #expect(v.shape == [3])
        #expect(v.rows == [[1, 2, 3]])
        #expect(Tensor([Float]()).shape == [0])
    }

    @Test("zeros, ones, filled")
    func factories() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.filled([2, 1, 2], with: 7).scalars == [7, 7, 7, 7])
        #expect(Tensor.filled([2, 1, 2], with: 7).shape == [2, 1, 2])
        #expect(Tensor.zeros([]).count == 1)
        #expect(Tensor.zeros([4, 0]).count == 0)
    }

    @Test("subscript writes change only the copy (value semantics)")
    func valueSemantics() {
        let original = Tensor.zeros([2, 3])
        var copy = original
        copy[1, 2] = 9
        #expect(copy.scalars == [0, 0, 0, 0, 0, 9])
        #expect(original.scalars == [0, 0, 0, 0, 0, 0])
        #expect(copy != original)
    }

    @Test("equality compares shapes as well as scalars")
    func equality() throws {
        #expect(try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]) != Tensor(shape: [4], scalars: [1, 2, 3, 4]))
        #expect(try Tensor(shape: [4], scalars: [1, 2, 3, 4]) == Tensor([1, 2, 3, 4]))
    }
}

@Suite("Description")
struct DescriptionTests {
    @Test("a small matrix prints in full, aligned")
    func small() throws {
        let t = try Tensor([[1, -2.5, 3], [4, 5, 6]])
        #expect(t.description == """
            Tensor [2, 3]
            [[ 1.0, -2.5,  3.0],
             [ 4.0,  5.0,  6.0]]
            """)
    }

    @Test("rank 0, rank 1 and rank 3")
    func ranks() throws {
        #expect(Tensor.filled([], with: 2).description == "Tensor []\n2.0")
        #expect(Tensor([1, 2]).description == "Tensor [2]\n[1.0, 2.0]")
        let cube = try Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
        #expect(cube.description == """
            Tensor [2, 1, 2]
            [[[1.0, 2.0]],

             [[3.0, 4.0]]]
            """)
    }

    @Test("a large tensor is summarised with ... and stays short")
    func large() {
        let t = Tensor.zeros([100, 200])
        let text = t.description
        #expect(text.hasPrefix("Tensor [100, 200]\n"))
        #expect(text.contains("..."))
        #expect(text.split(separator: "\n").count == 1 + 7)   // header + 3 rows + "..." + 3 rows
        #expect(text.count < 400)
    }

    @Test("errors describe themselves with the operation and the shapes")
    func errorDescriptions() {
        let axis = TensorError.axisOutOfRange(operation: "sum", axis: 3, rank: 2)
        #expect(axis.description == "sum: axis 3 is out of range for rank 2 (valid axes are -2 ..< 2)")
        let broadcast = TensorError.shapeMismatch(operation: "add", lhs: [2, 3], rhs: [4])
        #expect(broadcast.description.hasPrefix("add: shapes [2, 3] and [4] do not fit: "))
    }
}
