"""The job engine with a real worker process and the test plugins."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from genloom.core.jobs.engine import Engine
from genloom.core.settings import Settings
from genloom.sdk import InputError, ParameterError


def _events(engine):
    seen = {"progress": [], "started": [], "workers": [], "stopped": []}
    engine.events.job_progress.connect(lambda e: seen["progress"].append(e))
    engine.events.job_started.connect(lambda job: seen["started"].append(job.id))
    engine.events.worker_started.connect(lambda pid: seen["workers"].append(pid))
    engine.events.worker_stopped.connect(lambda why: seen["stopped"].append(why))
    return seen


def _file_hash(project, asset_id):
    return hashlib.sha256(project.asset_path(project.get_asset(asset_id)).read_bytes()).hexdigest()


def test_text_job_streams_in_order_and_stores_the_asset_with_its_recipe(fixture_plugins, genloom_project,
                                                                          genloom_engine):
    engine = genloom_engine(fixture_plugins)
    seen = _events(engine)
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "hello", "steps": 4}, seed=7)
    (job,) = engine.wait([job.id], timeout=60)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    text = genloom_project.asset_path(asset).read_text()
    streamed = "hello" + "".join(e.progress.partial_text for e in seen["progress"])
    assert text == streamed
    assert [e.progress.step for e in seen["progress"]] == [1, 2, 3, 4]
    recipe = asset.recipe
    assert recipe["generator"] == {"id": "gltest_basic.echo", "plugin": "gltest_basic", "plugin_version": "1.2.3",
                                   "modality": "text"}
    assert recipe["seed"] == 7
    assert recipe["params"] == {"prompt": "hello", "steps": 4, "delay": 0.0, "shout": False}
    assert recipe["device"] == "cpu" and recipe["dtype"] == "float32"
    assert recipe["libraries"]["python"] and recipe["libraries"]["genloom"]
    assert asset.prompt == "hello"
    assert genloom_project.search("hello")[0].id == asset.id


def test_same_seed_gives_the_same_output_and_count_uses_consecutive_seeds(fixture_plugins, genloom_project,
                                                                            genloom_engine):
    engine = genloom_engine(fixture_plugins)
    jobs = engine.submit("gltest_basic.pixels", {"width": 16, "height": 16}, seed=100, count=3)
    again = engine.submit("gltest_basic.pixels", {"width": 16, "height": 16}, seed=100)
    done = engine.wait([j.id for j in jobs + again], timeout=60)
    assert [j.seed for j in done] == [100, 101, 102, 100]
    hashes = [_file_hash(genloom_project, j.asset_ids[0]) for j in done]
    assert hashes[0] == hashes[3]
    assert len(set(hashes[:3])) == 3


def test_the_engine_hands_a_batching_generator_its_seeds_and_each_output_keeps_its_own(
        fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    jobs = engine.submit("gltest_basic.tiles", seed=500, count=7)
    assert [j.seeds for j in jobs] == [(500, 501, 502), (503, 504, 505), (506,)]
    done = engine.wait([j.id for j in jobs], timeout=60)
    assets = [genloom_project.get_asset(a) for j in done for a in j.asset_ids]
    assert [a.recipe["seed"] for a in assets] == list(range(500, 507))
    assert [a.metadata["seed"] for a in assets] == list(range(500, 507))
    assert len({a.hash for a in assets}) == 7
    again = engine.rerun(assets[4].id)
    assert again.seeds == (504,)
    (again,) = engine.wait([again.id], timeout=60)
    (copy,) = again.asset_ids
    assert _file_hash(genloom_project, copy) == _file_hash(genloom_project, assets[4].id)


def test_a_batching_generator_that_returns_too_few_outputs_fails_the_job_naming_the_plugin(
        fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    (job,) = engine.submit("gltest_basic.tiles", {"short": True}, seed=1, count=3)
    (job,) = engine.wait([job.id], timeout=60)
    assert job.state == "failed"
    assert "gltest_basic.tiles (plugin gltest_basic) returned 2 outputs for 3 seeds" in job.error
    assert genloom_project.count_assets() == 0


def test_seed_and_count_follow_one_rule_and_seeds_never_wrap(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    with pytest.raises(ParameterError, match="count: 1001 is not a whole number from 1 to 1000"):
        engine.submit("gltest_basic.pixels", count=1001)
    with pytest.raises(ParameterError, match="seed: 4294967295 with count 2 would need seeds past "
                                             "the maximum of 4294967295; choose a seed of at most 4294967294"):
        engine.submit("gltest_basic.pixels", seed=2**32 - 1, count=2)
    (job,) = engine.submit("gltest_basic.pixels", seed=2**32 - 1)
    assert job.seeds == (2**32 - 1,)
    assert genloom_project.jobs.list() == [job]


def test_image_job_sends_previews(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    seen = _events(engine)
    (job,) = engine.submit("gltest_basic.pixels", {"steps": 3}, seed=1)
    engine.wait([job.id], timeout=60)
    previews = [e.progress.preview for e in seen["progress"]]
    assert len(previews) == 3 and all(p.startswith(b"\xff\xd8") for p in previews)  # JPEG


def test_invalid_parameters_are_refused_before_anything_is_queued(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    with pytest.raises(ParameterError, match="steps: 500 is above the maximum of 50"):
        engine.submit("gltest_basic.echo", {"prompt": "x", "steps": 500})
    with pytest.raises(ParameterError, match="seed: -5"):
        engine.submit("gltest_basic.echo", {"prompt": "x"}, seed=-5)
    with pytest.raises(ParameterError, match="count"):
        engine.submit("gltest_basic.echo", {"prompt": "x"}, count=0)
    assert genloom_project.jobs.list() == []


def test_input_assets_are_checked_and_become_lineage(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    with pytest.raises(InputError, match="needs a image asset as 'image'"):
        engine.submit("gltest_basic.invert")
    text = genloom_project.add_asset(b"words", kind="text", suffix=".txt")
    with pytest.raises(InputError, match="asset 1 is text, but gltest_basic.invert needs image"):
        engine.submit("gltest_basic.invert", inputs={"image": text.id})
    with pytest.raises(InputError, match="there is no asset 999"):
        engine.submit("gltest_basic.invert", inputs={"image": 999})
    (source,) = engine.submit("gltest_basic.pixels", seed=3)
    source = engine.wait([source.id], timeout=60)[0]
    (job,) = engine.submit("gltest_basic.invert", inputs={"image": source.asset_ids[0]})
    (job,) = engine.wait([job.id], timeout=60)
    assert job.state == "done", job.error
    child = genloom_project.get_asset(job.asset_ids[0])
    assert [p.id for p in genloom_project.parents(child.id)] == [source.asset_ids[0]]
    assert child.recipe["inputs"] == {"image": source.asset_ids[0]}


def test_cancel_running_text_job_keeps_the_partial_text(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    first_word = threading.Event()
    engine.events.job_progress.connect(lambda e: first_word.set())
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "start", "steps": 50, "delay": 0.1}, seed=1)
    assert first_word.wait(60)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=30)
    assert job.state == "cancelled"
    partial = genloom_project.list_assets(tag="partial")
    assert len(partial) == 1
    words = genloom_project.asset_path(partial[0]).read_text().split()
    assert words[0] == "start" and 1 < len(words) < 51


def test_cancel_running_image_job_leaves_no_asset(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (job,) = engine.submit("gltest_basic.pixels", {"steps": 100, "delay": 0.05}, seed=1)
    assert started.wait(60)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=30)
    assert job.state == "cancelled"
    assert genloom_project.count_assets() == 0
    assert list(genloom_project.tmp_dir().glob("job-*")) == []


def test_cancel_queued_job_never_runs(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "x"})
    assert engine.cancel(job.id).state == "cancelled"
    engine.start()
    try:
        time.sleep(1.5)
        assert genloom_project.jobs.get(job.id).state == "cancelled"
        assert genloom_project.count_assets() == 0
    finally:
        engine.stop()


def test_generator_exception_fails_the_job_and_the_worker_stays(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    seen = _events(engine)
    (bad,) = engine.submit("gltest_basic.misbehave", {"how": "raise"})
    (good,) = engine.submit("gltest_basic.echo", {"prompt": "after"})
    bad, good = engine.wait([bad.id, good.id], timeout=60)
    assert bad.state == "failed"
    assert bad.error.startswith("RuntimeError: the generator broke on purpose")
    assert "Traceback" in bad.error
    assert good.state == "done"
    assert len(seen["workers"]) == 1


def test_worker_that_exits_fails_the_job_and_a_new_worker_runs_the_next(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    seen = _events(engine)
    (crash,) = engine.submit("gltest_basic.misbehave", {"how": "exit"})
    (after,) = engine.submit("gltest_basic.echo", {"prompt": "after"})
    crash, after = engine.wait([crash.id, after.id], timeout=90)
    assert crash.state == "failed"
    assert "worker process crashed" in crash.error
    assert "exited with code 3" in crash.error
    assert "worker going down on purpose" in crash.error
    assert after.state == "done"
    assert len(seen["workers"]) == 2 and seen["workers"][0] != seen["workers"][1]


def test_hung_worker_is_killed_after_the_stall_timeout(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins, stall_timeout_s=2.0)
    (hang,) = engine.submit("gltest_basic.misbehave", {"how": "hang"})
    (after,) = engine.submit("gltest_basic.echo", {"prompt": "after"})
    hang, after = engine.wait([hang.id, after.id], timeout=90)
    assert hang.state == "failed"
    assert "stalled: the generator reported no progress for 2 s" in hang.error
    assert after.state == "done"


def test_cancel_ignored_by_a_hung_job_restarts_the_worker(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins, cancel_grace_s=1.0)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (hang,) = engine.submit("gltest_basic.misbehave", {"how": "hang"})
    assert started.wait(60)
    engine.cancel(hang.id)
    (hang,) = engine.wait([hang.id], timeout=30)
    assert hang.state == "cancelled"
    assert "did not stop within 1 s" in hang.error
    (after,) = engine.submit("gltest_basic.echo", {"prompt": "after"})
    assert engine.wait([after.id], timeout=60)[0].state == "done"


def test_plugin_printing_to_stdout_does_not_break_the_protocol(fixture_plugins, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    (job,) = engine.submit("gltest_basic.misbehave", {"how": "print"})
    assert engine.wait([job.id], timeout=60)[0].state == "done"


def test_loaded_generator_is_reused_between_jobs(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    jobs = engine.submit("gltest_basic.echo", {"prompt": "x"}, count=2)
    done = engine.wait([j.id for j in jobs], timeout=60)
    assert [genloom_project.get_asset(j.asset_ids[0]).metadata["loads"] for j in done] == [1, 1]


def test_queue_survives_a_restart_and_runs_in_the_stored_order(fixture_plugins, genloom_project):
    from genloom.core.project import Project

    engine = Engine(genloom_project, fixture_plugins)
    jobs = [engine.submit("gltest_basic.echo", {"prompt": f"job {i}"}, seed=i)[0] for i in range(3)]
    genloom_project.jobs.move(jobs[2].id, 0)
    genloom_project.close()

    reopened = Project.open(genloom_project.path)
    engine = Engine(reopened, fixture_plugins)
    seen = _events(engine)
    engine.start()
    try:
        done = engine.wait([j.id for j in jobs], timeout=60)
    finally:
        engine.stop()
    assert [j.state for j in done] == ["done"] * 3
    assert seen["started"] == [jobs[2].id, jobs[0].id, jobs[1].id]


def test_job_left_running_by_a_dead_process_is_run_again(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "orphan"})
    genloom_project.jobs.claim_next("a-process-that-died")
    time.sleep(1.1)
    engine.orphan_after_s = 1.0
    engine.start()
    try:
        (job,) = engine.wait([job.id], timeout=60)
    finally:
        engine.stop()
    assert job.state == "done"
    assert job.attempts == 2


def test_retry_and_rerun(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    (failed,) = engine.submit("gltest_basic.misbehave", {"how": "raise"})
    engine.wait([failed.id], timeout=60)
    retried = engine.retry(failed.id)
    assert retried.retry_of == failed.id
    assert engine.wait([retried.id], timeout=60)[0].state == "failed"

    (original,) = engine.submit("gltest_basic.pixels", {"width": 24, "height": 16}, seed=42)
    original = engine.wait([original.id], timeout=60)[0]
    asset_id = original.asset_ids[0]
    same = engine.rerun(asset_id)
    vary = engine.rerun(asset_id, new_seed=True)
    same, vary = engine.wait([same.id, vary.id], timeout=60)
    assert same.seed == 42 and same.rerun_of == asset_id
    assert _file_hash(genloom_project, same.asset_ids[0]) == _file_hash(genloom_project, asset_id)
    assert _file_hash(genloom_project, vary.asset_ids[0]) != _file_hash(genloom_project, asset_id)
    assert [p.id for p in genloom_project.parents(same.asset_ids[0])] == [asset_id]


def test_job_for_a_generator_that_disappeared_fails_with_the_reason(fixture_plugins, genloom_project,
                                                                    genloom_plugins, genloom_engine):
    Engine(genloom_project, fixture_plugins).submit("gltest_basic.echo", {"prompt": "x"})
    without = genloom_plugins(dirs=[], modules=[])
    engine = genloom_engine(without)
    job = genloom_project.jobs.list()[0]
    (job,) = engine.wait([job.id], timeout=30)
    assert job.state == "failed"
    assert "generator 'gltest_basic.echo' is not available" in job.error


def test_settings_validation_names_the_key():
    with pytest.raises(ValueError, match="stall_timeout_s: 0"):
        Settings(stall_timeout_s=0).validate()


def test_stopping_with_requeue_puts_the_running_job_back_in_the_queue(fixture_plugins, genloom_project):
    engine = Engine(genloom_project, fixture_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "long", "steps": 50, "delay": 0.1}, seed=1)
    engine.start()
    assert started.wait(60)
    engine.stop(requeue_running=True)
    job = genloom_project.jobs.get(job.id)
    assert (job.state, job.attempts, job.owner) == ("queued", 0, "")
    assert genloom_project.count_assets() == 0

    again = Engine(genloom_project, fixture_plugins)
    again.start()
    try:
        (job,) = again.wait([job.id], timeout=60)
    finally:
        again.stop()
    assert job.state == "done"


def test_cancelled_job_records_its_partial_assets(fixture_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(fixture_plugins)
    started = threading.Event()
    engine.events.job_progress.connect(lambda e: started.set())
    (job,) = engine.submit("gltest_basic.echo", {"prompt": "start", "steps": 50, "delay": 0.1}, seed=1)
    assert started.wait(60)
    engine.cancel(job.id)
    (job,) = engine.wait([job.id], timeout=30)
    assert job.state == "cancelled"
    assert [a.id for a in genloom_project.list_assets(tag="partial")] == list(job.asset_ids)
