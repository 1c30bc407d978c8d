"""Shared by the baselines in scripts/bench/: timing and the standalone command line.

Each baseline module defines `setup(name, params) -> run`, where `run()` does one unit of work
(one product, one attention call, one figure written as PNG, ...) and returns None, or returns the
seconds to count when part of the call (e.g. a decode's prompt) must not be timed. Everything that
is not the measured work (imports, loading weights, random inputs) happens in `setup`.

tx-bench drives these through worker.py; each module also runs on its own and prints one JSON
line per case, e.g.  .venv-bench/bin/python scripts/bench/matmul.py
"""
import json
import os
import statistics
import time


def measure(run, inner=1, samples=5, warmup=1):
    """Per-call seconds of `samples` samples, each the mean over `inner` calls of `run`."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(samples):
        counted = 0.0
        start = time.perf_counter()
        for _ in range(inner):
            reported = run()
            if reported is not None:
                counted += reported
        elapsed = time.perf_counter() - start
        times.append((counted if counted > 0 else elapsed) / inner)
    return times


def threads():
    return int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)


def standalone(setup, cases, inner=1, samples=5):
    """Runs each (name, params) case and prints a JSON line with its median."""
    for name, params in cases:
        run = setup(name, params)
        times = measure(run, inner=params.get("inner", inner), samples=samples)
        shown = {k: v for k, v in params.items() if not isinstance(v, list)}
        print(json.dumps({"bench": name, "params": shown, "threads": threads(),
                          "median_s": statistics.median(times), "times_s": times}), flush=True)
