"""Start-up: `genloom --version`, plugin discovery and `genloom generators`, against a bare
interpreter.

Every command runs in a fresh process, as a user's does, with a private ``GENLOOM_HOME``
(the benchmark leaves the user's settings and plugin index alone) and with Python's
bytecode cache written and used: an installed Genloom has its ``.pyc`` files (pip compiles
them), so a run that compiled every module from source each time (``PYTHONDONTWRITEBYTECODE``
set, as on some CI machines) would time the compiler, not Genloom. The cache goes to a
private folder (``PYTHONPYCACHEPREFIX``), filled by one warm-up call of each command; the
baseline ``python -c pass`` runs with the same settings. Every round runs every command
(the order reversed every other round), and each figure is the median over the rounds.

``genloom generators`` lists from the plugins' manifests when core confirms each matches
its code (:mod:`genloom.core.plugin_index`); the line after it times the other case, a
listing that must import every plugin (the index removed before each call: the first
listing after a plugin or Genloom changed).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks._report import report


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GENLOOM_HOME=str(home / "home"), PYTHONPYCACHEPREFIX=str(home / "pycache"))
    return env


def main() -> None:
    rounds = 9
    home = Path(tempfile.mkdtemp(prefix="genloom-bench-startup-"))
    env = _environment(home)
    index = home / "home" / "data" / "plugin-index.json"
    commands: dict[str, tuple[list[str], Callable[[], object] | None]] = {
        "bare": (["-c", "pass"], None),
        "version": (["-m", "genloom", "--version"], None),
        "import": (["-c", "import genloom.sdk, genloom.core.plugins"], None),
        "load": (["-c", "from genloom.core.plugins import PluginManager; PluginManager().load()"], None),
        "generators": (["-m", "genloom", "generators"], None),
        "changed": (["-m", "genloom", "generators"], lambda: index.unlink(missing_ok=True)),
    }

    def python(args: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env)
        return time.perf_counter() - start

    for args, _ in commands.values():
        python(args)  # warm-up: writes the bytecode cache (and the plugin index)
    # Every round runs every command, the order reversed every other round, so a change of
    # machine load during the run hits each command and the baseline alike.
    times: dict[str, list[float]] = {name: [] for name in commands}
    order = list(commands)
    for round_ in range(rounds):
        for name in order if round_ % 2 == 0 else order[::-1]:
            args, before = commands[name]
            if before is not None:
                before()
            times[name].append(python(args))
    med = {name: statistics.median(values) for name, values in times.items()}
    bare = med["bare"]
    note = f"median of {rounds} alternating rounds"
    report("genloom --version", med["version"], "python -c pass", bare, note=note)
    report("import genloom.sdk + genloom.core.plugins", med["import"], "python -c pass", bare, note=note)
    report("plugin discovery (PluginManager().load())", med["load"], "python -c pass", bare,
           note="all installed plugins, entry points and user folder")
    report("genloom generators (CLI, all plugins)", med["generators"], "python -c pass", bare, goal=3.0,
           note="listed from manifests confirmed by an earlier load")
    report("genloom generators, plugins changed since", med["changed"], "python -c pass", bare,
           note="no plugin index: every plugin imported, the index rewritten")


if __name__ == "__main__":
    main()
