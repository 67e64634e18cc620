"""CI for the plugin template: `genloom plugin new --with-model`, installed into a fresh
environment, passes its own CI script (its tests) and `genloom plugin validate`."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.plugin_envs import make_env

pytestmark = pytest.mark.slow


def test_a_plugin_made_with_a_model_passes_its_own_ci_in_a_fresh_environment(tmp_path):
    env = make_env(tmp_path / "env")
    made = env.genloom("plugin", "new", "ci_probe", "--with-model", "--dir", tmp_path)
    assert made.returncode == 0, made.stderr
    root = tmp_path / "genloom-ci-probe"
    for relative in ("ci.sh", ".github/workflows/ci.yml", "README.md", "LICENSE",
                     "src/ci_probe/genloom-plugin.toml",
                     "src/ci_probe/models/tiny-pattern/model.safetensors"):
        assert (root / relative).is_file(), relative

    has_validate = "validate" in env.genloom("plugin", "--help").stdout
    # torch and Genloom are already in the environment (shared, and the checkout); the
    # plugin itself installs offline, building with the setuptools already there.
    done = subprocess.run(
        ["sh", str(root / "ci.sh")], capture_output=True, text=True, timeout=600, cwd=root,
        env=env.env(PYTHON=str(env.python), GENLOOM_CI_TORCH="skip", GENLOOM_CI_GENLOOM="skip",
                    GENLOOM_CI_PIP_ARGS="--no-index --no-build-isolation",
                    GENLOOM_CI_SKIP_VALIDATE="" if has_validate else "1"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    if has_validate:
        assert "0 failed" in done.stdout, done.stdout

    listed = {p["name"]: p for p in json.loads(env.genloom("plugins", "--json").stdout)}
    assert listed["ci_probe"]["status"] == "loaded", listed["ci_probe"]["error"]
    assert listed["ci_probe"]["generators"] == ["ci_probe.pattern"]
    assert listed["ci_probe"]["models"] == ["ci_probe.tiny-pattern"]
    if not has_validate:
        pytest.skip("`genloom plugin validate` does not exist on this branch yet (branch sdka adds "
                    "it); ci.sh ran everything else. Remove this skip once it is merged.")


def _genloom(*args) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run([sys.executable, "-m", "genloom", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def test_the_skeleton_has_a_manifest_matching_its_code_ci_a_readme_and_a_licence(tmp_path):
    import tomllib  # noqa: I001 - Python 3.11+; the suite runs there

    assert _genloom("plugin", "new", "sketchy", "--dir", tmp_path).returncode == 0
    root = tmp_path / "genloom-sketchy"
    manifest = tomllib.loads((root / "src/sketchy/genloom-plugin.toml").read_text())
    assert manifest["name"] == "sketchy" and manifest["api"]
    assert [g["id"] for g in manifest["generators"]] == ["sketchy.shuffle"]
    assert "models" not in manifest
    workflow = (root / ".github/workflows/ci.yml").read_text()
    assert "download.pytorch.org/whl/cpu" in workflow and "genloom plugin validate src/sketchy" in workflow
    assert workflow.index("torch") < workflow.index('"genloom>=')  # torch (CPU) first
    assert "genloom plugin validate src/sketchy" in (root / "ci.sh").read_text()
    assert (root / "LICENSE").read_text().startswith("Choose a licence")
    assert "genloom generate sketchy.shuffle" in (root / "README.md").read_text()
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert "genloom-plugin.toml" in pyproject["tool"]["setuptools"]["package-data"]["sketchy"]


def test_the_model_skeleton_writes_the_same_weights_every_time(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        assert _genloom("plugin", "new", "netty", "--with-model", "--dir", tmp_path / folder).returncode == 0
    weights = "genloom-netty/src/netty/models/tiny-pattern/model.safetensors"
    first, second = (tmp_path / "a" / weights).read_bytes(), (tmp_path / "b" / weights).read_bytes()
    assert first == second and 8_000 < len(first) < 32_000


def test_an_existing_folder_is_refused_and_nothing_is_left_behind(tmp_path):
    parent = tmp_path / "plugins"
    (parent / "genloom-taken").mkdir(parents=True)
    done = _genloom("plugin", "new", "taken", "--dir", parent)
    assert done.returncode == 2
    assert "already exists" in done.stderr
    assert sorted(p.name for p in parent.iterdir()) == ["genloom-taken"]
