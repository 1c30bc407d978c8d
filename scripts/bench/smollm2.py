#!/usr/bin/env python3
"""SmolLM2-135M-Instruct decoding in numpy float32, the baseline for ModelIO.LlamaSession.

Adapted from scripts/reference/smollm2_reference.py (float64, a head at a time, a growing
concatenated cache: fine for fixtures, unfair as a speed baseline). The same Llama arithmetic
(RMSNorm, adjacent-pair RoPE, grouped-query attention, SwiGLU, tied output), with the GGUF's Q4_1
weights dequantised once to float32 by ggml's own gguf-py (as the Swift model dequantises at load),
each linear layer one sgemv, all heads of a step at once, and a preallocated key-value cache.

One timed unit is: reset the cache, run the prompt (not timed), then greedily decode `tokens`
tokens one at a time (timed). tokens/s = tokens / that time.
    OPENBLAS_NUM_THREADS=1 .venv-bench/bin/python scripts/bench/smollm2.py
"""
import functools
import os
import sys
import time

MODEL = os.path.join(os.environ.get("TX_MODELS_DIR") or os.path.expanduser("~/.cache/transformer-explorer/models"),
                     "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


class Llama:
    def __init__(self, path, max_positions=512):
        import numpy as np
        from gguf import GGUFReader
        from gguf.quants import dequantize
        self.np = np
        r = GGUFReader(path)

        def field(key):
            return r.fields[key].contents()
        self.n_layer = int(field("llama.block_count"))
        self.d = int(field("llama.embedding_length"))
        self.n_head = int(field("llama.attention.head_count"))
        self.n_kv = int(field("llama.attention.head_count_kv"))
        self.theta = float(field("llama.rope.freq_base"))
        self.eps = np.float32(field("llama.attention.layer_norm_rms_epsilon"))
        self.hd = self.d // self.n_head
        w = {t.name: dequantize(t.data, t.tensor_type).astype(np.float32) for t in r.tensors}
        # gguf-py gives [out, in]; store [in, out] so h @ W is a plain row-vector product.
        self.layers = []
        for i in range(self.n_layer):
            p = f"blk.{i}."
            t = lambda name: np.ascontiguousarray(w[p + name].T)
            self.layers.append({
                "attn_norm": w[p + "attn_norm.weight"], "ffn_norm": w[p + "ffn_norm.weight"],
                "q": t("attn_q.weight"), "k": t("attn_k.weight"), "v": t("attn_v.weight"),
                "o": t("attn_output.weight"), "gate": t("ffn_gate.weight"), "up": t("ffn_up.weight"),
                "down": t("ffn_down.weight")})
        self.emb = w["token_embd.weight"]                       # [vocab, d]
        self.out = w.get("output.weight", self.emb)             # [vocab, d]: logits = out @ x
        self.out_norm = w["output_norm.weight"]
        self.max_positions = max_positions
        half = self.hd // 2
        inv = self.theta ** (-np.arange(half, dtype=np.float64) * 2.0 / self.hd)
        angles = np.arange(max_positions, dtype=np.float64)[:, None] * inv[None, :]
        self.cos, self.sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
        self.keys = np.zeros((self.n_layer, max_positions, self.n_kv, self.hd), np.float32)
        self.values = np.zeros_like(self.keys)

    def rms(self, x, w):
        np = self.np
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def rope(self, x, positions):
        # x: (T, heads, hd); rotate adjacent pairs (x[2i], x[2i+1]).
        cos, sin = self.cos[positions][:, None, :], self.sin[positions][:, None, :]
        a, b = x[..., 0::2], x[..., 1::2]
        out = self.np.empty_like(x)
        out[..., 0::2] = a * cos - b * sin
        out[..., 1::2] = a * sin + b * cos
        return out

    def forward(self, ids, start):
        """Logits of the last position; appends the positions to the cache."""
        np = self.np
        T = len(ids)
        positions = np.arange(start, start + T)
        total = start + T
        group = self.n_head // self.n_kv
        scale = np.float32(1 / np.sqrt(self.hd))
        causal = positions[:, None] < np.arange(total)[None, :]            # (T, total): hidden
        x = self.emb[ids]
        for i, L in enumerate(self.layers):
            h = self.rms(x, L["attn_norm"])
            q = self.rope((h @ L["q"]).reshape(T, self.n_head, self.hd), positions)
            k = self.rope((h @ L["k"]).reshape(T, self.n_kv, self.hd), positions)
            v = (h @ L["v"]).reshape(T, self.n_kv, self.hd)
            self.keys[i, start:total] = k
            self.values[i, start:total] = v
            K = self.keys[i, :total].transpose(1, 2, 0)                    # (kv, hd, total)
            V = self.values[i, :total].transpose(1, 0, 2)                  # (kv, total, hd)
            qg = q.reshape(T, self.n_kv, group, self.hd).transpose(1, 0, 2, 3).reshape(self.n_kv, T * group, self.hd)
            scores = (qg @ K).reshape(self.n_kv, T, group, total) * scale
            scores = np.where(causal[None, :, None, :], -np.inf, scores)
            scores -= scores.max(axis=-1, keepdims=True)
            e = np.exp(scores)
            e /= e.sum(axis=-1, keepdims=True)
            attended = (e.reshape(self.n_kv, T * group, total) @ V)        # (kv, T·group, hd)
            attended = attended.reshape(self.n_kv, T, group, self.hd).transpose(1, 0, 2, 3).reshape(T, self.d)
            x = x + attended @ L["o"]
            h = self.rms(x, L["ffn_norm"])
            g = h @ L["gate"]
            x = x + ((g / (1 + np.exp(-g))) * (h @ L["up"])) @ L["down"]
        last = self.rms(x[-1], self.out_norm)
        return self.out @ last


@functools.lru_cache(maxsize=1)
def model():
    if not os.path.exists(MODEL):
        raise FileNotFoundError(f"SmolLM2 is not installed at {MODEL}; run scripts/fetch-models.sh")
    return Llama(MODEL)


def setup(name, params):
    import numpy as np
    llama = model()
    prompt, tokens = list(params["prompt"]), params["tokens"]

    def run():
        logits = llama.forward(np.asarray(prompt), 0)
        position = len(prompt)
        start = time.perf_counter()
        for _ in range(tokens):
            nxt = int(np.argmax(logits))
            logits = llama.forward(np.asarray([nxt]), position)
            position += 1
        return time.perf_counter() - start
    return run


def greedy(prompt, tokens):
    """The generated ids, to check the baseline computes what the Swift model does."""
    import numpy as np
    llama = model()
    logits = llama.forward(np.asarray(prompt), 0)
    out, position = [], len(prompt)
    for _ in range(tokens):
        out.append(int(np.argmax(logits)))
        logits = llama.forward(np.asarray([out[-1]]), position)
        position += 1
    return out


if __name__ == "__main__":
    from common import standalone
    # "The capital of France is" in SmolLM2's tokenizer.
    prompt = [504, 3575, 282, 4649, 314]
    print("greedy:", greedy(prompt, 8), file=sys.stderr)
    standalone(setup, [("smollm2", {"prompt": prompt, "tokens": 32})], samples=3)
    sys.exit(0)
