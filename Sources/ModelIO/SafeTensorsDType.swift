/// The element types of the safetensors format, with their size in bytes.
///
/// Only F32, F16 and BF16 can be turned into `Tensor`s (of Float); the others are recognised,
/// so that their byte ranges can be checked, and give `SafeTensorsError.unsupportedDType`.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// IEEE 754 half precision (1 sign, 5 exponent, 10 fraction bits) to Float, exactly.
/// Every half value, subnormals, infinities and NaN included, is representable as a Float.
public func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = UInt32((bits >> 10) & 0x1F)
    var fraction = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        if fraction == 0 { return Float(bitPattern: sign) }     // ±0
        // Subnormal: value = fraction · 2⁻²⁴. Normalise it for Float.
        var e: Int32 = -14
        while fraction & 0x400 == 0 {
            fraction <<= 1
            e -= 1
        }
        fraction &= 0x3FF
        let floatExponent = UInt32(e + 127)
        return Float(bitPattern: sign | (floatExponent << 23) | (fraction << 13))
    case 0x1F:
        // Infinity or NaN (the payload is kept in the top fraction bits).
        return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
    }
}

/// bfloat16 (the top 16 bits of a Float) to Float, exactly.
public func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
