"""Torch on a busy machine: the worker's OpenMP settings against torch's own defaults.

Run it with ``python tests/benchmarks/bench_busy.py`` (or ``python -m tests.benchmarks busy``).

The worker runs models in a session of its own (``start_new_session``), and on Linux with
autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) each session gets a fair
share of the CPUs as a whole. torch's OpenMP threads wait for one another at the end of
every parallel loop, spinning up to 300,000 times by default: when the session has fewer
cores than threads, the thread being waited for is not running and every wait lasts a time
slice. The worker therefore starts with ``genloom.sdk.runtime.THREAD_POOL_DEFAULTS``.

Each figure is one text-to-image with the bundled 32 px emoji model (diffusers called
directly, 5 steps, torch's default thread count) in a fresh process in its own session,
like the worker: with the worker's settings against torch's defaults, once while another
session keeps half the cores busy (``busy``: pure-Python loops, one per two cores, at
least one) and once on the quiet machine (``idle``: what the settings cost when nothing
else runs). Median of the timed runs of each process, after one warm-up run; the two
variants alternate, in swapped order each round.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"
ROUNDS = 2

CHILD = r"""
import sys, time
import torch
from diffusers import StableDiffusionPipeline
from genloom.sdk.runtime import quiet_model_libraries
quiet_model_libraries(diffusers=True)
pipe = StableDiffusionPipeline.from_pretrained(sys.argv[1], safety_checker=None)
pipe.set_progress_bar_config(disable=True)
times = []
for run in range(int(sys.argv[2]) + 1):
    started = time.perf_counter()
    pipe("red heart", num_inference_steps=5, generator=torch.Generator().manual_seed(run))
    times.append(time.perf_counter() - started)
print("times", *times[1:], flush=True)
"""

#: ``argv[1]`` spinning processes (this one and its forks), all in the session it starts in.
HOG = """
import os, sys
for _ in range(int(sys.argv[1]) - 1):
    if os.fork() == 0:
        break
while True:
    pass
"""


def _one(env: dict[str, str], runs: int) -> float:
    done = subprocess.run([sys.executable, "-c", CHILD, str(MODEL), str(runs)], env=env, capture_output=True,
                          text=True, timeout=1800, start_new_session=True)
    for line in done.stdout.splitlines():
        if line.startswith("times "):
            return statistics.median(float(t) for t in line.split()[1:])
    raise RuntimeError(f"the image process failed: {done.stderr[-2000:]}")


def _pair(runs: int) -> tuple[float, float]:
    """Median seconds per image with the worker's settings, and with torch's defaults."""
    from genloom.sdk.runtime import THREAD_POOL_DEFAULTS, thread_pool_environment

    plain = {k: v for k, v in os.environ.items() if k not in THREAD_POOL_DEFAULTS}
    ours_env = thread_pool_environment(plain)
    ours, theirs = [], []
    for index in range(ROUNDS):
        order = [(ours, ours_env), (theirs, plain)]
        for times, env in order if index % 2 == 0 else reversed(order):
            times.append(_one(env, runs))
    return statistics.median(ours), statistics.median(theirs)


def _busy(count: int) -> subprocess.Popen[bytes]:
    """``count`` spinning processes in one session of their own (another program's load)."""
    return subprocess.Popen([sys.executable, "-c", HOG, str(count)], start_new_session=True)


def main() -> None:
    if not MODEL.is_dir():
        print(f"bench_busy: skipped, the bundled model is missing ({MODEL})")
        return
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    grouped = autogroup.is_file() and autogroup.read_text().strip() == "1"
    cores = os.cpu_count() or 1
    if not hasattr(os, "fork"):
        print("bench_busy: skipped, it loads the machine with os.fork (POSIX only)")
        return
    count = max(1, cores // 2)
    hog = _busy(count)
    try:
        ours, theirs = _pair(runs=2)
    finally:
        os.killpg(hog.pid, signal.SIGKILL)
        hog.wait()
    note = (f"{count} busy process(es) in another session, {cores} CPUs, autogroup "
            f"{'on' if grouped else 'off'}; 5 steps")
    report("torch image, machine busy: worker's OpenMP spins", ours, "torch's default spins", theirs,
           note=note, goal=0.5)
    ours, theirs = _pair(runs=3)
    report("torch image, machine idle: worker's OpenMP spins", ours, "torch's default spins", theirs,
           note=f"{cores} CPUs, nothing else running; what the settings cost", goal=1.5)


if __name__ == "__main__":
    main()
