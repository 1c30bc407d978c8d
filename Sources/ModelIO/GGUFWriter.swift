import Tokenizers
import Foundation

/// Writes small GGUF files with F32 tensors: enough to make a complete, tiny Llama model that
/// the loader accepts, so that tests and the forward-pass fuzz target can vary its values
/// (NaN weights, hostile token text, extra layers) without a real download.
public enum GGUFWriter {
    /// A metadata value (the types a Llama file needs).
    public enum Value {
        case string(String), uint32(UInt32), float32(Float), strings([String])
    }

    /// A whole GGUF v3 file: metadata in the given order, then F32 tensors (row-major `shape`,
    /// written as ggml's reversed dimensions), each at the next 32-byte boundary.
    public static func file(metadata: [(String, Value)], tensors: [(name: String, shape: [Int], values: [Float])]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += Array(s.utf8) }
        out += Array("GGUF".utf8)
        u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case let .string(text): u32(8); string(text)
            case let .uint32(number): u32(4); u32(number)
            case let .float32(number): u32(6); u32(number.bitPattern)
            case let .strings(list): u32(9); u32(8); u64(UInt64(list.count)); list.forEach(string)
            }
        }
        var offset = 0
        var data: [UInt8] = []
        for tensor in tensors {
            while data.count % 32 != 0 { data.append(0) }
            offset = data.count
            string(tensor.name)
            u32(UInt32(tensor.shape.count))
            for dimension in tensor.shape.reversed() { u64(UInt64(dimension)) }
            u32(0)   // GGML_TYPE_F32
            u64(UInt64(offset))
            for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        }
        while out.count % 32 != 0 { out.append(0) }
        return out + data
    }

    /// The sizes of `tinyLlama`: d_model 8, 2 query heads sharing 1 key/value head (d_head 4),
    /// feed-forward 16, context 32.
    public static let tinyHiddenSize = 8, tinyHeadCount = 2, tinyKeyValueHeadCount = 1
    /// The feed-forward size (16) and context length (32) of `tinyLlama`.
    public static let tinyFeedForwardSize = 16, tinyContextLength = 32

    /// The names and row-major shapes of every tensor of a tiny Llama with `layerCount` layers
    /// and `vocabularySize` tokens, in file order (the output projection is tied).
    public static func tinyLlamaTensorShapes(layerCount: Int, vocabularySize: Int) -> [(name: String, shape: [Int])] {
        let d = tinyHiddenSize, q = tinyHeadCount * (d / tinyHeadCount)
        let kv = tinyKeyValueHeadCount * (d / tinyHeadCount), ff = tinyFeedForwardSize
        var shapes: [(String, [Int])] = [("token_embd.weight", [vocabularySize, d])]
        for i in 0..<layerCount {
            let p = "blk.\(i)."
            shapes += [(p + "attn_norm.weight", [d]), (p + "attn_q.weight", [q, d]), (p + "attn_k.weight", [kv, d]),
                       (p + "attn_v.weight", [kv, d]), (p + "attn_output.weight", [d, q]), (p + "ffn_norm.weight", [d]),
                       (p + "ffn_gate.weight", [ff, d]), (p + "ffn_up.weight", [ff, d]), (p + "ffn_down.weight", [d, ff])]
        }
        shapes.append(("output_norm.weight", [d]))
        return shapes.map { (name: $0.0, shape: $0.1) }
    }

    /// A complete tiny Llama decoder: the 256 byte tokens of GPT-2's byte-level BPE (no merges)
    /// followed by `extraTokens`, `layerCount` layers, and each tensor's values from `values`
    /// (called with the name and the element count). `blockCount` overrides what the metadata
    /// says (to make a file whose tensors and configuration disagree).
    public static func tinyLlama(layerCount: Int = 1, blockCount: Int? = nil, extraTokens: [String] = [],
                                 values: (String, Int) -> [Float]) -> [UInt8] {
        let tokens = ByteLevelBPE.byteToUnicode.map { String($0) } + extraTokens
        let metadata: [(String, Value)] = [
            ("general.architecture", .string("llama")),
            ("llama.block_count", .uint32(UInt32(blockCount ?? layerCount))),
            ("llama.embedding_length", .uint32(UInt32(tinyHiddenSize))),
            ("llama.feed_forward_length", .uint32(UInt32(tinyFeedForwardSize))),
            ("llama.attention.head_count", .uint32(UInt32(tinyHeadCount))),
            ("llama.attention.head_count_kv", .uint32(UInt32(tinyKeyValueHeadCount))),
            ("llama.context_length", .uint32(UInt32(tinyContextLength))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.merges", .strings([])),
        ]
        let tensors = tinyLlamaTensorShapes(layerCount: layerCount, vocabularySize: tokens.count).map { entry in
            let count = entry.shape.reduce(1, *)
            var scalars = values(entry.name, count)
            // Whatever the caller gives, the file holds exactly `count` values.
            if scalars.count < count { scalars += [Float](repeating: 0, count: count - scalars.count) }
            return (name: entry.name, shape: entry.shape, values: Array(scalars.prefix(count)))
        }
        return file(metadata: metadata, tensors: tensors)
    }
}
