"""The rules of genloom.core.plugin_install that need no pip run (fast, in this process).

Nothing here changes the environment: installs that run pip are tested in a throwaway venv
(tests/cli/test_plugin_install.py).
"""

from __future__ import annotations

import json

import pytest

from genloom.core import plugin_env, plugin_install
from genloom.core.plugin_install import PluginInstallError, RequirementConflictError


def test_the_constraints_pin_every_installed_core_library_at_its_exact_version():
    import importlib.metadata as metadata

    text = plugin_install.constraints_text()
    lines = set(text.splitlines())
    for dist in ("torch", "numpy", "pluggy", "genloom", "transformers", "diffusers"):
        assert f"{metadata.metadata(dist)['Name']}=={metadata.version(dist)}" in lines, dist
    torch_line = next(line for line in lines if line.lower().startswith("torch=="))
    assert torch_line.endswith(metadata.version("torch"))  # the local build tag (+cpu, +cu121) kept


@pytest.mark.parametrize("target", ["-e .", "--index-url=http://evil", "https://example.com/x.whl",
                                    "genloom sketches", "name; rm -rf ~"])
def test_a_target_that_is_no_name_file_or_folder_is_refused_before_pip_runs(target):
    with pytest.raises(PluginInstallError, match="is not a package name"):
        plugin_install.install(target)


def test_a_missing_wheel_and_a_folder_without_a_project_are_refused_by_name(tmp_path):
    with pytest.raises(PluginInstallError, match="nope.whl does not exist"):
        plugin_install.install(str(tmp_path / "nope.whl"))
    with pytest.raises(PluginInstallError, match="neither a wheel .* nor a project folder"):
        plugin_install.install(str(tmp_path))


def test_a_plan_that_installs_the_twin_of_an_installed_library_is_refused():
    current = plugin_env.installed()
    twin = "onnxruntime" if "onnxruntime-gpu" in current else "onnxruntime-gpu"
    plan = {"install": [{"metadata": {"name": twin, "version": "9.9"}, "requested": False}]}
    with pytest.raises(RequirementConflictError, match=f"it needs {twin}, which would overwrite"):
        plugin_install._check_plan("genloom-x", plan, current)


def test_a_plan_that_changes_a_pinned_library_is_refused_naming_both_versions():
    current = plugin_env.installed()
    plan = {"install": [{"metadata": {"name": "numpy", "version": "1.0.0"}, "requested": False}]}
    with pytest.raises(RequirementConflictError) as caught:
        plugin_install._check_plan("genloom-x", plan, current)
    assert caught.value.conflicts == [f"it would replace numpy {current['numpy'].version} with 1.0.0"]


def test_only_one_change_runs_at_a_time():
    with plugin_install._exclusive():
        with pytest.raises(PluginInstallError, match="another plugin install, uninstall or rollback is running"):
            plugin_install.rollback()


def test_rollback_with_no_snapshot_says_there_is_nothing_to_roll_back():
    with pytest.raises(plugin_env.SnapshotNotFoundError, match="nothing to roll back to"):
        plugin_install.rollback()


def test_snapshot_ids_are_looked_up_never_used_as_paths(genloom_home):
    snapshot = plugin_env.take_snapshot("install x", "install")
    assert plugin_env.find_snapshot(None).id == snapshot.id
    # A file whose name is no snapshot id, or whose content names another id, is ignored.
    folder = plugin_env.snapshots_dir()
    (folder / "evil.json").write_text(json.dumps({**snapshot.to_dict(), "id": "evil"}))
    forged = "20000101T000000-000000000-install"
    (folder / f"{forged}.json").write_text(json.dumps({**snapshot.to_dict(), "id": "other"}))
    assert [s.id for s in plugin_env.list_snapshots()] == [snapshot.id]
    for ident in ("evil", forged, "../../etc/passwd"):
        with pytest.raises(plugin_env.SnapshotNotFoundError):
            plugin_env.find_snapshot(ident)


def test_a_snapshot_records_every_distribution_and_where_file_installs_came_from(genloom_home):
    snapshot = plugin_env.take_snapshot("install x", "install", ["--no-index"])
    saved = json.loads((plugin_env.snapshots_dir() / f"{snapshot.id}.json").read_text())
    assert saved["distributions"]["torch"]["version"] == snapshot.distributions["torch"].version
    assert saved["pip_options"] == ["--no-index"]
    assert plugin_env.Snapshot.from_dict(saved).distributions == snapshot.distributions


def test_pip_options_merge_without_repeats_and_keep_one_index():
    merged = plugin_install._merge(["--find-links", "/a", "--no-index", "--index-url", "https://one"],
                                   ["--find-links", "/b", "--find-links", "/a", "--index-url", "https://two"])
    assert merged == ["--find-links", "/a", "--no-index", "--index-url", "https://one", "--find-links", "/b"]
