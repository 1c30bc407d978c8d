import Testing
import TensorCore
@testable import Transformer

@Suite("Padding masks and combined masks")
struct MaskTests {
    @Test func paddingMaskFromLengths() {
        let mask = paddingMask(lengths: [3, 5, 1], length: 5)
        #expect(mask.shape == [3, 1, 1, 5])
        #expect(mask.scalars == [0, 0, 0, 1, 1,
                                 0, 0, 0, 0, 0,
                                 0, 1, 1, 1, 1])
        // Out-of-range lengths: longer hides nothing, zero or negative hides everything.
        #expect(paddingMask(lengths: [7, 0, -2], length: 2).scalars == [0, 0, 1, 1, 1, 1])
    }

    @Test func paddingMaskFromTokenIDs() {
        let mask = paddingMask(tokenIDs: [[5, 6, 7, 0], [8, 0, 0, 0], [9, 4]], padID: 0)
        #expect(mask.shape == [3, 1, 1, 4])
        // The third row is ragged: positions past its end count as padding.
        #expect(mask.scalars == [0, 0, 0, 1,
                                 0, 1, 1, 1,
                                 0, 0, 1, 1])
        #expect(mask == paddingMask(lengths: [3, 1, 2], length: 4))
    }

    @Test func combineCausalAndPadding() throws {
        let combined = try combineMasks(causalMask(size: 3), paddingMask(lengths: [3, 2], length: 3))
        #expect(combined.shape == [2, 1, 3, 3])
        #expect(combined.scalars == [0, 1, 1,   // sequence 0: causal only
                                     0, 0, 1,
                                     0, 0, 0,
                                     0, 1, 1,   // sequence 1: causal, and key 2 is padding
                                     0, 0, 1,
                                     0, 0, 1])
        // Only 0 and 1 come out, whatever non-zero values came in; the order does not matter.
        let odd = try Tensor([[0, 3], [-1, 0]])
        #expect(try combineMasks(odd, Tensor([[0, 0], [0, 0]])).scalars == [0, 1, 1, 0])
        #expect(try combineMasks(paddingMask(lengths: [3, 2], length: 3), causalMask(size: 3)) == combined)
    }

    @Test func combineMasksThatDoNotFitThrows() throws {
        let error = try #require(throws: TensorError.self) {
            try combineMasks(causalMask(size: 3), paddingMask(lengths: [2], length: 4))
        }
        #expect(error == .shapeMismatch(operation: "combineMasks", lhs: [3, 3], rhs: [1, 1, 1, 4]))
        #expect(error.description.contains("[3, 3]") && error.description.contains("[1, 1, 1, 4]"))
    }

    @Test func paddingKeysGetZeroWeightForEveryQueryAndHead() throws {
        // Two sequences of lengths 3 and 5, padded to 5; two heads.
        let lengths = [3, 5]
        let q = randomTensor([2, 2, 5, 4], seed: 1)
        let k = randomTensor([2, 2, 5, 4], seed: 2)
        let v = randomTensor([2, 2, 5, 3], seed: 3)
        let stages = try scaledDotProductAttention(query: q, key: k, value: v,
                                                   mask: paddingMask(lengths: lengths, length: 5))
        #expect(stages.weights.shape == [2, 2, 5, 5])
        for (sequence, length) in lengths.enumerated() {
            for head in 0..<2 {
                for query in 0..<5 {
                    let row = weightRow(stages.weights, [sequence, head], row: query)
                    for key in length..<5 { #expect(row[key] == 0) }
                    for key in 0..<length { #expect(row[key] > 0) }
                    #expect(abs(row.reduce(0, +) - 1) < 1e-6)
                }
            }
        }
        // Padding hides keys only: the real keys' output does not depend on the pad rows of V.
        var changed = v.scalars
        for i in 0..<(2 * 5 * 3) where (i / 3) % 5 >= 3 { changed[i] += 100 }   // sequence 0, keys 3, 4
        let again = try scaledDotProductAttention(query: q, key: k, value: Tensor(shape: v.shape, scalars: changed),
                                                  mask: paddingMask(lengths: lengths, length: 5))
        expectAllClose(again.output, stages.output, tolerance: 1e-6)
    }

    @Test func causalRowsSumToOneOverTheVisiblePrefix() throws {
        let q = randomTensor([2, 3, 6, 4], seed: 4)
        let k = randomTensor([2, 3, 6, 4], seed: 5)
        let v = randomTensor([2, 3, 6, 2], seed: 6)
        let lengths = [6, 4]
        let mask = try combineMasks(causalMask(size: 6), paddingMask(lengths: lengths, length: 6))
        let weights = try scaledDotProductAttention(query: q, key: k, value: v, mask: mask).weights
        for (sequence, length) in lengths.enumerated() {
            for head in 0..<3 {
                for query in 0..<6 {
                    let row = weightRow(weights, [sequence, head], row: query)
                    let visible = 0...min(query, length - 1)
                    #expect(abs(visible.map { row[$0] }.reduce(0, +) - 1) < 1e-6)
                    for key in 0..<6 where !visible.contains(key) {
                        #expect(row[key] == 0, "sequence \(sequence) head \(head) query \(query) key \(key)")
                    }
                }
            }
        }
    }

    @Test func aQueryWithEveryKeyHiddenGetsZeroWeights() throws {
        let q = randomTensor([2, 1, 3, 2], seed: 7)
        let stages = try scaledDotProductAttention(query: q, key: q, value: q,
                                                   mask: paddingMask(lengths: [0, 2], length: 3))
        for query in 0..<3 {
            #expect(weightRow(stages.weights, [0, 0], row: query) == [0, 0, 0])
            #expect(abs(weightRow(stages.weights, [1, 0], row: query).reduce(0, +) - 1) < 1e-6)
        }
        #expect(stages.weights.scalars.allSatisfy { !$0.isNaN })
        #expect(stages.output.scalars.allSatisfy { !$0.isNaN })
    }
}
