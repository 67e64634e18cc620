"""Projects with generated-looking assets (a recipe, inputs) for the provenance tests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from genloom.core.project import Asset, Project

MODEL = {"id": "emoji-ldm-32", "title": "Emoji LDM 32", "hash": "ab" * 32, "kind": "diffusers",
         "path": "/home/someone/models/emoji", "licence": "openrail++", "source": "bundled"}


def recipe(**extra: Any) -> dict[str, Any]:
    return {"recipe_version": 1, "generator": {"id": "image.text_to_image", "plugin": "genloom_image"},
            "model": dict(MODEL), "params": {"prompt": "a red fox", "steps": 4, "width": 512,
                                              "height": 512}, "seed": 7, "inputs": {},
            "genloom_version": "0.1.0", **extra}


def picture(size: int = 512, seed: int = 0) -> Image.Image:
    """A textured picture (a smooth gradient under noise), like a generated image."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, size)
    pixels = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp[::-1], ramp) / 2,
                       np.full((size, size), 120.0)], -1)
    return Image.fromarray((pixels + rng.normal(0, 12, pixels.shape)).clip(0, 255).astype(np.uint8))


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.create(tmp_path / "proj")


def add_image(project: Project, *, size: int = 512, suffix: str = ".png", seed: int = 0,
              **recipe_extra: Any) -> Asset:
    fmt = {".png": "PNG", ".jpg": "JPEG", ".webp": "WEBP"}[suffix]
    return project.add_asset(encoded(picture(size, seed), fmt), kind="image", suffix=suffix,
                             recipe=recipe(**recipe_extra), prompt="a red fox", title=f"fox {seed}")
