"""Plugin manifests (issue 24): listing plugins and generators from the manifests, importing
no plugin, against loading every plugin, each in a fresh interpreter in the same run.

``python -m tests.benchmarks sdka``; a ratio below 1 means the manifest path is faster.
"""

from __future__ import annotations

import subprocess
import sys

from tests.benchmarks._report import best_of, report


def _python(*args: str) -> None:
    subprocess.run([sys.executable, *args], check=False, capture_output=True)


def main() -> None:
    repeat = 7
    loaded = best_of(lambda: _python("-c", "from genloom.core.plugins import PluginManager, PluginConfig; "
                                           "PluginManager(PluginConfig.from_settings()).load()"), repeat)
    report("survey (manifests, no import)",
           best_of(lambda: _python("-c", "from genloom.core.plugins import PluginManager, PluginConfig; "
                                         "PluginManager(PluginConfig.from_settings()).survey()"), repeat),
           "load() every plugin", loaded, note="fresh interpreter each")
    report("genloom plugins --no-load", best_of(lambda: _python("-m", "genloom", "plugins", "--no-load"), repeat),
           "genloom plugins", best_of(lambda: _python("-m", "genloom", "plugins"), repeat))
    report("genloom generators --no-load",
           best_of(lambda: _python("-m", "genloom", "generators", "--no-load"), repeat),
           "genloom generators", best_of(lambda: _python("-m", "genloom", "generators"), repeat))


if __name__ == "__main__":
    main()
