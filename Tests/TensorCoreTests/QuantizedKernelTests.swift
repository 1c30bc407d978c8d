import Testing
@testable import TensorCore   // @testable to read the half-precision conversion

/// `QuantizedMatrix` against the plain definition: dequantise every block (as ggml does), then
/// take dot products in Double. Blocks are random bytes with sensible scales.
@Suite("Quantized matvec")
struct QuantizedKernelTests {
    /// Float16 bits of a Float (round to nearest; values here are normal and in range).
    static func halfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if value == 0 { return sign }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        precondition(exponent > 0 && exponent < 31, "test scales stay normal halves")
        var mantissa = (bits & 0x7F_FFFF) >> 13
        let rest = bits & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && mantissa & 1 == 1) { mantissa += 1 }
        return sign | UInt16(exponent << 10) + UInt16(mantissa)   // a mantissa carry bumps the exponent
    }

    /// `rows × columns` weights in `format` as ggml blocks.
    static func randomBlocks(_ format: QuantizedMatrix.Format, rows: Int, columns: Int,
                             using rng: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<(rows * columns / 32) {
            func appendHalf(_ value: Float) {
                let h = halfBits(value)
                bytes.append(UInt8(h & 0xFF)); bytes.append(UInt8(h >> 8))
            }
            appendHalf(0.001 + abs(rng.nextNormal()) * 0.05)           // d
            switch format {
            case .q4_1:
                appendHalf(rng.nextNormal() * 0.2)                     // m
                for _ in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            case .q4_0:
                for _ in 0..<16 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            case .q8_0:
                for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            }
        }
        return bytes
    }

    /// ggml's `dequantize_row_*`, written out from the block layout.
    static func referenceDequantize(_ bytes: [UInt8], format: QuantizedMatrix.Format) -> [Float] {
        var out: [Float] = []
        var p = 0
        func half(_ offset: Int) -> Float {
            QuantizedMatrix.floatFromHalf(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
        }
        while p < bytes.count {
            let d = half(p)
            switch format {
            case .q4_1:
                let m = half(p + 2)
                let q = bytes[(p + 4)..<(p + 20)]
                out += q.map { Float($0 & 0x0F) * d + m } + q.map { Float($0 >> 4) * d + m }
            case .q4_0:
                let q = bytes[(p + 2)..<(p + 18)]
                out += q.map { Float(Int($0 & 0x0F) - 8) * d } + q.map { Float(Int($0 >> 4) - 8) * d }
            case .q8_0:
                out += bytes[(p + 2)..<(p + 34)].map { Float(Int8(bitPattern: $0)) * d }
            }
            p += format.ggmlBlockBytes
        }
        return out
    }

    static func matrix(_ format: QuantizedMatrix.Format, rows: Int, columns: Int, bytes: [UInt8]) -> QuantizedMatrix {
        bytes.withUnsafeBytes { QuantizedMatrix(format: format, rows: rows, columns: columns, ggmlBlocks: $0) }
    }

    static func product(_ matrix: QuantizedMatrix, x: [Float], rows: Int, threads: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * matrix.rows)
        x.withUnsafeBufferPointer { xb in
            y.withUnsafeMutableBufferPointer { yb in
                matrix.multiply(x: xb.baseAddress!, rows: rows, y: yb.baseAddress!, threads: threads)
            }
        }
        return y
    }

    static let cases: [(format: QuantizedMatrix.Format, outputs: Int, columns: Int, rows: Int)] = [
        (.q4_1, 1, 32, 1), (.q4_1, 7, 64, 1), (.q4_1, 301, 96, 7), (.q4_1, 130, 576, 4), (.q4_1, 33, 1536, 9),
        (.q8_0, 1, 32, 1), (.q8_0, 65, 160, 5), (.q8_0, 257, 576, 2),
        (.q4_0, 17, 128, 3), (.q4_0, 100, 32, 6),
    ]

    @Test("equals dequantise-then-dot, bit-identical for any thread count and row grouping",
          arguments: 0..<cases.count)
    func matchesReference(caseIndex: Int) {
        let (format, outputs, columns, rows) = Self.cases[caseIndex]
        var rng = SeededGenerator(seed: UInt64(40 + caseIndex))
        let bytes = Self.randomBlocks(format, rows: outputs, columns: columns, using: &rng)
        let w = Self.referenceDequantize(bytes, format: format)
        let matrix = Self.matrix(format, rows: outputs, columns: columns, bytes: bytes)
        if format != .q4_0 {
            // Q4_0 is stored as Q4_1 with m = −8d: the same values up to one rounding.
            #expect(matrix.dequantized().map(\.bitPattern) == w.map(\.bitPattern))
        }
        let x = (0..<(rows * columns)).map { _ in rng.nextNormal() }
        let one = Self.product(matrix, x: x, rows: rows, threads: 1)

        for threads in [2, 3, 4, 8] {
            #expect(Self.product(matrix, x: x, rows: rows, threads: threads).map(\.bitPattern) == one.map(\.bitPattern),
                    "\(format) threads=\(threads)")
        }
        // Each row alone gives the bits it got inside the batch (groups of four or not), below
        // the row count where the product becomes a GEMM (QuantizedMatmulTests covers that).
        for t in [0, rows - 1] where rows < QuantizedMatrix.batchedRows {
            let alone = Self.product(matrix, x: Array(x[(t * columns)..<((t + 1) * columns)]), rows: 1, threads: 1)
            #expect(alone.map(\.bitPattern) == one[(t * outputs)..<((t + 1) * outputs)].map(\.bitPattern))
        }
        // Against dequantise-then-dot in Double: the error is float rounding of sums of `columns`
        // terms, so the bound is relative to Σ|w·x|.
        var worst = 0.0
        for t in 0..<rows {
            for o in 0..<outputs {
                var sum = 0.0, magnitude = 0.0
                for i in 0..<columns {
                    let term = Double(w[o * columns + i]) * Double(x[t * columns + i])
                    sum += term
                    magnitude += abs(term)
                }
                worst = max(worst, abs(sum - Double(one[t * outputs + o])) / max(magnitude, 1e-30))
            }
        }
        #expect(worst < 1e-5, "\(format) \(outputs)×\(columns), \(rows) rows: relative error \(worst)")
    }

    @Test("several matrices in one call equal separate calls")
    func batchedJobs() {
        var rng = SeededGenerator(seed: 77)
        let columns = 192, rows = 3
        let a = Self.matrix(.q4_1, rows: 50, columns: columns,
                            bytes: Self.randomBlocks(.q4_1, rows: 50, columns: columns, using: &rng))
        let b = Self.matrix(.q4_1, rows: 19, columns: columns,
                            bytes: Self.randomBlocks(.q4_1, rows: 19, columns: columns, using: &rng))
        let c = Self.matrix(.q8_0, rows: 70, columns: columns,
                            bytes: Self.randomBlocks(.q8_0, rows: 70, columns: columns, using: &rng))
        let x = (0..<(rows * columns)).map { _ in rng.nextNormal() }
        for threads in [1, 2, 5] {
            var ya = [Float](repeating: 0, count: rows * 50), yb = [Float](repeating: 0, count: rows * 19)
            var yc = [Float](repeating: 0, count: rows * 70)
            x.withUnsafeBufferPointer { xp in
                ya.withUnsafeMutableBufferPointer { pa in
                    yb.withUnsafeMutableBufferPointer { pb in
                        yc.withUnsafeMutableBufferPointer { pc in
                            QuantizedMatrix.multiply([(a, pa.baseAddress!), (b, pb.baseAddress!), (c, pc.baseAddress!)],
                                                     x: xp.baseAddress!, rows: rows, threads: threads)
                        }
                    }
                }
            }
            #expect(ya.map(\.bitPattern) == Self.product(a, x: x, rows: rows, threads: 1).map(\.bitPattern))
            #expect(yb.map(\.bitPattern) == Self.product(b, x: x, rows: rows, threads: 1).map(\.bitPattern))
            #expect(yc.map(\.bitPattern) == Self.product(c, x: x, rows: rows, threads: 1).map(\.bitPattern))
        }
    }

    @Test("empty products write nothing")
    func emptyProducts() {
        let empty = Self.matrix(.q4_1, rows: 0, columns: 64, bytes: [])
        #expect(Self.product(empty, x: [Float](repeating: 1, count: 64), rows: 1, threads: 2).isEmpty)
        var rng = SeededGenerator(seed: 1)
        let m = Self.matrix(.q8_0, rows: 3, columns: 32, bytes: Self.randomBlocks(.q8_0, rows: 3, columns: 32, using: &rng))
        var y: [Float] = [42]
        y.withUnsafeMutableBufferPointer { m.multiply(x: [Float](repeating: 1, count: 32), rows: 0, y: $0.baseAddress!) }
        #expect(y == [42])
    }

    @Test("half-precision conversion: normals, subnormals, zero, infinity")
    func halves() {
        #expect(QuantizedMatrix.floatFromHalf(0x3C00) == 1)
        #expect(QuantizedMatrix.floatFromHalf(0xC000) == -2)
        #expect(QuantizedMatrix.floatFromHalf(0x7BFF) == 65504)
        #expect(QuantizedMatrix.floatFromHalf(0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
        #expect(QuantizedMatrix.floatFromHalf(0x8000) == 0 && QuantizedMatrix.floatFromHalf(0x8000).sign == .minus)
        #expect(QuantizedMatrix.floatFromHalf(0x7C00) == .infinity)
        #expect(QuantizedMatrix.floatFromHalf(0x7E00).isNaN)
        #expect(QuantizedMatrix.floatFromHalf(Self.halfBits(0.1)) == 0.0999755859375)
    }
}
