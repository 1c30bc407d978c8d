#!/usr/bin/env python3
"""The baseline side of tx-bench: reads one JSON request per line on stdin, answers one JSON line.

    request:  {"bench": "matmul", "params": {...}, "inner": 10, "samples": 3, "warmup": 1}
    answer:   {"times": [seconds per call, ...]}   or   {"error": "..."}

A long-lived process, so tx-bench can interleave its own runs with the baseline's (the machine is
shared and noisy) without paying Python's start-up and numpy's import per sample, and so imports
and model loading stay out of every timing. Set OPENBLAS_NUM_THREADS before starting it.
"""
import importlib
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import measure  # noqa: E402

MODULES = {"matmul": "matmul", "mha": "mha", "minilm": "minilm", "smollm2": "smollm2",
           "heatmap": "figures", "modelview": "figures"}


def main():
    import numpy
    prepared = {}
    print(json.dumps({"ready": True, "numpy": numpy.__version__,
                      "threads": os.environ.get("OPENBLAS_NUM_THREADS", "")}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            bench, params = request["bench"], request.get("params", {})
            key = json.dumps([bench, params], sort_keys=True)
            fresh = key not in prepared
            if fresh:
                prepared.clear()        # one case at a time: free the previous case's arrays
                prepared[key] = importlib.import_module(MODULES[bench]).setup(bench, params)
            times = measure(prepared[key], inner=request.get("inner", 1), samples=request.get("samples", 1),
                            warmup=request.get("warmup", 1 if fresh else 0))
            answer = {"times": times}
        except Exception as error:  # reported to tx-bench, which marks the row
            answer = {"error": f"{type(error).__name__}: {error}",
                      "trace": traceback.format_exc(limit=3)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
