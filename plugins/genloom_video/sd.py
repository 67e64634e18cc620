"""The Stable Diffusion 1.x-family image model the video generators build on.

A video generator's model is the image model (the bundled ``image.emoji-ldm-32`` or a
user's diffusers SD folder from the model library); this module loads it with diffusers,
renders keyframes, and gives the pieces the latent morph needs (prompt embeddings,
seeded initial latents, denoising from given latents).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import CancelledError, GenloomError, ModelRef, PickleRefusedError, RunState
from genloom.sdk.placement import (
    Placement,
    canonical_dtype,
    choose_placement,
    memory_budget_bytes,
    place_pipeline,
    weights_footprint,
)
from genloom.sdk.runtime import quiet_model_libraries


class ModelLoadError(GenloomError):
    """An image model the video plugin cannot load, with the reason and the fix."""


def torch_dtype(name: str) -> Any:
    """The torch dtype for a dtype name (``fp16``, ``float16``...; genloom.sdk.placement knows the names)."""
    import torch

    return getattr(torch, canonical_dtype(name))


def place(pipe: Any, folder: Path, device: str, dtype: str) -> Any:
    """Put ``pipe`` on ``device``: wholly, or offloaded when its weights exceed the VRAM budget
    (the rule is genloom.sdk.placement's, the same as the image plugin's). Returns ``pipe``."""
    if device.startswith("cuda"):
        placement = choose_placement(weights_footprint(folder, dtype), memory_budget_bytes(device))
    else:
        placement = Placement("device", f"{device} is not a CUDA GPU")
    place_pipeline(pipe, device, placement)
    pipe.genloom_placement = placement
    return pipe


def model_folder(model: ModelRef | None) -> Path:
    """The diffusers folder of ``model``; the video generators load folders only."""
    if model is None or not model.path:
        raise ModelLoadError("no image model was given; choose a Stable Diffusion 1.x-family model "
                             "(the bundled image.emoji-ldm-32 works)")
    path = Path(model.path).expanduser()
    if not path.is_dir() or not (path / "model_index.json").is_file():
        raise ModelLoadError(f"{path} is not a diffusers pipeline folder (no model_index.json); the video "
                             "generators take diffusers folders: convert a single-file checkpoint first")
    weights = list(path.glob("*/*.safetensors"))
    pickles = [p for p in path.glob("*/*") if p.suffix in (".bin", ".ckpt", ".pt", ".pth")]
    if not weights and pickles:
        raise PickleRefusedError(pickles[0], f"{path} holds only pickle-based weights ({pickles[0].name}), "
                                 "which Genloom does not load; use its .safetensors release")
    return path


def load_image_pipeline(model: ModelRef | None, device: str, dtype: str) -> Any:
    """A ``StableDiffusionPipeline`` for ``model`` on ``device``."""
    quiet_model_libraries(diffusers=True)
    from diffusers import StableDiffusionPipeline

    path = model_folder(model)
    try:
        pipe = StableDiffusionPipeline.from_pretrained(path, dtype=torch_dtype(dtype), use_safetensors=True,
                                                       local_files_only=True, safety_checker=None,
                                                       requires_safety_checker=False)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelLoadError(f"diffusers could not load {path} as a Stable Diffusion 1.x-family model: {exc}; "
                             "choose an SD 1.x model folder") from exc
    pipe.set_progress_bar_config(disable=True)
    return place(pipe, path, device, dtype)


def native_size(pipe: Any) -> int:
    """The image side the model was trained at (the bundled model: 32; SD 1.5: 512)."""
    return int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)


def cancel_callback(state: RunState, total: int, message: str, report: bool = True) -> Any:
    """A ``callback_on_step_end`` that reports each step and stops within one step of a cancel."""

    def callback(pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        if state.cancelled:
            raise CancelledError("cancelled by the user")
        if report:
            state.progress(step + 1, total, message)
        return kwargs

    return callback


def render(pipe: Any, prompt: str, seed: int, steps: int, guidance: float, state: RunState,
           message: str, latents: Any = None, prompt_embeds: Any = None) -> Any:
    """One image (HxWx3 uint8) at the model's native size."""
    import numpy as np
    import torch

    size = native_size(pipe)
    kwargs: dict[str, Any] = {"num_inference_steps": steps, "guidance_scale": guidance, "height": size,
                              "width": size, "output_type": "np",
                              "callback_on_step_end": cancel_callback(state, steps, message, report=False)}
    if prompt_embeds is not None:
        kwargs["prompt_embeds"], kwargs["negative_prompt_embeds"] = prompt_embeds
    else:
        kwargs["prompt"] = prompt
    if latents is not None:
        kwargs["latents"] = latents
    else:
        kwargs["generator"] = torch.Generator("cpu").manual_seed(seed)
    image = pipe(**kwargs).images[0]
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def initial_latents(pipe: Any, seed: int) -> Any:
    """The starting noise ``render`` draws for ``seed`` (so a morph's ends match the keyframes)."""
    import torch

    size = native_size(pipe) // int(pipe.vae_scale_factor)
    shape = (1, int(pipe.unet.config.in_channels), size, size)
    return torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed), dtype=torch.float32).to(
        pipe.device, pipe.unet.dtype)


def embeddings(pipe: Any, prompt: str, guidance: float) -> tuple[Any, Any]:
    """(prompt, negative) embeddings as the pipeline makes them."""
    positive, negative = pipe.encode_prompt(prompt, pipe.device, 1, guidance > 1.0, negative_prompt=None)
    if negative is None:
        negative = positive.new_zeros(positive.shape) if guidance <= 1.0 else negative
    return positive, negative


def slerp(a: Any, b: Any, w: float) -> Any:
    """Spherical interpolation of two noise tensors (keeps the noise's norm, as Gaussian noise needs)."""
    import torch

    a_flat, b_flat = a.flatten().double(), b.flatten().double()
    cos = torch.clamp(torch.dot(a_flat, b_flat) / (a_flat.norm() * b_flat.norm()), -1.0, 1.0)
    omega = torch.arccos(cos)
    if float(omega.abs()) < 1e-4:
        return (1 - w) * a + w * b
    out = (torch.sin((1 - w) * omega) * a_flat + torch.sin(w * omega) * b_flat) / torch.sin(omega)
    return out.reshape(a.shape).to(a.dtype)
