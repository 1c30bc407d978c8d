import Foundation
import TensorCore

/// A safetensors file, read and checked: the format Hugging Face uses for model weights.
///
/// The layout is
///
///     [8 bytes]  N, the header length, a little-endian UInt64
///     [N bytes]  the header: UTF-8 JSON, an object mapping each tensor name to
///                {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
///                plus an optional "__metadata__" object of string → string;
///                it may end in spaces so that the data starts 8-byte aligned
///     [the rest] the data: every tensor's bytes, little-endian, row-major, at
///                data_offsets counted from the first byte after the header
///
/// Every byte is treated as hostile: the initialiser checks the whole header (lengths, types,
/// dtypes, shapes with overflow-safe arithmetic, offsets in range, sizes matching the shapes,
/// offsets tiling the data section with no gap or overlap, no duplicate names) and throws a
/// `SafeTensorsError` naming the problem. After that, reading a tensor cannot go out of bounds.
public struct SafeTensors: Sendable {
    /// What the header says about one tensor.
    public struct Entry: Sendable, Equatable {
        /// The tensor's name in the header, e.g. "encoder.layer.0.attention.self.query.weight".
        public let name: String
        /// How each element is stored (F32, F16, BF16, …).
        public let dtype: SafeTensorsDType
        /// The row-major shape, as the header gives it.
        public let shape: [Int]
        /// Byte range in the data section (relative to the first byte after the header).
        public let dataOffsets: Range<Int>
    }

    /// The largest header we accept (the reference implementation uses the same cap).
    public static let maximumHeaderLength = 100_000_000

    /// The tensors in the order their data appears in the file.
    public let entries: [Entry]
    /// The `__metadata__` object (empty if there is none).
    public let metadata: [String: String]
    private let bytes: [UInt8]
    /// Where the data section starts in `bytes` (8 + header length).
    private let dataStart: Int
    private let index: [String: Int]

    /// The tensor names, sorted.
    public var tensorNames: [String] { entries.map(\.name).sorted() }

    /// Reads and checks a whole file.
    /// Read with `pread` after checking the path is a regular file (see `RegularFileReader`):
    /// a FIFO is refused rather than waited on, and a file truncated while it is read is an
    /// error, not a crash. `afterChunk` is the reader's test hook.
    public static func read(contentsOf path: String, chunkSize: Int = 1 << 24,
                            afterChunk: ((Int) -> Void)? = nil) throws(SafeTensorsError) -> SafeTensors {
        let data: Data
        do {
            data = try RegularFileReader.read(path, limit: RegularFileReader.memoryLimit,
                                              what: "model file on this machine", chunkSize: chunkSize, afterChunk: afterChunk)
        } catch {
            throw .fileError(path: path, reason: error.reason)
        }
        return try SafeTensors(data: [UInt8](data), name: path)
    }

    /// Checks the bytes of a file called `name` (a path or just a label, for messages): any
    /// problem is thrown as `inFile(path: name, error:)`.
    public init(data: [UInt8], name: String) throws(SafeTensorsError) {
        do {
            try self.init(data: data)
        } catch {
            throw .inFile(path: name, error: error)
        }
    }

    /// Checks the bytes of a whole file.
    public init(data: [UInt8]) throws(SafeTensorsError) {
        guard data.count >= 8 else { throw .fileTooShort(byteCount: data.count) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[i]) << (8 * UInt64(i)) }
        let available = data.count - 8
        guard length <= UInt64(SafeTensors.maximumHeaderLength), length <= UInt64(available) else {
            throw .headerLengthInvalid(length: length, available: available,
                                       limit: SafeTensors.maximumHeaderLength)
        }
        let headerLength = Int(length)
        let headerBytes = data[8..<(8 + headerLength)]
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw .headerNotUTF8 }
        guard case let .object(members) = try HeaderJSON.parse(headerBytes) else { throw .headerNotObject }

        let dataSize = available - headerLength
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try SafeTensors.parseMetadata(value)
            } else {
                entries.append(try SafeTensors.parseEntry(name: name, value: value, dataSize: dataSize))
            }
        }

        // The byte ranges must tile the data section: sorted by begin, each starts where the
        // previous ended, and the last ends at the end of the file.
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
                     < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name) }
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.dataOffsets.lowerBound < cursor, let previous {
                throw .overlappingData(tensor: entry.name, other: previous)
            }
            if entry.dataOffsets.lowerBound > cursor {
                throw .gapInData(begin: cursor, end: entry.dataOffsets.lowerBound)
            }
            cursor = entry.dataOffsets.upperBound
            previous = entry.name
        }
        guard cursor == dataSize else { throw .gapInData(begin: cursor, end: dataSize) }

        self.entries = entries
        self.metadata = metadata
        self.bytes = data
        self.dataStart = 8 + headerLength
        self.index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    private static func parseMetadata(_ value: HeaderJSON) throws(SafeTensorsError) -> [String: String] {
        guard case let .object(members) = value else {
            throw .invalidMetadata(key: nil, problem: "is \(value.typeName), not an object")
        }
        var result: [String: String] = [:]
        for (key, item) in members {
            guard case let .string(text) = item else {
                throw .invalidMetadata(key: key, problem: "the value is \(item.typeName), not a string")
            }
            result[key] = text
        }
        return result
    }

    /// A JSON number that is a non-negative integer fitting in Int, or nil.
    private static func nonNegativeInteger(_ value: HeaderJSON) -> Int? {
        guard case let .number(text) = value, !text.isEmpty,
              text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)   // nil on overflow
    }

    private static func parseEntry(name: String, value: HeaderJSON,
                                   dataSize: Int) throws(SafeTensorsError) -> Entry {
        guard case let .object(fields) = value else {
            throw .invalidEntry(tensor: name, field: "(entry)", problem: "is \(value.typeName), not an object")
        }
        func field(_ key: String) throws(SafeTensorsError) -> HeaderJSON {
            guard let found = fields.first(where: { $0.key == key }) else {
                throw .invalidEntry(tensor: name, field: key, problem: "is missing")
            }
            return found.value
        }

        guard case let .string(dtypeName) = try field("dtype") else {
            throw .invalidEntry(tensor: name, field: "dtype", problem: "is \(try field("dtype").typeName), not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(tensor: name, dtype: dtypeName)
        }

        guard case let .array(shapeValues) = try field("shape") else {
            throw .invalidEntry(tensor: name, field: "shape", problem: "is \(try field("shape").typeName), not an array")
        }
        var shape: [Int] = []
        for (axis, item) in shapeValues.enumerated() {
            guard let dimension = nonNegativeInteger(item) else {
                throw .invalidEntry(tensor: name, field: "shape",
                                    problem: "element \(axis) is not a non-negative integer that fits in 64 bits")
            }
            shape.append(dimension)
        }
        // The product is checked with zero dimensions counted as 1 too: a shape such as
        // [0, 2^40, 2^40] holds no bytes, but its strides would overflow whoever uses it.
        var byteCount = dtype.byteSize
        var nonZeroBytes = dtype.byteSize
        for dimension in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            let (nonZero, nonZeroOverflow) = nonZeroBytes.multipliedReportingOverflow(by: max(dimension, 1))
            guard !overflow, !nonZeroOverflow else { throw .shapeOverflow(tensor: name, shape: shape) }
            byteCount = product
            nonZeroBytes = nonZero
        }

        guard case let .array(offsetValues) = try field("data_offsets") else {
            throw .invalidEntry(tensor: name, field: "data_offsets",
                                problem: "is \(try field("data_offsets").typeName), not an array")
        }
        guard offsetValues.count == 2 else {
            throw .invalidEntry(tensor: name, field: "data_offsets",
                                problem: "has \(offsetValues.count) elements, not 2 ([begin, end])")
        }
        guard let begin = nonNegativeInteger(offsetValues[0]), let end = nonNegativeInteger(offsetValues[1]) else {
            throw .invalidEntry(tensor: name, field: "data_offsets",
                                problem: "holds something other than non-negative integers that fit in 64 bits")
        }
        guard begin <= end else { throw .offsetsReversed(tensor: name, begin: begin, end: end) }
        guard end <= dataSize else {
            throw .offsetsOutOfRange(tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        guard end - begin == byteCount else {
            throw .sizeMismatch(tensor: name, dtype: dtype.rawValue, shape: shape,
                                expectedBytes: byteCount, actualBytes: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    // MARK: Reading tensors

    /// The header entry of a tensor.
    public func entry(named name: String) throws(SafeTensorsError) -> Entry {
        guard let position = index[name] else { throw .tensorNotFound(name) }
        return entries[position]
    }

    /// The shape of the named tensor; throws `tensorNotFound` if there is none.
    public func shape(of name: String) throws(SafeTensorsError) -> [Int] { try entry(named: name).shape }

    /// The element type of the named tensor; throws `tensorNotFound` if there is none.
    public func dtype(of name: String) throws(SafeTensorsError) -> SafeTensorsDType { try entry(named: name).dtype }

    /// The raw little-endian bytes of a tensor.
    public func rawBytes(of name: String) throws(SafeTensorsError) -> ArraySlice<UInt8> {
        let entry = try entry(named: name)
        return bytes[(dataStart + entry.dataOffsets.lowerBound)..<(dataStart + entry.dataOffsets.upperBound)]
    }

    /// A tensor as Float: F32 as is, F16 and BF16 converted exactly. Other dtypes throw
    /// `unsupportedDType` naming the dtype.
    /// NaN and ±∞ throw `nonFinite` naming the tensor and the element, unless `allowNonFinite`
    /// (for tools and tests that look at the raw values).
    public func tensor(named name: String, allowNonFinite: Bool = false) throws(SafeTensorsError) -> Tensor {
        let entry = try entry(named: name)
        let raw = try rawBytes(of: name)
        let count = entry.dataOffsets.count / entry.dtype.byteSize
        var scalars = [Float]()
        scalars.reserveCapacity(count)
        let base = raw.startIndex
        switch entry.dtype {
        case .f32:
            for i in 0..<count {
                let p = base + 4 * i
                let bits = UInt32(raw[p]) | UInt32(raw[p + 1]) << 8 | UInt32(raw[p + 2]) << 16 | UInt32(raw[p + 3]) << 24
                scalars.append(Float(bitPattern: bits))
            }
        case .f16, .bf16:
            let convert = entry.dtype == .f16 ? floatFromHalfBits : floatFromBFloat16Bits
            for i in 0..<count {
                let p = base + 2 * i
                scalars.append(convert(UInt16(raw[p]) | UInt16(raw[p + 1]) << 8))
            }
        default:
            throw .unsupportedDType(tensor: name, dtype: entry.dtype.rawValue)
        }
        // One NaN weight turns every activation it touches into NaN, and the attention figures
        // and the printed grids into "NaN" and "−∞" with exit status 0. Checking here, where the
        // tensor is named and the values are in cache anyway, costs a comparison per weight.
        if !allowNonFinite, let bad = scalars.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(tensor: name, index: bad, value: scalars[bad])
        }
        do {
            return try Tensor(shape: entry.shape, scalars: scalars)
        } catch {
            // Cannot happen: the shape was checked against the byte count above.
            throw .shapeOverflow(tensor: name, shape: entry.shape)
        }
    }
}
