"""Run every benchmark: ``python -m tests.benchmarks [name ...]``.

Each prints its figures beside a baseline measured in the same run, so the
ratios mean something on a shared, noisy machine where absolute times do not.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

#: Other names for benchmarks (a branch's name for the benchmarks it added or owns).
ALIASES: dict[str, tuple[str, ...]] = {
    "evala": ("bench_eval",),
    "perfs": ("bench_store", "bench_gallery"),  # the store figures, and the gallery they feed
}


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    argv = [name for given in argv for name in ALIASES.get(given, (given,))]
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; there are {', '.join(names)}", file=sys.stderr)
        return 2
    for name in wanted:
        print(f"\n== {name} ==", flush=True)
        start = time.perf_counter()
        importlib.import_module(f"tests.benchmarks.{name}").main()
        print(f"({name} took {time.perf_counter() - start:.1f} s)", flush=True)
    from tests.benchmarks._report import goal_summary

    print("\n== goals ==")
    print(goal_summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
