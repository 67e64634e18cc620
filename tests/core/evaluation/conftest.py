"""Fixtures of the evaluation tests: image and text sets in a real project."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

METRIC_PLUGINS = Path(__file__).parents[2] / "fixtures" / "metric_plugins"


def png(seed: int, size: int = 32) -> bytes:
    """A noise image (seed -1: a flat grey one)."""
    if seed < 0:
        pixels = np.full((size, size, 3), 128, dtype=np.uint8)
    else:
        pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def add_images(project: Any, seeds: list[int], tag: str = "evalset",
               steps: list[int] | None = None) -> list[int]:
    """Images tagged ``tag``, each with a recipe whose ``steps`` parameter is given."""
    ids = []
    for index, seed in enumerate(seeds):
        step = (steps or [10] * len(seeds))[index]
        asset = project.add_asset(png(seed), kind="image", suffix=".png", tags=[tag],
                                  prompt="a test pattern", generator_id="procedural.pattern",
                                  recipe={"params": {"steps": step}, "batch": "b1"})
        ids.append(asset.id)
    return ids


@pytest.fixture
def metric_plugins(genloom_plugins: Any) -> Any:
    return genloom_plugins(modules=["genloom_procedural.plugin"], dirs=[METRIC_PLUGINS])
