"""The plugin manager: discovery, isolation of failures, disabling, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.core.plugins import PluginConfig, PluginManager, UnknownGeneratorError
from genloom.core.settings import Settings
from genloom.sdk import ModelMatch
from tests.conftest import FIXTURE_PLUGINS


def test_good_plugins_load_and_broken_ones_are_recorded_with_tracebacks(fixture_plugins):
    records = fixture_plugins.plugins
    assert records["gltest_basic"].status == "loaded"
    assert records["gltest_basic"].version == "1.2.3"
    assert "gltest_basic.echo" in fixture_plugins.generators
    assert records["gltest_pkg"].status == "loaded"
    assert fixture_plugins.generators["gltest_pkg.upper"].plugin == "gltest_pkg"

    broken_import = records["gltest_broken_import"]
    assert broken_import.status == "failed"
    assert "Traceback" in broken_import.error
    assert "needs a library that is not installed" in broken_import.error

    broken_hook = records["gltest_broken_hook"]
    assert broken_hook.status == "failed"
    assert "genloom_register_generators raised" in broken_hook.error
    assert "cannot list its generators" in broken_hook.error

    bad_return = records["gltest_bad_return"]
    assert bad_return.status == "failed"
    assert "returned dict; it must return a list of GeneratorSpec" in bad_return.error


def test_specs_carry_their_plugin_and_version(fixture_plugins):
    spec = fixture_plugins.generator("gltest_basic.echo")
    assert (spec.plugin, spec.plugin_version) == ("gltest_basic", "1.2.3")


def test_unknown_generator_suggests_close_ids_and_mentions_failed_plugins(fixture_plugins):
    with pytest.raises(UnknownGeneratorError) as info:
        fixture_plugins.generator("gltest_basic.ecko")
    message = str(info.value)
    assert "Did you mean gltest_basic.echo" in message
    assert "gltest_broken_import" in message


def test_disabled_plugin_is_listed_but_not_imported(genloom_plugins):
    plugins = genloom_plugins(dirs=[FIXTURE_PLUGINS], disabled=["gltest_basic", "gltest_broken_import"])
    assert plugins.plugins["gltest_basic"].status == "disabled"
    assert plugins.plugins["gltest_broken_import"].status == "disabled"
    assert "gltest_basic.echo" not in plugins.generators


def test_disable_through_settings_and_environment(monkeypatch, genloom_home):
    settings = Settings(disabled_plugins=["gltest_pkg"], plugin_dirs=[str(FIXTURE_PLUGINS)])
    monkeypatch.setenv("GENLOOM_DISABLE_PLUGINS", "gltest_basic, gltest_bad_return")
    config = PluginConfig.from_settings(settings)
    config.entry_points = False
    plugins = PluginManager(config).load()
    assert {n for n, r in plugins.plugins.items() if r.status == "disabled"} == {
        "gltest_pkg", "gltest_basic", "gltest_bad_return"}


def test_plugin_path_environment_adds_folders(monkeypatch, genloom_home):
    monkeypatch.setenv("GENLOOM_PLUGIN_PATH", str(FIXTURE_PLUGINS))
    config = PluginConfig.from_settings(Settings())
    assert str(FIXTURE_PLUGINS) in config.plugin_dirs


def test_user_plugins_folder_is_searched(genloom_home):
    folder = genloom_home / "data" / "plugins"
    folder.mkdir(parents=True)
    (folder / "mine.py").write_text(
        "from genloom.sdk import GeneratorSpec, hookimpl\n"
        "@hookimpl\n"
        "def genloom_register_generators():\n"
        "    return [GeneratorSpec(id='mine.thing', modality='text', title='Mine', factory=object)]\n"
    )
    config = PluginConfig.from_settings(Settings())
    config.entry_points = False
    assert "mine.thing" in PluginManager(config).load().generators


def test_builtin_plugins_come_through_entry_points(genloom_plugins):
    plugins = genloom_plugins(entry_points=True)
    record = plugins.plugins["procedural"]
    assert (record.source, record.status, record.distribution) == ("entry point", "loaded", "genloom")
    assert "procedural.pattern" in plugins.generators


def test_a_plugin_cannot_register_generators_under_another_plugins_name(tmp_path, genloom_plugins):
    for name in ("aaa", "bbb"):
        (tmp_path / f"{name}.py").write_text(
            "from genloom.sdk import GeneratorSpec, hookimpl\n"
            "@hookimpl\n"
            "def genloom_register_generators():\n"
            "    return [GeneratorSpec(id='aaa.thing', modality='text', title='x', factory=object)]\n"
        )
    plugins = genloom_plugins(dirs=[tmp_path])
    assert plugins.plugins["aaa"].status == "loaded"
    assert plugins.plugins["bbb"].status == "failed"
    assert ("generator id 'aaa.thing' does not start with its plugin's name 'bbb' and a dot; "
            "name it 'bbb.thing'") in plugins.plugins["bbb"].error
    assert plugins.generators["aaa.thing"].plugin == "aaa"


def test_a_genloom_prefixed_module_is_the_plugin_without_the_prefix(genloom_plugins):
    plugins = genloom_plugins(modules=["genloom_procedural.plugin"])
    assert plugins.plugins["procedural"].status == "loaded"
    assert plugins.generators["procedural.pattern"].plugin == "procedural"


def test_misspelt_hook_fails_with_a_suggestion(tmp_path, genloom_plugins):
    (tmp_path / "typo.py").write_text(
        "from genloom.sdk import hookimpl\n"
        "@hookimpl\n"
        "def genloom_register_generator():\n"
        "    return []\n"
    )
    record = genloom_plugins(dirs=[tmp_path]).plugins["typo"]
    assert record.status == "failed"
    assert "did you mean genloom_register_generators?" in record.error


def test_missing_bundled_model_fails_the_plugin(tmp_path, genloom_plugins):
    (tmp_path / "nomodel.py").write_text(
        "from pathlib import Path\n"
        "from genloom.sdk import BundledModel, hookimpl\n"
        "@hookimpl\n"
        "def genloom_register_models():\n"
        "    return [BundledModel(id='nomodel.tiny', kind='onnx', path=Path(__file__).parent / 'gone.onnx')]\n"
    )
    record = genloom_plugins(dirs=[tmp_path]).plugins["nomodel"]
    assert record.status == "failed"
    assert "bundled model 'nomodel.tiny' is missing" in record.error


def test_identify_model_asks_every_plugin_and_survives_one_that_raises(tmp_path, genloom_plugins):
    (tmp_path / "knows_onnx.py").write_text(
        "from genloom.sdk import ModelMatch, hookimpl\n"
        "@hookimpl\n"
        "def genloom_identify_model(path):\n"
        "    return ModelMatch(kind='onnx', format='onnx') if path.suffix == '.onnx' else None\n"
    )
    (tmp_path / "raises.py").write_text(
        "from genloom.sdk import hookimpl\n"
        "@hookimpl\n"
        "def genloom_identify_model(path):\n"
        "    raise RuntimeError('probe broke')\n"
    )
    plugins = genloom_plugins(dirs=[tmp_path])
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x01")
    assert plugins.identify_model(model) == [("knows_onnx", ModelMatch(kind="onnx", format="onnx"))]
    assert "probe broke" in plugins.plugins["raises"].warnings[0]
    assert plugins.plugins["raises"].status == "loaded"


def test_hook_implementation_may_take_fewer_arguments(tmp_path, genloom_plugins):
    (tmp_path / "noargs.py").write_text(
        "from genloom.sdk import ModelMatch, hookimpl\n"
        "@hookimpl\n"
        "def genloom_identify_model():\n"
        "    return ModelMatch(kind='anything')\n"
    )
    plugins = genloom_plugins(dirs=[tmp_path])
    assert plugins.identify_model(Path("whatever")) == [("noargs", ModelMatch(kind="anything"))]


def test_module_plugins_are_named_after_their_package():
    from genloom.core.plugins import _module_plugin_name

    assert _module_plugin_name("acme.plugin") == ("acme", "acme.plugin")
    assert _module_plugin_name("acme.hooks") == ("hooks", "acme.hooks")
    assert _module_plugin_name("nice = acme.hooks") == ("nice", "acme.hooks")


def test_config_round_trips_for_the_worker():
    config = PluginConfig(entry_points=False, plugin_dirs=["/a"], modules=["m.plugin"], disabled=["x"])
    assert PluginConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("value", ["genloom_procedural.plugin", "genloom_procedural.plugin:genloom_register_generators",
                                   "genloom.sdk:hookspecs.genloom_register_generators",
                                   "genloom_procedural.plugin [extra]", "genloom_procedural.plugin:hookimpl [a,b]"])
def test_an_entry_point_loads_what_importlib_metadata_would(value):
    from importlib.metadata import EntryPoint

    from genloom.core.plugins import _load_entry_point

    assert _load_entry_point("x", value) is EntryPoint(name="x", value=value, group="genloom.plugins").load()


@pytest.mark.parametrize("value", [":attr", "no_such_module_here", "genloom_procedural.plugin:no_such_attr"])
def test_an_entry_point_that_names_nothing_fails_to_import(value):
    from genloom.core.plugins import _load_entry_point

    with pytest.raises((ImportError, AttributeError)):
        _load_entry_point("x", value)
