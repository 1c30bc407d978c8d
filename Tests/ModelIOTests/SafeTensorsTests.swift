import Foundation
import Testing
@testable import ModelIO
import TensorCore

// MARK: Helpers

/// A file from a header JSON literal and data bytes (header length written little-endian).
func fileBytes(header: String, data: [UInt8], headerLengthOverride: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    let length = headerLengthOverride ?? UInt64(headerBytes.count)
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
    bytes += headerBytes + data
    return bytes
}

func bitsOf(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

func sampleTensors() throws -> [(name: String, tensor: Tensor)] {
    var rng = SeededGenerator(seed: 11)
    return [
        ("layer.0.weight", Tensor.randomNormal([3, 4], using: &rng)),
        ("layer.0.bias", Tensor([0.5, -1.25, 3.0])),
        ("scalar", Tensor([42])),
        ("empty", try Tensor(shape: [0], scalars: [])),
        ("cube", Tensor.randomUniform([2, 3, 2], in: -1...1, using: &rng)),
        ("rank0", try Tensor(shape: [], scalars: [7.5])),
        ("specials", Tensor([.infinity, -.infinity, -0.0, .leastNonzeroMagnitude, Float(bitPattern: 0x7FC0_1234)])),
    ]
}

// MARK: Round trip and layout

@Test func writeThenReadGivesIdenticalTensors() throws {
    let tensors = try sampleTensors()
    let file = try SafeTensors(data: try safeTensorsData(tensors, metadata: ["format": "pt", "note": "héllo \"quoted\"\n"]))
    #expect(file.tensorNames == tensors.map(\.name).sorted())
    #expect(file.metadata == ["format": "pt", "note": "héllo \"quoted\"\n"])
    for (name, tensor) in tensors {
        let read = try file.tensor(named: name, allowNonFinite: true)
        // Read for a model, a NaN or an infinity is an error naming the tensor (issue 14).
        if name == "specials" {
            #expect(throws: SafeTensorsError.nonFinite(tensor: "specials", index: 0, value: .infinity)) { try file.tensor(named: name) }
        }
        #expect(read.shape == tensor.shape, "\(name)")
        #expect(bitsOf(read) == bitsOf(tensor), "\(name)")
        #expect(try file.shape(of: name) == tensor.shape)
        #expect(try file.dtype(of: name) == .f32)
    }
}

@Test func fileRoundTripIsAtomicAndLeavesNoTemporaryFile() throws {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("safetensors-test-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("model.safetensors").path
    let tensors = try sampleTensors()
    try writeSafeTensors(tensors, metadata: ["a": "b"], to: path)
    // Overwriting an existing file works too.
    try writeSafeTensors(tensors, metadata: ["a": "c"], to: path)
    let file = try SafeTensors.read(contentsOf: path)
    #expect(file.metadata == ["a": "c"])
    #expect(bitsOf(try file.tensor(named: "cube")) == bitsOf(tensors[4].tensor))
    let contents = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(contents == ["model.safetensors"])
    #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == (try safeTensorsData(tensors, metadata: ["a": "c"])))
}

@Test func readingAMissingFileThrows() {
    #expect(throws: SafeTensorsError.self) { try SafeTensors.read(contentsOf: "/nonexistent/dir/x.safetensors") }
}

@Test func writingToAMissingFolderThrows() throws {
    #expect(throws: SafeTensorsError.self) {
        try writeSafeTensors([("a", Tensor([1]))], to: "/nonexistent-folder-xyz/out.safetensors")
    }
}

@Test func headerIsPaddedJSONWhoseOffsetsTileTheData() throws {
    let tensors = try sampleTensors()
    let bytes = try safeTensorsData(tensors, metadata: ["format": "pt"])
    var length = 0
    for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
    #expect(length % 8 == 0)
    #expect((8 + length) % 8 == 0)
    let header = Data(bytes[8..<(8 + length)])
    let json = try #require(try JSONSerialization.jsonObject(with: header) as? [String: Any])
    #expect((json["__metadata__"] as? [String: String]) == ["format": "pt"])
    var ranges: [(Int, Int)] = []
    for (name, tensor) in tensors {
        let entry = try #require(json[name] as? [String: Any])
        #expect(entry["dtype"] as? String == "F32")
        #expect((entry["shape"] as? [Int]) == tensor.shape)
        let offsets = try #require(entry["data_offsets"] as? [Int])
        #expect(offsets.count == 2)
        #expect(offsets[1] - offsets[0] == 4 * tensor.count)
        ranges.append((offsets[0], offsets[1]))
    }
    #expect(json.count == tensors.count + 1)
    ranges.sort { $0 < $1 }
    var cursor = 0
    for (begin, end) in ranges {
        #expect(begin == cursor)
        cursor = end
    }
    #expect(cursor == bytes.count - 8 - length)
    #expect(cursor == 4 * tensors.reduce(0) { $0 + $1.tensor.count })
}

@Test func sameTensorsGiveIdenticalBytesWhateverTheOrder() throws {
    let tensors = try sampleTensors()
    let a = try safeTensorsData(tensors, metadata: ["x": "1", "y": "2"])
    let b = try safeTensorsData(tensors.reversed(), metadata: ["y": "2", "x": "1"])
    #expect(a == b)
    var changed = tensors
    changed[1].tensor = Tensor([0.5, -1.25, 3.0000002])
    #expect(try safeTensorsData(changed, metadata: ["x": "1", "y": "2"]) != a)
}

@Test func writerRejectsDuplicateEmptyAndReservedNames() {
    #expect(throws: SafeTensorsError.duplicateName("a")) {
        try safeTensorsData([("a", Tensor([1])), ("a", Tensor([2]))])
    }
    #expect(throws: SafeTensorsError.invalidName("")) { try safeTensorsData([("", Tensor([1]))]) }
    #expect(throws: SafeTensorsError.invalidName("__metadata__")) {
        try safeTensorsData([("__metadata__", Tensor([1]))])
    }
}

@Test func noTensorsGivesAValidFile() throws {
    let bytes = try safeTensorsData([])
    let file = try SafeTensors(data: bytes)
    #expect(file.tensorNames.isEmpty)
    #expect(file.metadata.isEmpty)
    #expect(bytes.count == 16)   // 8 + "{}" padded to 8
}

// MARK: Hand-built files

@Test func handBuiltF32FileReads() throws {
    let header = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let bytes = fileBytes(header: header, data: [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    let file = try SafeTensors(data: bytes)
    let tensor = try file.tensor(named: "x")
    #expect(tensor.shape == [2])
    #expect(tensor.scalars == [1.0, -2.0])
    #expect(file.metadata.isEmpty)
    #expect(throws: SafeTensorsError.tensorNotFound("y")) { try file.tensor(named: "y") }
}

@Test func handBuiltFileWithPaddingMetadataAndEscapes() throws {
    // Header padded with spaces, keys in an unusual order, an escaped name, metadata.
    let header = #"{"__metadata__":{"format":"pt"}, "w\u00e9\"": {"shape":[1,1],"data_offsets":[0,4],"dtype":"F32"}}   "#
    let bytes = fileBytes(header: header, data: [0x00, 0x00, 0x40, 0x40])
    let file = try SafeTensors(data: bytes)
    #expect(file.metadata == ["format": "pt"])
    #expect(file.tensorNames == ["wé\""])
    #expect(try file.tensor(named: "wé\"").scalars == [3.0])
}

@Test func f16DecodesKnownBitPatterns() throws {
    // 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF, smallest subnormal 0x0001 = 2^-24,
    // largest subnormal 0x03FF = 1023·2^-24, -0 = 0x8000, +inf = 0x7C00.
    let patterns: [UInt16] = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x7C00]
    let expected: [Float] = [1.0, -2.0, 0.5, 65504, 0x1p-24, 1023 * 0x1p-24, -0.0, .infinity]
    let data = patterns.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let header = #"{"h":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}}"#
    let file = try SafeTensors(data: fileBytes(header: header, data: data))
    #expect(try file.dtype(of: "h") == .f16)
    let tensor = try file.tensor(named: "h", allowNonFinite: true)
    #expect(bitsOf(tensor) == expected.map(\.bitPattern))
    #expect(throws: SafeTensorsError.nonFinite(tensor: "h", index: 7, value: .infinity)) { try file.tensor(named: "h") }
    #expect(floatFromHalfBits(0x7E00).isNaN)
}

@Test func bf16DecodesKnownBitPatterns() throws {
    // BF16 is the top half of a Float: 1.0 = 0x3F80, -2.0 = 0xC000, 0.5 = 0x3F00,
    // 65280 = 0x477F (65504 is not representable; nearest below), subnormal 0x0001 = 2^-133.
    let patterns: [UInt16] = [0x3F80, 0xC000, 0x3F00, 0x477F, 0x0001]
    let expected: [Float] = [1.0, -2.0, 0.5, 65280, 0x1p-133]
    let data = patterns.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    let header = #"{"b":{"dtype":"BF16","shape":[5,1],"data_offsets":[0,10]}}"#
    let file = try SafeTensors(data: fileBytes(header: header, data: data))
    let tensor = try file.tensor(named: "b")
    #expect(tensor.shape == [5, 1])
    #expect(bitsOf(tensor) == expected.map(\.bitPattern))
}

@Test func otherDTypesAreCheckedButNotConverted() throws {
    let header = #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#
    let file = try SafeTensors(data: fileBytes(header: header, data: Array(repeating: 0, count: 16)))
    #expect(try file.dtype(of: "ids") == .i64)
    #expect(try file.shape(of: "ids") == [2])
    #expect(throws: SafeTensorsError.unsupportedDType(tensor: "ids", dtype: "I64")) { try file.tensor(named: "ids") }
    let error = SafeTensorsError.unsupportedDType(tensor: "ids", dtype: "I64")
    #expect(error.description.contains("I64"))
}

// MARK: Hostile input

@Test func everyTruncationOfAValidFileThrows() throws {
    let valid = try safeTensorsData([("a", Tensor([1, 2, 3])), ("b", Tensor([[4, 5], [6, 7]]))])
    #expect(try SafeTensors(data: valid).tensorNames == ["a", "b"])
    for length in 0..<valid.count {
        let truncated = Array(valid.prefix(length))
        #expect(throws: SafeTensorsError.self, "length \(length)") { try SafeTensors(data: truncated) }
        if length < 8 {
            #expect(throws: SafeTensorsError.fileTooShort(byteCount: length)) { try SafeTensors(data: truncated) }
        }
    }
    // One byte too many is a gap at the end of the data.
    #expect(throws: SafeTensorsError.gapInData(begin: 28, end: 29)) { try SafeTensors(data: valid + [0]) }
}

@Test(arguments: hostileCases)
func hostileInputThrowsTheExpectedError(_ hostile: HostileCase) {
    #expect(throws: hostile.expected, "\(hostile.label)") { try SafeTensors(data: hostile.bytes) }
}

struct HostileCase: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let expected: SafeTensorsError
    var testDescription: String { label }
}

private func entry(_ name: String = "x", dtype: String = "F32", shape: String = "[2]", offsets: String = "[0,8]") -> String {
    #"{"\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}}"#
}

let eightBytes: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0]

let hostileCases: [HostileCase] = [
    HostileCase(label: "empty file", bytes: [], expected: .fileTooShort(byteCount: 0)),
    HostileCase(label: "header length larger than the file",
                bytes: fileBytes(header: "{}", data: [], headerLengthOverride: 3),
                expected: .headerLengthInvalid(length: 3, available: 2, limit: 100_000_000)),
    HostileCase(label: "absurd header length",
                bytes: fileBytes(header: "{}", data: [], headerLengthOverride: UInt64.max),
                expected: .headerLengthInvalid(length: UInt64.max, available: 2, limit: 100_000_000)),
    HostileCase(label: "header length above the cap",
                bytes: fileBytes(header: "{}", data: [], headerLengthOverride: 100_000_001),
                expected: .headerLengthInvalid(length: 100_000_001, available: 2, limit: 100_000_000)),
    HostileCase(label: "invalid UTF-8", bytes: fileBytes(header: "", data: [0x7B, 0xFF, 0x7D], headerLengthOverride: 3),
                expected: .headerNotUTF8),
    HostileCase(label: "invalid JSON", bytes: fileBytes(header: #"{"x":}"#, data: []),
                expected: .invalidJSON(position: 5, reason: "unexpected character")),
    HostileCase(label: "trailing garbage", bytes: fileBytes(header: "{} x", data: []),
                expected: .invalidJSON(position: 3, reason: "unexpected bytes after the JSON value")),
    HostileCase(label: "empty header", bytes: fileBytes(header: "", data: []),
                expected: .invalidJSON(position: 0, reason: "unexpected end of the header")),
    HostileCase(label: "deep nesting", bytes: fileBytes(header: String(repeating: "[", count: 10_000), data: []),
                expected: .invalidJSON(position: 65, reason: "nested more than 64 levels deep")),
    HostileCase(label: "header is an array", bytes: fileBytes(header: "[1,2]", data: []), expected: .headerNotObject),
    HostileCase(label: "metadata not an object", bytes: fileBytes(header: #"{"__metadata__":3}"#, data: []),
                expected: .invalidMetadata(key: nil, problem: "is a number, not an object")),
    HostileCase(label: "metadata value not a string", bytes: fileBytes(header: #"{"__metadata__":{"k":1}}"#, data: []),
                expected: .invalidMetadata(key: "k", problem: "the value is a number, not a string")),
    HostileCase(label: "entry not an object", bytes: fileBytes(header: #"{"x":[1]}"#, data: []),
                expected: .invalidEntry(tensor: "x", field: "(entry)", problem: "is an array, not an object")),
    HostileCase(label: "missing dtype", bytes: fileBytes(header: #"{"x":{"shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "dtype", problem: "is missing")),
    HostileCase(label: "missing shape", bytes: fileBytes(header: #"{"x":{"dtype":"F32","data_offsets":[0,8]}}"#, data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "is missing")),
    HostileCase(label: "missing data_offsets", bytes: fileBytes(header: #"{"x":{"dtype":"F32","shape":[2]}}"#, data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "data_offsets", problem: "is missing")),
    HostileCase(label: "dtype not a string", bytes: fileBytes(header: #"{"x":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "dtype", problem: "is a number, not a string")),
    HostileCase(label: "unknown dtype", bytes: fileBytes(header: entry(dtype: "F128"), data: eightBytes),
                expected: .unknownDType(tensor: "x", dtype: "F128")),
    HostileCase(label: "shape not an array", bytes: fileBytes(header: entry(shape: "2"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "is a number, not an array")),
    HostileCase(label: "negative dimension", bytes: fileBytes(header: entry(shape: "[-2]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "element 0 is not a non-negative integer that fits in 64 bits")),
    HostileCase(label: "fractional dimension", bytes: fileBytes(header: entry(shape: "[2.0]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "element 0 is not a non-negative integer that fits in 64 bits")),
    HostileCase(label: "boolean dimension", bytes: fileBytes(header: entry(shape: "[true]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "element 0 is not a non-negative integer that fits in 64 bits")),
    HostileCase(label: "dimension beyond Int", bytes: fileBytes(header: entry(shape: "[99999999999999999999]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "shape", problem: "element 0 is not a non-negative integer that fits in 64 bits")),
    HostileCase(label: "overflowing shape product",
                bytes: fileBytes(header: entry(shape: "[4294967296,4294967296]"), data: eightBytes),
                expected: .shapeOverflow(tensor: "x", shape: [4_294_967_296, 4_294_967_296])),
    HostileCase(label: "shape whose byte count overflows",
                bytes: fileBytes(header: entry(shape: "[4611686018427387904]"), data: eightBytes),
                expected: .shapeOverflow(tensor: "x", shape: [4_611_686_018_427_387_904])),
    HostileCase(label: "offsets not two", bytes: fileBytes(header: entry(offsets: "[0,4,8]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "data_offsets", problem: "has 3 elements, not 2 ([begin, end])")),
    HostileCase(label: "negative offset", bytes: fileBytes(header: entry(offsets: "[-1,7]"), data: eightBytes),
                expected: .invalidEntry(tensor: "x", field: "data_offsets", problem: "holds something other than non-negative integers that fit in 64 bits")),
    HostileCase(label: "offsets out of range", bytes: fileBytes(header: entry(offsets: "[8,16]"), data: eightBytes),
                expected: .offsetsOutOfRange(tensor: "x", begin: 8, end: 16, dataSize: 8)),
    HostileCase(label: "huge offsets", bytes: fileBytes(header: entry(offsets: "[9223372036854775800,9223372036854775807]"), data: eightBytes),
                expected: .offsetsOutOfRange(tensor: "x", begin: 9_223_372_036_854_775_800, end: 9_223_372_036_854_775_807, dataSize: 8)),
    HostileCase(label: "begin after end", bytes: fileBytes(header: entry(offsets: "[8,0]"), data: eightBytes),
                expected: .offsetsReversed(tensor: "x", begin: 8, end: 0)),
    HostileCase(label: "size mismatch", bytes: fileBytes(header: entry(shape: "[3]"), data: eightBytes),
                expected: .sizeMismatch(tensor: "x", dtype: "F32", shape: [3], expectedBytes: 12, actualBytes: 8)),
    HostileCase(label: "gap at the start",
                bytes: fileBytes(header: entry(shape: "[1]", offsets: "[4,8]"), data: eightBytes),
                expected: .gapInData(begin: 0, end: 4)),
    HostileCase(label: "gap at the end",
                bytes: fileBytes(header: entry(shape: "[1]", offsets: "[0,4]"), data: eightBytes),
                expected: .gapInData(begin: 4, end: 8)),
    HostileCase(label: "gap between tensors",
                bytes: fileBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                                 data: eightBytes + [0, 0, 0, 0]),
                expected: .gapInData(begin: 4, end: 8)),
    HostileCase(label: "overlapping tensors",
                bytes: fileBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                 data: eightBytes),
                expected: .overlappingData(tensor: "b", other: "a")),
    HostileCase(label: "two tensors on the same bytes",
                bytes: fileBytes(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                                 data: eightBytes),
                expected: .overlappingData(tensor: "b", other: "a")),
    HostileCase(label: "duplicate names",
                bytes: fileBytes(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                 data: eightBytes),
                expected: .duplicateName("a")),
    HostileCase(label: "duplicate field inside an entry",
                bytes: fileBytes(header: #"{"x":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes),
                expected: .invalidJSON(position: 20, reason: "duplicate key \"dtype\"")),
    HostileCase(label: "lone surrogate escape", bytes: fileBytes(header: #"{"\udc00":1}"#, data: []),
                expected: .invalidJSON(position: 8, reason: "a lone low surrogate escape")),
]

@Test func randomlyCorruptedFilesNeverCrash() throws {
    // Flip bytes of a valid file at random (seeded): each result either reads or throws a
    // SafeTensorsError; reading every tensor of a file that was accepted never traps.
    let valid = try safeTensorsData(try sampleTensors(), metadata: ["k": "v"])
    var rng = SeededGenerator(seed: 99)
    var accepted = 0, rejected = 0
    for _ in 0..<2000 {
        var bytes = valid
        let flips = 1 + Int(rng.next() % 3)
        for _ in 0..<flips {
            let position = Int(rng.next() % UInt64(bytes.count))
            bytes[position] = UInt8(truncatingIfNeeded: rng.next())
        }
        do {
            let file = try SafeTensors(data: bytes)
            for name in file.tensorNames { _ = try? file.tensor(named: name) }
            accepted += 1
        } catch {
            rejected += 1
        }
    }
    #expect(accepted + rejected == 2000)
    #expect(rejected > 0)
    #expect(accepted > 0)   // flips in the data section leave a valid file
}
