"""The worker's generator cache: a memory budget with LRU eviction, and recovery from out-of-memory."""

from __future__ import annotations

import io
import os

import pytest

from genloom.core.jobs.protocol import FrameWriter, read_frame
from genloom.core.jobs.worker import Worker
from genloom.core.settings import Settings, SettingsError
from genloom.sdk.models import ModelRef
from tests.core.models.conftest import MODEL_PLUGINS


def _worker(plugins, budget_mb: int, max_loaded: int = 10) -> tuple[Worker, io.BytesIO]:
    stream = io.BytesIO()
    worker = Worker(FrameWriter(stream))
    worker.plugins, worker.max_loaded, worker.memory_budget_mb = plugins, max_loaded, budget_mb
    return worker, stream


def _job(job_id: int, generator: str, tmp_path, model: ModelRef | None = None, **params) -> dict:
    return {"job_id": job_id, "generator_id": generator, "params": params, "seed": 0, "device": "cpu",
            "output_dir": str(tmp_path / f"out-{job_id}"), "model": model.to_dict() if model else None}


def _events(stream: io.BytesIO) -> list[dict]:
    stream.seek(0)
    events = []
    while True:
        try:
            message, _ = read_frame(stream)
        except (EOFError, ValueError):
            return events
        events.append(message)


def _loaded(worker: Worker) -> list[str]:
    return [key[1] for key in worker.cache]


def test_generators_beyond_the_memory_budget_are_unloaded_least_recently_used_first(model_plugins, tmp_path):
    worker, _ = _worker(model_plugins, budget_mb=10)
    for job_id, name in enumerate("abc", start=1):
        worker.run_job(_job(job_id, "glmodels.hog", tmp_path, ModelRef(id="mb-4", hash=name)))
    # 3 x 4 MB of parameters do not fit 10 MB: the first one loaded went.
    assert _loaded(worker) == ["b", "c"]
    assert worker.footprints[next(iter(worker.cache))] == 4 * 1024 * 1024
    worker.run_job(_job(4, "glmodels.hog", tmp_path, ModelRef(id="mb-4", hash="b")))  # used again
    worker.run_job(_job(5, "glmodels.hog", tmp_path, ModelRef(id="mb-4", hash="d")))
    assert _loaded(worker) == ["b", "d"]  # c was the least recently used
    assert worker.cached_bytes("cpu") <= 10 * 1024 * 1024


def test_a_generator_bigger_than_the_budget_still_runs_alone(model_plugins, tmp_path):
    worker, stream = _worker(model_plugins, budget_mb=2)
    worker.run_job(_job(1, "glmodels.hog", tmp_path, ModelRef(id="mb-1", hash="small")))
    worker.run_job(_job(2, "glmodels.hog", tmp_path, ModelRef(id="mb-4", hash="big")))
    assert _loaded(worker) == ["big"]
    assert [e["ev"] for e in _events(stream) if e["ev"] in ("done", "failed")] == ["done", "done"]


def test_without_torch_modules_the_model_files_size_is_the_footprint(model_plugins, tmp_path):
    worker, _ = _worker(model_plugins, budget_mb=1)
    models = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(os.urandom(700 * 1024))
        models.append(ModelRef(id=name, path=str(path), hash=name))
    worker.run_job(_job(1, "glmodels.text", tmp_path, models[0]))
    assert worker.footprints[next(iter(worker.cache))] == 700 * 1024
    worker.run_job(_job(2, "glmodels.text", tmp_path, models[1]))
    # Room was made before loading b: a (700 KB) + b (700 KB) would exceed 1 MB.
    assert _loaded(worker) == ["b"]


def test_the_count_limit_still_applies(model_plugins, tmp_path):
    worker, _ = _worker(model_plugins, budget_mb=1000, max_loaded=1)
    worker.run_job(_job(1, "glmodels.hog", tmp_path, ModelRef(id="mb-1", hash="x")))
    worker.run_job(_job(2, "glmodels.hog", tmp_path, ModelRef(id="mb-1", hash="y")))
    assert _loaded(worker) == ["y"]


@pytest.mark.parametrize("error", ["cpu", "cuda"])
def test_out_of_memory_fails_the_job_with_the_fix_and_the_worker_carries_on(model_plugins, tmp_path, error):
    worker, stream = _worker(model_plugins, budget_mb=100)
    worker.run_job(_job(1, "glmodels.hog", tmp_path, ModelRef(id="mb-1", hash="x")))
    worker.run_job(_job(2, "glmodels.oom", tmp_path, error=error))
    assert worker.cache == {} and worker.footprints == {}  # everything unloaded to recover
    worker.run_job(_job(3, "glmodels.hog", tmp_path, ModelRef(id="mb-1", hash="x")))
    finals = {e["job_id"]: e for e in _events(stream) if e["ev"] in ("done", "failed")}
    assert finals[1]["ev"] == "done" and finals[3]["ev"] == "done"
    assert finals[2]["ev"] == "failed" and finals[2]["kind"] == "out_of_memory"
    for fix in ("smaller size", "CPU offload", "another device"):
        assert fix in finals[2]["error"]


def test_the_budget_comes_from_init_or_from_settings(model_plugins, genloom_home):
    Settings(model_memory_budget_mb=1234).save()
    for message, expected in (({}, 1234), ({"memory_budget_mb": 77}, 77)):
        stream = io.BytesIO()
        worker = Worker(FrameWriter(stream))
        worker.commands.put({"op": "init", "plugins": model_plugins.config.to_dict(), "max_loaded": 3, **message})
        worker.commands.put({"op": "shutdown"})
        worker.serve()
        assert (worker.memory_budget_mb, worker.max_loaded) == (expected, 3)


def test_a_negative_budget_is_a_settings_error():
    with pytest.raises(SettingsError, match="model_memory_budget_mb: -1 is negative"):
        Settings(model_memory_budget_mb=-1).validate()


def test_an_out_of_memory_job_through_the_engine_fails_clearly_and_the_next_job_runs(genloom_plugins,
                                                                                     genloom_engine):
    plugins = genloom_plugins(dirs=[MODEL_PLUGINS])
    engine = genloom_engine(plugins)
    pids = []
    engine.events.worker_started.connect(pids.append)
    (oom,) = engine.submit("glmodels.oom", {"error": "cuda"})
    (oom,) = engine.wait([oom.id], timeout=120)
    (after,) = engine.submit("glmodels.text", {})
    (after,) = engine.wait([after.id], timeout=120)
    assert oom.state == "failed" and "out of memory" in oom.error and "CPU offload" in oom.error
    assert after.state == "done", after.error
    assert len(pids) == 1  # the same worker process recovered; no restart
