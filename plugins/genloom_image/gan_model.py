"""The conditional GAN as a plain Python callable, for scripts and the families comparison.

    from genloom_image import gan_model
    make = gan_model.load("plugins/genloom_image/models/icon-gan-64")   # backend="onnxruntime" too
    images = make(["red heart", "cat face"], [1, 2])   # (2, 64, 64, 3) uint8, one per seed

The same caption and seed give the same bytes on every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom_image.family_runtime import FamilyRunner, latents, to_uint8


class GanModel:
    """``model(captions, seeds, temperature=1.0)`` -> ``(N, S, S, 3)`` uint8 images."""

    family = "icon-gan"

    def __init__(self, runner: FamilyRunner) -> None:
        if runner.config.family != self.family:
            raise TypeError(f"{runner.folder} is a {runner.config.family} folder, not {self.family}")
        self.runner = runner
        self.config = runner.config

    def __call__(self, captions: Sequence[str], seeds: Sequence[int], temperature: float = 1.0,
                 strict: bool = True) -> Any:
        """One image per (caption, seed); ``strict=False`` decodes a caption with no known word
        without a caption instead of raising ParameterError."""
        if len(captions) != len(seeds):
            raise ValueError(f"{len(captions)} captions but {len(seeds)} seeds: give one caption per seed")
        bags, _ = self.config.bag_of_words(list(captions), strict=strict)
        return to_uint8(self.runner.decode(latents(seeds, self.config.latent_dim, temperature), bags))


def load(folder: str | Path, backend: str = "torch", device: str = "cpu") -> GanModel:
    """The GAN in ``folder`` (``config.json`` + ``model.safetensors`` [+ ``onnx/``])."""
    return GanModel(FamilyRunner(Path(folder), backend, device))
