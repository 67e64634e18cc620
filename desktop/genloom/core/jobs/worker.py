"""The worker process: owns the plugins' generators, the models and the GPU.

Started by :class:`~genloom.core.jobs.supervisor.WorkerProcess` as
``python -m genloom.core.jobs.worker``. It reads commands from stdin and
writes events to a private copy of stdout; file descriptor 1 itself is pointed
at stderr, so a plugin that prints cannot corrupt the protocol.

Commands: ``init`` (plugin configuration, cache size), ``run`` (one job),
``cancel`` (the running job), ``shutdown``. Events: ``ready``, ``loading``,
``progress`` (with an optional preview payload), ``done``, ``failed``,
``cancelled``.
"""

from __future__ import annotations

import gc
import os
import platform
import queue
import re
import shutil
import signal
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from genloom import __version__
from genloom.core import paths
from genloom.core.devices import resolve_device
from genloom.core.internal import set_worker_plugins
from genloom.core.jobs.protocol import FrameWriter, read_frame
from genloom.core.models.memory import (
    cuda_allocated,
    default_budget,
    generator_footprint,
    model_file_bytes,
)
from genloom.core.plugins import PluginConfig, PluginManager
from genloom.sdk.errors import CancelledError, GenloomError, InputError, ParameterError
from genloom.sdk.models import ModelRef
from genloom.sdk.placement import resolve_dtype, set_memory_budget
from genloom.sdk.run import Generator, InputAsset, Output, Progress, Request, RunState
from genloom.sdk.runtime import apply_cpu_threads, set_cpu_threads

if TYPE_CHECKING:
    from genloom.core.models import ModelLibrary
    from genloom.sdk.spec import GeneratorSpec

#: A loaded generator's key: generator id, model hash (or path, or id), device, dtype, and
#: whether its pickle weights were allowed when it loaded (a permission withdrawn, or a file
#: changed since, must not be served from the cache).
CacheKey = tuple[str, str, str, str, bool]

#: A content hash as the model library writes it (a recipe's value is checked before it names a folder).
_HASH = re.compile(r"[0-9a-f]{64}")

#: Libraries whose versions go into every recipe when the worker has them loaded.
RECORDED_LIBRARIES = ("torch", "diffusers", "transformers", "onnxruntime", "safetensors",
                      "tokenizers", "accelerate", "peft", "numpy", "PIL")


class Worker:
    def __init__(self, events: FrameWriter) -> None:
        self.events = events
        self.plugins: PluginManager | None = None
        self.max_loaded = 2
        self.cache: OrderedDict[CacheKey, Generator] = OrderedDict()
        #: Estimated bytes each cached generator holds, and the per-device budget (0: automatic).
        self.footprints: dict[CacheKey, int] = {}
        self.memory_budget_mb = 0
        #: The user's dtype choice ("auto": each device's default); see genloom.sdk.placement.
        self.dtype_preference = "auto"
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.current: tuple[int, RunState] | None = None
        self.early_cancels: set[int] = set()
        self.lock = threading.Lock()
        self.library: ModelLibrary | None = None

    # -- command intake (a thread, so cancel arrives while a job runs) ----------

    def read_commands(self, stream: IO[bytes]) -> None:
        while True:
            try:
                message, _ = read_frame(stream)
            except (EOFError, OSError, ValueError):
                # The engine closed the pipe or died: stop the running job and, if it
                # does not stop within the grace, end this process and its children.
                with self.lock:
                    if self.current is not None:
                        self.current[1].cancel()
                self.commands.put({"op": "shutdown"})
                threading.Timer(ORPHAN_GRACE_S, end_process_group).start()
                return
            if message.get("op") == "cancel":
                job_id = message.get("job_id")
                if not isinstance(job_id, int):
                    continue  # a cancel names its job by id; anything else cancels nothing
                with self.lock:
                    if self.current is not None and self.current[0] == job_id:
                        self.current[1].cancel()
                    else:
                        self.early_cancels.add(job_id)
            else:
                self.commands.put(message)

    # -- main loop ---------------------------------------------------------------

    def serve(self) -> None:
        while True:
            message = self.commands.get()
            op = message.get("op")
            if op == "shutdown":
                self.unload_all()
                end_children()
                return
            if op == "init":
                plugins = self.configure(message)
                self.events.send({"ev": "ready", "pid": os.getpid(), "python": platform.python_version(),
                                  "genloom": __version__,
                                  "failed_plugins": [r.name for r in plugins.failed()]})
            elif op == "run":
                self.run_job(message["job"])

    def configure(self, message: dict[str, Any]) -> PluginManager:
        """Apply an ``init`` command: the plugins to load, the cache size, the memory budget,
        the dtype choice and the CPU threads (also how a Ray actor sets up its worker). Returns the plugins."""
        self.plugins = plugins = PluginManager(PluginConfig.from_dict(message["plugins"])).load()
        set_worker_plugins(plugins)  # core's evaluation job runs these plugins' metrics
        self.max_loaded = max(1, int(message.get("max_loaded", 2)))
        self.memory_budget_mb = _memory_budget_mb(message)
        set_memory_budget(self.memory_budget_mb)  # plugins place models (offload) by the same budget
        self.dtype_preference = str(message.get("dtype") or "auto")
        set_cpu_threads(int(message.get("cpu_threads") or 0))
        return plugins

    def run_job(self, job: dict[str, Any]) -> None:
        job_id = job["job_id"]
        state = RunState(report=lambda p: self._send_progress(job_id, p))
        with self.lock:
            self.current = (job_id, state)
            if job_id in self.early_cancels:
                self.early_cancels.discard(job_id)
                state.cancel()
        try:
            self._run(job, state)
        except CancelledError:
            self.events.send({"ev": "cancelled", "job_id": job_id, "outputs": []})
        except BaseException as exc:  # noqa: BLE001 - a plugin may raise anything
            self.events.send(_failure(job_id, exc))
            if _is_out_of_memory(exc):
                self.unload_all()
        finally:
            with self.lock:
                self.current = None

    def _run(self, job: dict[str, Any], state: RunState) -> None:
        assert self.plugins is not None, "worker received a job before init"
        job_id = job["job_id"]
        spec = self.plugins.generator(job["generator_id"])
        device, _default = resolve_device(job.get("device") or "auto", spec.devices)
        dtype = resolve_dtype(device, self.dtype_preference)
        model = self._with_consent(ModelRef.from_dict(job["model"])) if job.get("model") else None
        generator = self._generator(spec, model, device, dtype, job_id)
        state.raise_if_cancelled()
        output_dir = Path(job["output_dir"])
        output_dir.mkdir(parents=True, exist_ok=True)
        request = Request(
            generator_id=spec.id,
            params=job["params"],
            seed=int(job["seed"]),
            seeds=tuple(int(s) for s in job.get("seeds") or [job["seed"]]),
            inputs={role: InputAsset(asset_id=item.get("asset_id"), kind=item["kind"],
                                     path=Path(item["path"]), metadata=item.get("metadata", {}))
                    for role, item in job.get("inputs", {}).items()},
            model=model,
            device=device,
            dtype=dtype,
            output_dir=output_dir,
            job_id=job_id,
        )
        outputs = generator.run(request, state)
        files = [_materialise(output, output_dir, index) for index, output in enumerate(outputs or [])]
        # A cancelled run that returns partial results (streamed text so far) ends as
        # cancelled with them kept; one that returned whole results without noticing
        # the cancel has done its work, which counts as done rather than thrown away.
        cancelled = state.cancelled and any(o["partial"] for o in files)
        self.events.send({
            "ev": "cancelled" if cancelled else "done",
            "job_id": job_id,
            "outputs": files,
            "device": device,
            "dtype": dtype,
            "libraries": library_versions(),
        })

    def _with_consent(self, model: ModelRef) -> ModelRef:
        return with_consent(model, self._library)

    def _library(self) -> ModelLibrary:
        if self.library is None:
            from genloom.core.models import ModelLibrary

            self.library = ModelLibrary(None, hf_cache=False)
        return self.library

    # -- the generator cache: LRU, bounded by count and by a memory budget per device ------

    def _generator(self, spec: GeneratorSpec, model: ModelRef | None, device: str, dtype: str,
                   job_id: int) -> Generator:
        key = (spec.id, (model.hash or model.path or model.id) if model else "", device, dtype,
               bool(model and model.allow_pickle))
        if key in self.cache:
            self.cache.move_to_end(key)
            return self.cache[key]
        self.events.send({"ev": "loading", "job_id": job_id, "generator_id": spec.id,
                          "model": model.id if model else ""})
        # Make room first (by count, and for the model's file size), so loading does not
        # start out of memory; then again with the measured footprint.
        self._evict(device, incoming=model_file_bytes(model), slots=1)
        cuda_before = cuda_allocated(device)
        generator = spec.factory()
        generator.load(model, device, dtype)
        apply_cpu_threads()  # torch may have been imported by this load
        self.cache[key] = generator
        self.footprints[key] = generator_footprint(generator, model, device, cuda_before)
        self._evict(device, incoming=0, slots=0, keep=key)
        return generator

    def budget_bytes(self, device: str) -> int:
        """The memory budget for ``device`` (settings, or automatic)."""
        if self.memory_budget_mb > 0:
            return self.memory_budget_mb * 1024 * 1024
        return default_budget(device)

    def cached_bytes(self, device: str) -> int:
        """Estimated bytes held by the cached generators on ``device``."""
        return sum(self.footprints.get(k, 0) for k in self.cache if k[2] == device)

    def _evict(self, device: str, incoming: int, slots: int, keep: CacheKey | None = None) -> None:
        """Unload least recently used generators until ``slots`` more fit the count limit and
        ``incoming`` more bytes fit the device's budget. ``keep`` is never unloaded."""
        budget = self.budget_bytes(device)
        while self.cache:
            over_count = len(self.cache) + slots > self.max_loaded
            over_memory = self.cached_bytes(device) + incoming > budget
            if not over_count and not over_memory:
                return
            candidates = [k for k in self.cache if k != keep and (over_count or k[2] == device)]
            if not candidates:
                return  # only the one just loaded is left: it may run even if over budget
            old_key = candidates[0]
            old = self.cache.pop(old_key)
            freed = self.footprints.pop(old_key, 0)
            print(f"genloom-worker: unloaded {old_key[0]} ({freed / 1e6:.0f} MB) to stay within "
                  f"{'the cache size' if over_count else f'the {budget / 1e6:.0f} MB memory budget'}",
                  file=sys.stderr)
            _unload(old)
            _release_memory()

    def unload_all(self) -> None:
        while self.cache:
            _, generator = self.cache.popitem(last=False)
            _unload(generator)
        self.footprints.clear()
        _release_memory()

    def _send_progress(self, job_id: int, progress: Progress) -> None:
        self.events.send({"ev": "progress", "job_id": job_id, "step": progress.step,
                          "total": progress.total, "message": progress.message,
                          "partial_text": progress.partial_text}, progress.preview)


def with_consent(model: ModelRef, library: Callable[[], ModelLibrary]) -> ModelRef:
    """``model`` as a generator loads it: ``allow_pickle`` as the model library holds it for
    the files as they are now (consent lives in the library, keyed by content hash, never in
    a job or recipe), and its folder for derived files (an ONNX export): next to Genloom's
    data, by content hash, never in the model's folder, which may be another tool's cache."""
    derived = str(paths.data_dir() / "derived" / model.hash) if _HASH.fullmatch(model.hash) else ""
    if not model.path:
        return replace(model, allow_pickle=False, derived_dir=derived)
    return replace(model, allow_pickle=library().pickle_consent(model), derived_dir=derived)


def _materialise(output: Output, output_dir: Path, index: int) -> dict[str, Any]:
    """Make sure every output is a file in the job's scratch folder."""
    if not isinstance(output, Output):
        raise TypeError(f"generator returned {type(output).__name__} in its outputs; expected genloom.sdk.Output")
    if output.path is not None:
        path = Path(output.path)
        if path.is_symlink():
            raise ValueError(f"generator output {path} is a symbolic link; return a regular file "
                             "written in request.output_dir")
        if not path.is_file():
            raise FileNotFoundError(f"generator output file {path} does not exist")
        if not _inside(path, output_dir):
            # Copied, never moved: the file belongs to whoever put it there.
            copy = output_dir / f"output-{index}{output.suffix}"
            shutil.copyfile(path, copy)
            path = copy
    else:
        path = output_dir / f"output-{index}{output.suffix}"
        with open(path, "wb") as handle:
            handle.write(output.data or b"")
    return {"kind": output.kind, "path": str(path), "suffix": output.suffix,
            "metadata": output.metadata, "partial": output.partial, "title": output.title,
            "text": output.text if output.text is not None and len(output.text) <= 1_000_000 else None}


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _memory_budget_mb(message: dict[str, Any]) -> int:
    """The budget the ``init`` command names, else the user's setting (0: automatic)."""
    if "memory_budget_mb" in message:
        return max(0, int(message["memory_budget_mb"]))
    try:
        from genloom.core.settings import Settings

        return Settings.load().model_memory_budget_mb
    except (OSError, ValueError):
        return 0


def _release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()


def _unload(generator: Generator) -> None:
    try:
        generator.unload()
    except Exception:
        traceback.print_exc()


def _is_out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or \
        "out of memory" in str(exc).lower()


def _failure(job_id: int, exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, (ParameterError, InputError)):
        kind, message = "invalid", str(exc)
    elif _is_out_of_memory(exc):
        kind = "out_of_memory"
        message = (f"out of memory: {exc}. Try a smaller size or batch, enable CPU offload, "
                   "or choose another device; loaded models were unloaded to recover")
    elif isinstance(exc, GenloomError):
        kind, message = "error", str(exc)
    else:
        kind, message = "error", f"{type(exc).__name__}: {exc}"
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if isinstance(exc, GenloomError) and kind != "out_of_memory":
        # A refusal or an explained error: its message is the whole story for the user (a
        # traceback after it reads as a crash); the log keeps the trace for whoever debugs.
        print(f"genloom-worker: job {job_id} failed: {message}\n{trace}", file=sys.stderr)
        trace = ""
    return {"ev": "failed", "job_id": job_id, "kind": kind, "error": message, "traceback": trace}


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "genloom": __version__}
    for name in RECORDED_LIBRARIES:
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", ""))
    return versions


#: How long the worker waits for a job to stop after its engine went away.
ORPHAN_GRACE_S = 5.0


def end_process_group(*_args: object) -> None:
    """Kill this process and everything it started (its own process group).

    The worker is started in a session of its own, so its group holds only it
    and the processes its plugins started.
    """
    os.killpg(os.getpgrp(), signal.SIGKILL)


def end_children() -> None:
    """Stop the processes a plugin started (this process's group), sparing this one."""
    if os.getpgrp() != os.getpid():
        return  # not a group of its own (started by hand): touch nobody else
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgrp(), signal.SIGTERM)
    except OSError:
        pass


def die_with_parent() -> None:
    """Make sure this worker never outlives the engine that started it.

    On Linux the kernel sends SIGTERM when the parent thread dies
    (``PR_SET_PDEATHSIG``); elsewhere the closed command pipe does (see
    :meth:`Worker.read_commands`). SIGTERM ends the whole process group, so a
    plugin's child processes go too.
    """
    signal.signal(signal.SIGTERM, end_process_group)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
        except (OSError, AttributeError):
            pass
    parent = os.environ.get("GENLOOM_ENGINE_PID", "")
    if parent.isdigit() and os.getppid() != int(parent):
        end_process_group()  # the engine died before the signal was armed


def main() -> None:
    die_with_parent()
    # Keep the real stdout for frames; anything a plugin prints goes to stderr.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    protocol_in = _private_stdin()
    worker = Worker(FrameWriter(protocol_out))
    reader = threading.Thread(target=worker.read_commands, args=(protocol_in,),
                              name="genloom-worker-commands", daemon=True)
    reader.start()
    worker.serve()


def _private_stdin() -> IO[bytes]:
    """The command pipe on a private descriptor; stdin itself reads from the null device.

    Nobody can answer a prompt in the worker: a library that asks (transformers'
    "run the custom code? [y/N]") or a plugin that calls ``input()`` gets end-of-file at
    once and fails the job with that, instead of waiting for an answer until the job stalls.
    """
    commands = os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, sys.stdin.fileno())
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    return commands


if __name__ == "__main__":
    main()
