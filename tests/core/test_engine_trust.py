"""The engine believes neither a generator's outputs nor a recipe, and never drops
results: hostile plugins, crafted recipes and a locked database, with a real worker."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from genloom.core.jobs.engine import Engine
from genloom.core.jobs.outputs import OutputRefused, checked_outputs
from genloom.sdk import InputError, ParameterError
from tests.conftest import FIXTURE_PLUGINS

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile"


@pytest.fixture
def plugins(genloom_plugins):
    return genloom_plugins(dirs=[FIXTURE_PLUGINS, HOSTILE])


def _run(engine, params, generator="gltest_hostile.hostile", timeout=60):
    (job,) = engine.submit(generator, params, seed=1)
    (job,) = engine.wait([job.id], timeout=timeout)
    return job


# -- finding 6: outputs are files inside the job's folder, never links or the user's files ----

def test_an_output_outside_the_job_folder_is_copied_and_the_original_kept(plugins, genloom_engine,
                                                                          genloom_project, tmp_path):
    victim = tmp_path / "notes.txt"
    victim.write_text("the user's notes")
    job = _run(genloom_engine(plugins), {"how": "outside", "target": str(victim)})
    assert victim.read_text() == "the user's notes"  # was moved away before the fix
    if job.state == "done":
        asset = genloom_project.get_asset(job.asset_ids[0])
        assert genloom_project.asset_path(asset).read_text() == "the user's notes"
        assert not genloom_project.asset_path(asset).is_symlink()


def test_a_symlink_output_fails_the_job_and_stores_nothing(plugins, genloom_engine, genloom_project):
    job = _run(genloom_engine(plugins), {"how": "symlink", "target": "/etc/hostname"})
    assert job.state == "failed" and "symbolic link" in job.error
    assert genloom_project.count_assets() == 0
    links = [p for p in (genloom_project.path / "assets").rglob("*") if p.is_symlink()]
    assert links == []


def test_the_engine_refuses_output_records_that_point_anywhere_else(tmp_path):
    folder = tmp_path / "job-1-abcd"
    folder.mkdir()
    (folder / "ok.txt").write_text("fine")
    (folder / "link.txt").symlink_to(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("mine")
    good = checked_outputs([{"kind": "text", "suffix": ".txt", "path": str(folder / "ok.txt")}],
                           folder)
    assert good[0].path == folder / "ok.txt"
    for path, problem in ((outside, "outside the job's folder"),
                          (folder / ".." / "outside.txt", "outside the job's folder"),
                          (folder / "link.txt", "symbolic link"),
                          (Path("relative.txt"), "outside the job's folder")):
        with pytest.raises(OutputRefused, match=problem):
            checked_outputs([{"kind": "text", "suffix": ".txt", "path": str(path)}], folder)
    with pytest.raises(OutputRefused, match="kind"):
        checked_outputs([{"kind": "weird", "suffix": ".txt", "path": str(folder / "ok.txt")}], folder)


def test_an_output_title_from_the_worker_is_checked_again(tmp_path):
    """The SDK checks a title when the generator makes its Output; the record the worker
    sends is checked again, as anything else that crosses the process boundary."""
    folder = tmp_path / "job-1-abcd"
    folder.mkdir()
    (folder / "ok.txt").write_text("fine")
    record = {"kind": "text", "suffix": ".txt", "path": str(folder / "ok.txt")}
    assert checked_outputs([record], folder)[0].title == ""
    assert checked_outputs([{**record, "title": "  Reel in D  "}], folder)[0].title == "Reel in D"
    for title, problem in ((["a list"],  "not text"), ("two\nlines", "line break"),
                           ("x" * 5000, "characters")):
        with pytest.raises(OutputRefused, match=problem):
            checked_outputs([{**record, "title": title}], folder)


# -- finding 12: a generator that returns nothing fails ------------------------------------------

def test_a_generator_that_returns_nothing_fails_the_job(plugins, genloom_engine):
    job = _run(genloom_engine(plugins), {"how": "nothing"})
    assert job.state == "failed" and "returned no outputs" in job.error


# -- finding 8: storing the assets and finishing the job are one transaction ---------------------

def test_a_failure_between_storing_and_finishing_leaves_no_asset(fixture_plugins, genloom_project,
                                                                 monkeypatch):
    from genloom.core.project.jobs import JobQueue

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(JobQueue, "complete", crash, raising=False)
    monkeypatch.setattr(JobQueue, "finish", crash)
    engine = Engine(genloom_project, fixture_plugins).start()
    try:
        (job,) = engine.submit("gltest_basic.echo", {"prompt": "hello"}, seed=1)
        (job,) = engine.wait([job.id], timeout=60)
    finally:
        engine.stop()
    assert job.state == "failed"
    assert genloom_project.count_assets() == 0  # a retry will not duplicate anything
    report = genloom_project.check()  # at most an unused file, which repair moves away
    assert report.missing == () and report.mismatched == ()


# -- finding 10: a database locked past the busy timeout delays results, never drops them -------

def test_results_wait_out_a_write_lock_held_longer_than_the_busy_timeout(fixture_plugins,
                                                                         genloom_project,
                                                                         monkeypatch):
    import genloom.core.sqlite

    monkeypatch.setattr(genloom.core.sqlite, "BUSY_TIMEOUT_S", 0.2)
    engine = Engine(genloom_project, fixture_plugins).start()
    try:
        (job,) = engine.submit("gltest_basic.echo", {"prompt": "hi", "steps": 4, "delay": 0.25}, seed=1)
        deadline = time.monotonic() + 60
        while genloom_project.jobs.get(job.id).state != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        holder = sqlite3.connect(genloom_project.db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock for 3 s
        time.sleep(3.0)
        holder.execute("COMMIT")
        holder.close()
        (job,) = engine.wait([job.id], timeout=60)
    finally:
        engine.stop()
    assert job.state == "done", job.error
    assert len(job.asset_ids) == 1 and genloom_project.count_assets() == 1


# -- finding 5: a recipe never switches on pickle loading; its numbers are range-checked --------

def test_a_recipe_cannot_grant_pickle_loading(fixture_plugins, genloom_project, tmp_path):
    weights = tmp_path / "model.ckpt"
    weights.write_bytes(b"not really weights")
    engine = Engine(genloom_project, fixture_plugins)
    recipe = {"generator": {"id": "gltest_basic.echo"}, "params": {"prompt": "x"}, "seed": 3,
              "model": {"id": "evil", "path": str(weights), "kind": "sd-checkpoint",
                        "allow_pickle": True}}
    asset = genloom_project.add_asset(b"imported", kind="text", suffix=".txt", recipe=recipe)
    # The recipe's allow_pickle is not the user's consent: the model library refuses the file at submit.
    with pytest.raises(InputError, match="pickle: refused unless allowed.*genloom models allow-pickle"):
        engine.rerun(asset.id)
    with pytest.raises(InputError, match="pickle: refused unless allowed"):
        engine.submit("gltest_basic.echo", {"prompt": "x"}, model=recipe["model"])
    assert genloom_project.jobs.list() == []
    # Allowed where consent lives (the library, by content hash), it runs; the job still records none.
    engine.model_library().allow_pickle(str(weights))
    job = engine.rerun(asset.id)
    assert job.model["path"] == str(weights)
    assert job.model["allow_pickle"] is False


@pytest.mark.parametrize("recipe", [
    {"generator": {"id": "gltest_basic.echo"}, "params": {"prompt": "x", "delay": 10**400}},
    {"generator": {"id": "gltest_basic.echo"}, "params": {"prompt": "x"}, "seed": 10**400},
    {"generator": {"id": "gltest_basic.echo"}, "params": ["not", "an", "object"]},
    {"generator": {"id": "gltest_basic.echo"}, "params": {"prompt": "x"}, "inputs": {"image": "12"}},
])
def test_a_crafted_recipe_is_refused_with_a_message(fixture_plugins, genloom_project, recipe):
    engine = Engine(genloom_project, fixture_plugins)
    asset = genloom_project.add_asset(b"imported", kind="text", suffix=".txt", recipe=recipe)
    with pytest.raises(InputError, match=f"asset {asset.id}'s recipe"):
        engine.rerun(asset.id)
    assert genloom_project.jobs.list() == []


# -- finding 11: what can be checked without a model is checked at submit ------------------------

@pytest.fixture
def image_engine(genloom_plugins, genloom_project):
    return Engine(genloom_project, genloom_plugins(modules=["genloom_image.plugin"]))


@pytest.mark.parametrize("params, message", [
    ({"prompt": "x", "width": 65}, "width: 65 is not a multiple of 8; use 64 or 72"),
    ({"prompt": "x", "height": 12}, "height: 12 is not a multiple of 8; use 8 or 16"),
    ({"prompt": "x", "loras": "~nouser/a.safetensors"}, "loras"),
    ({"prompt": "x", "loras": "a" * 300 + ".safetensors"}, "loras"),
    ({"prompt": "x", "loras": "x.safetensors\0=1"}, "loras"),
    ({"prompt": "x", "loras": "missing.safetensors=0.5"}, "does not exist"),
    ({"prompt": "bad \udcff bytes"}, "not valid UTF-8"),
])
def test_image_parameters_are_checked_when_queued(image_engine, genloom_project, params, message):
    with pytest.raises(ParameterError, match=message):
        image_engine.submit("image.text_to_image", params)
    assert genloom_project.jobs.list() == []


def test_strength_that_runs_no_step_is_refused_when_queued(image_engine, genloom_project):
    picture = genloom_project.add_asset(_png(), kind="image", suffix=".png")
    with pytest.raises(ParameterError, match="strength"):
        image_engine.submit("image.image_to_image", {"prompt": "x", "steps": 10, "strength": 0.05},
                            inputs={"image": picture.id})


@pytest.mark.parametrize("model", ["", "   ", "m" * 300, "~nouser-genloom/x.safetensors"])
def test_an_unusable_model_name_is_refused_with_a_message(image_engine, model):
    with pytest.raises(InputError, match="model"):
        image_engine.submit("image.text_to_image", {"prompt": "x"}, model=model)


@pytest.mark.parametrize("device", ["banana", "cuda:x", "cpu:1", 7])
def test_an_unknown_device_is_refused_when_queued(image_engine, genloom_project, device):
    with pytest.raises(ParameterError, match="device"):
        image_engine.submit("image.text_to_image", {"prompt": "x"}, device=device)
    assert genloom_project.jobs.list() == []


# -- finding 9: a damaged input is reported at submit --------------------------------------------

def test_a_damaged_input_asset_is_refused_when_queued(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    picture = genloom_project.add_asset(_png(), kind="image", suffix=".png")
    path = genloom_project.asset_path(picture)
    path.write_bytes(b"\0" * path.stat().st_size)
    with pytest.raises(InputError, match="no longer holds"):
        engine.submit("gltest_basic.invert", {}, inputs={"image": picture.id})


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_no_thread_is_left_behind():
    assert not [t for t in threading.enumerate() if t.name == "genloom-engine" and t.is_alive()]
