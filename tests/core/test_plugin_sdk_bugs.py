"""The plugin author's bugs of issue 24, each through a real engine and worker process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from genloom.cli.remedies import CLI_PHRASES
from genloom.core.plugins import PluginDisabledError
from genloom.sdk import InputError, ParameterError
from genloom.sdk.errors import Remedy, explain

SDK_PLUGINS = Path(__file__).resolve().parents[1] / "fixtures" / "sdk_plugins"


@pytest.fixture
def sdk_plugins(genloom_plugins):
    return genloom_plugins(dirs=[SDK_PLUGINS])


def _text(project, job) -> str:
    return project.asset_path(project.get_asset(job.asset_ids[0])).read_text()


# -- bug 1: a generator keeping modules as attributes ------------------------------------------------

def test_a_generator_keeping_modules_as_attributes_runs_and_is_measured(sdk_plugins, genloom_project,
                                                                        genloom_engine):
    engine = genloom_engine(sdk_plugins)
    (job,) = engine.submit("keepsmod.echo", {})
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "done", job.error
    assert _text(genloom_project, job).startswith('{"sum": ')


def test_the_footprint_counts_the_layer_and_skips_the_modules():
    import torch  # noqa: F401 - the size count looks torch up in sys.modules

    from genloom.core.models.memory import generator_footprint
    from tests.fixtures.sdk_plugins.keepsmod import KeepsModules

    generator = KeepsModules()
    generator.load(None, "cpu", "float32")
    assert generator_footprint(generator, None, "cpu", None) == (16 * 16 + 16) * 4


# -- bug 2: a recipe names its bundled model by identity ---------------------------------------------

def test_a_rerun_works_after_the_plugin_that_ships_the_model_moved(genloom_plugins, genloom_project,
                                                                  genloom_engine, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shutil.copytree(SDK_PLUGINS / "shipsmodel", first / "shipsmodel")
    engine = genloom_engine(genloom_plugins(dirs=[first]))
    (job,) = engine.submit("shipsmodel.lookup", {"word": "loom"}, seed=5)
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "done", job.error
    made = _text(genloom_project, job)
    engine.stop()

    shutil.move(str(first / "shipsmodel"), str(second / "shipsmodel"))  # reinstalled elsewhere
    moved = genloom_plugins(dirs=[second])
    assert Path(moved.models["shipsmodel.table"].path).is_relative_to(second)
    engine = genloom_engine(moved)
    rerun = engine.rerun(job.asset_ids[0])
    assert Path(rerun.model["path"]).is_relative_to(second)
    (rerun,) = engine.wait([rerun.id], timeout=120)
    assert rerun.state == "done", rerun.error
    assert _text(genloom_project, rerun) == made


# -- bug 3: models checked at submit --------------------------------------------------------------------

def test_a_model_of_the_wrong_kind_is_refused_before_queueing(sdk_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(sdk_plugins)
    with pytest.raises(InputError) as caught:
        engine.submit("shipsmodel.lookup", {}, model="shipsmodel.voice")
    message = str(caught.value)
    assert "is a shipsmodel-voice model, and shipsmodel.lookup loads shipsmodel-table models" in message
    assert caught.value.remedy == Remedy("list_models")
    assert genloom_project.jobs.list() == []


def test_a_generator_that_loads_no_model_refuses_one(sdk_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(sdk_plugins)
    with pytest.raises(InputError, match="shipsmodel.plain loads no model, so model 'shipsmodel.table' "
                                         "cannot be used with it"):
        engine.submit("shipsmodel.plain", {}, model="shipsmodel.table")
    assert genloom_project.jobs.list() == []
    (job,) = engine.submit("shipsmodel.plain", {"word": "ab"})
    assert job.model is None


# -- bug 4: the plugin's own cheap check at submit; its errors shown as written ----------------------

def test_the_plugins_check_refuses_at_submit_without_loading_a_model(sdk_plugins, genloom_project,
                                                                     genloom_engine):
    engine = genloom_engine(sdk_plugins)
    with pytest.raises(ParameterError, match="word: 'Loom' has upper-case letters; write it in lower case"):
        engine.submit("shipsmodel.lookup", {"word": "Loom"})
    assert genloom_project.jobs.list() == []
    assert engine._worker is None  # nothing was started, let alone a model loaded


def test_a_parameter_error_while_running_is_shown_as_written_without_a_traceback(sdk_plugins, genloom_engine):
    engine = genloom_engine(sdk_plugins)
    (job,) = engine.submit("shipsmodel.lookup", {"word": "!loom"})
    (job,) = engine.wait([job.id], timeout=120)
    assert job.state == "failed"
    assert job.error == "word: '!loom' starts with '!'; remove the '!'"
    assert "Traceback" not in job.error


# -- bug 5: a disabled plugin's generator says so ----------------------------------------------------

def test_generating_with_a_disabled_plugins_generator_says_how_to_enable_it(genloom_plugins):
    plugins = genloom_plugins(dirs=[SDK_PLUGINS], disabled=["shipsmodel"])
    with pytest.raises(PluginDisabledError) as caught:
        plugins.generator("shipsmodel.lookup")
    assert str(caught.value) == "generator 'shipsmodel.lookup' belongs to the plugin 'shipsmodel', which is disabled"
    assert caught.value.remedy == Remedy("enable_plugin", "shipsmodel")
    assert explain(caught.value, CLI_PHRASES).endswith("Enable it with `genloom plugins enable shipsmodel`.")
