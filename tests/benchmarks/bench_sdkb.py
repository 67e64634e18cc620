"""Plugin install and rollback (genloom.core.plugin_install) against plain pip.

In a throwaway venv (tests/plugin_envs.py), with a local wheel and --no-index:
Genloom's install (dry-run resolution under the constraints, snapshot, install, checks)
against `pip install` of the same wheel, and `genloom plugins rollback` against
`pip uninstall` of what the install added. The ratio is the safety's price.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.benchmarks._report import best_of, report
from tests.plugin_envs import ThrowawayEnv, make_env, plugin_module, write_wheel


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)


def main() -> None:
    repeat = 3
    with tempfile.TemporaryDirectory(prefix="bench-sdkb-") as tmp:
        root = Path(tmp)
        env: ThrowawayEnv = make_env(root / "env")
        wheels = root / "wheels"
        write_wheel(wheels, "genloom-hello", "0.1.0",
                    {"hello/__init__.py": "", "hello/plugin.py": plugin_module("hello.echo")},
                    requires=("genloom", "tinydep>=1"), entry_points={"hello": "hello.plugin"})
        write_wheel(wheels, "tinydep", "1.0", {"tinydep/__init__.py": ""})
        offline = ["--no-index", "--find-links", str(wheels)]

        def pip_cycle() -> tuple[float, float]:
            install = best_of(lambda: _ok(env.python_run("-m", "pip", "install", *offline, "genloom-hello")), 1)
            remove = best_of(lambda: _ok(env.python_run("-m", "pip", "uninstall", "-y", "genloom-hello",
                                                        "tinydep")), 1)
            return install, remove

        def genloom_cycle() -> tuple[float, float]:
            install = best_of(lambda: _ok(env.genloom("plugins", "install", "genloom-hello", *offline)), 1)
            remove = best_of(lambda: _ok(env.genloom("plugins", "rollback")), 1)
            return install, remove

        pip_runs = [pip_cycle() for _ in range(repeat)]
        genloom_runs = [genloom_cycle() for _ in range(repeat)]
        median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
        report("genloom plugins install (wheel + 1 dependency)", median([g[0] for g in genloom_runs]),
               "pip install (same wheels)", median([p[0] for p in pip_runs]),
               note="dry-run resolution, snapshot, install, checks")
        report("genloom plugins rollback (removes both)", median([g[1] for g in genloom_runs]),
               "pip uninstall (same two)", median([p[1] for p in pip_runs]),
               note="snapshot, compare, uninstall")


if __name__ == "__main__":
    main()
