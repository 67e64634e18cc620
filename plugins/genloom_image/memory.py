"""Fitting a pipeline into the device: attention slicing, VAE tiling, CPU offload."""

from __future__ import annotations

from typing import Any

from genloom.sdk import ParameterError

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


def apply_memory_options(pipe: Any, device: str, mode: str, width: int, height: int,
                         cpu_offload: bool, state: dict[str, Any]) -> dict[str, bool]:
    """Turn slicing/tiling/offload on or off for this run; returns what is on.

    ``state`` remembers what this pipeline had, so a later run can undo it.
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
    if cpu_offload != state.get("offload", False):
        if cpu_offload:
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.remove_all_hooks()
            pipe.to(device)
    state.update(slicing=slicing, tiling=tiling, offload=cpu_offload)
    return {"attention_slicing": slicing, "vae_tiling": tiling, "cpu_offload": cpu_offload}
