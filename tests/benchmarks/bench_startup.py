"""Start-up: `genloom --version` and plugin discovery, against a bare interpreter."""

from __future__ import annotations

import subprocess
import sys

from tests.benchmarks._report import best_of, report


def _python(*args: str) -> None:
    subprocess.run([sys.executable, *args], check=True, capture_output=True)


def main() -> None:
    repeat = 7
    bare = best_of(lambda: _python("-c", "pass"), repeat)
    report("genloom --version", best_of(lambda: _python("-m", "genloom", "--version"), repeat),
           "python -c pass", bare)
    report("import genloom.sdk + genloom.core.plugins",
           best_of(lambda: _python("-c", "import genloom.sdk, genloom.core.plugins"), repeat),
           "python -c pass", bare)
    report("plugin discovery (PluginManager().load())",
           best_of(lambda: _python("-c", "from genloom.core.plugins import PluginManager; PluginManager().load()"),
                   repeat),
           "python -c pass", bare, note="all installed plugins, entry points and user folder")
    report("genloom generators (CLI, all plugins)",
           best_of(lambda: _python("-m", "genloom", "generators"), repeat), "python -c pass", bare, goal=3.0)


if __name__ == "__main__":
    main()
