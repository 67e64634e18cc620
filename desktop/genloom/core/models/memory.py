"""How much memory a loaded generator holds, and how much the worker may hold in all.

Used by the worker's generator cache (in the worker process only; torch is
looked up in ``sys.modules``, never imported here). A footprint is measured,
best first: the CUDA memory the load allocated; the bytes of the torch
modules the generator holds (parameters and buffers, found through its
attributes and a diffusers pipeline's components); the size of the model's
weight files.
"""

from __future__ import annotations

import functools
import sys
import types
from pathlib import Path
from typing import Any

from genloom.sdk.placement import default_memory_budget

__all__ = ["cuda_allocated", "default_budget", "generator_footprint", "model_file_bytes", "module_bytes"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".gguf", ".ckpt", ".pt", ".pth", ".sft")


def cuda_allocated(device: str) -> int | None:
    """Bytes torch has allocated on a CUDA ``device``, or None off CUDA / without torch loaded."""
    torch = sys.modules.get("torch")
    if torch is None or not device.startswith("cuda") or not torch.cuda.is_available():
        return None
    return int(torch.cuda.memory_allocated(device))


def module_bytes(obj: Any, _depth: int = 0, _seen: set[int] | None = None) -> int:
    """Bytes of the parameters and buffers of the torch modules ``obj`` holds (shared tensors once).

    Only what it understands is looked into: torch modules and tensors, dicts, lists and
    tuples, a diffusers pipeline's ``components`` and the attributes of plain objects.
    Modules, classes and functions a generator keeps (``self._torch = torch``) are
    skipped: looking into them runs arbitrary library code (torch's lazy ``ctypes``
    loaders open shared libraries on attribute access).
    """
    torch = sys.modules.get("torch")
    if torch is None or _depth > 3:
        return 0
    seen = _seen if _seen is not None else set()
    if id(obj) in seen or _opaque(obj):
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.nn.Module):
        total = 0
        for tensor in [*obj.parameters(), *obj.buffers()]:
            key = tensor.data_ptr() if tensor.device.type != "meta" else id(tensor)
            if key not in seen:
                seen.add(key)
                total += tensor.numel() * tensor.element_size()
        return total
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    else:
        attributes = getattr(obj, "__dict__", None)  # the instance's own, never a class's lookup hooks
        if not isinstance(attributes, dict):
            return 0
        components = attributes.get("components") if "components" in attributes else None
        if components is None:
            components = _pipeline_components(obj)
        children = list(components.values()) if isinstance(components, dict) else list(attributes.values())
    return sum(module_bytes(child, _depth + 1, seen) for child in children)


def _opaque(obj: Any) -> bool:
    """What the size count never looks into: modules, classes, functions, methods and scalars."""
    return isinstance(obj, (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
                            types.MethodType, functools.partial, str, bytes, int, float, bool)) or obj is None


def _pipeline_components(obj: Any) -> dict[str, Any] | None:
    """A diffusers pipeline's ``components`` (a property on its class), else None."""
    if not isinstance(getattr(type(obj), "components", None), property):
        return None
    try:
        components = obj.components
    except Exception:  # noqa: BLE001 - a property of a third party's class may raise anything
        return None
    return components if isinstance(components, dict) else None


def model_file_bytes(model: Any | None) -> int:
    """Bytes of the weight files of a :class:`~genloom.sdk.ModelRef` (0 when there is no path)."""
    if model is None or not getattr(model, "path", ""):
        return 0
    path = Path(model.path)
    try:
        if path.is_file():
            return path.stat().st_size
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.suffix.lower() in _WEIGHT_SUFFIXES)
    except OSError:
        return 0
    return 0


def generator_footprint(generator: Any, model: Any | None, device: str, cuda_before: int | None) -> int:
    """The best available estimate of what a just-loaded generator holds, in bytes; never raises."""
    try:
        after = cuda_allocated(device)
        if cuda_before is not None and after is not None and after > cuda_before:
            return after - cuda_before
        return module_bytes(generator) or model_file_bytes(model)
    except Exception:  # noqa: BLE001 - an estimate must never fail the job it is for
        return model_file_bytes(model)


def default_budget(device: str) -> int:
    """The automatic budget for ``device``: 90% of the GPU's memory, or half the machine's RAM
    (:func:`genloom.sdk.placement.default_memory_budget` owns the rule; plugins place models by it)."""
    return default_memory_budget(device)
