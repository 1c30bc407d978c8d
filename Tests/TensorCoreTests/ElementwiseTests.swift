import Foundation
import Testing
@testable import TensorCore

@Suite("Elementwise arithmetic and activations")
struct ElementwiseTests {
    /// The broadcasting reference: the result index maps to the same trailing index of each
    /// operand (or to its only scalar).
    static func referenceBroadcast(_ lhs: Tensor, _ rhs: Tensor, resultShape: [Int],
                                   _ op: (Float, Float) -> Float) -> [Float] {
        func scalar(of t: Tensor, at index: [Int]) -> Float {
            if t.count == 1 { return t.scalars[0] }
            return t.scalars[flatIndex(Array(index.suffix(t.rank)), in: t.shape)]
        }
        let count = resultShape.reduce(1, *)
        return (0..<count).map { flat in
            let index = multiIndex(flat, in: resultShape)
            return op(scalar(of: lhs, at: index), scalar(of: rhs, at: index))
        }
    }

    @Test("[2, 3] + [3] adds the vector to every row")
    func rowBroadcast() throws {
        let m = try Tensor([[1, 2, 3], [4, 5, 6]])
        let v = Tensor([10, 20, 30])
        #expect(try m + v == Tensor([[11, 22, 33], [14, 25, 36]]))
        #expect(try v + m == Tensor([[11, 22, 33], [14, 25, 36]]))
        #expect(try m - v == Tensor([[-9, -18, -27], [-6, -15, -24]]))
        #expect(try v - m == Tensor([[9, 18, 27], [6, 15, 24]]))
    }

    @Test("[2, 2, 2] * [2, 2] multiplies every matrix by the same matrix")
    func matrixBroadcast() throws {
        let cube = try Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        let square = try Tensor([[1, 0], [-1, 2]])
        #expect(try cube * square == Tensor(shape: [2, 2, 2], scalars: [1, 0, -3, 8, 5, 0, -7, 16]))
        #expect(try cube / square == Tensor(shape: [2, 2, 2],
                                            scalars: [1, .infinity, -3, 2, 5, .infinity, -7, 4]))
    }

    @Test("all four operators, random suffix shapes, against the index reference",
          arguments: 0..<12)
    func randomBroadcasts(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed))
        let rank = 1 + draw(4, &rng)
        let shape = randomShape(rank: rank, &rng)
        let suffix = Array(shape.suffix(draw(rank + 1, &rng)))   // anything from [] to the full shape
        let big = Tensor.randomNormal(shape, using: &rng)
        let small = Tensor.randomUniform(suffix, in: 0.5...2, using: &rng)   // away from 0 for "/"
        let ops: [(String, (Tensor, Tensor) throws -> Tensor, (Float, Float) -> Float)] = [
            ("+", { try $0 + $1 }, { $0 + $1 }), ("-", { try $0 - $1 }, { $0 - $1 }),
            ("*", { try $0 * $1 }, { $0 * $1 }), ("/", { try $0 / $1 }, { $0 / $1 }),
        ]
        for (name, tensorOp, scalarOp) in ops {
            let forward = try tensorOp(big, small)
            expectClose(forward.scalars, Self.referenceBroadcast(big, small, resultShape: shape, scalarOp),
                        relativeTolerance: 1e-6, "\(shape) \(name) \(suffix)")
            #expect(forward.shape == shape)
            let backward = try tensorOp(small, big)
            expectClose(backward.scalars, Self.referenceBroadcast(small, big, resultShape: shape, scalarOp),
                        relativeTolerance: 1e-6, "\(suffix) \(name) \(shape)")
        }
    }

    @Test("a one-element tensor broadcasts like a scalar")
    func singleElement() throws {
        let m = try Tensor([[1, 2], [3, 4]])
        #expect(try m * Tensor([2]) == Tensor([[2, 4], [6, 8]]))
        #expect(try Tensor.filled([1, 1, 1], with: 10) - m == Tensor([[9, 8], [7, 6]]))
        #expect(try m + Tensor.filled([], with: 1) == Tensor([[2, 3], [4, 5]]))
    }

    @Test("shapes that do not broadcast throw shapeMismatch naming the operation and both shapes",
          arguments: [([2, 3], [2]), ([2, 3], [3, 2]), ([4], [2, 3]), ([2, 2, 3], [2, 2])])
    func mismatch(lhs: [Int], rhs: [Int]) throws {
        let error = try #require(throws: TensorError.self) { try Tensor.zeros(lhs) + Tensor.zeros(rhs) }
        #expect(error == .shapeMismatch(operation: "add", lhs: lhs, rhs: rhs))
        #expect(error.description.hasPrefix("add: shapes \(lhs) and \(rhs) do not fit"))
        #expect(throws: TensorError.self) { try Tensor.zeros(lhs) - Tensor.zeros(rhs) }
        #expect(throws: TensorError.self) { try Tensor.zeros(lhs) * Tensor.zeros(rhs) }
        #expect(throws: TensorError.self) { try Tensor.zeros(lhs) / Tensor.zeros(rhs) }
    }

    @Test("operations with a Float on either side, and negation")
    func scalarOperations() throws {
        let t = Tensor([1, -2, 4])
        #expect(t + 1 == Tensor([2, -1, 5]))
        #expect(t - 1 == Tensor([0, -3, 3]))
        #expect(t * 3 == Tensor([3, -6, 12]))
        #expect(t / 2 == Tensor([0.5, -1, 2]))
        #expect(1 + t == Tensor([2, -1, 5]))
        #expect(1 - t == Tensor([0, 3, -3]))
        #expect(3 * t == Tensor([3, -6, 12]))
        #expect(8 / t == Tensor([8, -4, 2]))
        #expect(-t == Tensor([-1, 2, -4]))
        #expect((try Tensor([[1, 2]]) * 2).shape == [1, 2])
    }

    @Test("map applies the function to every scalar and keeps the shape")
    func map() throws {
        let t = try Tensor([[1, 2], [3, 4]])
        #expect(t.map { $0 * $0 } == (try Tensor([[1, 4], [9, 16]])))
    }

    @Test("relu zeroes the negatives and keeps the rest")
    func relu() {
        let r = Tensor([-3, -0.5, 0, 0.5, 3]).relu()
        #expect(r.scalars == [0, 0, 0, 0.5, 3])
        #expect(Tensor([.nan]).relu().scalars[0].isNaN)
    }

    @Test("gelu at known points: 0.5 x (1 + erf(x / √2))")
    func gelu() {
        // Values from Python: 0.5 * x * (1 + math.erf(x / math.sqrt(2))).
        let x = Tensor([1, -1, 0, 2, -3, 0.5])
        let expected: [Float] = [0.8413447, -0.15865526, 0, 1.9544997, -0.0040496941, 0.34573123]
        let got = x.gelu().scalars
        for (g, e) in zip(got, expected) {
            #expect(abs(g - e) <= 1e-6, "gelu gave \(g), expected \(e)")
        }
        #expect(got[2] == 0)
        // Far tails: the identity on the right, zero on the left.
        #expect(Tensor([20, -20]).gelu().scalars == [20, -0])
    }
}

@Suite("erf approximation behind GELU")
struct ErfApproximationTests {
    /// Against Foundation's double-precision erf on a fine grid: within 4.1e-7 everywhere, odd,
    /// and exactly ±1 beyond the clamp.
    @Test func closeToTheTrueErfEverywhere() {
        var worst: Double = 0
        for i in 0...100_000 {
            let x = Float(i) / 10_000 - 5
            let approximate = Tensor.erf(SIMD2<Float>(repeating: x))[0]
            worst = max(worst, abs(Double(approximate) - Foundation.erf(Double(x))))
            #expect(Tensor.erf(SIMD2<Float>(repeating: -x))[0] == -approximate)
        }
        #expect(worst < 4.2e-7)
        let beyond = Tensor.erf(SIMD2<Float>(repeating: 9))[0]
        #expect(abs(beyond - 1) < 1e-6)
    }

    /// The vector loop and the scalar tail give the same bits: a tensor of 37 values (two
    /// blocks of 16 and a tail of 5) equals the values computed one at a time.
    @Test func vectorAndTailAgreeBitForBit() throws {
        let values = (0..<37).map { Float($0) * 0.23 - 4.1 }
        let whole = try Tensor(shape: [37], scalars: values).gelu().scalars
        let oneByOne = try values.map { try Tensor(shape: [1], scalars: [$0]).gelu().scalars[0] }
        #expect(whole == oneByOne)
    }
}
