import Testing
import TensorCore
@testable import Transformer   // @testable to reach rowSoftmax

/// The faster paths inside attention give exactly the bits of the plain operations.
@Suite("Attention fast paths")
struct AttentionFastPathTests {
    @Test("rowSoftmax equals Tensor.softmax bit for bit, masked, infinite and NaN rows included")
    func softmaxBits() throws {
        var rng = SeededGenerator(seed: 21)
        var scalars = Tensor.randomNormal([6, 3, 17], using: &rng).scalars.map { $0 * 4 }
        for j in 0..<17 { scalars[j] = -.infinity }                          // a fully hidden row
        for j in stride(from: 17, to: 34, by: 3) { scalars[j] = -.infinity }   // partly hidden
        scalars[40] = .infinity; scalars[45] = .infinity                       // two winners
        scalars[60] = .nan
        let scores = try Tensor(shape: [6, 3, 17], scalars: scalars)
        #expect(rowSoftmax(scores).scalars.map(\.bitPattern) == scores.softmax().scalars.map(\.bitPattern))
        let empty = Tensor.zeros([2, 0])
        #expect(rowSoftmax(empty).shape == [2, 0])
    }

    @Test("matmulTransposed equals matmul of the transposed copy bit for bit, and throws the same errors")
    func transposedProduct() throws {
        var rng = SeededGenerator(seed: 22)
        for (batch, m, n, k) in [([], 7, 33, 65), ([12], 16, 16, 64), ([2, 3], 5, 40, 9), ([], 1, 1, 1), ([], 3, 4, 0)] as [([Int], Int, Int, Int)] {
            let q = Tensor.randomNormal(batch + [m, k], using: &rng)
            let key = Tensor.randomNormal(batch + [n, k], using: &rng)
            for threads in [1, 2, 3] {
                #expect(try q.matmulTransposed(key, threads: threads).scalars.map(\.bitPattern)
                        == q.matmul(key.transposed(), threads: 1).scalars.map(\.bitPattern))
            }
            #expect(try q.matmulTransposed(key).shape == batch + [m, n])
        }
        let shared = Tensor.randomNormal([4, 5, 8], using: &rng), weight = Tensor.randomNormal([6, 8], using: &rng)
        #expect(try shared.matmulTransposed(weight).scalars.map(\.bitPattern)
                == shared.matmul(weight.transposed()).scalars.map(\.bitPattern))
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([5, 4])
        let expected = try #require(throws: TensorError.self) { try a.matmul(b.transposed()) }
        #expect(throws: expected) { try a.matmulTransposed(b) }
    }
}
