"""The plugin index (genloom.core.plugin_index): cached entry points, and when a plugin's
manifest may stand for its code in a listing. Real plugin folders, real imports."""

from __future__ import annotations

import json
import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from genloom.core import paths
from genloom.core.plugin_index import INDEX_FILE, PluginIndex, environment_stamp
from genloom.core.plugins import ENTRY_POINT_GROUP, PluginConfig, PluginManager

SDK_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A plugin folder holding a copy of the ``shipsmodel`` test plugin (with a manifest)."""
    plugins = tmp_path / "plugins"
    shutil.copytree(SDK_PLUGINS / "shipsmodel", plugins / "shipsmodel")
    return plugins


def manager(folder: Path, *, use_index: bool = True) -> PluginManager:
    """A fresh manager, as each new process has, over ``folder`` only."""
    return PluginManager(PluginConfig(entry_points=False, plugin_dirs=[str(folder)], use_index=use_index))


def test_a_listing_is_confirmed_only_after_a_clean_load_of_the_same_code(folder):
    assert manager(folder).survey_confirmed() is None  # never loaded: its code is unknown
    loaded = manager(folder).load()
    assert loaded.plugins["shipsmodel"].status == "loaded"
    records = manager(folder).survey_confirmed()
    assert records is not None
    assert [g["id"] for g in records[0].declared] == ["shipsmodel.lookup", "shipsmodel.plain"]


def test_a_changed_code_file_needs_the_import_again(folder):
    manager(folder).load()
    init = folder / "shipsmodel" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert manager(folder).survey_confirmed() is None
    manager(folder).load()
    assert manager(folder).survey_confirmed() is not None


def test_a_removed_bundled_model_needs_the_import_again(folder):
    manager(folder).load()
    shutil.rmtree(folder / "shipsmodel" / "models" / "voice")
    assert manager(folder).survey_confirmed() is None
    loaded = manager(folder).load()
    assert loaded.plugins["shipsmodel"].status == "failed"  # the load says why
    assert manager(folder).survey_confirmed() is None


def test_a_plugin_whose_import_fails_is_never_listed_from_its_manifest(folder):
    (folder / "shipsmodel" / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    for _ in range(2):
        loaded = manager(folder).load()
        assert loaded.plugins["shipsmodel"].status == "failed"
        assert manager(folder).survey_confirmed() is None


def test_a_manifest_that_disagrees_with_the_code_is_not_enough(folder):
    manifest = folder / "shipsmodel" / "genloom-plugin.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('title = "Plain"', 'title = "Other"'),
                        encoding="utf-8")
    loaded = manager(folder).load()
    assert any("title" in w for w in loaded.plugins["shipsmodel"].warnings)
    assert manager(folder).survey_confirmed() is None


def test_a_plugin_without_a_manifest_needs_its_import(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(SDK_PLUGINS / "keepsmod.py", folder / "keepsmod.py")
    manager(folder).load()
    assert manager(folder).survey_confirmed() is None


def test_a_disabled_plugin_does_not_stop_a_confirmed_listing(folder, tmp_path):
    shutil.copy(SDK_PLUGINS / "keepsmod.py", folder / "keepsmod.py")  # no manifest
    config = PluginConfig(entry_points=False, plugin_dirs=[str(folder)], disabled=["keepsmod"], use_index=True)
    PluginManager(config).load()
    records = PluginManager(config).survey_confirmed()
    assert records is not None
    assert {r.name: r.status for r in records} == {"keepsmod": "disabled", "shipsmodel": "not loaded"}


def test_a_manager_without_the_index_neither_writes_nor_uses_it(folder):
    manager(folder, use_index=False).load()
    assert not (paths.data_dir() / INDEX_FILE).exists()
    assert manager(folder, use_index=False).survey_confirmed() is None


def test_entry_points_are_read_again_only_when_the_environment_changed(genloom_home):
    file = paths.data_dir() / INDEX_FILE
    real = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    assert [e["name"] for e in PluginIndex(file).read().plugin_entry_points(ENTRY_POINT_GROUP)] == real
    # A stored list under the current stamp is used as it is (nothing is read)...
    stored = [{"name": "stored", "value": "nowhere.plugin", "distribution": "d", "version": "1"}]
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({"format": 1, "stamp": environment_stamp(), "entry_points": stored,
                                "verdicts": {}}), encoding="utf-8")
    assert PluginIndex(file).read().plugin_entry_points(ENTRY_POINT_GROUP) == stored
    # ...and one under another stamp (something was installed since) is read afresh.
    file.write_text(json.dumps({"format": 1, "stamp": "other", "entry_points": stored,
                                "verdicts": {"stored": "x"}}), encoding="utf-8")
    index = PluginIndex(file).read()
    assert [e["name"] for e in index.plugin_entry_points(ENTRY_POINT_GROUP)] == real
    assert index.verdicts == {}


@pytest.mark.parametrize("content", ["{not json", "[]", '{"format": 99, "stamp": "x"}'])
def test_a_damaged_or_foreign_index_is_ignored_and_replaced(folder, content):
    file = paths.data_dir() / INDEX_FILE
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(content, encoding="utf-8")
    assert manager(folder).survey_confirmed() is None
    manager(folder).load()
    assert json.loads(file.read_text(encoding="utf-8"))["format"] == 1
    assert manager(folder).survey_confirmed() is not None


def test_the_stamp_changes_with_installed_distributions_only(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    before = environment_stamp()
    (tmp_path / "notes.txt").write_text("not a distribution")  # e.g. the current folder
    assert environment_stamp() == before
    (tmp_path / "newpkg-1.0.dist-info").mkdir()  # what installing a distribution adds
    installed = environment_stamp()
    assert installed != before
    (tmp_path / "newpkg-1.0.dist-info").rename(tmp_path / "newpkg-1.1.dist-info")  # an upgrade
    assert environment_stamp() not in (before, installed)


def _kept_manifests() -> dict:
    return json.loads((paths.data_dir() / INDEX_FILE).read_text(encoding="utf-8"))["manifests"]


def test_a_manifest_is_parsed_once_and_again_only_when_its_file_changes(folder):
    manager(folder).load()
    manifest = folder / "shipsmodel" / "genloom-plugin.toml"
    kept = _kept_manifests()
    assert list(kept) == [str(manifest)]
    assert kept[str(manifest)]["data"]["name"] == "shipsmodel"
    # The kept copy is what a listing reads: an edit of it in the index shows...
    file = paths.data_dir() / INDEX_FILE
    data = json.loads(file.read_text(encoding="utf-8"))
    data["manifests"][str(manifest)]["data"]["display_name"] = "From the index"
    file.write_text(json.dumps(data), encoding="utf-8")
    assert manager(folder).survey()[0].display_name == "From the index"
    # ...until the file itself changes (size and time): then it is parsed again.
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('display_name = "', 'display_name = "Changed '), encoding="utf-8")
    record = manager(folder).survey()[0]
    assert record.display_name.startswith("Changed ")
    assert _kept_manifests()[str(manifest)]["data"]["display_name"] == record.display_name


def test_a_kept_manifest_is_still_checked(folder):
    manager(folder).load()
    manifest = folder / "shipsmodel" / "genloom-plugin.toml"
    file = paths.data_dir() / INDEX_FILE
    data = json.loads(file.read_text(encoding="utf-8"))
    data["manifests"][str(manifest)]["data"]["api"] = "not a version"
    file.write_text(json.dumps(data), encoding="utf-8")
    record = manager(folder).survey()[0]
    assert any("not a version" in w for w in record.warnings)


def test_the_index_keeps_only_the_manifests_found_last(folder, tmp_path):
    manager(folder).load()
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    shutil.rmtree(folder / "shipsmodel")
    manager(other).load()
    assert list(_kept_manifests()) == [str(other / "shipsmodel" / "genloom-plugin.toml")]
