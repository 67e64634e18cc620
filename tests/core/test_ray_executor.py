"""The Ray executor on a local Ray head (127.0.0.1, two worker processes): a batch of
procedural and bundled-model jobs, one worker killed mid-batch, every job done once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import pytest

from genloom.core.plugins import PluginConfig, PluginManager
from genloom.core.settings import Settings

ray = pytest.importorskip("ray", reason="the Ray executor's test needs the 'ray' extra "
                                        "(pip install 'genloom[ray]'); CI installs it")


@pytest.fixture
def ray_head(genloom_home):
    """A private Ray head on 127.0.0.1: two CPUs (two actors), a small object store, no dashboard.
    Started after GENLOOM_HOME is set, so its worker processes write only there."""
    ray.init(runtime_env={"env_vars": {"GENLOOM_HOME": str(genloom_home)}}, num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=200 * 1024 * 1024, log_to_driver=False)
    yield
    ray.shutdown()


def _pixels(path):
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def _recipe_without_run_details(recipe):
    return {k: v for k, v in recipe.items() if k not in ("job_id", "batch", "made")}


def test_a_batch_on_ray_survives_a_killed_worker_and_every_job_is_done_once(ray_head, genloom_project):
    from genloom.core.jobs.ray_executor import RayEngine

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    engine = RayEngine(genloom_project, plugins, Settings(device="cpu"), workers=2).start()
    try:
        workers = engine.workers()
        assert len(workers) == 2
        jobs = engine.submit("procedural.pattern", {"width": 64, "height": 64, "octaves": 3}, seed=1, count=12)
        jobs += engine.submit("procedural.tones", {"duration": 0.5}, seed=50, count=4)
        jobs += engine.submit("image.text_to_image", {"prompt": "red heart", "steps": 2}, seed=7, count=4)
        assert len(jobs) == 20
        ids = [j.id for j in jobs]
        # Kill a worker process while it runs a job, once a few jobs are done.
        deadline = time.monotonic() + 600
        victim = None
        while victim is None and time.monotonic() < deadline:
            done = sum(genloom_project.jobs.get(j).state == "done" for j in ids)
            busy = [(pid, job) for pid, job in engine.workers() if pid and job is not None]
            if done >= 3 and busy:
                victim = busy[0]
                os.kill(victim[0], signal.SIGKILL)
            time.sleep(0.05)
        assert victim is not None, "no worker was busy to kill"
        finished = engine.wait(ids, timeout=900)
    finally:
        engine.stop()
    assert [j.state for j in finished] == ["done"] * 20, [(j.id, j.state, j.error) for j in finished]
    killed_job = genloom_project.jobs.get(victim[1])
    assert killed_job.state == "done"  # it went back to the queue and ran again
    # Exactly once: one asset per job, none made twice.
    assets = [a for a in genloom_project.list_assets(limit=100)]
    assert len(assets) == 20
    assert Counter(a.job_id for a in assets) == Counter(ids)
    assert sorted(a for j in finished for a in j.asset_ids) == sorted(a.id for a in assets)
    assert len({a.hash for a in assets if a.kind == "image" and a.generator_id == "procedural.pattern"}) == 12
    # The killed worker was replaced by a new process.
    assert victim[0] not in [pid for pid, _ in engine.workers()]
    # Recipes are those of a local run: compare one of each generator with the local engine.
    from genloom.core.jobs.engine import Engine

    local = Engine(genloom_project, plugins, Settings(device="cpu")).start()
    try:
        again = local.submit("procedural.pattern", {"width": 64, "height": 64, "octaves": 3}, seed=1)
        again += local.submit("image.text_to_image", {"prompt": "red heart", "steps": 2}, seed=7)
        again = local.wait([j.id for j in again], timeout=600)
    finally:
        local.stop()
    for job in again:
        local_asset = genloom_project.get_asset(job.asset_ids[0])
        (ray_asset,) = [a for a in assets if a.generator_id == job.generator_id
                        and a.recipe["seed"] == job.seed]
        assert _recipe_without_run_details(ray_asset.recipe) == _recipe_without_run_details(local_asset.recipe)
        if job.generator_id == "procedural.pattern":
            assert ray_asset.hash == local_asset.hash  # NumPy alone: the same bytes anywhere
        else:
            # The same picture: a Ray actor runs torch with its num_cpus threads (1 here) and the
            # local worker with the machine's, and float sums split across threads round
            # differently (about 1e-6), which may move a pixel by one level of 255.
            ray_pixels, local_pixels = (_pixels(genloom_project.asset_path(a)) for a in (ray_asset, local_asset))
            assert ray_pixels.shape == local_pixels.shape
            assert abs(ray_pixels - local_pixels).max() <= 1
            assert (ray_pixels != local_pixels).mean() < 0.01


def test_generate_with_the_ray_executor_on_a_private_local_cluster(genloom_home, tmp_path):
    """The command line's --executor ray --address local: a Ray of its own on 127.0.0.1."""
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "genloom.cli.main", "generate", "procedural.pattern", "--seed", "3",
         "--count", "3", "--set", "width=64", "--set", "height=64", "--executor", "ray", "--address", "local",
         "--project", str(tmp_path / "p"), "--json", "--quiet"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "GENLOOM_HOME": str(genloom_home)})
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = json.loads(result.stdout)["jobs"]
    assert [j["state"] for j in jobs] == ["done"] * 3
    assert [j["assets"][0]["generator"] for j in jobs] == ["procedural.pattern"] * 3
    assert len({j["assets"][0]["hash"] for j in jobs}) == 3


def test_a_job_asks_ray_for_a_gpu_only_when_its_device_needs_one():
    from genloom.core.jobs.ray_executor import gpus_for

    assert gpus_for("cpu", cluster_gpus=4) == 0
    assert gpus_for("mps", cluster_gpus=4) == 0
    assert gpus_for("cuda", cluster_gpus=4) == 1
    assert gpus_for("cuda:1", cluster_gpus=0) == 1
    assert gpus_for("auto", cluster_gpus=2) == 1
    assert gpus_for("auto", cluster_gpus=0) == 0
    assert gpus_for("auto", cluster_gpus=2, per_job=0.5) == 0.5


def test_a_cuda_job_on_a_cluster_without_gpus_fails_with_the_reason(ray_head, genloom_project):
    from genloom.core.jobs.ray_executor import RayEngine

    plugins = PluginManager(PluginConfig.from_settings(Settings())).load()
    engine = RayEngine(genloom_project, plugins, Settings(device="cpu"), workers=1).start()
    try:
        (job,) = engine.submit("procedural.pattern", {"width": 64, "height": 64}, seed=1, device="cuda")
        (job,) = engine.wait([job.id], timeout=300)
    finally:
        engine.stop()
    assert job.state == "failed"
    assert "needs a GPU, and the Ray cluster has 0" in job.error
