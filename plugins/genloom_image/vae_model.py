"""The conditional VAE as plain Python: sampling from captions, and interpolation.

    from genloom_image import vae_model
    vae = vae_model.load("plugins/genloom_image/models/icon-vae-64")   # backend="onnxruntime" too
    images = vae(["red heart"], [7])                  # (1, 64, 64, 3) uint8, from the prior
    frames = vae.interpolate(image_a, image_b, 8)      # (8, 64, 64, 3): a to b through the latent space

Images given are ``(S, S, 3)`` uint8 arrays at the model's size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom_image.family_runtime import FamilyRunner, to_uint8
from genloom_image.gan_model import GanModel

MODES = ("slerp", "lerp")


def blend(a: Any, b: Any, steps: int, mode: str = "slerp") -> Any:
    """``steps`` vectors from ``a`` to ``b`` (both ends included), ``(steps, dim)`` float32.

    ``slerp`` follows the great circle, keeping the norm a Gaussian latent expects; two
    (nearly) parallel vectors fall back on a straight line.
    """
    import numpy as np

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if mode == "lerp":
        return ((1 - t) * a + t * b).astype(np.float32)
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    cos = float(np.clip(np.dot(a, b) / norms, -1.0, 1.0)) if norms > 0 else 1.0
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


class VaeModel(GanModel):
    """Sampling (``model(captions, seeds)``, as the GAN: a caption's bag and a seed's latent
    through the decoder), encoding, decoding and interpolation."""

    family = "icon-vae"

    def encode(self, images: Any) -> Any:
        """Latent means of ``(N, S, S, 3)`` uint8 images."""
        return self.runner.encode(images)

    def decode(self, latent: Any, caption: str = "") -> Any:
        """``(N, S, S, 3)`` uint8 images of ``latent`` rows, all with one caption ("" for none)."""
        import numpy as np

        bags, _ = self.config.bag_of_words([caption])
        return to_uint8(self.runner.decode(np.asarray(latent, dtype=np.float32),
                                           np.repeat(bags, len(latent), axis=0)))

    def interpolate(self, image_a: Any, image_b: Any, steps: int, mode: str = "slerp", caption: str = "") -> Any:
        """``steps`` frames from ``image_a`` to ``image_b``: encode both, blend, decode."""
        import numpy as np

        ends = self.encode(np.stack([image_a, image_b]))
        return self.decode(blend(ends[0], ends[1], steps, mode), caption)


def load(folder: str | Path, backend: str = "torch", device: str = "cpu") -> VaeModel:
    """The VAE in ``folder`` (``config.json`` + ``model.safetensors`` [+ ``onnx/``])."""
    return VaeModel(FamilyRunner(Path(folder), backend, device))
