"""The local API's cost per request, and batch throughput on Ray against the local worker.

Run it with ``python -m tests.benchmarks api``. Each figure is beside a baseline measured
in the same run:

- *API overhead*: ``POST /api/jobs`` (queue one ``procedural.pattern`` job) over loopback
  HTTP on one kept-alive connection (the standard library's ``http.client``, the leanest
  client, so the figure is the server's cost; ``httpx`` adds about 2 ms of its own per
  request here, shown as a third line), against ``Engine.submit`` of the same job in this
  process; and ``GET /api/jobs/ID`` against ``project.jobs.get``. The two are called in
  turn, so the machine's changing load weighs on both alike. The engine is not
  started, so the jobs only queue: what is timed is the request, not generation. The
  difference is the API's overhead per request (goal: under 5 ms, shown as the ratio
  (baseline + 5 ms) / baseline). ``GENLOOM_BENCH_REQUESTS``
  requests each (default 300), medians.
- *Ray throughput* (needs the ``ray`` extra; skipped without it): a batch of
  ``GENLOOM_BENCH_JOBS`` (default 20) ``procedural.pattern`` jobs of 512x512 pixels through
  the Ray executor with 2 local worker processes (``ray.init(num_cpus=2)``, 127.0.0.1, no
  dashboard), against the same jobs on the local worker, from submit until every job is
  stored. Each executor runs one warm-up job first, so worker start-up is not counted.
  Goal: Ray no slower than the local worker (ratio at most 1).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

REQUESTS = int(os.environ.get("GENLOOM_BENCH_REQUESTS", "300"))
JOBS = int(os.environ.get("GENLOOM_BENCH_JOBS", "20"))
SMALL = {"width": 64, "height": 64, "octaves": 2}
LARGE = {"width": 512, "height": 512, "octaves": 6}
#: The API's goal: at most this much more per request than the same call in-process.
OVERHEAD_GOAL_S = 0.005


def _median_of(fn: Any, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _within(baseline: float, extra: float) -> float:
    """The ratio goal that means "at most ``extra`` seconds more than ``baseline``"."""
    return (baseline + extra) / baseline if baseline > 0 else float("inf")


def _paired(first: Any, second: Any, n: int) -> tuple[float, float]:
    """Medians of ``first`` and ``second`` called in turn (the order alternating), so a
    shared machine's changing load weighs on both alike."""
    a, b = [], []
    for index in range(n):
        for fn, times in ((first, a), (second, b)) if index % 2 == 0 else ((second, b), (first, a)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def _plugins() -> Any:
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.settings import Settings

    return PluginManager(PluginConfig.from_settings(Settings())).load()


def bench_overhead(folder: Path) -> list[dict]:
    import httpx

    from genloom.api.server import ApiServer
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Project
    from genloom.core.serving.limits import ApiLimits
    from genloom.core.settings import Settings

    project = Project.create(folder / "overhead")
    engine = Engine(project, _plugins(), Settings(device="cpu"))  # not started: jobs only queue
    # The per-client limit is raised so the timed requests can queue: every request still
    # counts the client's unfinished jobs (hundreds here, a worst case; at most 32 by default).
    server = ApiServer(engine, "127.0.0.1", 0, limits=ApiLimits(max_queued_per_client=10 * REQUESTS)).start()
    results = []
    try:
        host, port = server.address
        connection = http.client.HTTPConnection(host, port)
        headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
        body = json.dumps({"generator": "procedural.pattern", "params": SMALL, "seed": 1})

        def call(method: str, path: str, payload: str | None = None) -> None:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(f"{method} {path}: HTTP {response.status}")

        for _ in range(20):  # warm up both paths (connections, imports, caches)
            call("POST", "/api/jobs", body)
            engine.submit("procedural.pattern", SMALL, seed=1)
        job_id = engine.submit("procedural.pattern", SMALL, seed=1)[0].id
        http_submit, direct_submit = _paired(lambda: call("POST", "/api/jobs", body),
                                             lambda: engine.submit("procedural.pattern", SMALL, seed=1),
                                             REQUESTS)
        results.append(report("API: POST /api/jobs (queue a job)", http_submit,
                              "Engine.submit in-process", direct_submit,
                              f"overhead {1000 * (http_submit - direct_submit):.2f} ms per request",
                              goal=_within(direct_submit, OVERHEAD_GOAL_S)))
        http_get, direct_get = _paired(lambda: call("GET", f"/api/jobs/{job_id}"),
                                       lambda: project.jobs.get(job_id), REQUESTS)
        results.append(report("API: GET /api/jobs/ID", http_get, "project.jobs.get in-process", direct_get,
                              f"overhead {1000 * (http_get - direct_get):.2f} ms per request",
                              goal=_within(direct_get, OVERHEAD_GOAL_S)))
        connection.close()
        client = httpx.Client(base_url=server.url, headers=headers)
        client.get(f"/api/jobs/{job_id}")
        httpx_get = _median_of(lambda: client.get(f"/api/jobs/{job_id}").raise_for_status(), REQUESTS)
        results.append(report("API: GET /api/jobs/ID with httpx", httpx_get, "project.jobs.get in-process",
                              direct_get, f"overhead {1000 * (httpx_get - direct_get):.2f} ms per request, "
                                          "the client's included"))
        client.close()
    finally:
        server.stop()
        engine.stop()
        project.close()
    return results


def _batch(engine: Any) -> float:
    (warm,) = engine.submit("procedural.pattern", SMALL, seed=0)
    engine.wait([warm.id], timeout=600)
    start = time.perf_counter()
    jobs = engine.submit("procedural.pattern", LARGE, seed=100, count=JOBS)
    done = engine.wait([j.id for j in jobs], timeout=3600)
    seconds = time.perf_counter() - start
    bad = [j for j in done if j.state != "done"]
    if bad:
        raise RuntimeError(f"{len(bad)} jobs did not finish: {bad[0].error}")
    return seconds


def bench_ray(folder: Path) -> list[dict]:
    try:
        import ray
    except ImportError:
        print("Ray throughput: skipped (the 'ray' extra is not installed: pip install 'genloom[ray]')")
        return []
    from genloom.core.jobs.engine import Engine
    from genloom.core.jobs.ray_executor import RayEngine
    from genloom.core.project import Project
    from genloom.core.settings import Settings

    plugins = _plugins()
    settings = Settings(device="cpu")
    local_project = Project.create(folder / "local")
    local = Engine(local_project, plugins, settings).start()
    try:
        local_s = _batch(local)
    finally:
        local.stop()
        local_project.close()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=200 * 1024 * 1024, log_to_driver=False,
             runtime_env={"env_vars": {k: v for k, v in os.environ.items() if k == "GENLOOM_HOME"}})
    ray_project = Project.create(folder / "ray")
    remote = RayEngine(ray_project, plugins, settings, workers=2).start()
    try:
        ray_s = _batch(remote)
    finally:
        remote.stop()
        ray_project.close()
        ray.shutdown()
    return [report(f"Ray, 2 local workers: {JOBS} jobs", ray_s, "the local worker, same jobs", local_s,
                   f"{JOBS / ray_s:.2f} vs {JOBS / local_s:.2f} jobs/s; {os.cpu_count()} CPUs here",
                   goal=1.0)]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="genloom-bench-api-") as tmp:
        os.environ.setdefault("GENLOOM_HOME", str(Path(tmp) / "home"))
        print(f"{REQUESTS} requests per figure; {JOBS} jobs per batch", flush=True)
        bench_overhead(Path(tmp))
        bench_ray(Path(tmp))


if __name__ == "__main__":
    main()
