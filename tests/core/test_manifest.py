"""Plugin manifests (genloom-plugin.toml): read without importing, checked against the code."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from genloom.core.manifest import ManifestError, find_manifest, manifest_mismatches, read_manifest
from genloom.sdk import API_VERSION

ROOT = Path(__file__).resolve().parents[2]
SDK_PLUGINS = ROOT / "tests" / "fixtures" / "sdk_plugins"
BUILTIN = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "plugin.py").is_file())


@pytest.mark.parametrize("package", BUILTIN)
def test_every_builtin_plugins_manifest_matches_its_code(package, genloom_plugins):
    plugins = genloom_plugins(modules=[f"{package}.plugin"])
    name = package.removeprefix("genloom_")
    record = plugins.plugins[name]
    assert record.status == "loaded", record.error
    manifest = read_manifest(Path(record.manifest))
    specs = [plugins.generators[g] for g in record.generators]
    models = [plugins.models[m] for m in record.models]
    assert manifest_mismatches(manifest, name, specs, models) == []
    assert not [w for w in record.warnings if w.startswith("manifest")]


def test_every_builtin_manifest_ships_as_package_data():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = data["tool"]["setuptools"]["package-data"]
    for package in BUILTIN:
        assert "genloom-plugin.toml" in package_data.get(package, []), package


def test_the_manifest_is_found_for_an_entry_point_module_without_importing_it():
    assert find_manifest("genloom_image.plugin", "entry point") == ROOT / "plugins" / "genloom_image" / \
        "genloom-plugin.toml"
    assert find_manifest(str(SDK_PLUGINS / "shipsmodel"), "folder") == SDK_PLUGINS / "shipsmodel" / \
        "genloom-plugin.toml"
    assert find_manifest(str(SDK_PLUGINS / "keepsmod.py"), "folder") is None


def _plugin(folder: Path, name: str, manifest: str, code: str = "") -> Path:
    package = folder / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(code)
    (package / "genloom-plugin.toml").write_text(manifest)
    return package


def test_a_plugin_whose_import_fails_lists_what_its_manifest_declares(tmp_path, genloom_plugins):
    _plugin(tmp_path, "broken", 'name = "broken"\ndisplay_name = "Broken"\napi = "1.2"\n'
            '[[generators]]\nid = "broken.draw"\nmodality = "image"\ntitle = "Draw"\n',
            "import no_such_library_genloom\n")
    record = genloom_plugins(dirs=[tmp_path]).plugins["broken"]
    assert record.status == "failed" and "no_such_library_genloom" in record.error
    assert record.declared == [{"id": "broken.draw", "modality": "image", "title": "Draw"}]
    assert record.generators == []
    assert record.generator_summary() == "broken.draw (unavailable: plugin failed)"
    assert record.display_name == "Broken"


def test_survey_lists_plugins_from_their_manifests_and_imports_none(tmp_path):
    from genloom.core.plugins import FOLDER_MODULE_PREFIX, PluginConfig, PluginManager

    shutil.copytree(SDK_PLUGINS / "shipsmodel", tmp_path / "surveyed")
    (tmp_path / "surveyed" / "genloom-plugin.toml").write_text(
        (SDK_PLUGINS / "shipsmodel" / "genloom-plugin.toml").read_text().replace("shipsmodel", "surveyed"))
    records = PluginManager(PluginConfig(entry_points=False, plugin_dirs=[str(tmp_path)])).survey()
    (record,) = records
    assert (record.name, record.status) == ("surveyed", "not loaded")
    assert [g["id"] for g in record.declared] == ["surveyed.lookup", "surveyed.plain"]
    assert FOLDER_MODULE_PREFIX + "surveyed" not in sys.modules


def test_a_plugin_without_a_manifest_still_loads(genloom_plugins):
    record = genloom_plugins(dirs=[SDK_PLUGINS]).plugins["keepsmod"]
    assert (record.status, record.manifest, record.generators) == ("loaded", "", ["keepsmod.echo"])


def test_a_plugin_asking_for_a_newer_api_is_not_imported(tmp_path, genloom_plugins):
    _plugin(tmp_path, "future", 'name = "future"\napi = "1.99"\n', "raise SystemExit('imported')\n")
    record = genloom_plugins(dirs=[tmp_path]).plugins["future"]
    assert record.status == "failed"
    assert record.error.startswith(f"the plugin needs Genloom plugin API 1.99, and this Genloom has {API_VERSION}")


def test_a_manifest_that_disagrees_with_the_code_is_reported(tmp_path, genloom_plugins):
    shutil.copytree(SDK_PLUGINS / "shipsmodel", tmp_path / "shipsmodel")
    manifest = tmp_path / "shipsmodel" / "genloom-plugin.toml"
    manifest.write_text(manifest.read_text().replace('title = "Plain"', 'title = "Simple"'))
    record = genloom_plugins(dirs=[tmp_path]).plugins["shipsmodel"]
    assert record.status == "loaded"
    assert record.warnings == ["manifest: generator shipsmodel.plain: the manifest says title 'Simple', "
                               "the code 'Plain'"]


@pytest.mark.parametrize(("text", "message"), [
    ('name = "x"\napi = "1.2"\n[[generators]]\nid = "other.thing"\nmodality = "text"\ntitle = "T"\n',
     "generator id 'other.thing' does not start with its plugin's name 'x' and a dot; name it 'x.thing'"),
    ('name = "x"\napi = "1.2"\n[[generators]]\nid = "x.Thing"\nmodality = "text"\ntitle = "T"\n',
     "must be dotted lower case"),
    ('name = "x"\napi = "1.2"\n[[models]]\nid = "x.m"\npath = "../../etc"\n',
     "must be relative to the package folder and stay inside it"),
    ('name = "x"\napi = 1.2\n', "api is 1.2, not a string"),
    ('name = "X"\napi = "1.2"\n', "name 'X' must be lower case"),
    ('name = "x"\n', "api is missing"),
    ('name = "x\n', "not valid TOML"),
    ('name = "x"\napi = "1.2"\n[[generators]]\nid = "x.a"\nmodality = "smell"\ntitle = "T"\n',
     "modality 'smell' is not one of"),
])
def test_a_bad_manifest_is_refused_naming_the_field(tmp_path, text, message):
    file = tmp_path / "genloom-plugin.toml"
    file.write_text(text)
    with pytest.raises(ManifestError, match="genloom-plugin.toml: ") as caught:
        read_manifest(file)
    assert message in str(caught.value)
