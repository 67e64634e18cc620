"""The Ray executor: a project's jobs run on a Ray cluster instead of the local worker.

:class:`RayEngine` is an :class:`~genloom.core.jobs.engine.Engine` (same submit, cancel,
wait, events, same storing of results and recipes) whose jobs go to a pool of Ray actors,
each a :class:`~genloom.core.jobs.ray_actor.RemoteWorker` that keeps its models loaded
between jobs. One thread per actor ("slot") claims a job from the project's queue, sends
the request, polls progress, heartbeats the job's lease and stores the outputs:

- the project database stays on this machine and is the single source of truth; only
  the job request (with its input files) goes out and only events and output files
  come back;
- a result is stored only while this engine holds the job's lease
  (``store_job_results`` checks the owner), so a job is never stored twice;
- an actor that dies (its process killed, its node lost) puts its job back in the queue
  at its old place and the slot starts a new actor; a job that loses its actor
  :data:`MAX_LOSSES` times is failed (it may be what kills it);
- recipes are built here from the job and the actor's device, dtype and library
  versions, exactly as for a local run.

Ray is the optional ``ray`` extra, imported only when a RayEngine starts.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from genloom.core.jobs.engine import HEARTBEAT_EVERY_S, Engine, ProgressEvent, _is_busy
from genloom.core.project.errors import JobStateError, ProjectError
from genloom.core.project.scratch import job_folder_name
from genloom.core.settings import Settings
from genloom.sdk.errors import GenloomError
from genloom.sdk.run import Progress

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Job, Project

#: Times a job may lose its actor (a node lost, a process killed) before it is failed.
MAX_LOSSES = 3
#: How often a slot asks its actor for progress, in seconds.
POLL_EVERY_S = 0.1
#: How long an actor may take to start (a busy cluster may have to free resources first).
ACTOR_START_S = 600.0
#: A private cluster started on this machine ("local") gets this much object store.
LOCAL_OBJECT_STORE_BYTES = 200 * 1024 * 1024


class RayUnavailable(GenloomError):
    """Ray is not installed, or the cluster cannot be reached."""


def require_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayUnavailable("the ray executor needs the 'ray' extra (Ray is not installed); install it "
                             "with: pip install 'genloom[ray]'") from None
    return ray


def connect(address: str) -> bool:
    """Connect to the Ray cluster at ``address``; returns True when this call started Ray.

    ``""`` uses a Ray already initialised in this process (or fails); ``"local"`` starts a
    private cluster on this machine bound to 127.0.0.1 with no dashboard; anything else is
    a cluster's address (``HOST:PORT`` or ``ray://HOST:PORT``).
    """
    ray = require_ray()
    if ray.is_initialized():
        return False
    try:
        if address == "local":
            ray.init(include_dashboard=False, _node_ip_address="127.0.0.1",
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, log_to_driver=False)
        elif address:
            ray.init(address=address, log_to_driver=False)
        else:
            raise RayUnavailable("no Ray cluster to use: give its address (HOST:PORT), or 'local' for a "
                                 "private one on this machine")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address!r}: {exc}") from None
    return True


def gpus_for(device: str, cluster_gpus: float, per_job: float = 1.0) -> float:
    """The GPUs a job on ``device`` asks Ray for: ``per_job`` for CUDA (and for ``auto`` on
    a cluster with GPUs), none for the CPU (and Apple's MPS, which Ray does not schedule)."""
    if device.startswith("cuda") or (device == "auto" and cluster_gpus >= per_job > 0):
        return per_job
    return 0.0


class RayEngine(Engine):
    """An engine whose jobs run on Ray actors: ``workers`` of them at once (default: one
    per GPU of the cluster, at least two), each with ``num_cpus`` CPUs and, for a job that
    needs one (see :func:`gpus_for`), ``num_gpus`` GPUs."""

    def __init__(self, project: Project, plugins: PluginManager, settings: Settings | None = None, *,
                 scope: Collection[int] | None = None, address: str = "", workers: int | None = None,
                 num_cpus: float = 1.0, num_gpus: float | None = None) -> None:
        super().__init__(project, plugins, settings, scope=scope)
        self.address = address
        self.workers_wanted = workers
        self.num_cpus = num_cpus
        self.num_gpus = 1.0 if num_gpus is None else num_gpus
        self.cluster_gpus = 0.0
        self._actor_class: Any = None
        self._started_ray = False
        self._slots: list[_Slot] = []
        self._losses: dict[int, int] = {}

    # -- running -----------------------------------------------------------------

    def start(self) -> RayEngine:
        if self._slots:
            return self
        ray = require_ray()
        self._started_ray = connect(self.address)
        self.cluster_gpus = float(ray.cluster_resources().get("GPU", 0))
        count = self.workers_wanted or max(2, int(self.cluster_gpus))
        from genloom.core.jobs.ray_actor import RemoteWorker

        self._actor_class = ray.remote(RemoteWorker)
        self._stop.clear()
        self._slots = [_Slot(self, index) for index in range(count)]
        for slot in self._slots:
            slot.start()
        self._thread = threading.Thread(target=self._recover, name="genloom-ray-recovery", daemon=True)
        self._thread.start()
        return self

    def _recover(self) -> None:
        """Requeue jobs whose engine died (as the local engine's loop does)."""
        while not self._stop.wait(self.orphan_after_s / 2):
            try:
                self.project.jobs.recover_orphans(stale_after=self.orphan_after_s)
            except sqlite3.OperationalError:
                pass

    def stop(self, timeout: float = 30.0, *, requeue_running: bool = False) -> None:
        self._requeue_on_stop = requeue_running
        self._stop.set()
        self._wake.set()
        for slot in self._slots:
            slot.cancel_running()
        for slot in self._slots:
            slot.join(timeout)
        for slot in self._slots:
            slot.kill_actor()
        self._slots = []
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._started_ray:
            require_ray().shutdown()
            self._started_ray = False
        if self._library is not None:
            self._library.close()
            self._library = None

    def new_actor(self, gpus: float) -> Any:
        """A Ray actor holding a worker, asking for ``gpus`` GPUs."""
        return self._actor_class.options(num_cpus=self.num_cpus, num_gpus=gpus, max_concurrency=4,
                                         max_restarts=0).remote(self.worker_init())

    def gpus_for(self, job: Job) -> float:
        return gpus_for(job.device or "auto", self.cluster_gpus, self.num_gpus)

    def workers(self) -> list[tuple[int | None, int | None]]:
        """Each actor's process id (None while it starts) and the job it runs (None when idle)."""
        return [(slot.pid, slot.job_id) for slot in self._slots]

    # -- one job ---------------------------------------------------------------------

    def _request(self, job: Job) -> dict[str, Any]:
        """The job as it crosses the wire: the request and its input files' bytes."""
        inputs = {}
        for role, asset_id in job.inputs.items():
            asset = self.project.get_asset(asset_id)
            path = self.project.verified_path(asset)
            inputs[role] = {"asset_id": asset.id, "kind": asset.kind, "metadata": asset.metadata,
                            "suffix": path.suffix, "data": path.read_bytes()}
        return {"job_id": job.id, "generator_id": job.generator_id, "params": job.params,
                "seed": job.seed, "seeds": list(job.seeds), "inputs": inputs, "model": job.model,
                "device": job.device}

    def _lost(self, job: Job, why: str) -> None:
        """The job's actor died: back to the queue, or failed after MAX_LOSSES."""
        losses = self._losses[job.id] = self._losses.get(job.id, 0) + 1
        if losses >= MAX_LOSSES:
            self._fail(job.id, f"the Ray worker running this job was lost {losses} times ({why}); "
                               "not tried again")
            return
        try:
            self._retry_busy(lambda: self.project.jobs.release(job.id, self.owner))
        except JobStateError:
            pass  # cancelled or taken over meanwhile
        self._wake.set()

    def _finish_remote(self, job: Job, result: dict[str, Any], started: float) -> None:
        """Store what the actor returned, through the same checks as a local run."""
        del started
        spec = self.plugins.generator(job.generator_id)
        ev = result.get("ev")
        if ev == "failed":
            self._fail(job.id, result.get("error", "failed"), traceback=result.get("traceback", ""))
            return
        scratch = self.project.tmp_dir() / job_folder_name(job.id, uuid.uuid4().hex[:8])
        scratch.mkdir(parents=True, exist_ok=True)
        try:
            outputs = []
            for index, item in enumerate(result.get("outputs") or []):
                suffix = item.get("suffix", "")
                if not (isinstance(suffix, str) and (suffix == "" or (suffix.startswith(".")
                                                                      and suffix[1:].isalnum()))):
                    self._fail(job.id, f"the generator's results were refused: suffix {suffix!r:.20} "
                                       "is not a file suffix")
                    return
                path = scratch / f"output-{index}{suffix}"
                data = item.get("data")
                if not isinstance(data, bytes):
                    self._fail(job.id, "the generator's results were refused: an output came without its file")
                    return
                path.write_bytes(data)
                outputs.append({k: v for k, v in item.items() if k != "data"} | {"path": str(path)})
            message = dict(result, outputs=outputs)
            cancelled = ev == "cancelled"
            if cancelled and self._release_if_stopping(job.id):
                return
            self._store(job, spec, message, scratch, cancelled=cancelled)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class _Slot:
    """One actor and the thread that feeds it jobs."""

    def __init__(self, engine: RayEngine, index: int) -> None:
        self.engine = engine
        self.index = index
        self.actor: Any = None
        #: The GPUs the actor asked for; a job that needs another number gets a new actor.
        self.actor_gpus = 0.0
        self.pid: int | None = None
        self.job_id: int | None = None
        self._cancel_sent = False
        self.thread = threading.Thread(target=self._loop, name=f"genloom-ray-{index}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)

    def _ensure_actor(self, gpus: float) -> Any:
        ray = require_ray()
        if self.actor is not None and self.actor_gpus != gpus:
            self.kill_actor()  # its resources go back to the cluster for the new one
        if self.actor is None:
            self.actor = self.engine.new_actor(gpus)
            self.actor_gpus = gpus
            self.pid = ray.get(self.actor.pid.remote(), timeout=ACTOR_START_S)
            self.engine.events.worker_started.emit(self.pid)
        return self.actor

    def kill_actor(self) -> None:
        if self.actor is not None:
            try:
                require_ray().kill(self.actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
            self.actor = None
            self.pid = None

    def cancel_running(self) -> None:
        if self.actor is not None and self.job_id is not None:
            try:
                self.actor.cancel.remote(self.job_id)
            except Exception:  # noqa: BLE001 - the actor is gone: nothing runs
                pass

    def _loop(self) -> None:
        engine = self.engine
        ray = require_ray()
        from ray.exceptions import GetTimeoutError, RayActorError, WorkerCrashedError

        lost = (RayActorError, WorkerCrashedError)
        while not engine._stop.is_set():
            try:
                job = engine.project.jobs.claim_next(engine.owner, engine._scope)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                engine._wake.wait(timeout=0.5)
                continue
            if job is None:
                engine.events.idle.emit()
                engine._wake.wait(timeout=1.0)
                engine._wake.clear()
                continue
            gpus = engine.gpus_for(job)
            if gpus > engine.cluster_gpus:
                engine._fail(job.id, f"the job runs on {job.device!r}, which needs a GPU, and the Ray "
                                     f"cluster has {engine.cluster_gpus:g}; run it on device cpu, or add "
                                     "GPU nodes to the cluster")
                continue
            try:
                actor = self._ensure_actor(gpus)
            except (*lost, GetTimeoutError) as exc:
                self.kill_actor()
                engine.events.worker_stopped.emit(f"a Ray worker did not start: {exc}")
                engine._lost(job, f"its worker did not start: {type(exc).__name__}")
                engine._stop.wait(2.0)
                continue
            self.job_id = job.id
            self._cancel_sent = False
            try:
                self._run(job, actor, ray, lost, GetTimeoutError)
            except (ProjectError, OSError, LookupError) as exc:
                engine._fail(job.id, f"an input asset is not available: {exc}")
            except Exception as exc:  # noqa: BLE001 - a slot must not die with a job
                try:
                    engine._fail(job.id, f"internal error while running the job on Ray: "
                                         f"{type(exc).__name__}: {exc}")
                except Exception:  # noqa: BLE001
                    pass
            finally:
                self.job_id = None

    def _run(self, job: Job, actor: Any, ray: Any, lost: tuple[type[BaseException], ...],
             timeout_error: type[BaseException]) -> None:
        engine = self.engine
        request = engine._request(job)
        engine.events.job_started.emit(engine.project.jobs.get(job.id))
        started = time.monotonic()
        result_ref = actor.run.remote(request)
        last_beat = 0.0
        while True:
            now = time.monotonic()
            if now - last_beat >= HEARTBEAT_EVERY_S:
                last_beat = now
                stop = engine.heartbeat(job.id)
                if (stop or engine._stop.is_set()) and not self._cancel_sent:
                    self._cancel_sent = True
                    actor.cancel.remote(job.id)
            try:
                ready, _ = ray.wait([result_ref], timeout=POLL_EVERY_S)
                for message, payload in ray.get(actor.poll.remote(), timeout=60):
                    self._relay(job.id, message, payload, started)
                if not ready:
                    continue
                result = ray.get(result_ref)
            except lost as exc:
                self._actor_lost(job, exc)
                return
            except timeout_error:
                continue
            engine._finish_remote(job, result, started)
            return

    def _relay(self, job_id: int, message: dict[str, Any], payload: bytes | None, started: float) -> None:
        events = self.engine.events
        if message.get("ev") == "progress":
            progress = Progress(step=message["step"], total=message["total"],
                                message=message.get("message", ""), preview=payload,
                                partial_text=message.get("partial_text", ""))
            events.job_progress.emit(ProgressEvent(job_id, progress, time.monotonic() - started))
        elif message.get("ev") == "loading":
            events.job_loading.emit(job_id, message.get("generator_id", ""), message.get("model", ""))

    def _actor_lost(self, job: Job, exc: BaseException) -> None:
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        self.engine.events.worker_stopped.emit(f"a Ray worker was lost: {why}")
        self.kill_actor()
        if self.engine._stop.is_set() and self.engine._requeue_on_stop:
            self.engine._release_if_stopping(job.id)
            return
        self.engine._lost(job, why)


__all__ = ["MAX_LOSSES", "RayEngine", "RayUnavailable", "connect", "require_ray"]
