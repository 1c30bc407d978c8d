/// Turns the stored bytes of a GGUF tensor into Floats, as ggml's `dequantize_row_*` do.
///
/// The block layouts (ggml-common.h), 32 elements per block:
///
///     Q8_0: f16 d, int8 q[32]            x[j] = q[j] · d
///     Q4_0: f16 d, uint8 qs[16]          x[j] = ((qs[j] & 0xF) − 8) · d,  x[j+16] = ((qs[j] >> 4) − 8) · d
///     Q4_1: f16 d, f16 m, uint8 qs[16]   x[j] = (qs[j] & 0xF) · d + m,    x[j+16] = (qs[j] >> 4) · d + m
///
/// Note the nibble order: the low nibbles of the 16 bytes are elements 0…15 and the high
/// nibbles elements 16…31 (not interleaved). The products and sums are single Float operations
/// (no fused multiply-add), as in ggml's reference C and gguf-py's numpy.
public enum GGUFDequantizer {
    /// `count` elements of `type` from `bytes`, which must hold exactly their blocks.
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int,
                                  tensor: String = "(bytes)") throws(GGUFError) -> [Float] {
        guard count >= 0, count % type.blockSize == 0 else {
            throw .invalidTensorInfo(tensor: tensor, field: "element count",
                                     problem: "\(count) is not a multiple of the \(type) block size \(type.blockSize)")
        }
        let blocks = count / type.blockSize
        let (needed, overflow) = blocks.multipliedReportingOverflow(by: type.blockBytes)
        guard !overflow, needed == bytes.count else {
            throw .invalidTensorInfo(tensor: tensor, field: "data",
                                     problem: "holds \(bytes.count) bytes, but \(count) \(type) elements need \(needed)")
        }
        switch type {
        case .f32, .f16, .q8_0, .q4_0, .q4_1: break
        default: throw .unsupportedTensorType(tensor: tensor, type: type.description)
        }
        if count == 0 { return [] }
        guard let base = bytes.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { output, initialized in
            let out = output.baseAddress!
            switch type {
            case .f32:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            case .f16:
                for i in 0..<count { out[i] = half(base, 2 * i) }
            case .q8_0:
                for block in 0..<blocks {
                    let p = base + 34 * block
                    let d = half(p, 0)
                    let o = out + 32 * block
                    for j in 0..<32 { o[j] = Float(Int8(bitPattern: p.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
                }
            case .q4_0:
                for block in 0..<blocks {
                    let p = base + 18 * block
                    let d = half(p, 0)
                    let o = out + 32 * block
                    for j in 0..<16 {
                        let byte = p.load(fromByteOffset: 2 + j, as: UInt8.self)
                        o[j] = Float(Int(byte & 0x0F) - 8) * d
                        o[j + 16] = Float(Int(byte >> 4) - 8) * d
                    }
                }
            case .q4_1:
                for block in 0..<blocks {
                    let p = base + 20 * block
                    let d = half(p, 0), m = half(p, 2)
                    let o = out + 32 * block
                    for j in 0..<16 {
                        let byte = p.load(fromByteOffset: 4 + j, as: UInt8.self)
                        o[j] = Float(byte & 0x0F) * d + m
                        o[j + 16] = Float(byte >> 4) * d + m
                    }
                }
            default:
                break   // excluded above
            }
            initialized = count
        }
    }

    /// `dequantize` for bytes held in an array (hand-built blocks in tests, for instance).
    public static func dequantize(_ bytes: [UInt8], type: GGMLType, count: Int) throws(GGUFError) -> [Float] {
        let result: Result<[Float], GGUFError> = bytes.withUnsafeBytes { buffer in
            do throws(GGUFError) { return .success(try dequantize(buffer, type: type, count: count)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @inline(__always)
    private static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        floatFromHalfBits(UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }
}
