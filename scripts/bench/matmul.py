#!/usr/bin/env python3
"""numpy float32 matrix product C = A·B (OpenBLAS sgemm), the baseline for MatmulKernel.

Threads come from OPENBLAS_NUM_THREADS, which must be set before numpy is imported:
    OPENBLAS_NUM_THREADS=1 .venv-bench/bin/python scripts/bench/matmul.py
"""
import sys


def setup(name, params):
    import numpy as np
    m, n, k = params["m"], params["n"], params["k"]
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)

    def run():
        np.matmul(a, b, out=c)
    return run


if __name__ == "__main__":
    from common import standalone
    shapes = [(s, s, s) for s in (256, 512, 1024, 2048)] + [(16, 384, 384), (16, 1536, 384), (128, 1536, 384),
                                                            (1, 1536, 576)]
    standalone(setup, [("matmul", {"m": m, "n": n, "k": k, "inner": max(1, int(2e9 / (2 * m * n * k)))})
                       for m, n, k in shapes])
    sys.exit(0)
