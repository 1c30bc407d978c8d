import Tokenizers
import Foundation

/// Everything that can be wrong with a GGUF file, or with a request to read something from one.
///
/// Errors found while checking a file's bytes come wrapped in `inFile(path:error:)` when the file
/// has a name (`GGUFFile(contentsOf:)`, `GGUFFile(data:name:)`); `problem` unwraps them. Keys and
/// names taken from the file are shown escaped and shortened, so a message is one short line.
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
    /// A problem found in the bytes of the named file.
    /// A weight (or a quantised block's scale) is NaN or ±infinity.
    case nonFinite(tensor: String, index: Int, value: Float)
    indirect case inFile(path: String, error: GGUFError)

    /// The error without the file name (the error itself when it names no file).
    public var problem: GGUFError {
        if case let .inFile(_, error) = self { return error.problem }
        return self
    }

    /// A one-line message naming the field or tensor at fault, prefixed with the file when the
    /// error is `inFile`.
    public var description: String {
        if case let .inFile(path, error) = self {
            var inner = error.description
            if inner.hasPrefix("gguf: ") { inner.removeFirst("gguf: ".count) }
            return "gguf: \(messageText(path, limit: 200)): \(inner)"
        }
        return detail
    }

    private var detail: String {
        // Names and keys below come from the file: escape and shorten them for the message.
        func q(_ text: String) -> String { messageText(text) }
        switch self {
        case let .truncated(field, offset, needed, available):
            return "gguf: the file ends early, inside \(field) at byte \(offset): \(needed) bytes needed, \(available) left"
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
            return "gguf: metadata key \"\(q(key))\" appears more than once"
        case let .invalidAlignment(value):
            return "gguf: general.alignment \(q(value)) is not a power of two between 1 and \(GGUFFile.maximumAlignment)"
        case let .invalidTensorInfo(tensor, field, problem):
            return "gguf: tensor \"\(q(tensor))\": \(field) \(problem)"
        case let .unknownTensorType(tensor, type):
            return "gguf: tensor \"\(q(tensor))\": ggml type \(type) is unknown"
        case let .duplicateTensor(name):
            return "gguf: tensor name \"\(q(name))\" appears more than once"
        case let .tensorOutOfRange(tensor, offset, byteCount, dataSize):
            return "gguf: tensor \"\(q(tensor))\": \(byteCount) bytes at data offset \(offset) reach past the data section of \(dataSize) bytes"
        case let .misalignedTensor(tensor, offset, alignment):
            return "gguf: tensor \"\(q(tensor))\": data offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .overlappingTensors(tensor, other):
            return "gguf: tensor \"\(q(tensor))\": its bytes overlap those of \"\(q(other))\""
        case let .tensorNotFound(name):
            return "gguf: no tensor named \"\(q(name))\""
        case let .unsupportedTensorType(tensor, type):
            return "gguf: tensor \"\(q(tensor))\": type \(type) cannot be dequantised here (only F32, F16, Q8_0, Q4_0 and Q4_1 can)"
        case let .missingKey(key):
            return "gguf: metadata key \"\(q(key))\" is missing"
        case let .wrongType(key, expected, found):
            return "gguf: metadata key \"\(q(key))\" holds \(found), not \(expected)"
        case let .invalidValue(key, problem):
            return "gguf: metadata key \"\(q(key))\": \(problem)"
        case let .nonFinite(tensor, index, value):
            return "gguf: tensor \"\(q(tensor))\": element \(index) is \(value), not a finite number (the weights are damaged)"
        case let .fileError(path, reason):
            return "gguf: \(messageText(path, limit: 200)): \(reason)"
        case .inFile:
            return description
        }
    }
}

extension GGUFError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
