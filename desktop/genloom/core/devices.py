"""Choosing the device and dtype a generator runs on (in the worker process).

torch is imported only when a generator can use a GPU at all; a CPU-only
generator (``devices=("cpu",)``) never pays for it.
"""

from __future__ import annotations

import sys

from genloom.sdk.errors import GenloomError
from genloom.sdk.placement import DEFAULT_DTYPES  # the one owner of the dtype rule

__all__ = ["DEFAULT_DTYPES", "DeviceError", "available_device_types", "check_device_name", "resolve_device"]


class DeviceError(GenloomError):
    """The chosen device cannot be used here."""


def available_device_types() -> list[str]:
    """Device types that work on this machine, best first (imports torch if installed)."""
    found = []
    try:
        import torch
    except ImportError:
        return ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def check_device_name(preference: str | None) -> str:
    """``preference`` if it names a device Genloom knows, else :class:`DeviceError`.

    Checked when a job is queued, without importing torch: whether the device
    exists on this machine is known only in the worker.
    """
    text = (preference or "auto").strip().lower()
    kind, _, index = text.partition(":")
    if text == "auto" or (kind in DEFAULT_DTYPES and (not index and ":" not in text
                                                       or kind != "cpu" and index.isdigit())):
        return text
    raise DeviceError(f"device {preference!r} is not known; use auto, cpu, cuda, cuda:N or mps")


def resolve_device(preference: str, supported: tuple[str, ...]) -> tuple[str, str]:
    """Turn a preference (``auto``, ``cpu``, ``cuda``, ``cuda:1``, ``mps``) into (device, dtype).

    ``supported`` is the generator's ``devices``. Raises :class:`DeviceError`
    naming the device and the fix when the choice cannot run here.
    """
    preference = (preference or "auto").strip().lower()
    kind = preference.split(":", 1)[0]
    if preference == "auto":
        if supported == ("cpu",) or "torch" not in sys.modules and not _torch_installed():
            return "cpu", DEFAULT_DTYPES["cpu"]
        available = available_device_types()
        for candidate in ("cuda", "mps", "cpu"):
            if candidate in supported and candidate in available:
                return candidate, DEFAULT_DTYPES[candidate]
        raise DeviceError(
            f"none of this generator's devices ({', '.join(supported)}) is available here "
            f"(available: {', '.join(available)})"
        )
    if kind not in DEFAULT_DTYPES:
        raise DeviceError(f"device {preference!r} is not known; use auto, cpu, cuda, cuda:N or mps")
    if kind not in supported:
        raise DeviceError(
            f"device {preference!r} is not supported by this generator (it runs on "
            f"{', '.join(supported)}); choose one of those or auto"
        )
    if kind != "cpu" and kind not in available_device_types():
        raise DeviceError(
            f"device {preference!r} was chosen but is not available on this machine; "
            "choose auto or cpu, or check the GPU driver"
        )
    return preference, DEFAULT_DTYPES[kind]


def _torch_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None
