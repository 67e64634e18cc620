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


#: Every figure that has a goal, in the order measured: the runner's summary lists them.
GOALS: list[dict] = []


def report(name: str, seconds: float, baseline_name: str, baseline_seconds: float,
           note: str = "", *, goal: float | None = None) -> dict:
    """Print one line: the figure, its baseline and the ratio; return it as data.

    ``goal`` is the largest ratio (time against baseline) that meets the project's goal
    for this figure; such figures are collected in :data:`GOALS` for the summary that
    ``python -m tests.benchmarks`` prints at the end.
    """
    ratio = seconds / baseline_seconds if baseline_seconds > 0 else float("inf")
    line = (f"{name:<48} {seconds * 1000:10.2f} ms   vs {baseline_name:<32} "
            f"{baseline_seconds * 1000:10.2f} ms   ratio {ratio:6.2f}x")
    if goal is not None:
        line += f"   goal <= {goal:g}x: {'met' if ratio <= goal else 'NOT MET'}"
    if note:
        line += f"   ({note})"
    print(line, flush=True)
    data = {"name": name, "seconds": seconds, "baseline": baseline_name,
            "baseline_seconds": baseline_seconds, "ratio": ratio, "note": note, "goal": goal}
    if goal is not None:
        GOALS.append(data)
    return data


def goal_summary(goals: list[dict] | None = None) -> str:
    """One screen: each figure with a goal, its ratio, the goal and whether it is met."""
    goals = GOALS if goals is None else goals
    if not goals:
        return "no figure with a goal was measured"
    lines = [f"{'figure':<52} {'vs':<32} {'ratio':>7} {'goal':>7}  result"]
    for item in goals:
        met = item["ratio"] <= item["goal"]
        lines.append(f"{item['name'][:52]:<52} {item['baseline'][:32]:<32} {item['ratio']:6.2f}x "
                     f"{item['goal']:6.3g}x  {'met' if met else 'NOT MET'}")
    passed = sum(item["ratio"] <= item["goal"] for item in goals)
    lines.append(f"{passed} of {len(goals)} goals met")
    return "\n".join(lines)
