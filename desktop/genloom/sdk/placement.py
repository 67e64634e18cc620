"""Where and in what precision a model runs: the one owner of these rules for every plugin.

- :func:`resolve_dtype`: the dtype a model runs in on a device (fp32 on the CPU, fp16 on
  a GPU by default, bf16 only where the device supports it, and for a model trained in
  bf16 on a GPU that has it, since fp16 can overflow there).
- :func:`weights_footprint` and :func:`choose_placement`: a model's size from its weight
  files (in the dtype it will run in) against the VRAM budget decides whether it is put
  on the GPU whole, offloaded model by model, or offloaded layer by layer.
- :func:`place_pipeline`: applies a placement to a diffusers pipeline (duck-typed).
- :func:`onnx_fallback`: whether an ONNX Runtime session asked for a GPU and got the CPU,
  and why, so the job says so instead of silently running slower.
- :func:`runtime_record`: what actually ran, for the output's metadata and its recipe.

torch is looked up in ``sys.modules`` only (a plugin has loaded it by then), never
imported here, so this module costs nothing to import.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genloom.sdk.errors import InputError

__all__ = ["DEFAULT_DTYPES", "DTYPE_ALIASES", "MEMORY_BUDGET_ENV", "PLACEMENTS", "Placement", "WEIGHTS_SHARE",
           "canonical_dtype", "choose_placement", "default_memory_budget", "memory_budget_bytes",
           "model_runtime", "onnx_fallback", "pipeline_attention", "pipeline_runtime", "place_pipeline", "resolve_dtype", "runtime_record",
           "set_memory_budget", "weights_footprint"]

log = logging.getLogger("genloom.runtime")

#: The dtype each device type runs in unless the user or a model asks for another.
DEFAULT_DTYPES = {"cuda": "float16", "mps": "float16", "cpu": "float32"}

#: Names a user or a library may give a dtype, and the canonical name Genloom records.
DTYPE_ALIASES = {"float32": "float32", "fp32": "float32", "float": "float32",
                 "float16": "float16", "fp16": "float16", "half": "float16",
                 "bfloat16": "bfloat16", "bf16": "bfloat16"}

#: The memory budget for models on a device, in MB (0 or unset: automatic). The worker sets
#: it from the ``model_memory_budget_mb`` setting, like ``GENLOOM_CPU_THREADS``.
MEMORY_BUDGET_ENV = "GENLOOM_MEMORY_BUDGET_MB"

#: How a model is placed: whole on the device, one sub-model at a time (diffusers'
#: ``enable_model_cpu_offload``), or one layer at a time (``enable_sequential_cpu_offload``).
PLACEMENTS = ("device", "model_offload", "sequential_offload")

#: Room kept beside the weights for activations, the CUDA context and the allocator's
#: slack: a model "fits" when its weights take at most this share of the budget.
WEIGHTS_SHARE = 0.8

_ELEMENT_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2,
                  "I16": 2, "U16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1, "BOOL": 1}
_FLOAT_KINDS = ("F64", "F32", "F16", "BF16")
_TARGET_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}


def canonical_dtype(name: str) -> str:
    """``name`` as Genloom records it (``fp16`` -> ``float16``); :class:`InputError` if unknown."""
    key = str(name or "").strip().lower().removeprefix("torch.")
    if key not in DTYPE_ALIASES:
        raise InputError(f"dtype {name!r} is not known; use float32, float16 or bfloat16 "
                         "(or auto for the device's default)")
    return DTYPE_ALIASES[key]


def _device_kind(device: str) -> str:
    return (device or "cpu").strip().lower().split(":", 1)[0]


def _cuda_bf16_supported() -> bool:
    torch = sys.modules.get("torch")
    try:
        return bool(torch is not None and torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    except Exception:  # noqa: BLE001 - a driver that cannot answer does not have it
        return False


def resolve_dtype(device: str, requested: str = "auto", *, trained: str = "",
                  bf16_supported: bool | None = None) -> str:
    """The dtype a model runs in on ``device``.

    ``requested``: the user's or the worker's choice (``auto``: the device's default).
    ``trained``: the dtype the model's config says it was trained in (``""``: unknown).
    ``bf16_supported``: whether the GPU does bf16 (``None``: ask torch, if loaded).

    The CPU always runs float32 (half precision there is slow and loses accuracy); a GPU
    without bf16 gets float16 instead; on CUDA a model trained in bf16 runs in bf16 where
    fp16 was asked for (the worker's ``auto`` arrives as fp16), since its activations can
    overflow fp16's range; float32 asked for stays float32.
    """
    kind = _device_kind(device)
    if kind not in DEFAULT_DTYPES:
        raise InputError(f"device {device!r} is not known; use cpu, cuda, cuda:N or mps")
    auto = str(requested or "auto").strip().lower() == "auto"
    chosen = DEFAULT_DTYPES[kind] if auto else canonical_dtype(requested)
    if kind == "cpu":
        return "float32"
    if kind == "mps":
        return "float16" if chosen == "bfloat16" else chosen  # MPS bf16 is not reliable across macOS versions
    if bf16_supported is None:
        bf16_supported = _cuda_bf16_supported()
    if chosen == "bfloat16" and not bf16_supported:
        return "float16"
    trained_name = DTYPE_ALIASES.get(str(trained or "").lower().removeprefix("torch."), "")
    if chosen == "float16" and trained_name == "bfloat16" and bf16_supported:
        return "bfloat16"  # the same half size, without fp16's overflow for this model
    return chosen


# -- the VRAM budget and where a model goes -------------------------------------------------


def set_memory_budget(megabytes: int) -> None:
    """Make ``megabytes`` (0: automatic) the model memory budget of this process's generators."""
    if megabytes > 0:
        os.environ[MEMORY_BUDGET_ENV] = str(int(megabytes))
    else:
        os.environ.pop(MEMORY_BUDGET_ENV, None)


def default_memory_budget(device: str) -> int:
    """The automatic budget for ``device`` in bytes: 90% of a CUDA GPU's memory, else half the RAM."""
    torch = sys.modules.get("torch")
    if torch is not None and _device_kind(device) == "cuda" and torch.cuda.is_available():
        return int(torch.cuda.get_device_properties(device).total_memory * 0.9)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.5)
    except (AttributeError, ValueError, OSError):
        return 8 * 1024**3


def memory_budget_bytes(device: str) -> int:
    """The budget for models on ``device``: the user's setting, else :func:`default_memory_budget`."""
    try:
        megabytes = int(os.environ.get(MEMORY_BUDGET_ENV, "0") or 0)
    except ValueError:
        megabytes = 0
    return megabytes * 1024 * 1024 if megabytes > 0 else default_memory_budget(device)


@dataclass(frozen=True)
class Placement:
    """Where a model's weights live while it runs, and why."""

    mode: str
    reason: str


def choose_placement(components: Mapping[str, int], budget: int) -> Placement:
    """The placement for a model of ``components`` (name -> bytes of weights) under ``budget``.

    Pure. The whole model fits (weights within :data:`WEIGHTS_SHARE` of the budget): on the
    device. Else its largest component fits: model offload (one component on the GPU at a
    time). Else: sequential offload (one layer at a time; slowest, smallest). A budget of
    0 or less means no limit.
    """
    total = sum(components.values())
    largest = max(components.values(), default=0)
    usable = budget * WEIGHTS_SHARE
    if budget <= 0 or total <= usable:
        return Placement("device", f"{_mb(total)} of weights fit the {_mb(budget)} budget" if budget > 0
                         else "no memory budget")
    name = max(components, key=lambda k: components[k])
    if largest <= usable:
        return Placement("model_offload", f"{_mb(total)} of weights exceed the {_mb(budget)} budget; "
                         f"the largest part ({name}, {_mb(largest)}) fits, so parts move to the GPU in turn")
    return Placement("sequential_offload", f"even the largest part ({name}, {_mb(largest)}) exceeds the "
                     f"{_mb(budget)} budget, so layers move to the GPU one at a time")


def _mb(size: float) -> str:
    return f"{size / 1024**2:.0f} MB"


def _tensor_bytes(header: Mapping[str, Any], dtype: str) -> int:
    target = _TARGET_BYTES[canonical_dtype(dtype)]
    total = 0
    for name, entry in header.items():
        if name == "__metadata__" or not isinstance(entry, Mapping):
            continue
        count = 1
        for dim in entry.get("shape") or []:
            count *= int(dim)
        kind = str(entry.get("dtype", ""))
        # Float weights are cast to the run dtype on load; others keep their own size.
        total += count * (target if kind in _FLOAT_KINDS else _ELEMENT_BYTES.get(kind, 4))
    return total


def weights_footprint(path: Path | str, dtype: str) -> dict[str, int]:
    """Bytes each component of the model at ``path`` takes in ``dtype``, from its safetensors headers.

    A diffusers folder gives one entry per component folder (``unet``, ``vae``...), a
    transformers folder or a single file one entry (``model``). Only the headers are read.
    Files that are not safetensors count at their size on disk.
    """
    from genloom.sdk.formats import read_safetensors_header

    path = Path(path)
    files: Iterable[Path]
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (
            ".safetensors", ".bin", ".pt", ".pth", ".ckpt") and "onnx" not in p.relative_to(path).parts)
    else:
        return {}
    sizes: dict[str, int] = {}
    for file in files:
        relative = file.relative_to(path).parts if path.is_dir() else (file.name,)
        component = relative[0] if len(relative) > 1 else "model"
        if file.suffix.lower() == ".safetensors":
            size = _tensor_bytes(read_safetensors_header(file), dtype)
        else:
            size = file.stat().st_size
        sizes[component] = sizes.get(component, 0) + size
    return sizes


def place_pipeline(pipe: Any, device: str, placement: Placement) -> None:
    """Put a diffusers pipeline on ``device`` as ``placement`` says (moving it off any earlier offload)."""
    if placement.mode not in PLACEMENTS:
        raise InputError(f"placement {placement.mode!r} is not known; use one of {', '.join(PLACEMENTS)}")
    if placement.mode != "device" and _device_kind(device) != "cuda":
        raise InputError(f"offloading ({placement.mode}) needs a CUDA GPU, and this model runs on {device}")
    if hasattr(pipe, "remove_all_hooks"):
        pipe.remove_all_hooks()
    if placement.mode == "model_offload":
        pipe.enable_model_cpu_offload(device=device)
    elif placement.mode == "sequential_offload":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)


# -- ONNX Runtime: did the GPU provider start? ---------------------------------------------

_GPU_PROVIDERS = {"cuda": ("TensorrtExecutionProvider", "CUDAExecutionProvider"),
                  "mps": ("CoreMLExecutionProvider",), "dml": ("DmlExecutionProvider",)}


def onnx_fallback(device: str, active: Sequence[str], available: Sequence[str]) -> str:
    """Why a session meant for a GPU ``device`` runs on the CPU (``""``: it does not).

    ``active`` is ``session.get_providers()``, ``available`` the build's
    ``onnxruntime.get_available_providers()``. Pure.
    """
    wanted = _GPU_PROVIDERS.get(_device_kind(device), ())
    if not wanted or any(name in active for name in wanted):
        return ""
    if not any(name in available for name in wanted):
        fix = {"cuda": "install onnxruntime-gpu in place of onnxruntime",
               "mps": "install an onnxruntime build with CoreML",
               "dml": "install onnxruntime-directml"}[_device_kind(device)]
        return (f"ONNX Runtime runs on the CPU, not {device}: this onnxruntime build has no "
                f"{' or '.join(wanted)} (it offers {', '.join(available)}); {fix}, or use the torch backend")
    return (f"ONNX Runtime runs on the CPU, not {device}: {' or '.join(wanted)} failed to start (the "
            "worker log has onnxruntime's reason, often a CUDA or cuDNN version it was not built for); "
            "use the torch backend or install the onnxruntime-gpu build for this CUDA")


def pipeline_attention(pipe: Any) -> str:
    """The attention processor(s) a diffusers pipeline's denoiser runs, joined by ``+``
    (``AttnProcessor2_0``: PyTorch's scaled dot-product attention); ``""`` when it has none."""
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    processors = getattr(denoiser, "attn_processors", None)
    if not isinstance(processors, dict) or not processors:
        return ""
    return "+".join(sorted({type(p).__name__ for p in processors.values()}))


def pipeline_runtime(pipe: Any, device: str, *, placement: Placement | None = None,
                     providers: Sequence[str] = (), fallback: str = "") -> dict[str, Any]:
    """The runtime record of a diffusers pipeline's run: its denoiser's dtype; for torch the
    ``placement`` and the attention processor, for ONNX Runtime (``providers`` given) the
    providers and any ``fallback`` to the CPU (then the device is the CPU)."""
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    dtype = str(getattr(denoiser, "dtype", "")).removeprefix("torch.") or "float32"
    if providers:
        return runtime_record("cpu" if fallback else device, dtype, providers=providers, fallback=fallback)
    return runtime_record(device, dtype, placement=placement, attention=pipeline_attention(pipe))


def model_runtime(model: Any, device: str) -> dict[str, Any]:
    """The runtime record of a loaded transformers model: device, its dtype, the placement
    kept as ``model.genloom_placement`` (if any) and its attention implementation
    (``sdpa``: PyTorch's fused kernels)."""
    attention = str(getattr(model.config, "_attn_implementation", "") or "")
    return runtime_record(device, str(model.dtype).removeprefix("torch."),
                          placement=getattr(model, "genloom_placement", None), attention=attention)


def runtime_record(device: str, dtype: str, *, placement: Placement | None = None, attention: str = "",
                   providers: Sequence[str] = (), fallback: str = "") -> dict[str, Any]:
    """What actually ran, for ``Output.metadata["runtime"]`` (the engine copies it into the recipe)."""
    record: dict[str, Any] = {"device": device, "dtype": dtype}
    if placement is not None:
        record["placement"] = placement.mode
        record["placement_reason"] = placement.reason
    if attention:
        record["attention"] = attention
    if providers:
        record["providers"] = list(providers)
    if fallback:
        record["fallback"] = fallback
    return record
