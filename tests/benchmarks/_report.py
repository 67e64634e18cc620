"""Uniform benchmark output: each figure beside a baseline measured in the same run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, seconds: float, baseline_name: str, baseline_seconds: float,
           note: str = "") -> dict:
    """Print one line: the figure, its baseline and the ratio; return it as data."""
    ratio = seconds / baseline_seconds if baseline_seconds > 0 else float("inf")
    line = (f"{name:<48} {seconds * 1000:10.2f} ms   vs {baseline_name:<32} "
            f"{baseline_seconds * 1000:10.2f} ms   ratio {ratio:6.2f}x")
    if note:
        line += f"   ({note})"
    print(line, flush=True)
    return {"name": name, "seconds": seconds, "baseline": baseline_name,
            "baseline_seconds": baseline_seconds, "ratio": ratio, "note": note}
