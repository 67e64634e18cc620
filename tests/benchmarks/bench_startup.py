"""Start-up: `genloom --version`, plugin discovery and `genloom generators`, against a bare
interpreter.

Every command runs in a fresh process, as a user's does, with a private ``GENLOOM_HOME``
(the benchmark leaves the user's settings and plugin index alone) and with Python's
bytecode cache written and used: an installed Genloom has its ``.pyc`` files (pip compiles
them), so a run that compiled every module from source each time (``PYTHONDONTWRITEBYTECODE``
set, as on some CI machines) would time the compiler, not Genloom. The cache goes to a
private folder (``PYTHONPYCACHEPREFIX``), filled by one warm-up call of each command; the
baseline ``python -c pass`` runs with the same settings.

``genloom generators`` lists from the plugins' manifests when core confirms each matches
its code (:mod:`genloom.core.plugin_index`); the line after it times the other case, a
listing that must import every plugin (the index removed before each call: the first
listing after a plugin or Genloom changed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks._report import best_of, report


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(GENLOOM_HOME=str(home / "home"), PYTHONPYCACHEPREFIX=str(home / "pycache"))
    return env


def main() -> None:
    repeat = 7
    home = Path(tempfile.mkdtemp(prefix="genloom-bench-startup-"))
    env = _environment(home)
    index = home / "home" / "data" / "plugin-index.json"

    def python(*args: str) -> None:
        subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env)

    def measure(*args: str, before: object = None) -> float:
        python(*args)  # warm-up: writes the bytecode cache (and the plugin index)
        return best_of(lambda: (before() if callable(before) else None, python(*args)), repeat)

    bare = measure("-c", "pass")
    report("genloom --version", measure("-m", "genloom", "--version"), "python -c pass", bare)
    report("import genloom.sdk + genloom.core.plugins",
           measure("-c", "import genloom.sdk, genloom.core.plugins"), "python -c pass", bare)
    report("plugin discovery (PluginManager().load())",
           measure("-c", "from genloom.core.plugins import PluginManager; PluginManager().load()"),
           "python -c pass", bare, note="all installed plugins, entry points and user folder")
    report("genloom generators (CLI, all plugins)", measure("-m", "genloom", "generators"),
           "python -c pass", bare, goal=3.0, note="listed from manifests confirmed by an earlier load")
    report("genloom generators, plugins changed since",
           measure("-m", "genloom", "generators", before=lambda: index.unlink(missing_ok=True)),
           "python -c pass", bare, note="no plugin index: every plugin imported, the index rewritten")


if __name__ == "__main__":
    main()
