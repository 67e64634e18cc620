"""``genloom plugins install|uninstall|rollback``: real pip, local wheels, a throwaway venv.

Every install here happens in a venv made for this module in tmp (see
tests/plugin_envs.py): the environment running the tests is never changed. pip runs
with ``--no-index --find-links``, so nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugin_envs import ThrowawayEnv, make_env, plugin_module, write_wheel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayEnv:
    return make_env(tmp_path_factory.mktemp("plugin-install"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    write_wheel(folder, "genloom-oldtorch", "0.1.0",
                {"oldtorch/__init__.py": "", "oldtorch/plugin.py": plugin_module("oldtorch.echo")},
                requires=("torch<2",), entry_points={"oldtorch": "oldtorch.plugin"})
    write_wheel(folder, "genloom-hello", "0.1.0",
                {"hello/__init__.py": "", "hello/plugin.py": plugin_module("hello.echo")},
                requires=("genloom", "tinydep>=1"), entry_points={"hello": "hello.plugin"})
    write_wheel(folder, "tinydep", "1.0", {"tinydep/__init__.py": "VALUE = 1\n"})
    return folder


@pytest.fixture(scope="module")
def newer_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second folder: a newer tinydep and a plugin that needs it."""
    folder = tmp_path_factory.mktemp("newer-wheels")
    write_wheel(folder, "tinydep", "2.0", {"tinydep/__init__.py": "VALUE = 2\n"})
    write_wheel(folder, "genloom-newdep", "0.1.0",
                {"newdep/__init__.py": "", "newdep/plugin.py": plugin_module("newdep.echo")},
                requires=("tinydep>=2",), entry_points={"newdep": "newdep.plugin"})
    return folder


def _offline(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def _plugins(env: ThrowawayEnv) -> dict[str, dict]:
    listed = env.genloom("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    return {p["name"]: p for p in json.loads(listed.stdout)}


def test_a_plugin_asking_for_another_torch_is_refused_and_nothing_changes(env, wheels):
    before, files = env.distributions(), env.own_files()
    done = env.genloom("plugins", "install", wheels / "genloom_oldtorch-0.1.0-py3-none-any.whl",
                       *_offline(wheels))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "genloom-oldtorch 0.1.0 requires torch<2" in done.stderr
    assert f"Genloom keeps torch=={before['torch']}" in done.stderr
    assert "Nothing was changed" in done.stderr
    assert env.distributions() == before
    assert env.own_files() == files
    assert "oldtorch" not in _plugins(env)


def _snapshot_ids(env: ThrowawayEnv) -> list[str]:
    return [s["id"] for s in json.loads(env.genloom("plugins", "snapshots", "--json").stdout)]


def test_a_package_that_is_no_plugin_is_installed_then_undone(env, wheels):
    before, files, snapshots = env.distributions(), env.own_files(), _snapshot_ids(env)
    done = env.genloom("plugins", "install", "tinydep", *_offline(wheels))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "tinydep is not a Genloom plugin" in done.stderr
    assert "the change was undone, nothing is changed" in done.stderr
    assert env.distributions() == before
    assert env.own_files() == files
    # An undone change is no change: no snapshot is left to "roll back to before" it.
    assert _snapshot_ids(env) == snapshots


def test_a_clean_plugin_installs_offers_its_generator_and_rollback_removes_it(env, wheels):
    before, files = env.distributions(), env.own_files()
    done = env.genloom("plugins", "install", "genloom-hello", *_offline(wheels))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "installed plugin hello" in done.stdout
    assert "added tinydep 1.0" in done.stdout
    record = _plugins(env)["hello"]
    assert record["status"] == "loaded" and record["generators"] == ["hello.echo"]
    assert env.distributions()["torch"] == before["torch"]  # the pinned build stayed

    undone = env.genloom("plugins", "rollback")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "hello" not in _plugins(env)
    assert env.distributions() == before
    assert env.own_files() == files


def test_uninstall_refuses_built_in_plugins_and_names_that_are_not_plugins(env):
    built_in = env.genloom("plugins", "uninstall", "image")
    assert built_in.returncode == 2
    assert "'image' is built into Genloom and cannot be uninstalled; disable it instead" in built_in.stderr
    unknown = env.genloom("plugins", "uninstall", "numpy")
    assert unknown.returncode == 2
    assert "'numpy' is not an installed Genloom plugin" in unknown.stderr
    assert "image" in unknown.stderr  # the installed plugins are listed


def test_uninstall_then_rollback_reinstalls_the_plugin_from_its_wheel(env, wheels):
    before = env.distributions()
    wheel = wheels / "genloom_hello-0.1.0-py3-none-any.whl"
    assert env.genloom("plugins", "install", wheel, *_offline(wheels)).returncode == 0
    removed = env.genloom("plugins", "uninstall", "hello")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert "removed genloom-hello 0.1.0" in removed.stdout
    assert "hello" not in _plugins(env)

    restored = env.genloom("plugins", "rollback")  # to before the uninstall
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert _plugins(env)["hello"]["generators"] == ["hello.echo"]

    snapshots = json.loads(env.genloom("plugins", "snapshots", "--json").stdout)
    first_install = next(s["id"] for s in snapshots if s["kind"] == "install" and "whl" in s["reason"])
    back = env.genloom("plugins", "rollback", first_install)
    assert back.returncode == 0, back.stdout + back.stderr
    assert env.distributions() == before


def test_rollback_to_an_unknown_snapshot_names_the_known_ones(env):
    done = env.genloom("plugins", "rollback", "../../etc/passwd")
    assert done.returncode == 2
    assert "no environment snapshot called '../../etc/passwd'" in done.stderr


def test_rollback_reinstalls_the_version_another_install_upgraded(env, wheels, newer_wheels):
    """A dependency that a later install upgraded comes back at its old version, found
    again through the --find-links folder the first install used."""
    before = env.distributions()
    assert env.genloom("plugins", "install", "genloom-hello", *_offline(wheels)).returncode == 0
    upgraded = env.genloom("plugins", "install", "genloom-newdep", "--no-index",
                           "--find-links", str(newer_wheels))
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "changed tinydep 1.0 -> 2.0" in upgraded.stdout

    back = env.genloom("plugins", "rollback")  # to before genloom-newdep
    assert back.returncode == 0, back.stdout + back.stderr
    now = env.distributions()
    assert now["tinydep"] == "1.0" and "genloom-newdep" not in now and now["genloom-hello"] == "0.1.0"

    snapshots = json.loads(env.genloom("plugins", "snapshots", "--json").stdout)
    first = [s["id"] for s in snapshots if s["reason"] == "install genloom-hello"][-1]
    assert env.genloom("plugins", "rollback", first).returncode == 0
    assert env.distributions() == before
