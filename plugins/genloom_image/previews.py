"""Progress, previews and cancellation through diffusers' ``callback_on_step_end``.

A preview is a cheap linear map from latent channels to RGB (no VAE decode per
step). The map is fitted once per loaded VAE by decoding a few random latents and
solving least squares, so it works for any 4-channel autoencoder (the bundled one,
SD 1.x/2.x, SDXL) without a table of published factors.
"""

from __future__ import annotations

from typing import Any

from genloom.sdk import CancelledError, RunState


def fit_latent_to_rgb(vae: Any, samples: int = 4, side: int = 16, seed: int = 0) -> Any | None:
    """A ``(channels + 1) x 3`` matrix mapping scaled latents (and 1) to RGB in [-1, 1].

    Returns None for a VAE it cannot fit (no ``decode``, or an error decoding).
    """
    import torch

    try:
        config = vae.config
        channels = int(config.latent_channels)
        scale = float(getattr(config, "scaling_factor", 1.0) or 1.0)
        shift = float(getattr(config, "shift_factor", 0.0) or 0.0)
        param = next(vae.parameters())
        gen = torch.Generator().manual_seed(seed)
        latents = torch.randn(samples, channels, side, side, generator=gen)
        with torch.no_grad():
            decoded = vae.decode((latents / scale + shift).to(param.device, param.dtype)).sample.float().cpu()
        factor = decoded.shape[-1] // side
        pooled = torch.nn.functional.avg_pool2d(decoded, factor)  # back to latent resolution
        x = latents.permute(0, 2, 3, 1).reshape(-1, channels)
        x = torch.cat([x, torch.ones(len(x), 1)], dim=1)
        y = pooled.permute(0, 2, 3, 1).reshape(-1, 3)
        return torch.linalg.lstsq(x, y).solution
    except Exception:  # a preview is a nicety: never fail a job for it
        return None


def latents_to_image(latents: Any, matrix: Any, size: tuple[int, int]) -> Any:
    """The first latent of a batch as a PIL image of ``size`` via the fitted linear map."""
    import torch
    from PIL import Image

    z = latents[0].detach().float().cpu()
    if z.ndim != 3 or z.shape[0] + 1 != matrix.shape[0]:
        return None
    flat = torch.cat([z.permute(1, 2, 0), torch.ones(*z.shape[1:], 1)], dim=-1) @ matrix
    rgb = ((flat.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    return Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)


class StepReporter:
    """The ``callback_on_step_end`` of one run: progress, previews, cancellation.

    Cancellation sets the pipeline's own ``_interrupt`` flag and raises
    :class:`CancelledError` right there, so the run stops within the step that
    was in flight and skips the final VAE decode.
    """

    def __init__(self, state: RunState, total: int, matrix: Any | None, size: tuple[int, int],
                 previews: int = 8) -> None:
        self.state = state
        self.total = total
        self.matrix = matrix
        self.size = size
        self.previews = previews

    def __call__(self, pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if self.state.cancelled:
            pipe._interrupt = True
            raise CancelledError("cancelled by the user")
        # The steps actually run (image-to-image runs steps x strength; 2nd-order samplers more).
        total = int(getattr(pipe, "_num_timesteps", 0) or self.total)
        done = min(step + 1, total)
        every = max(1, total // self.previews)
        preview = None
        if self.matrix is not None and (done % every == 0 or done == total):
            latents = tensors.get("latents")
            if latents is not None:
                preview = latents_to_image(latents, self.matrix, self.size)
        self.state.progress(done, total, f"step {done} of {total}", preview=preview)
        return {}
