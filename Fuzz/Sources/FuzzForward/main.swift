// libFuzzer target: the values of a tiny Llama model, not its structure. The input bytes become
// the weights (read as raw Float32 bit patterns, so NaN, ±∞, 1e38 and subnormals all occur)
// of a structurally valid tiny GGUF model (GGUFWriter.tinyLlama: 256 byte tokens plus two
// extra tokens whose text comes from the input, 1 or 2 layers). Loading must either succeed or
// throw; a model that loads must run one forward pass with an attention trace, and a session
// must take the same tokens one at a time, without trapping. Non-finite weights must be refused
// at load: a loaded model's weights are all finite (the target checks the embedding rows it
// reads back), so a NaN that gets through is a crash here.
import Foundation
import FuzzDriver
import ModelIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 4 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let layers = Int(bytes[0] & 1) + 1
    // Mode: raw bit patterns (anything, mostly refused at load), or small values from single
    // bytes (finite weights, so the forward pass itself runs on hostile-but-finite numbers).
    let rawFloats = bytes[1] & 1 == 0
    let payload = Array(bytes[2...])
    let textLength = min(payload.count, 12)
    let text = String(decoding: payload.suffix(textLength), as: UTF8.self)
    let tokenText = String(decoding: payload.prefix(6), as: UTF8.self)
    var cursor = 0
    let file = GGUFWriter.tinyLlama(layerCount: layers, extraTokens: ["<x>" + tokenText, "<y>" + text]) { _, count in
        (0..<count).map { _ in
            defer { cursor += rawFloats ? 4 : 1 }
            if rawFloats {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(payload[(cursor + k) % payload.count]) << (8 * UInt32(k)) }
                return Float(bitPattern: bits)
            }
            return Float(Int8(bitPattern: payload[cursor % payload.count])) / 16
        }
    }
    do {
        let model = try LlamaModel.load(from: try GGUFFile(data: Data(file), name: "fuzz.gguf"))
        var ids = model.tokenizer.encode(text)
        if ids.isEmpty { ids = [Int(bytes[0])] }
        ids = Array(ids.prefix(GGUFWriter.tinyContextLength))
        let output = try model.forward(ids: ids, recordTrace: true)
        precondition(output.logits.shape == [ids.count, 258], "logits of shape \(output.logits.shape)")
        precondition(output.trace?.entries.count == layers * GGUFWriter.tinyHeadCount, "incomplete trace")
        let session = model.makeSession()
        for id in ids { _ = try session.append([id]) }
        for id in 0..<3 { _ = model.tokenizer.tokenStrings([id, 256, 257]); _ = try? model.tokenizer.decode([id]) }
    } catch {
        _ = "\(error)"
    }
    return 0
}

runFuzzer { data, size in
    guard let data else { return 0 }
    return fuzz(data, size)
}
