"""Runtime helpers for generators: ONNX Runtime sessions on the best available provider.

onnxruntime is imported only inside the functions that need it, so importing
this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.sdk.errors import GenloomError

__all__ = ["ONNX_PROVIDER_ORDER", "OnnxRuntimeError", "choose_onnx_providers", "onnx_session"]

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


def onnx_session(path: Path | str, device: str,
                 providers: Sequence[str | tuple[str, dict[str, Any]]] | None = None,
                 session_options: Any | None = None) -> tuple[Any, list[str]]:
    """Open ``path`` with ONNX Runtime; return ``(session, active_providers)``.

    Providers are chosen by :func:`choose_onnx_providers` (TensorRT, CUDA,
    DirectML, CoreML, CPU, among those this onnxruntime build offers and the
    device allows) unless ``providers`` is given. ``active_providers`` is what
    the session actually uses (``session.get_providers()``): onnxruntime falls
    back to the CPU silently when a GPU provider fails to start, so record
    this, not the request.

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
    try:
        session = ort.InferenceSession(str(path), sess_options=session_options, providers=requested)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise OnnxRuntimeError(f"onnxruntime could not open {path} with providers {requested}: {exc}") from exc
    return session, list(session.get_providers())
