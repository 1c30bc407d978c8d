#!/usr/bin/env python3
"""Writes the small valid seed files under Fuzz/Seeds/ (committed; rerun to regenerate).
Each is a tiny file of the format, valid, exercising the parser's main paths."""
import json, os, struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Seeds")

def write(folder, name, data):
    os.makedirs(os.path.join(root, folder), exist_ok=True)
    with open(os.path.join(root, folder, name), "wb") as f:
        f.write(data)

# safetensors: 8-byte header length, JSON header padded to 8, data tiling exactly.
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data

f32 = lambda *v: struct.pack("<%df" % len(v), *v)
write("safetensors", "two-f32.safetensors", safetensors(
    [("a", "F32", [2, 2], f32(1, 2, 3, 4)), ("b", "F32", [3], f32(-1, 0.5, 2))], {"format": "pt"}))
write("safetensors", "mixed-dtypes.safetensors", safetensors(
    [("h", "F16", [2], struct.pack("<2H", 0x3C00, 0xBC00)), ("bf", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0x4000)),
     ("ids", "I64", [2], struct.pack("<2q", 7, -1)), ("empty", "F32", [0, 3], b""), ("s", "F32", [], f32(5))]))
write("safetensors", "empty.safetensors", safetensors([]))

# GGUF v3: header, metadata, tensor infos, padding to 32, data.
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

def gvalue(kind, v):
    if kind == "u32": return struct.pack("<I", 4) + struct.pack("<I", v)
    if kind == "f32": return struct.pack("<I", 6) + struct.pack("<f", v)
    if kind == "str": return struct.pack("<I", 8) + gstr(v)
    if kind == "bool": return struct.pack("<I", 7) + struct.pack("<B", v)
    if kind == "strs": return struct.pack("<I", 9) + struct.pack("<IQ", 8, len(v)) + b"".join(gstr(s) for s in v)
    if kind == "i32s": return struct.pack("<I", 9) + struct.pack("<IQ", 5, len(v)) + b"".join(struct.pack("<i", x) for x in v)
    raise ValueError(kind)

def gguf(metadata, tensors, alignment=32):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, v in metadata:
        out += gstr(key) + gvalue(kind, v)
    data = b""
    for name, dims, gtype, raw in tensors:
        data += b"\0" * (-len(data) % alignment)
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", gtype, len(data))
        data += raw
    out += b"\0" * (-len(out) % alignment)
    return out + data

q8 = struct.pack("<H", 0x3C00) + bytes(range(32))              # Q8_0: f16 scale + 32 int8
q4_0 = struct.pack("<H", 0x3800) + bytes(range(16))            # Q4_0: f16 scale + 16 bytes
q4_1 = struct.pack("<2H", 0x3800, 0xBC00) + bytes(range(16))   # Q4_1: f16 scale, f16 min + 16 bytes
write("gguf", "tensors.gguf", gguf(
    [("general.architecture", "str", "llama"), ("general.alignment", "u32", 32), ("x.eps", "f32", 1e-5),
     ("x.flag", "bool", 1)],
    [("w", [3, 2], 0, f32(1, 2, 3, 4, 5, 6)), ("h", [2], 1, struct.pack("<2H", 0x3C00, 0x4000)),
     ("q8", [32], 8, q8), ("q40", [32], 2, q4_0), ("q41", [32], 3, q4_1)]))
g = "\u0120"
tokens = ["<|endoftext|>", "a", "b", "h", "e", "l", "o", g, "he", "ll", "hell", "hello", g + "h", g + "he"]
merges = ["h e", "l l", "he ll", "hell o", g + " h", g + "h e"]
write("gguf", "tokenizer.gguf", gguf(
    [("tokenizer.ggml.model", "str", "gpt2"), ("tokenizer.ggml.pre", "str", "smollm"),
     ("tokenizer.ggml.tokens", "strs", tokens), ("tokenizer.ggml.merges", "strs", merges),
     ("tokenizer.ggml.token_type", "i32s", [3] + [1] * (len(tokens) - 1)),
     ("tokenizer.ggml.bos_token_id", "u32", 0), ("tokenizer.ggml.eos_token_id", "u32", 0)], []))

# vocab.txt: BERT's special tokens, words, ## pieces, non-ASCII.
write("vocab", "bert-vocab.txt", "\n".join(
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", "world", ",", "!",
     "的", "wörld", "##s", "h", "##e", "##llo"]).encode() + b"\n")
write("vocab", "crlf-bom.txt", b"\xef\xbb\xbf[UNK]\r\n[CLS]\r\n[SEP]\r\nx\r\n")

# bpe: tokens NUL merges NUL text (see Fuzz/Sources/FuzzBPE/main.swift).
write("bpe", "toy.bpe", "\n".join(tokens).encode() + b"\0" + "\n".join(merges).encode() + b"\0" + b"hello he's 11\n")
write("bpe", "special.bpe", "\n".join(tokens + ["<|im_start|>", "1", "'", "s"]).encode() + b"\0" +
      "\n".join(merges).encode() + b"\0" + "<|im_start|>hello 2024 héllo".encode())
