"""CI for examples/genloom-example-plugin: its project folder installs into a fresh
environment through `genloom plugins install`, its own tests pass there, and Genloom
generates with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.plugin_envs import REPO, make_env

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "genloom-example-plugin"


def test_the_example_plugin_installs_passes_its_tests_and_generates(tmp_path):
    env = make_env(tmp_path / "env")
    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    # From its project folder, offline: built with the setuptools already installed.
    installed = env.genloom("plugins", "install", source, "--no-index", "--no-build-isolation")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "installed plugin example" in installed.stdout
    listed = {p["name"]: p for p in json.loads(env.genloom("plugins", "--json").stdout)}
    assert listed["example"]["status"] == "loaded", listed["example"]["error"]
    assert listed["example"]["models"] == ["example.shapes-decoder"]

    # Its own tests, against the installed copy (the bundled model came with the install:
    # pytest puts tests/ on sys.path, not src/).
    tests = env.python_run("-m", "pytest", "-q", "-p", "no:cacheprovider", source / "tests", cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "10 passed" in tests.stdout
    imported = env.python_run("-c", "import genloom_example; print(genloom_example.__file__)")
    assert Path(imported.stdout.strip()).is_relative_to(env.site_packages)

    # End to end: a real project, the real worker, the bundled model found by default.
    project = tmp_path / "project"
    assert env.genloom("project", "new", project).returncode == 0
    made = env.genloom("generate", "example.shapes", "--set", "shape=triangle", "--set", "tiles=2",
                       "--set", "tile_size=64", "--seed", "5", "--project", project, "--json")
    assert made.returncode == 0, made.stdout + made.stderr
    assets = json.loads(env.genloom("assets", "--project", project, "--json").stdout)
    (asset,) = assets
    assert asset["kind"] == "image" and Path(asset["path"]).read_bytes().startswith(b"\x89PNG")

    refused = env.genloom("generate", "example.shapes", "--set", "tile_size=100", "--project", project)
    assert refused.returncode == 2
    assert "tile_size: 100 is not a multiple of 32; use 96 or 128" in refused.stderr

    # The conformance checks without pytest, as a plugin author runs them.
    if "validate" not in env.genloom("plugin", "--help").stdout:
        pytest.skip("`genloom plugin validate` does not exist on this branch yet (branch sdka adds "
                    "it); everything else passed. Remove this skip once it is merged.")
    # The installed package (its re-exported hooks import genloom_example, the installed one).
    validated = env.genloom("plugin", "validate", env.site_packages / "genloom_example")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "0 failed" in validated.stdout
