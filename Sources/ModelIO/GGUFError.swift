/// Everything that can be wrong with a GGUF file, or with a request to read something from one.
///
/// Each case names the field (metadata key, tensor) and the problem, so a message such as
/// "gguf: metadata key \"tokenizer.ggml.tokens\": array length 18446744073709551615 is larger than
/// the 812 bytes left in the file" says exactly which bytes lied.
public enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file ends in the middle of a field.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// The first four bytes are not "GGUF".
    case badMagic(found: [UInt8])
    /// A version other than 2 or 3 (version 1 used 32-bit counts and is long obsolete).
    case unsupportedVersion(UInt32)
    /// The tensor or metadata count is larger than the cap or than the bytes left could hold.
    case countTooLarge(field: String, count: UInt64, limit: Int)
    /// A string or array length is larger than the bytes left in the file could hold.
    case lengthTooLarge(field: String, length: UInt64, available: Int)
    /// A string is not valid UTF-8.
    case invalidString(field: String)
    /// A metadata value type that the format does not define.
    case unknownValueType(field: String, type: UInt32)
    /// Arrays nested deeper than `GGUFFile.maximumArrayNesting`.
    case arrayNestingTooDeep(field: String, limit: Int)
    /// The same metadata key appears twice.
    case duplicateKey(String)
    /// `general.alignment` is not a power of two between 1 and `GGUFFile.maximumAlignment`.
    case invalidAlignment(value: String)
    /// A tensor info field is invalid (dimension count, a dimension, the element count).
    case invalidTensorInfo(tensor: String, field: String, problem: String)
    /// A ggml tensor type id that this reader does not know (so it cannot size the data).
    case unknownTensorType(tensor: String, type: UInt32)
    /// Two tensors have the same name.
    case duplicateTensor(String)
    /// A tensor's bytes reach past the end of the file.
    case tensorOutOfRange(tensor: String, offset: Int, byteCount: Int, dataSize: Int)
    /// A tensor's offset is not a multiple of the alignment.
    case misalignedTensor(tensor: String, offset: Int, alignment: Int)
    /// Two tensors claim the same bytes.
    case overlappingTensors(tensor: String, other: String)
    /// `tensor(named:)`: no tensor of that name.
    case tensorNotFound(String)
    /// A known ggml type that cannot be turned into Float tensors here.
    case unsupportedTensorType(tensor: String, type: String)
    /// A metadata accessor: the key is absent.
    case missingKey(String)
    /// A metadata accessor: the value has another type than asked for.
    case wrongType(key: String, expected: String, found: String)
    /// A metadata value has the right type but an unusable value.
    case invalidValue(key: String, problem: String)
    /// Reading the file failed.
    case fileError(path: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            return "gguf: the file ends inside \(field) at byte \(offset): \(needed) bytes needed, \(available) left"
        case let .badMagic(found):
            return "gguf: the file starts with bytes \(found), not the magic \"GGUF\" [71, 71, 85, 70]"
        case let .unsupportedVersion(version):
            return "gguf: version \(version) is not supported (only 2 and 3 are)"
        case let .countTooLarge(field, count, limit):
            return "gguf: \(field) \(count) is larger than the limit of \(limit) (or than the bytes left can hold)"
        case let .lengthTooLarge(field, length, available):
            return "gguf: \(field): length \(length) is larger than the \(available) bytes left in the file"
        case let .invalidString(field):
            return "gguf: \(field) is not valid UTF-8"
        case let .unknownValueType(field, type):
            return "gguf: \(field) has value type \(type), which the format does not define (0…12)"
        case let .arrayNestingTooDeep(field, limit):
            return "gguf: \(field): arrays nested more than \(limit) deep"
        case let .duplicateKey(key):
            return "gguf: metadata key \"\(key)\" appears more than once"
        case let .invalidAlignment(value):
            return "gguf: general.alignment \(value) is not a power of two between 1 and \(GGUFFile.maximumAlignment)"
        case let .invalidTensorInfo(tensor, field, problem):
            return "gguf: tensor \"\(tensor)\": \(field) \(problem)"
        case let .unknownTensorType(tensor, type):
            return "gguf: tensor \"\(tensor)\": ggml type \(type) is unknown"
        case let .duplicateTensor(name):
            return "gguf: tensor name \"\(name)\" appears more than once"
        case let .tensorOutOfRange(tensor, offset, byteCount, dataSize):
            return "gguf: tensor \"\(tensor)\": \(byteCount) bytes at data offset \(offset) reach past the data section of \(dataSize) bytes"
        case let .misalignedTensor(tensor, offset, alignment):
            return "gguf: tensor \"\(tensor)\": data offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .overlappingTensors(tensor, other):
            return "gguf: tensor \"\(tensor)\": its bytes overlap those of \"\(other)\""
        case let .tensorNotFound(name):
            return "gguf: no tensor named \"\(name)\""
        case let .unsupportedTensorType(tensor, type):
            return "gguf: tensor \"\(tensor)\": type \(type) cannot be dequantised here (only F32, F16, Q8_0, Q4_0 and Q4_1 can)"
        case let .missingKey(key):
            return "gguf: metadata key \"\(key)\" is missing"
        case let .wrongType(key, expected, found):
            return "gguf: metadata key \"\(key)\" holds \(found), not \(expected)"
        case let .invalidValue(key, problem):
            return "gguf: metadata key \"\(key)\": \(problem)"
        case let .fileError(path, reason):
            return "gguf: \(path): \(reason)"
        }
    }
}
