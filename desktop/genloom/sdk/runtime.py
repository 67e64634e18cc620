"""Runtime helpers for generators: ONNX Runtime sessions on the best available provider.

onnxruntime is imported only inside the functions that need it, so importing
this module costs nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from genloom.sdk.errors import GenloomError

__all__ = ["CPU_THREADS_ENV", "ONNX_PROVIDER_ORDER", "OnnxRuntimeError", "THREAD_POOL_DEFAULTS",
           "apply_cpu_threads", "apply_thread_pool_defaults", "choose_onnx_providers", "cpu_threads",
           "onnx_session", "quiet_model_libraries", "set_cpu_threads", "thread_pool_environment"]

#: The number of CPU threads models may use (0 or unset: the libraries' own default, one
#: per core). The worker sets it from the user's setting; torch and ONNX Runtime both
#: follow it, so a comparison of the two backends compares like with like.
CPU_THREADS_ENV = "GENLOOM_CPU_THREADS"

#: How long torch's idle CPU threads spin before they sleep, for processes that run models.
#: torch's OpenMP runtime (GNU libgomp in the Linux wheels) spins up to 300,000 times at
#: every join of its parallel loops, waiting for the slowest thread. On a busy machine that
#: thread may not be running: another program has the core, or Linux's autogroup scheduling
#: gives the worker's own session a share of the CPUs smaller than its thread count. Each
#: join then waits out a time slice, and a small model's thousands of joins a step add up:
#: the bundled 32 px image model took 47-79 s instead of 0.2 s in a session of its own while
#: another session kept one of this machine's two cores busy, 0.9-1.0 s with 1,000 spins.
#: On an idle machine 1,000 spins cost that model 0.22 -> 0.26-0.32 s (the 64 px one 0.20 ->
#: 0.27 s, the code model 430 -> 378 tokens/s), where sleeping at once
#: (``OMP_WAIT_POLICY=PASSIVE``) costs 0.76 s; 3,000 spins were no cheaper idle and twice as
#: slow busy (1.9 s), 10,000 cost nothing idle and 5.7 s busy (``bench_busy`` measures it).
#: ``KMP_BLOCKTIME`` (milliseconds) is the same knob in the Intel and LLVM OpenMP runtimes of
#: torch's Windows and macOS builds (not measured here). A value the user set is kept. ONNX
#: Runtime's own pool was measured unaffected (same time alone and under that load) and is
#: left as it is.
THREAD_POOL_DEFAULTS: dict[str, str] = {"GOMP_SPINCOUNT": "1000", "KMP_BLOCKTIME": "1"}


def thread_pool_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with :data:`THREAD_POOL_DEFAULTS` for the keys it does not set: the
    environment to start a model-running process (the worker) with."""
    return {**THREAD_POOL_DEFAULTS, **environ}


def apply_thread_pool_defaults() -> bool:
    """Put :data:`THREAD_POOL_DEFAULTS` into this process's environment (keeping what the user
    set), for a process that runs models itself (``genloom bench``, a Ray actor).

    The OpenMP runtime reads them once, when torch first loads it; returns False (and sets
    them anyway, for child processes) when torch is already imported and it is too late.
    """
    for key, value in THREAD_POOL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    return "torch" not in sys.modules


#: Execution providers in order of preference; the first ones that exist are used.
ONNX_PROVIDER_ORDER: tuple[str, ...] = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)

#: Which providers each Genloom device type may use ("auto" allows them all).
_DEVICE_PROVIDERS = {
    "cpu": ("CPUExecutionProvider",),
    "cuda": ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"),
    "mps": ("CoreMLExecutionProvider", "CPUExecutionProvider"),
    "dml": ("DmlExecutionProvider", "CPUExecutionProvider"),
}


class OnnxRuntimeError(GenloomError):
    """An ONNX model that cannot be opened with the requested device or providers."""


def choose_onnx_providers(device: str, available: Sequence[str]) -> list[str | tuple[str, dict[str, Any]]]:
    """The providers to ask for, best first, for ``device`` given the ``available`` ones.

    ``device`` is a Genloom device (``auto``, ``cpu``, ``cuda``, ``cuda:1``,
    ``mps``). For ``cuda:N`` the GPU providers get ``device_id=N``. The CPU
    provider always comes last as the fallback. Pure: no onnxruntime import.
    """
    device = (device or "auto").strip().lower()
    kind, _, index = device.partition(":")
    if kind == "auto":
        allowed = ONNX_PROVIDER_ORDER
    elif kind in _DEVICE_PROVIDERS:
        allowed = _DEVICE_PROVIDERS[kind]
    else:
        raise OnnxRuntimeError(f"device {device!r} is not known; use auto, cpu, cuda, cuda:N or mps")
    if index and not index.isdigit():
        raise OnnxRuntimeError(f"device {device!r}: the part after ':' must be a GPU number such as cuda:1")
    chosen: list[str | tuple[str, dict[str, Any]]] = []
    for name in ONNX_PROVIDER_ORDER:
        if name in allowed and name in available:
            if index and name in ("TensorrtExecutionProvider", "CUDAExecutionProvider"):
                chosen.append((name, {"device_id": int(index)}))
            else:
                chosen.append(name)
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


def cpu_threads() -> int:
    """The CPU threads models should use; 0 means each library's default."""
    try:
        return max(0, int(os.environ.get(CPU_THREADS_ENV, "0") or 0))
    except ValueError:
        return 0


def set_cpu_threads(threads: int) -> None:
    """Make ``threads`` (0: the default) the count for this process's models, and apply it
    to torch at once if torch is loaded (else :func:`apply_cpu_threads` does, after a load)."""
    if threads > 0:
        os.environ[CPU_THREADS_ENV] = str(int(threads))
    else:
        os.environ.pop(CPU_THREADS_ENV, None)
    apply_cpu_threads()


def apply_cpu_threads() -> None:
    """Give torch the thread count of :func:`cpu_threads`, if torch is loaded and one is set.
    (ONNX Runtime sessions get it when :func:`onnx_session` opens them.)"""
    threads = cpu_threads()
    torch = sys.modules.get("torch")
    if threads and torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


class _DropNotices(logging.Filter):
    """Drops log records whose message contains one of ``notices``."""

    def __init__(self, notices: Sequence[str]) -> None:
        super().__init__()
        self.notices = tuple(notices)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(notice in message for notice in self.notices)


#: transformers' notices that say nothing a Genloom user can act on, by logger: diffusers'
#: pipelines name image processors that want torchvision, which Genloom never uses (the
#: PIL ones stand in); the notice came out four times on every image model's first load.
_IDLE_NOTICES = {"transformers.utils.import_utils": ("requires torchvision (not installed)",)}


def quiet_model_libraries(*, diffusers: bool = False) -> None:
    """Before loading a model with transformers (and, with ``diffusers``, diffusers): no
    progress bars of theirs (a job's own progress is what the user sees; their bars filled
    the command line's output) and none of the notices in ``_IDLE_NOTICES``. Real warnings
    and errors still show. Call it before importing a diffusers pipeline; calling it again
    does nothing more. diffusers is imported only when asked for (a cold import takes
    seconds, which a language model's load must not pay)."""
    for name, notices in _IDLE_NOTICES.items():
        target = logging.getLogger(name)
        if not any(isinstance(f, _DropNotices) for f in target.filters):
            target.addFilter(_DropNotices(notices))
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    if diffusers:
        from diffusers.utils import logging as diffusers_logging

        diffusers_logging.disable_progress_bar()


def onnx_session(path: Path | str, device: str,
                 providers: Sequence[str | tuple[str, dict[str, Any]]] | None = None,
                 session_options: Any | None = None) -> tuple[Any, list[str]]:
    """Open ``path`` with ONNX Runtime; return ``(session, active_providers)``.

    Providers are chosen by :func:`choose_onnx_providers` (TensorRT, CUDA,
    DirectML, CoreML, CPU, among those this onnxruntime build offers and the
    device allows) unless ``providers`` is given. ``active_providers`` is what
    the session actually uses (``session.get_providers()``): onnxruntime falls
    back to the CPU silently when a GPU provider fails to start, so record
    this, not the request; such a fallback is logged as a warning here, and
    :func:`genloom.sdk.placement.onnx_fallback` gives the same text for the job's record.
    When a CPU thread count is set (:func:`cpu_threads`), the
    session's intra-op threads follow it unless ``session_options`` names its own.

    :raises OnnxRuntimeError: the file is missing or onnxruntime cannot open it.
    """
    path = Path(path)
    if not path.is_file():
        raise OnnxRuntimeError(f"ONNX model {path} does not exist or is not a file")
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OnnxRuntimeError(
            f"cannot open {path}: onnxruntime is not installed; install onnxruntime "
            "(or onnxruntime-gpu for CUDA)"
        ) from exc
    requested = list(providers) if providers is not None else choose_onnx_providers(
        device, ort.get_available_providers())
    threads = cpu_threads()
    if threads:
        if session_options is None:
            session_options = ort.SessionOptions()
        if not session_options.intra_op_num_threads:  # a plugin's own choice stands
            session_options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(path), sess_options=session_options, providers=requested)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise OnnxRuntimeError(f"onnxruntime could not open {path} with providers {requested}: {exc}") from exc
    active = list(session.get_providers())
    from genloom.sdk.placement import onnx_fallback

    fallback = onnx_fallback(device, active, ort.get_available_providers())
    if fallback:
        logging.getLogger("genloom.runtime").warning("%s: %s", path.name, fallback)
    return session, active
