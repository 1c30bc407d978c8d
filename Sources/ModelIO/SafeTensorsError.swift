import Tokenizers
import Foundation

/// Everything that can be wrong with a safetensors file, or with a request to read or write one.
///
/// Errors found while checking a file's bytes come wrapped in `inFile(path:error:)` when the file
/// has a name (`SafeTensors.read(contentsOf:)`, `SafeTensors(data:name:)`), so the message names
/// the file, the field and the problem; `problem` unwraps them. Names taken from the file are
/// shown escaped and shortened (`messageText`), so a message is always one short line.
///
/// Each case names the field (or tensor) and the problem, so a message such as
/// "tensor \"w\": data_offsets [0, 12] hold 12 bytes, but F32 [2, 2] needs 16" says exactly
/// which byte of the header lied.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than 8 bytes: not even the header length is there.
    case fileTooShort(byteCount: Int)
    /// The 8-byte header length is larger than the cap or than what the file holds after it.
    case headerLengthInvalid(length: UInt64, available: Int, limit: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON (with the byte position of the problem in the header).
    case invalidJSON(position: Int, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject
    /// `__metadata__` is not an object of string → string.
    case invalidMetadata(key: String?, problem: String)
    /// A tensor entry is missing a field or has a field of the wrong type or value.
    case invalidEntry(tensor: String, field: String, problem: String)
    /// A dtype that the safetensors format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// The shape's number of elements (or bytes) does not fit in an Int.
    case shapeOverflow(tensor: String, shape: [Int])
    /// `data_offsets` begin after they end.
    case offsetsReversed(tensor: String, begin: Int, end: Int)
    /// `data_offsets` reach past the data section.
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataSize: Int)
    /// The byte range does not hold exactly product(shape) · size(dtype) bytes.
    case sizeMismatch(tensor: String, dtype: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// Two tensors claim the same bytes.
    case overlappingData(tensor: String, other: String)
    /// Bytes of the data section that belong to no tensor (between tensors or at the end).
    case gapInData(begin: Int, end: Int)
    /// The same tensor name appears twice (in a header, or in a list given to the writer).
    case duplicateName(String)
    /// A name the writer refuses: empty, or the reserved `__metadata__`.
    case invalidName(String)
    /// `tensor(named:)` and friends: no tensor of that name.
    case tensorNotFound(String)
    /// The dtype is valid safetensors but cannot be turned into Float tensors here.
    case unsupportedDType(tensor: String, dtype: String)
    /// Reading or writing the file failed.
    case fileError(path: String, reason: String)
    /// A weight is NaN or ±infinity: well-formed bytes, but no model can compute with them.
    case nonFinite(tensor: String, index: Int, value: Float)
    /// A problem found in the bytes of the named file.
    indirect case inFile(path: String, error: SafeTensorsError)

    /// The error without the file name (the error itself when it names no file).
    public var problem: SafeTensorsError {
        if case let .inFile(_, error) = self { return error.problem }
        return self
    }

    /// A one-line message naming the problem, prefixed with the file when the error is `inFile`.
    public var description: String {
        if case let .inFile(path, error) = self {
            var inner = error.description
            if inner.hasPrefix("safetensors: ") { inner.removeFirst("safetensors: ".count) }
            return "safetensors: \(messageText(path, limit: 200)): \(inner)"
        }
        return detail
    }

    private var detail: String {
        // Every name below comes from the file: escape and shorten it for the message.
        func q(_ text: String) -> String { messageText(text) }
        switch self {
        case let .fileTooShort(count):
            return "safetensors: the file has \(count) bytes, fewer than the 8 bytes of the header length"
        case let .headerLengthInvalid(length, available, limit):
            return "safetensors: header length \(length) is invalid: the file holds \(available) bytes after the length field and the limit is \(limit) bytes"
        case .headerNotUTF8:
            return "safetensors: the header is not valid UTF-8"
        case let .invalidJSON(position, reason):
            return "safetensors: the header is not valid JSON at byte \(position): \(reason)"
        case .headerNotObject:
            return "safetensors: the header is JSON but not an object"
        case let .invalidMetadata(key, problem):
            if let key { return "safetensors: __metadata__ key \"\(q(key))\": \(problem)" }
            return "safetensors: __metadata__: \(problem)"
        case let .invalidEntry(tensor, field, problem):
            return "safetensors: tensor \"\(q(tensor))\": field \"\(field)\" \(problem)"
        case let .unknownDType(tensor, dtype):
            return "safetensors: tensor \"\(q(tensor))\": unknown dtype \"\(q(dtype))\""
        case let .shapeOverflow(tensor, shape):
            return "safetensors: tensor \"\(q(tensor))\": shape \(shape) holds more elements or bytes than fit in an Int"
        case let .offsetsReversed(tensor, begin, end):
            return "safetensors: tensor \"\(q(tensor))\": data_offsets [\(begin), \(end)] begin after they end"
        case let .offsetsOutOfRange(tensor, begin, end, dataSize):
            return "safetensors: tensor \"\(q(tensor))\": data_offsets [\(begin), \(end)] reach past the data section of \(dataSize) bytes"
        case let .sizeMismatch(tensor, dtype, shape, expected, actual):
            return "safetensors: tensor \"\(q(tensor))\": data_offsets hold \(actual) bytes, but \(dtype) \(shape) needs \(expected)"
        case let .overlappingData(tensor, other):
            return "safetensors: tensor \"\(q(tensor))\": data_offsets overlap those of \"\(q(other))\""
        case let .gapInData(begin, end):
            return "safetensors: data bytes \(begin)..<\(end) belong to no tensor (offsets must tile the data section exactly)"
        case let .duplicateName(name):
            return "safetensors: tensor name \"\(q(name))\" appears more than once"
        case let .invalidName(name):
            return "safetensors: \"\(q(name))\" cannot be a tensor name (empty or reserved)"
        case let .tensorNotFound(name):
            return "safetensors: no tensor named \"\(q(name))\""
        case let .unsupportedDType(tensor, dtype):
            return "safetensors: tensor \"\(q(tensor))\": dtype \(dtype) cannot be read as Float (only F32, F16 and BF16 can)"
        case let .fileError(path, reason):
            return "safetensors: \(messageText(path, limit: 200)): \(reason)"
        case let .nonFinite(tensor, index, value):
            return "safetensors: tensor \"\(q(tensor))\": element \(index) is \(value), not a finite number (the weights are damaged)"
        case .inFile:
            return description
        }
    }
}

extension SafeTensorsError: LocalizedError {
    /// The message `tx` prints after "Error: ", so `localizedDescription` is as precise.
    public var errorDescription: String? { description }
}
