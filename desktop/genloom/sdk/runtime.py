"""Runtime helpers for generators: ONNX Runtime sessions on the best available provider.

onnxruntime is imported only inside the functions that need it, so importing
this module costs nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.sdk.errors import GenloomError

__all__ = ["CPU_THREADS_ENV", "ONNX_PROVIDER_ORDER", "OnnxRuntimeError", "apply_cpu_threads",
           "choose_onnx_providers", "cpu_threads", "onnx_session", "quiet_model_libraries",
           "set_cpu_threads"]

#: The number of CPU threads models may use (0 or unset: the libraries' own default, one
#: per core). The worker sets it from the user's setting; torch and ONNX Runtime both
#: follow it, so a comparison of the two backends compares like with like.
CPU_THREADS_ENV = "GENLOOM_CPU_THREADS"

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
