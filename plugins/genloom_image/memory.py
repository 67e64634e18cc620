"""Fitting a pipeline into the device: placement under the VRAM budget, attention slicing,
VAE tiling, CPU offload; and the record of what ran (device, dtype, attention, offload).

The rules (dtype, placement) belong to :mod:`genloom.sdk.placement`; this module applies
them to a diffusers pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import ParameterError
from genloom.sdk.placement import (
    Placement,
    choose_placement,
    memory_budget_bytes,
    place_pipeline,
    weights_footprint,
)
from genloom.sdk.placement import pipeline_runtime as sdk_pipeline_runtime

#: Below this much free CUDA memory, 'auto' turns attention slicing on.
LOW_VRAM_BYTES = 6 * 1024**3
#: Images with more pixels than this get VAE tiling under 'auto'.
LARGE_IMAGE_PIXELS = 1536 * 1536


def free_cuda_bytes(device: str) -> int | None:
    """Free memory on a CUDA device, or None for other devices."""
    if not device.startswith("cuda"):
        return None
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return int(free)


def load_placement(path: Path, device: str, dtype: str) -> Placement:
    """Where a pipeline loaded from ``path`` goes: on a CUDA GPU by its weights against the
    VRAM budget (:func:`genloom.sdk.placement.choose_placement`), elsewhere on the device."""
    if not device.startswith("cuda"):
        return Placement("device", f"{device} is not a CUDA GPU; offloading applies to CUDA only")
    return choose_placement(weights_footprint(path, dtype), memory_budget_bytes(device))


def apply_memory_options(pipe: Any, device: str, mode: str, width: int, height: int,
                         cpu_offload: bool, state: dict[str, Any],
                         placement: Placement | None = None) -> dict[str, Any]:
    """Turn slicing/tiling/offload on or off for this run; returns what is on.

    ``state`` remembers what this pipeline had, so a later run can undo it. ``placement``
    is where the pipeline went when it loaded; ``cpu_offload`` asks for at least model
    offload on top of it, and turning it off again goes back to ``placement``.
    """
    if cpu_offload and not device.startswith("cuda"):
        raise ParameterError("cpu_offload", True, f"only applies to CUDA GPUs, and this job runs on {device}",
                             "turn cpu_offload off, or run on a CUDA device")
    free = free_cuda_bytes(device)
    short = free is not None and free < LOW_VRAM_BYTES
    large = width * height > LARGE_IMAGE_PIXELS
    slicing = mode == "on" or (mode == "auto" and short)
    tiling = mode == "on" or (mode == "auto" and (large or short))
    if slicing != state.get("slicing", False) and hasattr(pipe, "enable_attention_slicing"):
        pipe.enable_attention_slicing() if slicing else pipe.disable_attention_slicing()
    vae = getattr(pipe, "vae", None)
    if tiling != state.get("tiling", False) and hasattr(vae, "enable_tiling"):
        vae.enable_tiling() if tiling else vae.disable_tiling()
    base = placement or Placement("device", "loaded on the device")
    wanted = base
    if cpu_offload and base.mode == "device":
        wanted = Placement("model_offload", "cpu_offload was asked for")
    if wanted.mode != state.get("placement", base.mode):
        place_pipeline(pipe, device, wanted)
    state.update(slicing=slicing, tiling=tiling, offload=cpu_offload, placement=wanted.mode,
                 placement_reason=wanted.reason)
    return {"attention_slicing": slicing, "vae_tiling": tiling, "cpu_offload": wanted.mode != "device",
            "placement": wanted.mode}


def pipeline_runtime(pipe: Any, device: str, memory_state: dict[str, Any], providers: list[str],
                     fallback: str) -> dict[str, Any]:
    """The runtime record of one run, with the placement this module chose
    (:func:`genloom.sdk.placement.pipeline_runtime`)."""
    placement = Placement(memory_state.get("placement", "device"), memory_state.get("placement_reason", ""))
    return sdk_pipeline_runtime(pipe, device, placement=placement, providers=providers, fallback=fallback)
