"""The plugin author's command line (issue 24): plugins --trace / --no-load, exit codes,
enable/disable, and ``genloom plugin validate``; real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_PLUGINS

SDK_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins"


@pytest.fixture
def genloom(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home),
           "GENLOOM_DISABLE_PLUGINS": "audio,code,image,text,video"}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)

    def run(*args, code=0, plugin_path=(SDK_PLUGINS,)):
        env["GENLOOM_PLUGIN_PATH"] = os.pathsep.join(map(str, plugin_path))
        argv = [sys.executable, "-m", "genloom", *map(str, args)]
        if args and args[0] == "generate":
            argv += ["--project", str(tmp_path / "project")]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result
    return run


def test_plugins_exits_7_when_a_plugin_failed_and_0_when_none_did(genloom):
    genloom("plugins")
    out = genloom("plugins", code=7, plugin_path=(SDK_PLUGINS, FIXTURE_PLUGINS)).stdout
    assert "gltest_broken_import  [failed]" in out


def test_plugins_lists_manifests_and_notes_a_plugin_without_one(genloom):
    out = genloom("plugins").stdout
    assert "shipsmodel (Ships a model) 0.2.0  [loaded]" in out
    keeps = out.split("keepsmod", 1)[1]
    assert "no manifest (genloom-plugin.toml): listed only after its import" in keeps


def test_plugins_no_load_lists_declared_generators_without_importing(genloom, tmp_path):
    broken = tmp_path / "plugins"
    shutil.copytree(SDK_PLUGINS / "shipsmodel", broken / "shipsmodel")
    (broken / "shipsmodel" / "__init__.py").write_text("raise SystemExit('imported')\n")
    out = genloom("plugins", "--no-load", plugin_path=(broken,)).stdout
    assert "shipsmodel (Ships a model)  [not loaded]" in out
    assert "generators: shipsmodel.lookup, shipsmodel.plain (unavailable: plugin not loaded)" in out
    # Loaded, its import fails, and what its manifest declares is still listed, unavailable.
    data = json.loads(genloom("plugins", "--json", code=7, plugin_path=(broken,)).stdout)
    (record,) = [r for r in data if r["name"] == "shipsmodel"]
    assert record["status"] == "failed"
    assert [g["id"] for g in record["declared_generators"]] == ["shipsmodel.lookup", "shipsmodel.plain"]


def test_plugins_trace_says_where_each_was_found_and_why_one_was_skipped(genloom, tmp_path):
    second = tmp_path / "second"
    shutil.copytree(SDK_PLUGINS / "shipsmodel", second / "shipsmodel")
    genloom("plugins", "disable", "keepsmod")
    out = genloom("plugins", "--trace", code=7, plugin_path=(SDK_PLUGINS, second)).stdout
    lines = out.splitlines()
    assert any(line.endswith(f"keepsmod  [disabled]  folder {SDK_PLUGINS / 'keepsmod.py'}") for line in lines)
    assert f"found through: GENLOOM_PLUGIN_PATH {SDK_PLUGINS}" in out
    assert "shipsmodel  [shadowed]" in out
    assert f"why: a plugin called 'shipsmodel' was already found at {SDK_PLUGINS / 'shipsmodel'}" in out
    steps = json.loads(genloom("plugins", "--trace", "--json", code=7, plugin_path=(SDK_PLUGINS, second)).stdout)
    procedural = next(s for s in steps if s["name"] == "procedural")
    assert (procedural["source"], procedural["origin"]) == ("entry point", "entry point of genloom")
    assert [s["order"] for s in steps] == list(range(1, len(steps) + 1))
    assert steps.index(procedural) < steps.index(next(s for s in steps if s["name"] == "keepsmod"))


def test_disabling_an_unknown_plugin_is_refused_naming_the_plugins(genloom, genloom_home):
    result = genloom("plugins", "disable", "shipsmodl", code=3)
    assert "no plugin called 'shipsmodl'; did you mean shipsmodel? the plugins are " in result.stderr
    assert "keepsmod" in result.stderr
    assert "keepsmod 0.1.0  [loaded]" in genloom("plugins").stdout
    assert "plugin shipsmodel is already enabled (it is not disabled)" in genloom("plugins", "enable",
                                                                                   "shipsmodel").stdout


def test_generating_with_a_disabled_plugin_says_how_to_enable_it(genloom):
    genloom("plugins", "disable", "shipsmodel")
    result = genloom("generate", "shipsmodel.plain", "--set", "word=ab", code=3)
    assert ("generator 'shipsmodel.plain' belongs to the plugin 'shipsmodel', which is disabled. "
            "Enable it with `genloom plugins enable shipsmodel`.") in result.stderr


def test_validate_passes_a_good_plugin_and_reports_every_check(genloom):
    report = json.loads(genloom("plugin", "validate", SDK_PLUGINS / "shipsmodel", "--json").stdout)
    assert report["ok"] is True
    names = [c["name"] for c in report["checks"]]
    assert names[:4] == ["import", "light import", "ids", "manifest"]
    assert "shipsmodel.lookup: same seed, same bytes" in names
    assert "shipsmodel.plain: cancel honoured" in names
    assert names[-1] == "no network"


BAD_PLUGIN = '''
import random
import socket

import torch  # at import: a light import is broken

from genloom.sdk import GeneratorSpec, Output, hookimpl

try:
    socket.create_connection(("example.org", 80), timeout=1)
except OSError:
    pass


class Unseeded:
    def load(self, model, device, dtype):
        pass

    def run(self, request, state):
        return [Output(kind="text", text=str(random.random()), suffix=".txt")]

    def unload(self):
        pass


@hookimpl
def genloom_register_generators():
    return [GeneratorSpec(id="bad.unseeded", modality="text", title="Unseeded", factory=Unseeded)]
'''


def test_validate_fails_a_bad_plugin_naming_each_broken_check(genloom, tmp_path):
    package = tmp_path / "bad"
    package.mkdir()
    (package / "__init__.py").write_text(BAD_PLUGIN)
    (package / "genloom-plugin.toml").write_text('name = "bad"\napi = "1.2"\n[[generators]]\n'
                                                 'id = "bad.unseeded"\nmodality = "text"\ntitle = "Random"\n')
    out = genloom("plugin", "validate", package, code=1).stdout
    assert "FAIL  light import: importing the plugin imported torch; import them inside the generator's load()" in out
    assert "FAIL  manifest: generator bad.unseeded: the manifest says title 'Random', the code 'Unseeded'" in out
    assert "FAIL  bad.unseeded: same seed, same bytes: bad.unseeded: the same request and seed gave " \
           "different outputs" in out
    assert "FAIL  bad.unseeded: cancel honoured" in out
    assert "FAIL  no network: connection to ('example.org', 80)" in out
    assert "pass  ids" in out


def test_validate_fails_ids_under_another_plugins_name(genloom, tmp_path):
    (tmp_path / "mine.py").write_text(
        "from genloom.sdk import GeneratorSpec, hookimpl\n@hookimpl\ndef genloom_register_generators():\n"
        "    return [GeneratorSpec(id='image.thing', modality='text', title='x', factory=object)]\n")
    out = genloom("plugin", "validate", tmp_path / "mine.py", code=1).stdout
    assert "FAIL  ids: generator id 'image.thing' does not start with its plugin's name 'mine'" in out


def test_validate_refuses_a_path_that_is_no_plugin(genloom, tmp_path):
    result = genloom("plugin", "validate", tmp_path / "nothing", code=2)
    assert "is not a plugin: give a package folder (with __init__.py) or a module file (.py)" in result.stderr


def test_generators_no_load_lists_what_manifests_declare(genloom):
    out = genloom("generators", "--no-load").stdout
    assert "shipsmodel.lookup                text   Lookup" in out
    assert "procedural.pattern" in out and "keepsmod.echo" not in out  # keepsmod has no manifest
    data = json.loads(genloom("generators", "--no-load", "--modality", "image", "--json").stdout)
    assert {g["id"] for g in data} == {"procedural.pattern"}


def _marked_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of shipsmodel that leaves a mark each time it is imported."""
    folder = tmp_path / "plugins"
    shutil.copytree(SDK_PLUGINS / "shipsmodel", folder / "shipsmodel")
    init = folder / "shipsmodel" / "__init__.py"
    mark = tmp_path / "imported"
    init.write_text(init.read_text(encoding="utf-8")
                    + f"\nwith open({str(mark)!r}, 'a') as _mark:\n    _mark.write('x')\n", encoding="utf-8")
    return folder, mark


def test_generators_lists_from_manifests_once_a_load_confirmed_them(genloom, tmp_path):
    folder, mark = _marked_copy(tmp_path)
    first = genloom("generators", plugin_path=(folder,)).stdout
    assert mark.read_text() == "x"  # the first listing imports the plugin
    second = genloom("generators", plugin_path=(folder,)).stdout
    assert second == first and "shipsmodel.lookup                text   Lookup" in second
    assert mark.read_text() == "x"  # the second lists from the confirmed manifest
    genloom("generators", "--json", plugin_path=(folder,))  # parameters: only the code knows them
    assert mark.read_text() == "xx"
    init = folder / "shipsmodel" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert genloom("generators", plugin_path=(folder,)).stdout == first
    assert mark.read_text() == "xxx"  # changed code is imported again


def test_generators_reports_a_broken_plugin_every_time(genloom, tmp_path):
    folder = tmp_path / "plugins"
    shutil.copytree(SDK_PLUGINS / "shipsmodel", folder / "shipsmodel")
    (folder / "shipsmodel" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    for _ in range(2):
        result = genloom("generators", plugin_path=(folder,))
        assert "shipsmodel.lookup" not in result.stdout
        assert ("plugin shipsmodel failed to load; its generators are unavailable: shipsmodel.lookup, "
                "shipsmodel.plain") in result.stderr


SPINS_PLUGIN = '''
import os

from genloom.sdk import GeneratorSpec, Output, hookimpl


class Spins:
    def load(self, model, device, dtype):
        pass

    def run(self, request, state):
        if os.environ.get("GOMP_SPINCOUNT") != "1000":
            raise RuntimeError("started without the worker's OpenMP spin settings")
        return [Output(kind="text", text="ok")]

    def unload(self):
        pass


@hookimpl
def genloom_register_generators():
    return [GeneratorSpec(id="spins.check", modality="text", title="Spins", factory=Spins, uses_seed=False)]
'''


@pytest.fixture
def no_spin_settings(monkeypatch):
    from genloom.sdk.runtime import THREAD_POOL_DEFAULTS

    for key in THREAD_POOL_DEFAULTS:
        monkeypatch.delenv(key, raising=False)


def test_validate_runs_the_generators_as_the_worker_would(no_spin_settings, genloom, tmp_path):
    # The checking process runs models, so it starts with the worker's thread-pool settings.
    (tmp_path / "spins.py").write_text(SPINS_PLUGIN)
    out = genloom("plugin", "validate", tmp_path / "spins.py", "--json", code=1).stdout  # no manifest
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert checks["spins.check: contract"]["passed"], checks["spins.check: contract"]
