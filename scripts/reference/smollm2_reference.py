#!/usr/bin/env python3
"""Independent reference for SmolLM2-135M-Instruct (GGUF, Q4_1): writes the golden fixtures that
Tests/ModelIOTests/SmolLM2Tests.swift compares the pure-Swift model against.

Independent of the Swift code on every step:
  * the GGUF file is read and dequantised by ggml's own `gguf` package (gguf-py);
  * the tokenizer is Hugging Face's `tokenizers` byte-level BPE, built from the GGUF's vocab and
    merges with the pre-tokenizer SmolLM2's tokenizer.json declares (Digits(individual_digits)
    then ByteLevel(add_prefix_space=False)), the 17 control tokens added as special tokens;
  * the Llama forward pass is written here in numpy, in float64.

RoPE pairing: llama.cpp's converter permutes the Q and K weights of Hugging Face Llama models so
that ggml's "normal" rope, which rotates adjacent pairs (x[2i], x[2i+1]), computes what HF's
rotate_half (pairs x[i], x[i + d/2]) did on the original weights. This script does not take that
on trust: `--check-rope` scores a natural English text under both pairings; the right one gives a
far lower loss.

Usage (from the package root):
    scripts/reference/make_venv_smollm2.sh
    .venv-reference/bin/python scripts/reference/smollm2_reference.py            # writes fixtures
    .venv-reference/bin/python scripts/reference/smollm2_reference.py --check-rope
    .venv-reference/bin/python scripts/reference/smollm2_reference.py --bench    # tokens/s
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken

MODEL = os.path.join(os.environ.get("TX_MODELS_DIR") or os.path.expanduser("~/.cache/transformer-explorer/models"),
                     "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ModelIOTests", "Fixtures", "smollm2")

TOKENIZER_TEXTS = [
    "Hello, world! This is SmolLM2.",
    "Le fromage est délicieux, n'est-ce pas ?",
    "机器学习很有趣。",
    "I love it 😊🚀!",
    "In 2024 we sold 1,234,567 items at $3.99.",
    "   leading and trailing spaces   ",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
    "don't stop\n\n\tthe   music's beat",
]
PROMPTS = [
    "The capital of France is",
    "sea otter => loutre de mer\ncheese =>",
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "def fibonacci(n):",
]
ATTENTION_PROMPT = "The quick brown fox jumps over the lazy dog"
ATTENTION_LAYERS = [0, 29]
ATTENTION_HEADS = [0, 4]
GENERATION_PROMPT = "The capital of France is"
GENERATION_TOKENS = 8
# A Chinese prompt whose continuation has characters split across byte-level tokens: the Swift
# decoder must join their bytes before decoding (tx generate, issue 16).
CHINESE_PROMPT = "中国的首都是"
CHINESE_TOKENS = 12


def field_value(reader, key):
    field = reader.fields[key]
    return field.contents()


class Model:
    def __init__(self, path):
        self.reader = GGUFReader(path)
        r = self.reader
        self.n_layer = int(field_value(r, "llama.block_count"))
        self.d = int(field_value(r, "llama.embedding_length"))
        self.n_head = int(field_value(r, "llama.attention.head_count"))
        self.n_kv = int(field_value(r, "llama.attention.head_count_kv"))
        self.ff = int(field_value(r, "llama.feed_forward_length"))
        self.theta = float(field_value(r, "llama.rope.freq_base"))
        self.eps = float(field_value(r, "llama.attention.layer_norm_rms_epsilon"))
        self.hd = self.d // self.n_head
        self.tensors = {t.name: t for t in r.tensors}
        self.w = {}
        for name, t in self.tensors.items():
            # gguf-py returns the row-major shape (ggml's dims reversed): [out, in] for weights.
            self.w[name] = dequantize(t.data, t.tensor_type).astype(np.float64)
        self.emb = self.w["token_embd.weight"]
        self.out = self.w.get("output.weight", self.emb)
        self.rope_pairs = "adjacent"

    def tokenizer(self):
        r = self.reader
        tokens = field_value(r, "tokenizer.ggml.tokens")
        merges = field_value(r, "tokenizer.ggml.merges")
        types = field_value(r, "tokenizer.ggml.token_type")
        vocab = {tok: i for i, tok in enumerate(tokens)}
        bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges])
        tk = Tokenizer(bpe)
        tk.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
        ])
        tk.decoder = decoders.ByteLevel()
        tk.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                               for i, t in enumerate(types) if int(t) == 3])
        return tk

    def rms(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def rope(self, x, positions):
        # x: (T, heads, hd)
        half = self.hd // 2
        inv = self.theta ** (-np.arange(half, dtype=np.float64) * 2.0 / self.hd)
        ang = positions[:, None].astype(np.float64) * inv[None, :]          # (T, half)
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        if self.rope_pairs == "adjacent":
            a, b = x[..., 0::2], x[..., 1::2]
            out = np.empty_like(x)
            out[..., 0::2] = a * cos - b * sin
            out[..., 1::2] = a * sin + b * cos
        else:  # "halves" (NeoX / HF rotate_half)
            a, b = x[..., :half], x[..., half:]
            out = np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
        return out

    def layer(self, i, x, positions, cache=None, record=None):
        """x: (T, d) new positions; cache: dict with 'k','v' arrays (P, n_kv, hd) or None."""
        w = self.w
        p = f"blk.{i}."
        T = x.shape[0]
        h = self.rms(x, w[p + "attn_norm.weight"])
        q = (h @ w[p + "attn_q.weight"].T).reshape(T, self.n_head, self.hd)
        k = (h @ w[p + "attn_k.weight"].T).reshape(T, self.n_kv, self.hd)
        v = (h @ w[p + "attn_v.weight"].T).reshape(T, self.n_kv, self.hd)
        q, k = self.rope(q, positions), self.rope(k, positions)
        if cache is not None:
            k = np.concatenate([cache["k"], k], axis=0) if cache["k"] is not None else k
            v = np.concatenate([cache["v"], v], axis=0) if cache["v"] is not None else v
            cache["k"], cache["v"] = k, v
        S = k.shape[0]
        group = self.n_head // self.n_kv
        out = np.empty((T, self.n_head, self.hd))
        for hh in range(self.n_head):
            kv = hh // group
            scores = q[:, hh, :] @ k[:, kv, :].T / np.sqrt(self.hd)           # (T, S)
            mask = positions[:, None] < np.arange(S)[None, :]
            scores = np.where(mask, -np.inf, scores)
            scores -= scores.max(axis=-1, keepdims=True)
            e = np.exp(scores)
            a = e / e.sum(axis=-1, keepdims=True)
            if record is not None:
                record[(i, hh)] = a
            out[:, hh, :] = a @ v[:, kv, :]
        x = x + out.reshape(T, self.d) @ w[p + "attn_output.weight"].T
        h = self.rms(x, w[p + "ffn_norm.weight"])
        g = h @ w[p + "ffn_gate.weight"].T
        u = h @ w[p + "ffn_up.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ w[p + "ffn_down.weight"].T
        return x

    def forward(self, ids, record=None, caches=None, start=0):
        x = self.emb[np.array(ids)]
        positions = np.arange(start, start + len(ids))
        for i in range(self.n_layer):
            x = self.layer(i, x, positions, None if caches is None else caches[i], record)
        x = self.rms(x, self.w["output_norm.weight"])
        return x @ self.out.T


def check_rope(model, tk):
    text = ("The history of the city goes back more than two thousand years. It was founded by the Romans "
            "on the banks of a wide river, and it grew into an important centre of trade during the Middle Ages. "
            "Today it is known for its museums, its old cathedral and its lively markets.")
    ids = tk.encode(text).ids
    for pairs in ("adjacent", "halves"):
        model.rope_pairs = pairs
        logits = model.forward(ids)
        logits = logits - logits.max(axis=-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        loss = -np.mean([logp[t, ids[t + 1]] for t in range(len(ids) - 1)])
        print(f"rope pairs {pairs:9s}: mean next-token loss {loss:.3f} nats over {len(ids) - 1} tokens")
    model.rope_pairs = "adjacent"


def bench(model, tk, n=32):
    ids = tk.encode("The capital of France is").ids
    caches = [{"k": None, "v": None} for _ in range(model.n_layer)]
    t0 = time.time()
    logits = model.forward(ids, caches=caches)
    t1 = time.time()
    pos = len(ids)
    nxt = int(np.argmax(logits[-1]))
    for _ in range(n):
        logits = model.forward([nxt], caches=caches, start=pos)
        pos += 1
        nxt = int(np.argmax(logits[-1]))
    t2 = time.time()
    print(f"numpy reference (float64): prefill {len(ids)} tokens {1000 * (t1 - t0):.0f} ms, "
          f"generation {n / (t2 - t1):.1f} tokens/s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-rope", action="store_true")
    parser.add_argument("--bench", action="store_true")
    parser.add_argument("--chinese", action="store_true", help="write only generation-zh.json")
    args = parser.parse_args()
    t0 = time.time()
    model = Model(MODEL)
    tk = model.tokenizer()
    print(f"loaded in {time.time() - t0:.1f} s", file=sys.stderr)
    if args.check_rope:
        check_rope(model, tk)
        return
    if args.bench:
        bench(model, tk)
        return
    os.makedirs(FIXTURES, exist_ok=True)
    write_chinese_generation(model, tk)
    if args.chinese:
        return

    tokenizer_cases = [{"text": t, "ids": tk.encode(t).ids} for t in TOKENIZER_TEXTS]
    for case in tokenizer_cases:
        assert tk.decode(case["ids"], skip_special_tokens=False) == case["text"], case
    write("tokenizer.json", {"source": "tokenizers " + __import__("tokenizers").__version__
                             + " BPE from the GGUF vocab/merges; Digits(individual) + ByteLevel",
                             "cases": tokenizer_cases})

    prompt_cases = []
    for text in PROMPTS:
        ids = tk.encode(text).ids
        last = model.forward(ids)[-1]
        top = np.argsort(-last)[:5]
        prompt_cases.append({"text": text, "ids": ids,
                             "top5": [{"id": int(i), "logit": float(last[i]), "token": tk.id_to_token(int(i))}
                                      for i in top]})
        print(text.replace("\n", "\\n"), "->", [(tk.decode([int(i)]), round(float(last[i]), 3)) for i in top])
    write("logits.json", {"tolerance_note": "float64 numpy; Swift runs in float32", "prompts": prompt_cases})

    ids = tk.encode(ATTENTION_PROMPT).ids
    record = {}
    model.forward(ids, record=record)
    write("attention.json", {"text": ATTENTION_PROMPT, "ids": ids,
                             "entries": [{"layer": l, "head": h, "weights": np.round(record[(l, h)], 7).tolist()}
                                         for l in ATTENTION_LAYERS for h in ATTENTION_HEADS]})

    ids = tk.encode(GENERATION_PROMPT).ids
    generated = []
    caches = [{"k": None, "v": None} for _ in range(model.n_layer)]
    logits = model.forward(ids, caches=caches)
    pos = len(ids)
    for _ in range(GENERATION_TOKENS):
        nxt = int(np.argmax(logits[-1]))
        generated.append(nxt)
        logits = model.forward([nxt], caches=caches, start=pos)
        pos += 1
    print("greedy:", repr(tk.decode(generated)))

    samples = []
    rng = np.random.default_rng(7)
    for name in ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight",
                 "blk.0.attn_norm.weight", "output_norm.weight"]:
        t = model.tensors[name]
        flat = model.w[name].reshape(-1)
        idx = sorted(set([0, 1, 15, 16, 31, 32, flat.size - 1] + rng.integers(0, flat.size, 8).tolist()))
        samples.append({"tensor": name, "type": t.tensor_type.name, "shape": list(model.w[name].shape),
                        "indices": idx, "values": [float(np.float32(flat[i])) for i in idx]})
    write("weights.json", {"samples": samples,
                           "generation": {"text": GENERATION_PROMPT, "ids": ids, "greedy": generated,
                                          "greedy_text": tk.decode(generated)}})


def write_chinese_generation(model, tk):
    """Greedy continuation of CHINESE_PROMPT: the token ids, each token's bytes (its byte-level
    symbols mapped back through GPT-2's byte table, here by the tokenizers decoder one token at
    a time), and the text the joined bytes decode to."""
    ids = tk.encode(CHINESE_PROMPT).ids
    caches = [{"k": None, "v": None} for _ in range(model.n_layer)]
    logits = model.forward(ids, caches=caches)
    pos, generated, margins = len(ids), [], []
    for _ in range(CHINESE_TOKENS):
        last = logits[-1]
        top2 = np.sort(last)[-2:]
        margins.append(float(top2[1] - top2[0]))
        nxt = int(np.argmax(last))
        generated.append(nxt)
        logits = model.forward([nxt], caches=caches, start=pos)
        pos += 1
    byte_table = {c: b for b, c in gpt2_bytes_to_unicode().items()}
    token_bytes = [[byte_table[c] for c in tk.id_to_token(i)] for i in generated]
    joined = bytes(b for t in token_bytes for b in t)
    text = joined.decode("utf-8", errors="replace")
    assert text == tk.decode(generated), (text, tk.decode(generated))
    print("chinese greedy:", repr(text), "smallest top-2 logit margin", round(min(margins), 3))
    write("generation-zh.json", {"text": CHINESE_PROMPT, "ids": ids, "greedy": generated,
                                 "greedy_token_bytes": token_bytes, "greedy_text": text,
                                 "smallest_top2_logit_margin": min(margins),
                                 "note": "float64 numpy greedy decoding; tokens whose bytes are part of a character "
                                         "are joined with their neighbours before UTF-8 decoding"})


def gpt2_bytes_to_unicode():
    """GPT-2's table from each byte to the printable character that stands for it in the vocabulary."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write(name, obj):
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
