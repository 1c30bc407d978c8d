#!/usr/bin/env python3
"""numpy float32 multi-head self-attention, the same arithmetic as Transformer.MultiHeadAttention:

    Q, K, V = x·W_Q + b_Q, x·W_K + b_K, x·W_V + b_V        (T, d), split into h heads of d/h
    per head: softmax(Q·Kᵀ / √(d/h)) · V                    (batched over heads)
    out = concat(heads)·W_O + b_O

The input and output projections are included (on both sides of the comparison).
    .venv-bench/bin/python scripts/bench/mha.py
"""
import math
import sys


def setup(name, params):
    import numpy as np
    T, h, dh = params["tokens"], params["heads"], params["headDimension"]
    d = h * dh
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, d), dtype=np.float32)
    w = [(rng.standard_normal((d, d), dtype=np.float32) / np.float32(math.sqrt(d)), np.zeros(d, np.float32))
         for _ in range(4)]
    scale = np.float32(1 / math.sqrt(dh))
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = w

    def run():
        q = (x @ wq + bq).reshape(T, h, dh).transpose(1, 0, 2)
        k = (x @ wk + bk).reshape(T, h, dh).transpose(1, 0, 2)
        v = (x @ wv + bv).reshape(T, h, dh).transpose(1, 0, 2)
        scores = (q @ k.transpose(0, 2, 1)) * scale          # (h, T, T)
        scores -= scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        out = (weights @ v).transpose(1, 0, 2).reshape(T, d)
        out @ wo + bo
    return run


if __name__ == "__main__":
    from common import standalone
    standalone(setup, [("mha", {"tokens": t, "heads": 12, "headDimension": 64, "inner": 20}) for t in (16, 128)])
    sys.exit(0)
