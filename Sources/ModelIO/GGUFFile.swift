import Tokenizers
import Foundation
import TensorCore

/// A GGUF file, read and checked: the single-file format of ggml / llama.cpp, holding a model's
/// configuration, its tokenizer and its (often quantised) weights.
///
/// The layout (ggml's docs/gguf.md), all little-endian:
///
///     "GGUF"                    magic, 4 bytes
///     uint32 version            2 or 3 (1 used 32-bit counts and is not supported)
///     uint64 tensor_count
///     uint64 metadata_kv_count
///     metadata_kv_count × { string key, uint32 value_type, value }
///     tensor_count × { string name, uint32 n_dims, uint64 dims[n_dims], uint32 ggml_type, uint64 offset }
///     padding to general.alignment (default 32)
///     the data section: each tensor at its offset (relative to the section, a multiple of the alignment)
///
/// A string is `uint64 length` + UTF-8 bytes (no terminator); an array is `uint32 element_type`,
/// `uint64 count`, then the elements. `dims[0]` is the fastest-varying axis (ggml's `ne[0]`), so
/// a weight matrix with dims [576, 1536] has 1536 rows of 576: `shape` reverses the dims into
/// the row-major order of `Tensor`.
///
/// Every byte is treated as hostile: counts and lengths are checked against the bytes left before
/// anything is allocated, all size arithmetic reports overflow, tensors must lie in the file,
/// be aligned and not overlap. Problems throw a `GGUFError` naming the field; nothing traps.
public struct GGUFFile: Sendable {
    /// What the file says about one tensor.
    public struct TensorInfo: Sendable, Equatable {
        /// The tensor's name in the file, e.g. "blk.0.attn_q.weight".
        public let name: String
        /// ggml order: `dimensions[0]` varies fastest.
        public let dimensions: [Int]
        /// How the elements are stored (F32, F16, Q4_0, …).
        public let type: GGMLType
        /// Byte offset in the data section.
        public let offset: Int
        /// Bytes the tensor occupies in the data section.
        public let byteCount: Int
        /// The number of elements: the product of the dimensions.
        public let elementCount: Int
        /// Row-major shape (the dimensions reversed), as `Tensor` uses.
        public var shape: [Int] { dimensions.reversed() }
    }

    /// The most tensors a file may declare; more is rejected before anything is allocated.
    public static let maximumTensorCount = 1 << 20
    /// The most metadata key-value pairs a file may declare.
    public static let maximumMetadataCount = 1 << 20
    /// The deepest nesting of arrays within arrays a metadata value may have.
    public static let maximumArrayNesting = 8
    /// The most array elements all metadata values may hold together. Each element becomes a
    /// `GGUFValue` of tens of bytes, so a file of N bytes of uint8 arrays could otherwise ask
    /// for ~40·N bytes of memory. Real files hold well under a million (Gemma's 256k tokens,
    /// their scores and types, the merges).
    public static let maximumMetadataElements = 1 << 24
    /// The largest `general.alignment` accepted, in bytes.
    public static let maximumAlignment = 1 << 16
    /// ggml's GGML_MAX_DIMS.
    public static let maximumDimensions = 4

    /// The GGUF format version from the header.
    public let version: UInt32
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// The metadata values by key (e.g. "llama.block_count").
    public let metadata: [String: GGUFValue]
    /// The tensors in file order.
    public let tensors: [TensorInfo]
    /// `general.alignment`: tensor offsets are multiples of this many bytes (32 when absent).
    public let alignment: Int
    /// Where the data section starts in the file.
    public let dataOffset: Int

    private let data: Data
    private let index: [String: Int]

    /// Reads and checks a whole file. It is read into memory with `pread`, not memory-mapped: a
    /// mapped file truncated by another process while it loads would kill this one with SIGBUS
    /// (see `RegularFileReader`). `afterChunk` is the reader's test hook.
    public init(contentsOf url: URL, chunkSize: Int = 1 << 24, afterChunk: ((Int) -> Void)? = nil) throws(GGUFError) {
        let data: Data
        do {
            data = try RegularFileReader.read(url.path, limit: RegularFileReader.memoryLimit,
                                              what: "model file on this machine", chunkSize: chunkSize, afterChunk: afterChunk)
        } catch {
            throw .fileError(path: url.path, reason: error.reason)
        }
        try self.init(data: data, name: url.path)
    }

    /// Checks the bytes of a file called `name` (a path or just a label, for messages): any
    /// problem is thrown as `inFile(path: name, error:)`.
    public init(data: Data, name: String) throws(GGUFError) {
        do {
            try self.init(data: data)
        } catch {
            throw .inFile(path: name, error: error)
        }
    }

    /// Checks the bytes of a whole file.
    public init(data: Data) throws(GGUFError) {
        // Data may be a slice with a non-zero start index: work on a zero-based copy of the view.
        let data = data.startIndex == 0 ? data : Data(data)
        let parsed: Result<Parsed, GGUFError> = data.withUnsafeBytes { buffer in
            do throws(GGUFError) {
                var reader = ByteReader(bytes: buffer)
                return .success(try GGUFFile.parse(&reader))
            } catch {
                return .failure(error)
            }
        }
        let header = try parsed.get()
        self.version = header.version
        self.metadataKeys = header.keys
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.alignment = header.alignment
        self.dataOffset = header.dataOffset
        self.data = data
        var index: [String: Int] = [:]
        for (position, info) in header.tensors.enumerated() { index[info.name] = position }
        self.index = index
    }

    // MARK: Parsing

    private struct Parsed {
        var version: UInt32
        var keys: [String]
        var metadata: [String: GGUFValue]
        var tensors: [TensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    private static func parse(_ reader: inout ByteReader) throws(GGUFError) -> Parsed {
        let magic = try reader.take(4, field: "the magic")
        guard Array(magic) == [0x47, 0x47, 0x55, 0x46] else { throw .badMagic(found: Array(magic)) }
        let version = try reader.uint32(field: "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        let tensorCount = try reader.uint64(field: "the tensor count")
        let metadataCount = try reader.uint64(field: "the metadata count")
        // Each tensor info takes at least 24 bytes (empty name, 0 dims) and each key-value pair
        // at least 13 (empty key, a uint8): a count the rest of the file cannot hold is a lie.
        guard tensorCount <= UInt64(maximumTensorCount), tensorCount <= UInt64(reader.remaining / 24) else {
            throw .countTooLarge(field: "tensor count", count: tensorCount, limit: maximumTensorCount)
        }
        guard metadataCount <= UInt64(maximumMetadataCount), metadataCount <= UInt64(reader.remaining / 13) else {
            throw .countTooLarge(field: "metadata count", count: metadataCount, limit: maximumMetadataCount)
        }

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        var elementBudget = maximumMetadataElements
        for position in 0..<Int(metadataCount) {
            let key = try reader.string(field: "metadata key \(position)")
            let field = "metadata key \"\(messageText(key))\""
            let rawType = try reader.uint32(field: "\(field): value type")
            let value = try readValue(&reader, rawType: rawType, field: { field }, depth: 0, budget: &elementBudget)
            guard metadata[key] == nil else { throw .duplicateKey(key) }
            metadata[key] = value
            keys.append(key)
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let integer = value.integerValue, integer > 0, integer <= maximumAlignment,
                  integer & (integer - 1) == 0 else {
                throw .invalidAlignment(value: "\(value)")
            }
            alignment = integer
        }

        var tensors: [TensorInfo] = []
        var seen = Set<String>()
        for position in 0..<Int(tensorCount) {
            let name = try reader.string(field: "the name of tensor \(position)")
            let dimensionCount = try reader.uint32(field: "tensor \"\(messageText(name))\": n_dims")
            guard dimensionCount <= UInt32(maximumDimensions) else {
                throw .invalidTensorInfo(tensor: name, field: "n_dims",
                                         problem: "is \(dimensionCount), more than \(maximumDimensions)")
            }
            var dimensions: [Int] = []
            var elementCount = 1
            // Also with zero dimensions counted as 1: [0, 2^40, 2^40] holds nothing, but its
            // strides would overflow.
            var nonZeroCount = 1
            for axis in 0..<Int(dimensionCount) {
                let raw = try reader.uint64(field: "tensor \"\(messageText(name))\": dimension \(axis)")
                guard let dimension = Int(exactly: raw) else {
                    throw .invalidTensorInfo(tensor: name, field: "dimension \(axis)", problem: "\(raw) does not fit in an Int")
                }
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
                let (nonZero, nonZeroOverflow) = nonZeroCount.multipliedReportingOverflow(by: max(dimension, 1))
                guard !overflow, !nonZeroOverflow else {
                    throw .invalidTensorInfo(tensor: name, field: "dimensions",
                                             problem: "hold more elements than fit in an Int")
                }
                elementCount = product
                nonZeroCount = nonZero
                dimensions.append(dimension)
            }
            let rawType = try reader.uint32(field: "tensor \"\(messageText(name))\": type")
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(tensor: name, type: rawType) }
            let rawOffset = try reader.uint64(field: "tensor \"\(messageText(name))\": offset")
            guard let offset = Int(exactly: rawOffset) else {
                throw .invalidTensorInfo(tensor: name, field: "offset", problem: "\(rawOffset) does not fit in an Int")
            }
            let rowLength = dimensions.first ?? 1
            guard rowLength % type.blockSize == 0 else {
                throw .invalidTensorInfo(tensor: name, field: "dimension 0",
                                         problem: "is \(rowLength), not a multiple of the \(type) block size \(type.blockSize)")
            }
            let (byteCount, overflow) = (elementCount / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
            guard !overflow else {
                throw .invalidTensorInfo(tensor: name, field: "dimensions", problem: "hold more bytes than fit in an Int")
            }
            guard seen.insert(name).inserted else { throw .duplicateTensor(name) }
            tensors.append(TensorInfo(name: name, dimensions: dimensions, type: type, offset: offset,
                                      byteCount: byteCount, elementCount: elementCount))
        }

        // The data section starts at the next multiple of the alignment.
        let headerEnd = reader.offset
        let (padded, overflow) = headerEnd.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw .truncated(field: "the padding", offset: headerEnd, needed: alignment, available: 0) }
        let dataOffset = padded / alignment * alignment
        let fileSize = reader.bytes.count
        if dataOffset > fileSize && !tensors.isEmpty {
            throw .truncated(field: "the padding before the data section", offset: headerEnd,
                             needed: dataOffset - headerEnd, available: fileSize - headerEnd)
        }
        let dataSize = max(0, fileSize - dataOffset)

        for info in tensors {
            guard info.offset % alignment == 0 else {
                throw .misalignedTensor(tensor: info.name, offset: info.offset, alignment: alignment)
            }
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= dataSize else {
                throw .tensorOutOfRange(tensor: info.name, offset: info.offset, byteCount: info.byteCount,
                                        dataSize: dataSize)
            }
        }
        // No two tensors may share bytes (gaps for padding are fine).
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.offset < previous.offset + previous.byteCount {
            throw .overlappingTensors(tensor: next.name, other: previous.name)
        }
        return Parsed(version: version, keys: keys, metadata: metadata, tensors: tensors,
                      alignment: alignment, dataOffset: dataOffset)
    }

    private static func readValue(_ reader: inout ByteReader, rawType: UInt32, field: () -> String,
                                  depth: Int, budget: inout Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(field: field(), type: rawType) }
        switch type {
        case .uint8: return .uint8(try reader.uint8(field: field()))
        case .int8: return .int8(Int8(bitPattern: try reader.uint8(field: field())))
        case .uint16: return .uint16(try reader.uint16(field: field()))
        case .int16: return .int16(Int16(bitPattern: try reader.uint16(field: field())))
        case .uint32: return .uint32(try reader.uint32(field: field()))
        case .int32: return .int32(Int32(bitPattern: try reader.uint32(field: field())))
        case .float32: return .float32(Float(bitPattern: try reader.uint32(field: field())))
        case .bool:
            let byte = try reader.uint8(field: field())
            guard byte <= 1 else { throw .invalidValue(key: field(), problem: "bool byte is \(byte), not 0 or 1") }
            return .bool(byte == 1)
        case .string: return .string(try reader.string(field: field()))
        case .uint64: return .uint64(try reader.uint64(field: field()))
        case .int64: return .int64(Int64(bitPattern: try reader.uint64(field: field())))
        case .float64: return .float64(Double(bitPattern: try reader.uint64(field: field())))
        case .array:
            guard depth < maximumArrayNesting else { throw .arrayNestingTooDeep(field: field(), limit: maximumArrayNesting) }
            let rawElementType = try reader.uint32(field: "\(field()): array element type")
            guard let elementType = GGUFValueType(rawValue: rawElementType) else {
                throw .unknownValueType(field: "\(field()): array element", type: rawElementType)
            }
            let count = try reader.uint64(field: "\(field()): array length")
            // The smallest element: its fixed size, 8 bytes for a string's length,
            // 12 for a nested array's type and length.
            let minimumSize = elementType.fixedSize ?? (elementType == .string ? 8 : 12)
            guard count <= UInt64(reader.remaining / minimumSize) else {
                throw .lengthTooLarge(field: "\(field()): array", length: count, available: reader.remaining)
            }
            guard count <= UInt64(budget) else {
                throw .countTooLarge(field: "\(field()): array length (with all the metadata arrays before it)",
                                     count: count, limit: maximumMetadataElements)
            }
            budget -= Int(count)
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for element in 0..<Int(count) {
                values.append(try readValue(&reader, rawType: rawElementType, field: { "\(field())[\(element)]" },
                                            depth: depth + 1, budget: &budget))
            }
            return .array(elementType: elementType, values: values)
        }
    }

    // MARK: Tensors

    /// The info of one tensor.
    public func tensorInfo(named name: String) throws(GGUFError) -> TensorInfo {
        guard let position = index[name] else { throw .tensorNotFound(name) }
        return tensors[position]
    }

    /// Whether the file has a tensor of that name.
    public func hasTensor(named name: String) -> Bool { index[name] != nil }

    /// The raw bytes of a tensor, as stored (checked to lie in the file when the file was read).
    public func rawBytes(of name: String) throws(GGUFError) -> Data {
        let info = try tensorInfo(named: name)
        let start = dataOffset + info.offset
        return data.subdata(in: start..<(start + info.byteCount))
    }

    /// Throws `nonFinite` if a tensor kept in its quantised blocks would give a NaN or an
    /// infinite weight. In Q8_0, Q4_0 and Q4_1 only the f16 scale `d` (and Q4_1's offset `m`)
    /// can be non-finite: the quants are small integers and f16's largest value times 15 is
    /// still finite. So only the scales are read, a few bytes per 32 weights. Other types are
    /// checked by dequantising (`tensor(named:)` checks its output).
    public func checkFinite(_ name: String) throws(GGUFError) {
        let info = try tensorInfo(named: name)
        let scales: [Int]   // byte offsets of the f16 scales within a block
        switch info.type {
        case .q8_0, .q4_0: scales = [0]
        case .q4_1: scales = [0, 2]
        default:
            _ = try tensor(named: name)
            return
        }
        let start = dataOffset + info.offset
        let blockBytes = info.type.blockBytes
        let blocks = info.byteCount / blockBytes
        let bad: (block: Int, value: Float)? = data.withUnsafeBytes { buffer in
            let base = buffer.baseAddress! + start
            for block in 0..<blocks {
                for offset in scales {
                    let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: block * blockBytes + offset, as: UInt16.self))
                    // f16 with all exponent bits set is an infinity or a NaN.
                    if bits & 0x7C00 == 0x7C00 { return (block, floatFromHalfBits(bits)) }
                }
            }
            return nil
        }
        if let bad { throw .nonFinite(tensor: name, index: bad.block * info.type.blockSize, value: bad.value) }
    }

    /// A tensor as Float in row-major `shape` order: F32 as is; F16, Q8_0, Q4_0 and Q4_1
    /// dequantised exactly as ggml does. Any other type throws `unsupportedTensorType`.
    public func tensor(named name: String) throws(GGUFError) -> Tensor {
        let info = try tensorInfo(named: name)
        let start = dataOffset + info.offset
        let result: Result<[Float], GGUFError> = data.withUnsafeBytes { buffer in
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + info.byteCount)])
            do throws(GGUFError) {
                return .success(try GGUFDequantizer.dequantize(bytes, type: info.type, count: info.elementCount,
                                                               tensor: name))
            } catch {
                return .failure(error)
            }
        }
        let scalars = try result.get()
        // Non-finite weights are an error here, where the tensor can be named (see SafeTensors).
        if let bad = scalars.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(tensor: name, index: bad, value: scalars[bad])
        }
        do {
            return try Tensor(shape: info.shape, scalars: scalars)
        } catch {
            // Cannot happen: the element count is the product of the dimensions.
            throw .invalidTensorInfo(tensor: name, field: "dimensions", problem: "do not match the data")
        }
    }

    // MARK: Metadata

    /// A metadata value, or `missingKey`.
    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = metadata[key] else { throw .missingKey(key) }
        return value
    }

    /// A string value; throws `missingKey` or `wrongType`.
    public func string(_ key: String) throws(GGUFError) -> String {
        let found = try value(key)
        guard case let .string(text) = found else { throw .wrongType(key: key, expected: "a string", found: found.typeName) }
        return text
    }

    /// Any integer type whose value fits in an Int.
    public func int(_ key: String) throws(GGUFError) -> Int {
        let found = try value(key)
        guard let integer = found.integerValue else {
            throw .wrongType(key: key, expected: "an integer that fits in an Int", found: "\(found.typeName) \(found)")
        }
        return integer
    }

    /// float32 or float64 (integers are accepted too: some writers store 10000 as an integer).
    public func float(_ key: String) throws(GGUFError) -> Double {
        let found = try value(key)
        switch found {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default:
            if let integer = found.integerValue { return Double(integer) }
            throw .wrongType(key: key, expected: "a number", found: found.typeName)
        }
    }

    /// A bool value; throws `missingKey` or `wrongType`.
    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let found = try value(key)
        guard case let .bool(flag) = found else { throw .wrongType(key: key, expected: "a bool", found: found.typeName) }
        return flag
    }

    private func array(_ key: String, expected: String) throws(GGUFError) -> [GGUFValue] {
        let found = try value(key)
        guard case let .array(_, values) = found else { throw .wrongType(key: key, expected: expected, found: found.typeName) }
        return values
    }

    /// An array of strings; throws `missingKey` or `wrongType`.
    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let values = try array(key, expected: "an array of strings")
        var result: [String] = []
        result.reserveCapacity(values.count)
        for value in values {
            guard case let .string(text) = value else {
                throw .wrongType(key: key, expected: "an array of strings", found: "an array of \(value.typeName)")
            }
            result.append(text)
        }
        return result
    }

    /// An array whose elements are integers that fit in an Int; throws `missingKey` or `wrongType`.
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let values = try array(key, expected: "an array of integers")
        var result: [Int] = []
        result.reserveCapacity(values.count)
        for value in values {
            guard let integer = value.integerValue else {
                throw .wrongType(key: key, expected: "an array of integers", found: "an array of \(value.typeName)")
            }
            result.append(integer)
        }
        return result
    }

    /// An array of float32 or float64 values (integers accepted); throws `missingKey` or
    /// `wrongType`.
    public func floatArray(_ key: String) throws(GGUFError) -> [Double] {
        let values = try array(key, expected: "an array of numbers")
        var result: [Double] = []
        result.reserveCapacity(values.count)
        for value in values {
            switch value {
            case let .float32(v): result.append(Double(v))
            case let .float64(v): result.append(v)
            default:
                throw .wrongType(key: key, expected: "an array of floats", found: "an array of \(value.typeName)")
            }
        }
        return result
    }
}

/// A cursor over the file's bytes that never reads past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int, field: @autoclosure () -> String) throws(GGUFError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else {
            throw .truncated(field: field(), offset: offset, needed: count, available: remaining)
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func uint8(field: @autoclosure () -> String) throws(GGUFError) -> UInt8 { try take(1, field: field())[0] }

    mutating func uint16(field: @autoclosure () -> String) throws(GGUFError) -> UInt16 {
        UInt16(littleEndian: try take(2, field: field()).loadUnaligned(as: UInt16.self))
    }

    mutating func uint32(field: @autoclosure () -> String) throws(GGUFError) -> UInt32 {
        UInt32(littleEndian: try take(4, field: field()).loadUnaligned(as: UInt32.self))
    }

    mutating func uint64(field: @autoclosure () -> String) throws(GGUFError) -> UInt64 {
        UInt64(littleEndian: try take(8, field: field()).loadUnaligned(as: UInt64.self))
    }

    /// uint64 length + UTF-8 bytes, the length bounded by the bytes left.
    mutating func string(field: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try uint64(field: "\(field()): string length")
        guard length <= UInt64(remaining) else {
            throw .lengthTooLarge(field: "\(field()): string", length: length, available: remaining)
        }
        let raw = try take(Int(length), field: field())
        guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidString(field: field()) }
        return text
    }
}
