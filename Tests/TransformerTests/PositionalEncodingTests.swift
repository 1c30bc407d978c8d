#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import TensorCore
@testable import Transformer

@Suite("Positional encodings")
struct PositionalEncodingTests {
    /// ω_i = 1 / 10000^(2i/d), in Double.
    static func frequency(pair: Int, dimension: Int) -> Double {
        1 / pow(10000.0, Double(2 * pair) / Double(dimension))
    }

    @Test("values against the formula", arguments: [(pos: 0, i: 0), (1, 0), (1, 3), (5, 1), (17, 2), (31, 7), (100, 4)])
    func formula(pos: Int, i: Int) {
        let d = 16
        let pe = sinusoidalPositionalEncoding(length: 101, dimension: d)
        #expect(pe.shape == [101, d])
        let angle = Double(pos) / pow(10000.0, Double(2 * i) / Double(d))
        #expect(abs(Double(pe[pos, 2 * i]) - sin(angle)) < 1e-6)
        #expect(abs(Double(pe[pos, 2 * i + 1]) - cos(angle)) < 1e-6)
    }

    @Test func knownValues() {
        let pe = sinusoidalPositionalEncoding(length: 3, dimension: 4)
        // d = 4: ω_0 = 1, ω_1 = 1/100.
        #expect(pe.row(0) == [0, 1, 0, 1])
        #expect(abs(pe[1, 0] - 0.84147098) < 1e-7 && abs(pe[1, 1] - 0.54030231) < 1e-7)
        #expect(abs(pe[2, 2] - 0.019998667) < 1e-7 && abs(pe[2, 3] - 0.99980001) < 1e-7)
    }

    @Test func oddDimensionEndsWithASineColumn() {
        let pe = sinusoidalPositionalEncoding(length: 4, dimension: 5)
        #expect(pe.shape == [4, 5])
        for pos in 0..<4 {
            // The last column is pair 2's sine: ω_2 = 1 / 10000^(4/5).
            let expected = sin(Double(pos) * Self.frequency(pair: 2, dimension: 5))
            #expect(abs(Double(pe[pos, 4]) - expected) < 1e-6)
        }
        #expect(sinusoidalPositionalEncoding(length: 0, dimension: 3).shape == [0, 3])
    }

    @Test("PE(pos + k) is PE(pos) rotated by k·ω_i in every pair (2i, 2i+1)",
          arguments: [0, 1, 3, 5])
    func rotation(pair: Int) {
        let d = 12
        let pe = sinusoidalPositionalEncoding(length: 80, dimension: d)
        let omega = Self.frequency(pair: pair, dimension: d)
        for pos in [0, 3, 10, 41] {
            for k in [1, 2, 7, 30] {
                // R(θ) = [[cos θ, sin θ], [-sin θ, cos θ]] acting on (sin, cos):
                //   sin(a + θ) = sin a cos θ + cos a sin θ,  cos(a + θ) = cos a cos θ − sin a sin θ.
                let theta = Double(k) * omega
                let s = Double(pe[pos, 2 * pair]), c = Double(pe[pos, 2 * pair + 1])
                let rotatedSin = cos(theta) * s + sin(theta) * c
                let rotatedCos = -sin(theta) * s + cos(theta) * c
                #expect(abs(rotatedSin - Double(pe[pos + k, 2 * pair])) < 1e-4, "pos \(pos) k \(k)")
                #expect(abs(rotatedCos - Double(pe[pos + k, 2 * pair + 1])) < 1e-4, "pos \(pos) k \(k)")
            }
        }
    }

    @Test func learnedPositionsAreTableRowsAndStopAtMaxLength() throws {
        var generator = SeededGenerator(seed: 5)
        let learned = LearnedPositionalEncoding(maxLength: 8, dimension: 4, using: &generator)
        #expect(learned.maxLength == 8 && learned.dimension == 4)
        let five = try learned.encoding(length: 5)
        #expect(five.shape == [5, 4])
        #expect(five.row(3) == learned.table.weight.row(3))
        #expect(try learned.encoding(length: 8).shape == [8, 4])
        let error = try #require(throws: TransformerError.self) { try learned.encoding(length: 9) }
        #expect(error == .sequenceTooLong(length: 9, maxLength: 8))
        #expect(error.description.contains("9 positions") && error.description.contains("maxLength 8"))
    }
}
