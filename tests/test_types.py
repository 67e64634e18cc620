"""The plugin API, the engine and the CLI type-check: mypy over genloom.sdk, .core and .cli (settings in pyproject.toml)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors_in_sdk_core_and_cli():
    assert importlib.util.find_spec("mypy") is not None, \
        "mypy is not installed: install the dev extra (pip install -e '.[dev]')"
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"mypy found errors (run `make lint`):\n{out.stdout[-6000:]}{out.stderr[-2000:]}"
