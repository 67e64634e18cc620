"""The job engine: validates and queues jobs, runs them on the worker, stores results.

One supervisor thread claims queued jobs from the project database, hands
them to the worker process and turns the worker's events into job state
changes, stored assets and :class:`EngineEvents`. The caller (the Qt shell or
the CLI) never blocks on generation and never imports the model libraries.

What goes wrong and what happens:

- bad parameters or inputs: :meth:`Engine.submit` raises before anything is queued;
- a generator raises: the job fails with the message; the worker stays;
- the worker dies (a crash, ``os._exit``, a segfault): the job fails with the
  exit code and the worker's last output; a new worker starts for the next job;
- the worker hangs: no event for ``stall_timeout_s`` and the worker is killed,
  the job fails as stalled; a cancel not honoured within ``cancel_grace_s``
  kills the worker too and the job ends cancelled;
- this process dies mid-job: its worker dies with it (see the worker), the job's
  heartbeat stops, and the next engine requeues it once (at once when the dead
  process was on this machine; see ``JobQueue.recover_orphans``);
- the database is locked by another process for longer than its busy timeout:
  the engine waits and tries again; a job's results are never dropped for it;
- a generator's outputs are not believed: only regular files inside the job's
  own folder are stored, and a job that made nothing fails.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from genloom.core import paths
from genloom.core.devices import DeviceError, check_device_name
from genloom.core.events import Signal
from genloom.core.jobs.outputs import OutputRefused, checked_outputs
from genloom.core.jobs.supervisor import WorkerProcess, WorkerStartError, describe_exit
from genloom.core.plugins import PluginManager
from genloom.core.project.errors import JobStateError, ProjectError
from genloom.core.project.scratch import job_folder_name
from genloom.core.recipe import build_recipe, checked_recipe, prompt_of, untrusted_model
from genloom.core.settings import Settings
from genloom.sdk.errors import InputError, ParameterError, Remedy
from genloom.sdk.models import ModelRef
from genloom.sdk.run import Progress
from genloom.sdk.spec import SEED_MAX, check_count, check_seed

if TYPE_CHECKING:
    from genloom.core.models import ModelLibrary
    from genloom.core.project import Asset, Job, Project
    from genloom.sdk.spec import GeneratorSpec

T = TypeVar("T")

HEARTBEAT_EVERY_S = 1.0
ORPHAN_AFTER_S = 30.0


@dataclass(frozen=True)
class ProgressEvent:
    """A progress report for a running job, as the views receive it."""

    job_id: int
    progress: Progress
    elapsed: float


class EngineEvents:
    """Signals the views subscribe to; callbacks run on the engine's thread."""

    def __init__(self) -> None:
        self.job_started = Signal("job_started")        # (job)
        self.job_loading = Signal("job_loading")        # (job_id, generator_id, model_id)
        self.job_progress = Signal("job_progress")      # (ProgressEvent)
        self.job_finished = Signal("job_finished")      # (job, assets) - done
        self.job_failed = Signal("job_failed")          # (job)
        self.job_cancelled = Signal("job_cancelled")    # (job, assets) - partial assets kept
        self.worker_started = Signal("worker_started")  # (pid)
        self.worker_stopped = Signal("worker_stopped")  # (reason)
        self.idle = Signal("idle")                      # () - nothing left to run in scope


class Engine:
    """Runs a project's job queue.

    ``scope`` limits the engine to the given job ids (the CLI's ``generate``
    runs only what it queued, even while the app runs the rest); ``None`` runs
    the whole queue.
    """

    def __init__(self, project: Project, plugins: PluginManager, settings: Settings | None = None,
                 *, scope: Collection[int] | None = None) -> None:
        self.project = project
        self.plugins = plugins.load()
        self.settings = settings or Settings()
        self.events = EngineEvents()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._scope: set[int] | None = set(scope) if scope is not None else None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._worker: WorkerProcess | None = None
        self._running_job: int | None = None
        self._cancel_sent: set[int] = set()
        self._lock = threading.Lock()
        #: A running job whose heartbeat is older than this was left by a dead process.
        self.orphan_after_s = ORPHAN_AFTER_S
        self._requeue_on_stop = False
        self._library: ModelLibrary | None = None

    # -- queueing ----------------------------------------------------------------

    def submit(self, generator_id: str, params: Mapping[str, Any] | None = None, *,
               seed: int | None = None, count: int = 1, inputs: Mapping[str, int] | None = None,
               model: str | ModelRef | Mapping[str, Any] | None = None, device: str | None = None,
               rerun_of: int | None = None) -> list[Job]:
        """Validate and queue what makes ``count`` outputs; returns the jobs.

        The engine is the one owner of "how many, with which seeds": output
        ``i`` gets seed ``first + i``, where ``first`` is ``seed`` (``None`` or
        -1 draws a random one, so every seed is recorded). A generator whose
        spec has a ``batch_size`` above 1 gets up to that many seeds per job;
        the others get one job per seed. Each output's recipe holds its own
        seed, so any output can be made again alone. Seed and count follow the
        SDK's rule (``check_seed``, ``check_count``); nothing wraps round.
        Raises ParameterError / InputError / UnknownGeneratorError, queuing nothing.
        """
        spec = self.plugins.generator(generator_id)
        values = spec.validate_params(dict(params or {}))
        given_seed = check_seed(seed)
        check_count(count, given_seed if spec.uses_seed else None)
        if not isinstance(inputs, (Mapping, type(None))):
            raise InputError(f"inputs: {inputs!r:.60} is not role -> asset id; pass a dict "
                             "like {'image': 12}")
        input_ids = self._check_inputs(spec, dict(inputs or {}))
        model_data = self._model_for(spec, model)
        if device is not None and not isinstance(device, str):
            raise ParameterError("device", device, "is not a device name",
                                 "use auto, cpu, cuda, cuda:N or mps")
        try:
            device = check_device_name(device or self.settings.device)
        except DeviceError:
            raise ParameterError("device", device or self.settings.device, "is not a device",
                                 "use auto, cpu, cuda, cuda:N or mps") from None
        batch = uuid.uuid4().hex[:12]
        if spec.uses_seed:
            first = given_seed if given_seed is not None else secrets.randbelow(SEED_MAX - count + 2)
            per_job = spec.batch_size
            runs = [(first + start, min(per_job, count - start)) for start in range(0, count, per_job)]
        else:
            runs = [(0, 1)] * count
        jobs = []
        for job_seed, seed_count in runs:
            jobs.append(self.project.jobs.enqueue(
                spec.id, values, seed=job_seed, seed_count=seed_count, inputs=input_ids,
                model=model_data, device=device, plugin_version=spec.plugin_version,
                batch=batch, rerun_of=rerun_of,
            ))
        if self._scope is not None:
            self._scope.update(job.id for job in jobs)
        self._wake.set()
        return jobs

    def rerun(self, asset_id: int, *, new_seed: bool = False, device: str | None = None) -> Job:
        """Queue the recipe of ``asset_id`` again: the same output, or with
        ``new_seed`` a variation of it."""
        asset = self.project.get_asset(asset_id)
        # A recipe is data from a project or an imported file: checked, and never consent.
        recipe = checked_recipe(asset.recipe or {}, f"asset {asset_id}'s recipe")
        generator = (recipe.get("generator") or {}).get("id")
        if not generator or not isinstance(generator, str):
            raise InputError(f"asset {asset_id} has no recipe to re-run (it was imported, not generated)")
        seed = None if new_seed else recipe.get("seed")
        (job,) = self.submit(generator, recipe.get("params") or {}, seed=seed,
                             inputs=recipe.get("inputs") or {}, model=recipe.get("model"),
                             device=device or recipe.get("device") or None, rerun_of=asset_id)
        return job

    def retry(self, job_id: int) -> Job:
        """Queue a failed or cancelled job again (as a new job)."""
        job = self.project.jobs.retry(job_id)
        if self._scope is not None:
            self._scope.add(job.id)
        self._wake.set()
        return job

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job at once, or ask the running one to stop."""
        job = self.project.jobs.cancel(job_id)
        with self._lock:
            if self._running_job == job_id and self._worker is not None:
                self._worker.send({"op": "cancel", "job_id": job_id})
                self._cancel_sent.add(job_id)
        return job

    def _check_inputs(self, spec: GeneratorSpec, inputs: dict[str, Any]) -> dict[str, int]:
        from genloom.core.internal import pattern_input

        roles = {i.role: i for i in spec.inputs}
        wanted = {}
        for role in inputs:
            # A core generator's ``prefix.*`` input takes ``prefix.0``, ``prefix.1``, ...
            item = pattern_input(spec, role) if isinstance(role, str) else None
            if item is None:
                raise InputError(f"{spec.id} takes no input called {role!r}; its inputs: "
                                 f"{', '.join(roles) or '(none)'}")
            wanted[role] = item
        for role, item in roles.items():
            if role not in wanted and not role.endswith(".*"):
                wanted[role] = item
        result: dict[str, int] = {}
        for role, item in wanted.items():
            if role not in inputs or inputs[role] is None:
                if item.required:
                    raise InputError(f"{spec.id} needs a {item.kind} asset as {role!r}; none was given",
                                     remedy=Remedy("give_input", role))
                continue
            asset_id = inputs[role]
            try:
                asset = self.project.get_asset(int(asset_id))
            except (ValueError, TypeError, OverflowError):
                raise InputError(f"input {role!r}: {asset_id!r:.40} is not an asset id") from None
            except LookupError:
                raise InputError(f"input {role!r}: there is no asset {asset_id} in this project") from None
            try:
                self.project.verified_path(asset)
            except ProjectError as exc:
                raise InputError(f"input {role!r}: {exc}") from None
            if asset.kind != item.kind:
                raise InputError(f"input {role!r}: asset {asset_id} is {asset.kind}, "
                                 f"but {spec.id} needs {item.kind} there")
            result[role] = asset.id
        return result

    def _model_for(self, spec: GeneratorSpec, model: str | ModelRef | Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The model the job records, resolved by the model library (with its content hash).

        A model the library refuses (pickle not allowed, custom code, no weights) or whose
        files are missing is refused here, before anything is queued, with the library's reason.
        """
        self._refuse_model_for_modelless(spec, model)
        if model is None:
            if spec.default_model is None:
                return None
            model = spec.default_model
        if isinstance(model, Mapping):
            given = dict(model)
            try:
                model = ModelRef.from_dict(untrusted_model(given))  # data (a recipe): never carries consent
            except TypeError as exc:
                raise InputError(f"model {given!r:.80} is not a model reference: {exc}") from None
        elif isinstance(model, str):
            if not model.strip():
                # Path("") is the current folder: an empty name must never mean "whatever is here".
                raise InputError("model '' is empty; give a bundled model id, a model library id or "
                                 "the path of a model file or folder")
        elif not isinstance(model, ModelRef):
            raise InputError(f"model {model!r:.60} is not a model id or path")
        from genloom.core.models import resolve_model
        from genloom.core.models.library import ModelNotFoundError

        try:
            resolved = resolve_model(model, self.model_library())
        except ModelNotFoundError:
            raise  # names what was looked for, with close matches (the CLI's exit code 3)
        except (OSError, RuntimeError, ValueError) as exc:
            # RuntimeError: ~nouser/...; OSError: a name too long for the filesystem.
            raise InputError(f"model {_model_name(model)!r:.80} is not a usable path ({exc}); give a bundled "
                             "model id, a model library id or the path of a model file or folder") from None
        resolved = resolved.check_usable()
        _check_model_kind(spec, resolved.ref, resolved.entry is not None)
        # Consent stays in the model library: the worker asks it at load, for the files as they are then.
        return untrusted_model(resolved.ref.to_dict())

    def _refuse_model_for_modelless(self, spec: GeneratorSpec, model: object) -> None:
        """A generator that loads no model refuses one, rather than recording a model it ignored."""
        if model is not None and not spec.model_kinds and spec.default_model is None:
            raise InputError(f"{spec.id} loads no model, so model {_model_name(model)!r:.80} cannot be used "
                             "with it; leave the model out")

    def model_library(self) -> ModelLibrary:
        """The model library this engine resolves models with (opened on first use)."""
        if self._library is None:
            from genloom.core.models import ModelLibrary

            self._library = ModelLibrary(self.plugins, hf_cache=self.settings.scan_hf_cache)
        return self._library

    # -- running -----------------------------------------------------------------

    def start(self) -> Engine:
        """Start the supervisor thread (the worker starts with the first job)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="genloom-engine", daemon=True)
            self._thread.start()
        return self

    def wait(self, job_ids: Collection[int], timeout: float | None = None) -> list[Job]:
        """Block until every job in ``job_ids`` has finished (done, failed or cancelled)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            jobs = [self.project.jobs.get(j) for j in job_ids]
            if all(job.state in ("done", "failed", "cancelled") for job in jobs):
                return jobs
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"jobs {sorted(job_ids)} did not finish within {timeout} s")
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0, *, requeue_running: bool = False) -> None:
        """Stop running jobs and the worker.

        A job still running is cancelled, or with ``requeue_running`` (the app
        closing) put back in the queue to run again next time.
        """
        self._requeue_on_stop = requeue_running
        self._stop.set()
        self._wake.set()
        with self._lock:
            running = self._running_job
        if running is not None:
            with self._lock:
                if self._worker is not None:
                    self._worker.send({"op": "cancel", "job_id": running})
                    self._cancel_sent.add(running)
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        if self._worker is not None:
            self._worker.shutdown()
            self._worker = None
        if self._library is not None:
            self._library.close()
            self._library = None

    def _loop(self) -> None:
        last_recovery = 0.0
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if now - last_recovery > self.orphan_after_s / 2:
                    last_recovery = now
                    self.project.jobs.recover_orphans(stale_after=self.orphan_after_s)
                job = self.project.jobs.claim_next(self.owner, self._scope)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                self._wake.wait(timeout=0.5)  # another process holds the write lock: wait
                continue
            if job is None:
                self.events.idle.emit()
                self._wake.wait(timeout=1.0)
                self._wake.clear()
                continue
            try:
                self._run(job)
            except _LeftRunning:
                pass  # stopped while the database was locked: the job is requeued later
            except Exception as exc:  # the engine itself must not die with a job
                try:
                    self._fail(job.id, f"internal error while running the job: "
                                       f"{type(exc).__name__}: {exc}")
                except (_LeftRunning, Exception):  # noqa: BLE001 - keep the engine alive
                    pass

    def worker_init(self) -> dict[str, Any]:
        """What a worker is set up with (its ``init`` command): plugins, cache, budget, threads."""
        return {"plugins": self.plugins.config.to_dict(), "max_loaded": self.settings.max_loaded_generators,
                "memory_budget_mb": self.settings.model_memory_budget_mb,
                "dtype": self.settings.dtype, "cpu_threads": self.settings.cpu_threads}

    def _ensure_worker(self) -> WorkerProcess:
        if self._worker is not None and self._worker.alive():
            return self._worker
        if self._worker is not None:
            self._worker.shutdown(timeout=1)
        worker = WorkerProcess(self.worker_init(), log_path=paths.log_dir() / "worker.log")
        worker.start()
        self._worker = worker
        self.events.worker_started.emit(worker.pid)
        return worker

    def _run(self, job: Job) -> None:
        try:
            spec: GeneratorSpec | None = self.plugins.generator(job.generator_id)
        except LookupError:
            spec = None
        if spec is None:
            self._fail(job.id, f"generator {job.generator_id!r} is not available (its plugin is missing, "
                               "disabled or failed to load; the plugin list says which)")
            return
        try:
            inputs = {role: self._input_payload(asset_id) for role, asset_id in job.inputs.items()}
        except (LookupError, ProjectError, OSError) as exc:
            self._fail(job.id, f"an input asset is not available: {exc}")
            return
        with self._lock:
            self._running_job = job.id
        try:
            worker = self._ensure_worker()
        except WorkerStartError as exc:
            with self._lock:
                self._running_job = None
            self._fail(job.id, str(exc))
            return
        if self._stop.is_set():
            # Stopped while the worker was starting: the job has not begun.
            with self._lock:
                self._running_job = None
            if not self._release_if_stopping(job.id):
                self._cancelled(job.id, [], note="Genloom stopped before the job began")
            return
        scratch = self.project.tmp_dir() / job_folder_name(job.id, uuid.uuid4().hex[:8])
        scratch.mkdir(parents=True, exist_ok=True)
        self.events.job_started.emit(self.project.jobs.get(job.id))
        try:
            worker.send({"op": "run", "job": {
                "job_id": job.id, "generator_id": job.generator_id, "params": job.params,
                "seed": job.seed, "seeds": list(job.seeds), "inputs": inputs, "model": job.model,
                "device": job.device,
                "output_dir": str(scratch),
            }})
            self._follow(job, spec, worker, scratch)
        finally:
            with self._lock:
                self._running_job = None
                self._cancel_sent.discard(job.id)
            shutil.rmtree(scratch, ignore_errors=True)

    def _input_payload(self, asset_id: int) -> dict[str, Any]:
        asset = self.project.get_asset(asset_id)
        path = self.project.verified_path(asset)  # never feed a damaged file to a generator
        return {"asset_id": asset.id, "kind": asset.kind, "path": str(path), "metadata": asset.metadata}

    def heartbeat(self, job_id: int) -> bool:
        """Mark a running job alive; True when it is to stop (cancelled from elsewhere).
        A database locked by another process skips this beat (the next one comes soon)."""
        try:
            return self.project.jobs.heartbeat(job_id, self.owner)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            return False

    def _follow(self, job: Job, spec: GeneratorSpec, worker: WorkerProcess, scratch: Path) -> None:
        started = time.monotonic()
        last_event = started
        last_beat = 0.0
        cancel_deadline: float | None = None
        while True:
            now = time.monotonic()
            if now - last_beat >= HEARTBEAT_EVERY_S:
                last_beat = now
                stop = self.heartbeat(job.id)
                if stop and job.id not in self._cancel_sent:
                    worker.send({"op": "cancel", "job_id": job.id})
                    self._cancel_sent.add(job.id)
            if job.id in self._cancel_sent and cancel_deadline is None:
                cancel_deadline = now + self.settings.cancel_grace_s
            if cancel_deadline is not None and now > cancel_deadline:
                self._restart_worker(worker, "a cancelled job did not stop in time")
                if self._release_if_stopping(job.id):
                    return
                self._cancelled(job.id, [], note=f"the job did not stop within {self.settings.cancel_grace_s:g} s "
                                                  "of the cancel, so its worker was restarted")
                return
            if now - last_event > self.settings.stall_timeout_s:
                self._restart_worker(worker, "a job stalled")
                self._fail(job.id, f"stalled: the generator reported no progress for "
                                   f"{self.settings.stall_timeout_s:g} s, so its worker was stopped and restarted")
                return
            try:
                message, payload = worker.events.get(timeout=0.2)
            except queue.Empty:
                continue
            last_event = time.monotonic()
            ev = message.get("ev")
            if ev == "progress":
                progress = Progress(step=message["step"], total=message["total"],
                                    message=message.get("message", ""), preview=payload,
                                    partial_text=message.get("partial_text", ""))
                self.events.job_progress.emit(ProgressEvent(job.id, progress, last_event - started))
            elif ev == "loading":
                self.events.job_loading.emit(job.id, message.get("generator_id", ""), message.get("model", ""))
            elif ev == "done":
                self._store(job, spec, message, scratch, cancelled=False)
                return
            elif ev == "cancelled":
                if not self._release_if_stopping(job.id):
                    self._store(job, spec, message, scratch, cancelled=True)
                return
            elif ev == "failed":
                self._fail(job.id, message.get("error", "failed"), traceback=message.get("traceback", ""))
                return
            elif ev == "exit":
                reason = describe_exit(message)
                self._worker = None
                self.events.worker_stopped.emit(reason)
                if job.id in self._cancel_sent:
                    if not self._release_if_stopping(job.id):
                        self._cancelled(job.id, [], note=f"the worker stopped while cancelling: {reason}")
                else:
                    self._fail(job.id, f"the worker process crashed while running this job ({reason}); "
                                       "a new worker starts for the next job")
                return

    def _restart_worker(self, worker: WorkerProcess, why: str) -> None:
        worker.kill()
        worker.shutdown(timeout=1)
        self._worker = None
        self.events.worker_stopped.emit(why)

    def _store(self, job: Job, spec: GeneratorSpec, message: dict[str, Any], scratch: Path,
               cancelled: bool) -> None:
        """Store the outputs and end the job in one transaction (see ``store_job_results``)."""
        job = self.project.jobs.get(job.id)
        try:
            outputs = checked_outputs(message.get("outputs"), scratch)
        except OutputRefused as exc:
            self._fail(job.id, f"the generator's results were refused: {exc}")
            return
        if not outputs and not cancelled:
            self._fail(job.id, "the generator returned no outputs, so the job made nothing; "
                               "this is a fault of the generator (report it to its plugin's author)")
            return
        try:
            seeds = output_seeds(spec, job, len(outputs), cancelled)
        except ValueError as exc:
            self._fail(job.id, str(exc))
            return
        prompt = prompt_of(spec, job.params)
        parents = sorted(set(job.inputs.values()) | ({job.rerun_of} if job.rerun_of else set()))
        items = []
        for output, seed in zip(outputs, seeds, strict=True):
            recipe = build_recipe(job=job, spec=spec, seed=seed, device=message.get("device", ""),
                                  dtype=message.get("dtype", ""), libraries=message.get("libraries", {}),
                                  runtime=output.metadata.get("runtime"))
            text = output.text or ""
            if not text and output.kind in ("text", "code"):
                with open(output.path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read(1_000_000)
            items.append(dict(
                source=output.path, kind=output.kind, suffix=output.suffix, recipe=recipe,
                parents=parents, tags=("partial",) if output.partial else (), prompt=prompt,
                text=text, title=output.title, generator_id=job.generator_id,
                model_id=(job.model or {}).get("id", ""), job_id=job.id,
                metadata=output.metadata, move=True))
        try:
            done, assets = self._retry_busy(lambda: self.project.store_job_results(
                job.id, self.owner, items, cancelled=cancelled))
        except JobStateError:
            return  # the lease was lost: another engine holds the job now; store nothing
        except (OSError, ValueError, TypeError, ProjectError) as exc:
            self._fail(job.id, f"could not store the results: {type(exc).__name__}: {exc}")
            return
        if cancelled:
            self.events.job_cancelled.emit(done, list(assets))
        else:
            self.events.job_finished.emit(done, assets)

    def _retry_busy(self, action: Callable[[], T]) -> T:
        """Run ``action``, waiting out another process's write lock however long it lasts.

        Results are never dropped for a busy database; only when this engine is
        stopping does it give up (:class:`_LeftRunning`): the job stays running
        and is requeued once its heartbeat is seen to stop.
        """
        delay = 0.05
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if self._stop.is_set():
                    raise _LeftRunning from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _fail(self, job_id: int, error: str, traceback: str = "") -> None:
        text = error if not traceback else f"{error}\n\n{traceback.rstrip()}"
        try:
            job = self._retry_busy(lambda: self.project.jobs.fail(job_id, text, owner=self.owner))
        except JobStateError:
            return  # another engine holds the job now (this one lost its lease)
        self.events.job_failed.emit(job)

    def _release_if_stopping(self, job_id: int) -> bool:
        """When the app closes mid-job, the job goes back to the queue instead of ending."""
        if not (self._stop.is_set() and self._requeue_on_stop):
            return False
        try:
            self.project.jobs.release(job_id, self.owner)
        except (JobStateError, sqlite3.OperationalError):
            pass  # lost to another engine, or locked: recovery requeues it when this one is gone
        return True

    def _cancelled(self, job_id: int, assets: Sequence[Asset], note: str = "") -> None:
        try:
            job = self._retry_busy(lambda: self.project.jobs.mark_cancelled(
                job_id, note, [a.id for a in assets], owner=self.owner))
        except JobStateError:
            return
        self.events.job_cancelled.emit(job, list(assets))


class _LeftRunning(Exception):
    """The engine stopped while the database was locked; the job is left to recovery."""


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """True for SQLite's "database is locked" / "busy": another process holds the lock."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _check_model_kind(spec: GeneratorSpec, ref: ModelRef, in_library: bool) -> None:
    """Refuse a library model whose kind the generator does not load (before anything is queued).

    A plugin's own model id (not in the library) has no kind to check; nor has a model the
    library could not identify, which the generator then judges at load.
    """
    if not in_library or not ref.kind or not spec.model_kinds or ref.kind in spec.model_kinds:
        return
    raise InputError(
        f"model {ref.title or ref.id} ({ref.id}) is a {ref.kind} model, and {spec.id} loads "
        f"{' or '.join(spec.model_kinds)} models; choose a model of one of those kinds",
        remedy=Remedy("list_models"))


def _model_name(model: object) -> str:
    if isinstance(model, ModelRef):
        return model.id or model.path
    if isinstance(model, Mapping):
        return str(model.get("id") or model.get("path") or "")
    return str(model)


def output_seeds(spec: GeneratorSpec, job: Job, outputs: int, cancelled: bool) -> list[int | None]:
    """The seed each of a finished job's ``outputs`` was made with.

    A job of several seeds (a batching generator) must return one output per
    seed, in order (fewer when cancelled); a one-seed job's outputs all share
    its seed. Raises ValueError, naming the plugin, when a generator breaks that.
    """
    seeds = list(job.seeds)
    if len(seeds) <= 1:
        return [job.seed] * outputs
    if outputs == len(seeds) or (cancelled and outputs < len(seeds)):
        return list(seeds[:outputs])
    raise ValueError(f"{job.generator_id} (plugin {spec.plugin or '?'}) returned {outputs} outputs for "
                     f"{len(seeds)} seeds; a generator with batch_size {spec.batch_size} must return "
                     "one output per seed in request.seeds, in order")
