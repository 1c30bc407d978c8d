#!/usr/bin/env python3
"""all-MiniLM-L6-v2's forward pass in numpy float32, the baseline for ModelIO.BertEncoderModel.

Adapted from scripts/reference/minilm_reference.py (which runs in float64 and takes erf from
math.erf one scalar at a time, fine for fixtures, unfair as a speed baseline): the same BERT
arithmetic, in float32, with the weights pre-transposed once at load so every linear layer is one
sgemm, and the exact GELU 0.5·x·(1 + erf(x/√2)) with a vectorised erf (Abramowitz & Stegun
7.1.26, |error| < 1.5e-7, below float32 resolution near 1).

    OPENBLAS_NUM_THREADS=1 .venv-bench/bin/python scripts/bench/minilm.py
"""
import functools
import json
import math
import os
import struct
import sys

MODEL_DIR = os.path.join(os.environ.get("TX_MODELS_DIR") or os.path.expanduser("~/.cache/transformer-explorer/models"),
                         "minilm")


def read_safetensors(path):
    """{name: float32 ndarray} from a safetensors file (8-byte header length, JSON header, data)."""
    import numpy as np
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in dtypes:
            continue
        begin, end = info["data_offsets"]
        dtype = np.dtype(dtypes[info["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=8 + length + begin)
        tensors[name] = array.reshape(info["shape"]).astype(np.float32)
    return tensors


def erf(x):
    import numpy as np
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    s = np.sign(x)
    ax = np.abs(x)
    t = 1.0 / (1.0 + np.float32(p) * ax)
    y = 1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * np.exp(-ax * ax)
    return s * y


class Bert:
    def __init__(self, folder):
        import numpy as np
        self.np = np
        with open(os.path.join(folder, "config.json")) as f:
            config = json.load(f)
        raw = read_safetensors(os.path.join(folder, "model.safetensors"))
        self.w = {k.removeprefix("bert."): v for k, v in raw.items()}
        # nn.Linear stores [out, in]; keep [in, out] contiguous so x @ W needs no transpose.
        for name in list(self.w):
            if name.endswith(".weight") and self.w[name].ndim == 2 and "embeddings" not in name:
                self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.hidden = config["hidden_size"]
        self.eps = np.float32(config["layer_norm_eps"])

    def layer_norm(self, x, prefix):
        np = self.np
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(var + self.eps) * self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def linear(self, x, prefix):
        return x @ self.w[prefix + ".weight"] + self.w[prefix + ".bias"]

    def forward(self, ids):
        np = self.np
        T = len(ids)
        h, d = self.heads, self.hidden
        dh = d // h
        x = (self.w["embeddings.word_embeddings.weight"][ids]
             + self.w["embeddings.position_embeddings.weight"][:T]
             + self.w["embeddings.token_type_embeddings.weight"][0])
        x = self.layer_norm(x, "embeddings.LayerNorm")
        scale = np.float32(1 / math.sqrt(dh))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q = self.linear(x, p + "attention.self.query").reshape(T, h, dh).transpose(1, 0, 2)
            k = self.linear(x, p + "attention.self.key").reshape(T, h, dh).transpose(1, 0, 2)
            v = self.linear(x, p + "attention.self.value").reshape(T, h, dh).transpose(1, 0, 2)
            scores = (q @ k.transpose(0, 2, 1)) * scale
            scores -= scores.max(-1, keepdims=True)
            weights = np.exp(scores)
            weights /= weights.sum(-1, keepdims=True)
            context = (weights @ v).transpose(1, 0, 2).reshape(T, d)
            x = self.layer_norm(self.linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            inner = self.linear(x, p + "intermediate.dense")
            inner = 0.5 * inner * (1 + erf(inner * np.float32(1 / math.sqrt(2))))
            x = self.layer_norm(self.linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
        return x


@functools.lru_cache(maxsize=1)
def model():
    if not os.path.exists(os.path.join(MODEL_DIR, "model.safetensors")):
        raise FileNotFoundError(f"MiniLM is not installed in {MODEL_DIR}; run scripts/fetch-models.sh")
    return Bert(MODEL_DIR)


def setup(name, params):
    import numpy as np
    bert = model()
    ids = np.asarray(params["ids"], dtype=np.int64)

    def run():
        bert.forward(ids)
    return run


if __name__ == "__main__":
    from common import standalone
    import numpy as np
    rng = np.random.default_rng(0)
    cases = []
    for length in (16, 128):
        ids = [101] + rng.integers(1000, 30000, length - 2).tolist() + [102]
        cases.append(("minilm", {"ids": ids}))
    standalone(setup, cases)
    sys.exit(0)
