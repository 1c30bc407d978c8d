import Foundation
import Testing
@testable import ModelIO
import TensorCore
import Tokenizers

// MARK: A tiny GGUF writer (test support)

/// Little-endian bytes, appended field by field, so that tests can build valid files and then
/// make them lie in exactly one place.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func header(version: UInt32 = 3, tensors: UInt64, metadata: UInt64) {
        bytes += Array("GGUF".utf8)
        u32(version); u64(tensors); u64(metadata)
    }
}

/// A metadata value as the writer spells it.
indirect enum GGUFTestValue {
    case u8(UInt8), i8(Int8), u16(UInt16), i16(Int16), u32(UInt32), i32(Int32), f32(Float), bool(Bool)
    case string(String), array(UInt32, [GGUFTestValue]), u64(UInt64), i64(Int64), f64(Double)

    var typeID: UInt32 {
        switch self {
        case .u8: 0
        case .i8: 1
        case .u16: 2
        case .i16: 3
        case .u32: 4
        case .i32: 5
        case .f32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .u64: 10
        case .i64: 11
        case .f64: 12
        }
    }

    func write(to w: inout GGUFBytes) {
        switch self {
        case let .u8(v): w.u8(v)
        case let .i8(v): w.u8(UInt8(bitPattern: v))
        case let .u16(v): w.u16(v)
        case let .i16(v): w.u16(UInt16(bitPattern: v))
        case let .u32(v): w.u32(v)
        case let .i32(v): w.u32(UInt32(bitPattern: v))
        case let .f32(v): w.u32(v.bitPattern)
        case let .bool(v): w.u8(v ? 1 : 0)
        case let .string(v): w.string(v)
        case let .array(type, values):
            w.u32(type); w.u64(UInt64(values.count))
            for value in values { value.write(to: &w) }
        case let .u64(v): w.u64(v)
        case let .i64(v): w.u64(UInt64(bitPattern: v))
        case let .f64(v): w.u64(v.bitPattern)
        }
    }
}

struct GGUFTestTensor {
    var name: String
    /// ggml order (dims[0] fastest).
    var dims: [UInt64]
    var type: UInt32
    var data: [UInt8]
    /// nil: laid out one after another at the alignment.
    var offset: UInt64? = nil
}

/// A whole GGUF file: header, metadata, tensor infos, padding, data.
func ggufFile(version: UInt32 = 3, metadata: [(String, GGUFTestValue)] = [], tensors: [GGUFTestTensor] = [],
              alignment: Int = 32) -> [UInt8] {
    var w = GGUFBytes()
    w.header(version: version, tensors: UInt64(tensors.count), metadata: UInt64(metadata.count))
    for (key, value) in metadata {
        w.string(key); w.u32(value.typeID); value.write(to: &w)
    }
    var data: [UInt8] = []
    for tensor in tensors {
        while data.count % alignment != 0 { data.append(0) }
        let offset = tensor.offset ?? UInt64(data.count)
        if tensor.offset == nil { data += tensor.data }
        w.string(tensor.name); w.u32(UInt32(tensor.dims.count))
        for dim in tensor.dims { w.u64(dim) }
        w.u32(tensor.type); w.u64(offset)
    }
    if tensors.contains(where: { $0.offset != nil }) {
        // Hand-placed tensors: the caller's data is written as one block at offset 0.
        data = tensors.flatMap(\.data)
    }
    while w.bytes.count % alignment != 0 { w.u8(0) }
    return w.bytes + data
}

func ggufFloatBytes(_ values: [Float]) -> [UInt8] {
    var w = GGUFBytes()
    for v in values { w.u32(v.bitPattern) }
    return w.bytes
}

func ggufError(_ bytes: [UInt8]) -> GGUFError? {
    do {
        _ = try GGUFFile(data: Data(bytes))
        return nil
    } catch {
        return error
    }
}

// Half-precision bit patterns used below.
let ggufHalf0_5: UInt16 = 0x3800, ggufHalf0_25: UInt16 = 0x3400, ggufHalfMinus1: UInt16 = 0xBC00, ggufHalf2: UInt16 = 0x4000

// MARK: Reading valid files

@Test func ggufReadsEveryMetadataTypeAndTensorLayout() throws {
    let metadata: [(String, GGUFTestValue)] = [
        ("general.architecture", .string("llama")),
        ("u8", .u8(200)), ("i8", .i8(-5)), ("u16", .u16(65000)), ("i16", .i16(-30000)),
        ("u32", .u32(4_000_000_000)), ("i32", .i32(-2_000_000_000)), ("f32", .f32(1.5)), ("yes", .bool(true)),
        ("u64", .u64(1 << 40)), ("i64", .i64(-(1 << 40))), ("f64", .f64(-0.125)),
        ("text", .string("héllo 😊")),
        ("names", .array(8, [.string("a"), .string(""), .string("ü")])),
        ("numbers", .array(5, [.i32(-1), .i32(2)])),
        ("floats", .array(6, [.f32(0.5), .f32(-2)])),
        ("nested", .array(9, [.array(0, [.u8(1), .u8(2)]), .array(0, [])])),
        ("general.alignment", .u32(64)),
    ]
    let tensors = [GGUFTestTensor(name: "matrix", dims: [3, 2], type: 0, data: ggufFloatBytes([1, 2, 3, 4, 5, 6])),
                   GGUFTestTensor(name: "vector", dims: [5], type: 0, data: ggufFloatBytes([-1, -2, -3, -4, -5]))]
    for version: UInt32 in [2, 3] {
        let file = try GGUFFile(data: Data(ggufFile(version: version, metadata: metadata, tensors: tensors, alignment: 64)))
        #expect(file.version == version)
        #expect(file.metadataKeys == metadata.map(\.0))
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(try file.string("text") == "héllo 😊")
        #expect(try file.int("u8") == 200)
        #expect(try file.int("i8") == -5)
        #expect(try file.int("u16") == 65000)
        #expect(try file.int("i16") == -30000)
        #expect(try file.int("u32") == 4_000_000_000)
        #expect(try file.int("i32") == -2_000_000_000)
        #expect(try file.int("u64") == 1 << 40)
        #expect(try file.int("i64") == -(1 << 40))
        #expect(try file.float("f32") == 1.5)
        #expect(try file.float("f64") == -0.125)
        #expect(try file.bool("yes"))
        #expect(try file.stringArray("names") == ["a", "", "ü"])
        #expect(try file.intArray("numbers") == [-1, 2])
        #expect(try file.floatArray("floats") == [0.5, -2])
        #expect(file.metadata["nested"] == .array(elementType: .array, values: [
            .array(elementType: .uint8, values: [.uint8(1), .uint8(2)]), .array(elementType: .uint8, values: [])]))
        // dims [3, 2] in ggml order: 2 rows of 3.
        let matrix = try file.tensor(named: "matrix")
        #expect(matrix.shape == [2, 3])
        #expect(matrix.scalars == [1, 2, 3, 4, 5, 6])
        #expect(try file.tensorInfo(named: "vector").offset == 64)
        #expect(try file.tensor(named: "vector").scalars == [-1, -2, -3, -4, -5])
    }
}

@Test func ggufMetadataAccessorsNameTheKeyAndTheType() throws {
    let file = try GGUFFile(data: Data(ggufFile(metadata: [("name", .string("x")), ("count", .u32(3)),
                                                           ("big", .u64(UInt64.max)), ("mixed", .array(4, [.u32(1)]))])))
    #expect(throws: GGUFError.missingKey("absent")) { try file.string("absent") }
    #expect(throws: GGUFError.wrongType(key: "count", expected: "a string", found: "uint32")) { try file.string("count") }
    #expect(throws: GGUFError.self) { try file.int("name") }
    #expect(throws: GGUFError.self) { try file.int("big") }          // does not fit in an Int
    #expect(throws: GGUFError.self) { try file.stringArray("mixed") }
    #expect(throws: GGUFError.tensorNotFound("w")) { try file.tensor(named: "w") }
    #expect(GGUFError.missingKey("absent").description.contains("\"absent\""))
}

// MARK: Hostile files

@Test func ggufEveryTruncationThrowsATypedError() throws {
    let bytes = ggufFile(metadata: [("k", .string("value")), ("a", .array(8, [.string("x"), .string("yz")]))],
                         tensors: [GGUFTestTensor(name: "t", dims: [4], type: 0, data: ggufFloatBytes([1, 2, 3, 4]))])
    #expect(ggufError(bytes) == nil)
    for length in 0..<bytes.count {
        let error = ggufError(Array(bytes[0..<length]))
        #expect(error != nil, "a file cut to \(length) of \(bytes.count) bytes was accepted")
    }
    #expect(ggufError(Array(bytes.dropLast())) == .tensorOutOfRange(tensor: "t", offset: 0, byteCount: 16, dataSize: 15))
    // Too short for the counts to be true at all.
    #expect(ggufError(Array(bytes[0..<(24 + 9)])) ==
            .countTooLarge(field: "tensor count", count: 1, limit: GGUFFile.maximumTensorCount))
    // Cut inside the second key's length (the first pair, "k" = "value", is bytes 24..<50).
    #expect(ggufError(Array(bytes[0..<54])) ==
            .truncated(field: "metadata key 1: string length", offset: 50, needed: 8, available: 4))
}

@Test func ggufBadMagicAndVersions() {
    var bytes = ggufFile()
    bytes[0] = UInt8(ascii: "X")
    #expect(ggufError(bytes) == .badMagic(found: [88, 71, 85, 70]))
    #expect(ggufError(ggufFile(version: 1)) == .unsupportedVersion(1))
    #expect(ggufError(ggufFile(version: 4)) == .unsupportedVersion(4))
}

@Test func ggufLyingCountsAndLengthsAreRefusedBeforeAllocating() {
    var w = GGUFBytes()
    w.header(tensors: UInt64.max, metadata: 0)
    #expect(ggufError(w.bytes) == .countTooLarge(field: "tensor count", count: UInt64.max, limit: GGUFFile.maximumTensorCount))
    w = GGUFBytes()
    w.header(tensors: 0, metadata: 1_000)        // 1000 pairs cannot fit in 0 bytes
    #expect(ggufError(w.bytes) == .countTooLarge(field: "metadata count", count: 1_000, limit: GGUFFile.maximumMetadataCount))

    // A string claiming 2⁶⁴ − 1 bytes.
    w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.string("key"); w.u32(8); w.u64(UInt64.max); w.bytes += Array("short".utf8)
    #expect(ggufError(w.bytes) == .lengthTooLarge(field: "metadata key \"key\": string", length: UInt64.max, available: 5))

    // An array claiming 2⁶² uint32 elements, and one claiming 10⁹ strings.
    w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.string("arr"); w.u32(9); w.u32(4); w.u64(1 << 62); w.u32(7)
    #expect(ggufError(w.bytes) == .lengthTooLarge(field: "metadata key \"arr\": array", length: 1 << 62, available: 4))
    w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.string("arr"); w.u32(9); w.u32(8); w.u64(1_000_000_000); w.string("x")
    #expect(ggufError(w.bytes) == .lengthTooLarge(field: "metadata key \"arr\": array", length: 1_000_000_000, available: 9))

    // A tensor name claiming more bytes than are left.
    w = GGUFBytes()
    w.header(tensors: 1, metadata: 0)
    w.u64(1 << 40); w.bytes += [UInt8](repeating: 0, count: 24)
    #expect(ggufError(w.bytes) == .lengthTooLarge(field: "the name of tensor 0: string", length: 1 << 40, available: 24))
}

@Test func ggufUnknownTypesInvalidStringsAndDeepNesting() {
    #expect(ggufError(ggufFile(metadata: [("k", .u8(1))]).replacingTypeID(of: "k", with: 13))
            == .unknownValueType(field: "metadata key \"k\"", type: 13))
    var w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.u64(2); w.bytes += [0xC3, 0x28]; w.u32(0); w.u8(0)       // invalid UTF-8 key
    #expect(ggufError(w.bytes) == .invalidString(field: "metadata key 0"))

    var nested = GGUFTestValue.array(0, [.u8(1)])
    for _ in 0..<GGUFFile.maximumArrayNesting { nested = .array(9, [nested]) }
    #expect(ggufError(ggufFile(metadata: [("deep", nested)])) ==
            .arrayNestingTooDeep(field: "metadata key \"deep\"" + String(repeating: "[0]", count: GGUFFile.maximumArrayNesting),
                                 limit: GGUFFile.maximumArrayNesting))
    #expect(ggufError(ggufFile(metadata: [("b", .u8(1))]).replacingTypeID(of: "b", with: 7, value: 2)) ==
            .invalidValue(key: "metadata key \"b\"", problem: "bool byte is 2, not 0 or 1"))
    #expect(ggufError(ggufFile(metadata: [("k", .u8(1)), ("k", .u8(2))])) == .duplicateKey("k"))

    let unknown = GGUFTestTensor(name: "t", dims: [32], type: 99, data: [UInt8](repeating: 0, count: 18))
    #expect(ggufError(ggufFile(tensors: [unknown])) == .unknownTensorType(tensor: "t", type: 99))
}

@Test func ggufTensorLayoutLiesAreCaught() throws {
    let four = ggufFloatBytes([1, 2, 3, 4])
    // Offset not a multiple of the alignment.
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [2], type: 0, data: four, offset: 4)]))
            == .misalignedTensor(tensor: "t", offset: 4, alignment: 32))
    // Two tensors on the same bytes.
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "a", dims: [4], type: 0, data: four, offset: 0),
                                         GGUFTestTensor(name: "b", dims: [2], type: 0, data: [], offset: 0)]))
            == .overlappingTensors(tensor: "b", other: "a"))
    // Past the end, including an offset near 2⁶⁴ whose end would overflow.
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [8], type: 0, data: four, offset: 0)]))
            == .tensorOutOfRange(tensor: "t", offset: 0, byteCount: 32, dataSize: 16))
    let huge = UInt64(Int.max) / 32 * 32
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [4], type: 0, data: four, offset: huge)]))
            == .tensorOutOfRange(tensor: "t", offset: Int(huge), byteCount: 16, dataSize: 16))
    // Dimensions whose product overflows, too many dimensions, a row not a whole number of blocks.
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [1 << 32, 1 << 32], type: 0, data: four)]))
            == .invalidTensorInfo(tensor: "t", field: "dimensions", problem: "hold more elements than fit in an Int"))
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [1, 1, 1, 1, 1], type: 0, data: four)]))
            == .invalidTensorInfo(tensor: "t", field: "n_dims", problem: "is 5, more than 4"))
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [16], type: 8, data: [UInt8](repeating: 0, count: 34))]))
            == .invalidTensorInfo(tensor: "t", field: "dimension 0", problem: "is 16, not a multiple of the Q8_0 block size 32"))
    #expect(ggufError(ggufFile(tensors: [GGUFTestTensor(name: "t", dims: [1], type: 0, data: four),
                                         GGUFTestTensor(name: "t", dims: [1], type: 0, data: four)])) == .duplicateTensor("t"))
    // An alignment that is not a power of two.
    #expect(ggufError(ggufFile(metadata: [("general.alignment", .u32(48))])) == .invalidAlignment(value: "uint32(48)"))
    #expect(ggufError(ggufFile(metadata: [("general.alignment", .u32(0))])) == .invalidAlignment(value: "uint32(0)"))

    // A known type that cannot be dequantised here: the error names it.
    let kQuant = GGUFTestTensor(name: "k", dims: [256], type: GGMLType.q4_K.rawValue, data: [UInt8](repeating: 0, count: 144))
    let file = try GGUFFile(data: Data(ggufFile(tensors: [kQuant])))
    #expect(throws: GGUFError.unsupportedTensorType(tensor: "k", type: "Q4_K")) { try file.tensor(named: "k") }
}

// MARK: Dequantisation of hand-built blocks

func ggufHalfBytes(_ bits: UInt16) -> [UInt8] { [UInt8(bits & 0xFF), UInt8(bits >> 8)] }

@Test func dequantiseQ8_0Block() throws {
    // d = 0.5; q = −128, −1, 0, 1, 2, …, 29, 127.
    var q: [Int8] = [-128, -1, 0]
    q += (1...28).map { Int8($0) }
    q.append(127)
    let block = ggufHalfBytes(ggufHalf0_5) + q.map { UInt8(bitPattern: $0) }
    let values = try GGUFDequantizer.dequantize(block, type: .q8_0, count: 32)
    #expect([values[0], values[1], values[2], values[3], values[31]] == [-64, -0.5, 0, 0.5, 63.5])
    #expect(values == q.map { Float($0) * 0.5 })
}

@Test func dequantiseQ4_0BlockLowNibblesFirst() throws {
    // d = 0.5; byte j holds low nibble j and high nibble 15 − j.
    let block = ggufHalfBytes(ggufHalf0_5) + ggufNibbleBytes
    let values = try GGUFDequantizer.dequantize(block, type: .q4_0, count: 32)
    // Elements 0…15 are the low nibbles minus 8, elements 16…31 the high nibbles minus 8, times d.
    #expect([values[0], values[8], values[15]] == [-4, 0, 3.5])
    #expect([values[16], values[31]] == [3.5, -4])
    let low: [Float] = (0..<16).map { Float($0 - 8) * 0.5 }
    #expect(Array(values[0..<16]) == low)
    let high: [Float] = (0..<16).map { Float(7 - $0) * 0.5 }
    #expect(Array(values[16..<32]) == high)
}

@Test func dequantiseQ4_1BlockWithMinimum() throws {
    // d = 0.25, m = −1: x = q · 0.25 − 1.
    let block = ggufHalfBytes(ggufHalf0_25) + ggufHalfBytes(ggufHalfMinus1) + ggufNibbleBytes
    let values = try GGUFDequantizer.dequantize(block + block, type: .q4_1, count: 64)
    #expect([values[0], values[4], values[15], values[16], values[31]] == [-1, 0, 2.75, 2.75, -1])
    let expected: [Float] = (0..<16).map { Float($0) * 0.25 - 1 }
    #expect(Array(values[0..<16]) == expected)
    #expect(Array(values[32..<64]) == Array(values[0..<32]))
}

@Test func dequantiseF16AndF32AndWrongSizes() throws {
    let f16 = ggufHalfBytes(ggufHalf2) + ggufHalfBytes(ggufHalfMinus1) + ggufHalfBytes(0x0001) + ggufHalfBytes(0x7C00)
    #expect(try GGUFDequantizer.dequantize(f16, type: .f16, count: 4) == [2, -1, Float(bitPattern: 0x3380_0000), .infinity])
    #expect(try GGUFDequantizer.dequantize(ggufFloatBytes([1.5, -0.0]), type: .f32, count: 2).map(\.bitPattern)
            == [Float(1.5).bitPattern, Float(-0.0).bitPattern])
    #expect(throws: GGUFError.self) { try GGUFDequantizer.dequantize([UInt8](repeating: 0, count: 19), type: .q4_1, count: 32) }
    #expect(throws: GGUFError.self) { try GGUFDequantizer.dequantize([UInt8](repeating: 0, count: 20), type: .q4_1, count: 16) }
    #expect(throws: GGUFError.unsupportedTensorType(tensor: "(bytes)", type: "Q5_0")) {
        try GGUFDequantizer.dequantize([UInt8](repeating: 0, count: 22), type: .q5_0, count: 32)
    }
}

@Test func ggufQuantisedTensorsReadThroughTheFile() throws {
    let q8 = ggufHalfBytes(ggufHalf2) + (0..<32).map { UInt8(bitPattern: Int8($0 - 16)) }
    let q4 = ggufHalfBytes(ggufHalf0_5) + ggufNibbleBytes
    let file = try GGUFFile(data: Data(ggufFile(tensors: [
        GGUFTestTensor(name: "q8", dims: [32, 1], type: 8, data: q8),
        GGUFTestTensor(name: "q4", dims: [32], type: 2, data: q4),
        GGUFTestTensor(name: "h", dims: [2], type: 1, data: ggufHalfBytes(ggufHalf0_5) + ggufHalfBytes(ggufHalfMinus1)),
    ])))
    #expect(try file.tensor(named: "q8").shape == [1, 32])
    #expect(try file.tensor(named: "q8").scalars == (0..<32).map { Float($0 - 16) * 2 })
    #expect(try file.tensor(named: "q4").scalars[0] == -4)
    #expect(try file.tensor(named: "h").scalars == [0.5, -1])
    #expect(try file.tensorInfo(named: "q8").byteCount == 34)
}

// MARK: Byte-level BPE on a toy vocabulary

@Test func byteLevelBPEMergesByRankAndSplitsLikeGPT2() throws {
    let g = String(ByteLevelBPE.byteToUnicode[32])       // "Ġ"
    #expect(g == "Ġ")
    #expect(String(ByteLevelBPE.byteToUnicode[10]) == "Ċ")
    // Tokens: the bytes we need, then merged tokens.
    var tokens = ["<|s|>"] + "abcdhelo'st1".map(String.init) + [g, "Ċ"]
    tokens += ["he", "ll", "hell", "hello", g + "he", g + "h"]   // every merge's result is a token
    // "h e" outranks "Ġ h", so " he" becomes Ġ + he and then Ġhe (never Ġh + e).
    let merges = ["h e", "l l", "he ll", "hell o", g + " he", g + " h"]
    let types = [3] + Array(repeating: 1, count: tokens.count - 1)
    let bpe = try ByteLevelBPE(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: .smollm)
    let id = { (token: String) in tokens.firstIndex(of: token)! }
    #expect(bpe.encode("hello") == [id("hello")])
    #expect(bpe.encode("hello he") == [id("hello"), id(g + "he")])
    #expect(bpe.encode("<|s|>hello") == [0, id("hello")])
    #expect(try bpe.decode(bpe.encode("hello he's 11\n")) == "hello he's 11\n")
    #expect(bpe.tokenStrings([id(g + "he"), id("Ċ"), 0]) == ["␣he", "↵", "<|s|>"])
    #expect(throws: ByteLevelBPEError.idOutOfRange(id: 99, vocabularySize: tokens.count)) { try bpe.decode([99]) }
    #expect(throws: ByteLevelBPEError.invalidMerge(index: 0, text: "abc")) { try ByteLevelBPE(tokens: tokens, merges: ["abc"]) }
}

@Test func preTokenizerFollowsTheGPT2PatternWithDigitsApart() {
    let split = { (text: String) in ByteLevelBPE.preTokenize(text, digitsApart: true) }
    #expect(split("Hello world") == ["Hello", " world"])
    #expect(split("don't stop") == ["don", "'t", " stop"])
    #expect(split("a   b") == ["a", "  ", " b"])                  // \s+(?!\S) leaves one space for the word
    #expect(split("x  ") == ["x", "  "])
    #expect(split("a\nb") == ["a", "\n", "b"])
    #expect(split("in 2024!") == ["in", " ", "2", "0", "2", "4", "!"])
    #expect(split("hi!? 😊") == ["hi", "!?", " 😊"])
    #expect(ByteLevelBPE.preTokenize("in 2024", digitsApart: false) == ["in", " 2024"])
}

extension Array where Element == UInt8 {
    /// The file with the value type of metadata key `key` replaced (and its first value byte set).
    func replacingTypeID(of key: String, with type: UInt32, value: UInt8? = nil) -> [UInt8] {
        let keyBytes = Array(key.utf8)
        var copy = self
        // The key starts after its 8-byte length; search for length + key.
        var needle = GGUFBytes()
        needle.string(key)
        for start in 0...(count - needle.bytes.count) where Array(self[start..<(start + needle.bytes.count)]) == needle.bytes {
            let typeAt = start + 8 + keyBytes.count
            for i in 0..<4 { copy[typeAt + i] = UInt8(truncatingIfNeeded: type >> (8 * UInt32(i))) }
            if let value { copy[typeAt + 4] = value }
            return copy
        }
        return copy
    }
}

/// 16 bytes: byte j holds low nibble j and high nibble 15 − j.
let ggufNibbleBytes: [UInt8] = (0..<16).map { (j: Int) -> UInt8 in UInt8(j) | (UInt8(15 - j) << 4) }
