import Foundation
import Testing
@testable import ModelIO
import TensorCore
import Tokenizers

// Issue 9: hostile model files give a typed error naming the file, the field and the problem,
// in one short line; nothing traps, nothing allocates what the file cannot back.

/// A message is one line and not absurdly long, whatever names the file holds.
private func isOneShortLine(_ message: String) -> Bool {
    !message.contains("\n") && !message.contains("\r") && message.count < 600
}

private func safeTensorsError(_ bytes: [UInt8], name: String = "model.safetensors") -> SafeTensorsError? {
    do {
        _ = try SafeTensors(data: bytes, name: name)
        return nil
    } catch {
        return error
    }
}

private func ggufFileError(_ bytes: [UInt8], name: String = "model.gguf") -> GGUFError? {
    do {
        _ = try GGUFFile(data: Data(bytes), name: name)
        return nil
    } catch {
        return error
    }
}

private func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("parser-hardening-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

// MARK: safetensors

@Test func safeTensorsErrorsNameTheFileTheFieldAndTheProblem() throws {
    let valid = try safeTensorsData([("w", Tensor(shape: [2], scalars: [1, 2]))])
    let url = try temporaryFile("weights.safetensors", Array(valid.dropLast()))
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let error = #expect(throws: SafeTensorsError.self) { try SafeTensors.read(contentsOf: url.path) }
    #expect(error == .inFile(path: url.path, error: .offsetsOutOfRange(tensor: "w", begin: 0, end: 8, dataSize: 7)))
    #expect(error?.problem == .offsetsOutOfRange(tensor: "w", begin: 0, end: 8, dataSize: 7))
    let message = try #require(error?.description)
    #expect(message == "safetensors: \(url.path): tensor \"w\": data_offsets [0, 8] reach past the data section of 7 bytes")
    #expect(error?.localizedDescription == message)
    // Without a name, the same error unwrapped (as before).
    #expect(throws: SafeTensorsError.offsetsOutOfRange(tensor: "w", begin: 0, end: 8, dataSize: 7)) {
        try SafeTensors(data: Array(valid.dropLast()))
    }
}

@Test func safeTensorsHeaderLengthIsCappedAndChecked() {
    // A length that the file cannot hold, and one above the cap.
    #expect(safeTensorsError(fileBytes(header: "{}", data: [], headerLengthOverride: UInt64.max))
            == .inFile(path: "model.safetensors",
                       error: .headerLengthInvalid(length: UInt64.max, available: 2, limit: SafeTensors.maximumHeaderLength)))
    #expect(safeTensorsError(fileBytes(header: "{}", data: [], headerLengthOverride: 3))?.problem
            == .headerLengthInvalid(length: 3, available: 2, limit: SafeTensors.maximumHeaderLength))
    #expect(safeTensorsError([1, 2, 3])?.problem == .fileTooShort(byteCount: 3))
    let message = safeTensorsError(fileBytes(header: "{}", data: [], headerLengthOverride: UInt64.max))?.description ?? ""
    #expect(message.contains("model.safetensors") && message.contains("header length 18446744073709551615"))
}

@Test func safeTensorsShapesAndOffsetsThatOverflow() {
    // 2^31 · 2^31 · 4 bytes overflows Int.
    let big = #"{"x":{"dtype":"F32","shape":[2147483648,2147483648,4],"data_offsets":[0,0]}}"#
    #expect(safeTensorsError(fileBytes(header: big, data: []))?.problem
            == .shapeOverflow(tensor: "x", shape: [2147483648, 2147483648, 4]))
    // No bytes (a zero dimension), but strides over the other dimensions would overflow.
    let zero = #"{"x":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}"#
    #expect(safeTensorsError(fileBytes(header: zero, data: []))?.problem
            == .shapeOverflow(tensor: "x", shape: [0, 4294967296, 4294967296]))
    // A zero dimension with sane others is a valid empty tensor.
    let empty = #"{"x":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#
    #expect(safeTensorsError(fileBytes(header: empty, data: [])) == nil)
    // Offsets and dimensions beyond 64 bits, negative or fractional.
    for offsets in ["[0,99999999999999999999]", "[-1,8]", "[0,8.0]", "[0,8e0]"] {
        let header = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":"# + offsets + "}}"
        #expect(safeTensorsError(fileBytes(header: header, data: Array(repeating: 0, count: 8)))?.problem
                == .invalidEntry(tensor: "x", field: "data_offsets",
                                 problem: "holds something other than non-negative integers that fit in 64 bits"),
                "\(offsets)")
    }
    let huge = #"{"x":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}}"#
    #expect(safeTensorsError(fileBytes(header: huge, data: Array(repeating: 0, count: 8)))?.problem
            == .invalidEntry(tensor: "x", field: "shape", problem: "element 0 is not a non-negative integer that fits in 64 bits"))
}

@Test func safeTensorsInconsistentHeaders() {
    let eight = [UInt8](repeating: 0, count: 8)
    func problem(_ header: String, _ data: [UInt8] = eight) -> SafeTensorsError? {
        safeTensorsError(fileBytes(header: header, data: data))?.problem
    }
    // Two tensors on the same bytes; a hole between tensors; bytes left over at the end.
    #expect(problem(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#)
            == .overlappingData(tensor: "b", other: "a"))
    #expect(problem(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#) == .gapInData(begin: 0, end: 4))
    #expect(problem(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#) == .gapInData(begin: 4, end: 8))
    // The byte count must match dtype × shape.
    #expect(problem(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#)
            == .sizeMismatch(tensor: "a", dtype: "F16", shape: [2], expectedBytes: 4, actualBytes: 8))
    #expect(problem(#"{"a":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#) == .unknownDType(tensor: "a", dtype: "F31"))
    #expect(problem(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#) == .offsetsReversed(tensor: "a", begin: 8, end: 0))
    #expect(problem(#"{"a":{"dtype":"F32","shape":[2]}}"#) == .invalidEntry(tensor: "a", field: "data_offsets", problem: "is missing"))
    #expect(problem(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}"#)
            == .duplicateName("a"))
    #expect(problem(#"{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#)
            == .invalidMetadata(key: "k", problem: "the value is a number, not a string"))
    #expect(problem(String(repeating: "[", count: 200)) == .invalidJSON(position: 65, reason: "nested more than 64 levels deep"))
    #expect(problem("{\"a\":1}\u{0}") == .invalidJSON(position: 7, reason: "unexpected bytes after the JSON value"))
    #expect(problem("", []) == .invalidJSON(position: 0, reason: "unexpected end of the header"))
    #expect(problem("[]", []) == .headerNotObject)
}

@Test func safeTensorsHostileNamesGiveOneShortLine() {
    let newline = "evil\nname"
    let header = "{\"evil\\nname\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}"
    let error = safeTensorsError(fileBytes(header: header, data: Array(repeating: 0, count: 8)))
    #expect(error?.problem == .sizeMismatch(tensor: newline, dtype: "F32", shape: [3], expectedBytes: 12, actualBytes: 8))
    let message = error?.description ?? ""
    #expect(isOneShortLine(message))
    #expect(message.contains(#"tensor "evil\nname""#))
    let long = String(repeating: "n", count: 100_000)
    let longHeader = "{\"\(long)\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}"
    let longMessage = safeTensorsError(fileBytes(header: longHeader, data: Array(repeating: 0, count: 8)))?.description ?? ""
    #expect(isOneShortLine(longMessage) && longMessage.contains("nnnn…"))
}

// MARK: GGUF

@Test func ggufErrorsNameTheFileTheFieldAndTheProblem() throws {
    let bytes = ggufFile(metadata: [("general.name", .string("tiny"))])
    let url = try temporaryFile("tiny.gguf", Array(bytes[0..<40]))
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let error = #expect(throws: GGUFError.self) { try GGUFFile(contentsOf: url) }
    // Bytes 24..<44 are the key "general.name" (8 + 12): the file ends 16 bytes into it.
    #expect(error == .inFile(path: url.path, error: .lengthTooLarge(field: "metadata key 0: string", length: 12, available: 8)))
    #expect(error?.description
            == "gguf: \(url.path): metadata key 0: string: length 12 is larger than the 8 bytes left in the file")
    #expect(error?.localizedDescription == error?.description)
    #expect(ggufFileError(Array(bytes[0..<40]), name: "x.gguf")?.problem
            == .lengthTooLarge(field: "metadata key 0: string", length: 12, available: 8))
    // Cut inside the value instead: a field that is not a length.
    #expect(ggufFileError(Array(bytes[0..<46]))?.problem
            == .truncated(field: "metadata key \"general.name\": value type", offset: 44, needed: 4, available: 2))
}

@Test func ggufLengthsAndCountsAreBoundedByTheFile() {
    // A string length of 2^64 − 1 in the first key.
    var w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.u64(UInt64.max)
    w.bytes += Array(repeating: 0x61, count: 20)
    #expect(ggufFileError(w.bytes)?.problem
            == .lengthTooLarge(field: "metadata key 0: string", length: UInt64.max, available: 20))
    // An array of 2^62 uint8, and an array of 2^40 empty arrays (each would take 12 bytes).
    for (elementType, count, need) in [(UInt32(0), UInt64(1) << 62, 1), (9, UInt64(1) << 40, 12)] {
        var a = GGUFBytes()
        a.header(tensors: 0, metadata: 1)
        a.string("k"); a.u32(9); a.u32(elementType); a.u64(count)
        a.bytes += Array(repeating: 0, count: 64)
        #expect(ggufFileError(a.bytes)?.problem
                == .lengthTooLarge(field: "metadata key \"k\": array", length: count, available: 64), "need \(need)")
    }
    // All metadata arrays together may hold at most maximumMetadataElements, even when the
    // file backs them: a 16 MB array of uint8 would otherwise become ~700 MB of GGUFValues.
    let count = UInt64(GGUFFile.maximumMetadataElements + 1)
    var e = GGUFBytes()
    e.header(tensors: 0, metadata: 1)
    e.string("many"); e.u32(9); e.u32(0); e.u64(count)
    e.bytes += [UInt8](repeating: 0, count: Int(count))
    #expect(ggufFileError(e.bytes)?.problem
            == .countTooLarge(field: "metadata key \"many\": array length (with all the metadata arrays before it)",
                              count: count, limit: GGUFFile.maximumMetadataElements))
    // Counts the file cannot hold.
    var c = GGUFBytes()
    c.header(tensors: 1 << 40, metadata: 0)
    #expect(ggufFileError(c.bytes)?.problem
            == .countTooLarge(field: "tensor count", count: 1 << 40, limit: GGUFFile.maximumTensorCount))
    // Arrays nested deeper than the limit.
    var n = GGUFBytes()
    n.header(tensors: 0, metadata: 1)
    n.string("deep"); n.u32(9)
    for _ in 0..<20 { n.u32(9); n.u64(1) }
    #expect(ggufFileError(n.bytes)?.problem
            == .arrayNestingTooDeep(field: "metadata key \"deep\"[0][0][0][0][0][0][0][0]", limit: GGUFFile.maximumArrayNesting))
}

@Test func ggufTensorInfosAreChecked() {
    let four = ggufFloatBytes([1, 2, 3, 4])
    func problem(_ tensors: [GGUFTestTensor], metadata: [(String, GGUFTestValue)] = [], alignment: Int = 32) -> GGUFError? {
        ggufFileError(ggufFile(metadata: metadata, tensors: tensors, alignment: alignment))?.problem
    }
    // Zero elements, but the other dimensions' strides overflow.
    #expect(problem([GGUFTestTensor(name: "z", dims: [0, 1 << 32, 1 << 32], type: 0, data: [])])
            == .invalidTensorInfo(tensor: "z", field: "dimensions", problem: "hold more elements than fit in an Int"))
    #expect(problem([GGUFTestTensor(name: "big", dims: [1 << 62, 4], type: 0, data: [])])
            == .invalidTensorInfo(tensor: "big", field: "dimensions", problem: "hold more elements than fit in an Int"))
    #expect(problem([GGUFTestTensor(name: "d", dims: [1, 1, 1, 1, 1], type: 0, data: four)])
            == .invalidTensorInfo(tensor: "d", field: "n_dims", problem: "is 5, more than 4"))
    // Unknown and removed quantisation types (4 and 5 were Q4_2 and Q4_3).
    for type: UInt32 in [4, 5, 16, 99, UInt32.max] {
        #expect(problem([GGUFTestTensor(name: "q", dims: [4], type: type, data: four)])
                == .unknownTensorType(tensor: "q", type: type))
    }
    // Q8_0 rows must be whole blocks of 32.
    #expect(problem([GGUFTestTensor(name: "q8", dims: [16], type: 8, data: Array(repeating: 0, count: 34))])
            == .invalidTensorInfo(tensor: "q8", field: "dimension 0", problem: "is 16, not a multiple of the Q8_0 block size 32"))
    // Alignment honoured: offset 16 is not a multiple of 32; general.alignment must be a power of two.
    #expect(problem([GGUFTestTensor(name: "m", dims: [4], type: 0, data: four + four, offset: 16)])
            == .misalignedTensor(tensor: "m", offset: 16, alignment: 32))
    #expect(problem([], metadata: [("general.alignment", .u32(24))]) == .invalidAlignment(value: "uint32(24)"))
    // Past the end, and two tensors on the same bytes.
    #expect(problem([GGUFTestTensor(name: "p", dims: [8], type: 0, data: four, offset: 0)])
            == .tensorOutOfRange(tensor: "p", offset: 0, byteCount: 32, dataSize: 16))
    #expect(problem([GGUFTestTensor(name: "a", dims: [4], type: 0, data: four, offset: 0),
                     GGUFTestTensor(name: "b", dims: [4], type: 0, data: four, offset: 0)])
            == .overlappingTensors(tensor: "b", other: "a"))
    #expect(problem([GGUFTestTensor(name: "a", dims: [4], type: 0, data: four),
                     GGUFTestTensor(name: "a", dims: [4], type: 0, data: four)]) == .duplicateTensor("a"))
}

@Test func ggufHostileKeysGiveOneShortLine() {
    var w = GGUFBytes()
    w.header(tensors: 0, metadata: 1)
    w.string("bad\nkey\u{1B}[31m" + String(repeating: "k", count: 5000)); w.u32(77)
    let error = ggufFileError(w.bytes)
    guard case let .unknownValueType(field, type)? = error?.problem else {
        Issue.record("expected unknownValueType, got \(String(describing: error))")
        return
    }
    #expect(type == 77)
    #expect(field.hasPrefix(#"metadata key "bad\nkey\u{1B}[31mkkk"#))
    let message = error?.description ?? ""
    #expect(isOneShortLine(message) && message.contains("model.gguf") && message.contains("value type 77"))
    // Invalid UTF-8 in a string value names the key.
    var u = GGUFBytes()
    u.header(tensors: 0, metadata: 1)
    u.string("name"); u.u32(8); u.u64(2); u.bytes += [0xC3, 0x28]
    #expect(ggufFileError(u.bytes)?.problem == .invalidString(field: "metadata key \"name\""))
}

// MARK: Byte-level BPE (tokens and merges from GGUF metadata)

@Test func bpeRejectsMalformedUnknownAndDuplicateMerges() {
    let tokens = ["a", "b", "c", "ab", "abc"]
    func error(_ tokens: [String], _ merges: [String]) -> ByteLevelBPEError? {
        do {
            _ = try ByteLevelBPE(tokens: tokens, merges: merges)
            return nil
        } catch {
            return error
        }
    }
    #expect(error(tokens, ["a b", "ab c"]) == nil)
    for bad in ["", "a", "a  b", " a b", "a b ", "a b c"] {
        #expect(error(tokens, ["a b", bad]) == .invalidMerge(index: 1, text: bad), "\(bad)")
    }
    #expect(error(tokens, ["a x"]) == .mergeTokenUnknown(index: 0, text: "a x", token: "x"))
    #expect(error(tokens, ["b c"]) == .mergeTokenUnknown(index: 0, text: "b c", token: "bc"))   // the result
    #expect(error(tokens, ["a b", "ab c", "a b"]) == .duplicateMerge(index: 2, firstIndex: 0, text: "a b"))
    #expect(error(tokens + ["b"], ["a b"]) == .duplicateToken(token: "b", id: 5, firstID: 1))
    // "é" as one scalar and as e + U+0301 are different tokens (as in Python), not duplicates.
    #expect(error(["\u{E9}", "e\u{301}"], []) == nil)
    #expect(ByteLevelBPEError.duplicateMerge(index: 2, firstIndex: 0, text: "a b").description
            == "byte-level BPE: tokenizer.ggml.merges[2] \"a b\" repeats tokenizer.ggml.merges[0]")
    #expect(ByteLevelBPEError.mergeTokenUnknown(index: 0, text: "b c", token: "bc").description
            == "byte-level BPE: tokenizer.ggml.merges[0] \"b c\" names \"bc\", which is not in tokenizer.ggml.tokens")
    #expect(isOneShortLine(ByteLevelBPEError.invalidMerge(index: 0, text: "a\nb").description))
}

@Test func bpeFromGGUFMetadataIsChecked() throws {
    func tokenizer(_ metadata: [(String, GGUFTestValue)]) throws -> ByteLevelBPE {
        try ByteLevelBPE(gguf: try GGUFFile(data: Data(ggufFile(metadata: metadata))))
    }
    let tokens = GGUFTestValue.array(8, ["a", "b", "ab"].map { .string($0) })
    let good = try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                              ("tokenizer.ggml.merges", .array(8, [.string("a b")]))])
    #expect(good.encode("ab") == [2])
    #expect(throws: ByteLevelBPEError.mergeTokenUnknown(index: 0, text: "a c", token: "c")) {
        try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                       ("tokenizer.ggml.merges", .array(8, [.string("a c")]))])
    }
    #expect(throws: GGUFError.wrongType(key: "tokenizer.ggml.merges", expected: "an array of strings", found: "an array of uint32")) {
        try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                       ("tokenizer.ggml.merges", .array(4, [.u32(1)]))])
    }
    #expect(throws: ByteLevelBPEError.idOutOfRange(id: 3, vocabularySize: 3)) {
        try tokenizer([("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.tokens", tokens),
                       ("tokenizer.ggml.merges", .array(8, [])), ("tokenizer.ggml.eos_token_id", .u32(3))])
    }
}

// MARK: The fuzz seeds stay valid

/// Fuzz/Seeds holds the small valid files the fuzzers start from; they must keep parsing.
@Test func fuzzSeedsAreValidFiles() throws {
    let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/Seeds").standardizedFileURL
    func files(_ folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: seeds.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .sorted { $0.path < $1.path }
    }
    let safetensors = try files("safetensors")
    #expect(safetensors.count == 3)
    for url in safetensors { _ = try SafeTensors.read(contentsOf: url.path) }
    let gguf = try files("gguf")
    #expect(gguf.count == 2)
    for url in gguf {
        let file = try GGUFFile(contentsOf: url)
        for info in file.tensors { _ = try file.tensor(named: info.name) }
        if file.metadata["tokenizer.ggml.model"] != nil {
            let tokenizer = try ByteLevelBPE(gguf: file)
            #expect(try tokenizer.decode(tokenizer.encode("hello he")) == "hello he")
        }
    }
}
