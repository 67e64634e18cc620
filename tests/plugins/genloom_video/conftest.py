"""Fixtures: the video and image plugins, an in-process runner, keyframe pictures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from genloom.sdk import InputAsset, ModelRef, Output, Request, RunState

ROOT = Path(__file__).resolve().parents[3]
BUNDLED_IMAGE = ModelRef(id="image.emoji-ldm-32", kind="diffusers", source="bundled",
                         path=str(ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"))


@pytest.fixture
def video_plugins(genloom_plugins: Callable[..., Any]) -> Any:
    return genloom_plugins(modules=["genloom_image.plugin", "genloom_video.plugin"])


class Runner:
    """Loads one generator on one model and runs requests against it, in-process."""

    def __init__(self, plugins: Any, generator_id: str, model: ModelRef | None, workdir: Path) -> None:
        self.spec = plugins.generator(generator_id)
        self.model = model
        self.generator = self.spec.factory()
        self.generator.load(model, "cpu", "float32")
        self.workdir = workdir
        self.runs = 0

    def request(self, seed: int = 1, inputs: dict[str, InputAsset] | None = None, **params: Any) -> Request:
        self.runs += 1
        out = self.workdir / f"run-{self.runs}"
        out.mkdir(parents=True, exist_ok=True)
        return Request(self.spec.id, self.spec.validate_params(params), seed, inputs=dict(inputs or {}),
                       model=self.model, output_dir=out)

    def run(self, seed: int = 1, state: RunState | None = None, inputs: dict[str, InputAsset] | None = None,
            **params: Any) -> tuple[list[Output], RunState]:
        state = state or RunState()
        return self.generator.run(self.request(seed, inputs, **params), state), state


@pytest.fixture
def runner(video_plugins: Any, tmp_path: Path) -> Iterator[Callable[..., Runner]]:
    made: list[Runner] = []

    def make(generator_id: str, model: ModelRef | None = BUNDLED_IMAGE, plugins: Any = None) -> Runner:
        made.append(Runner(plugins or video_plugins, generator_id, model, tmp_path / "runs"))
        return made[-1]

    yield make
    for item in made:
        item.generator.unload()


def drawn(width: int, height: int, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> np.ndarray:
    """A grey-ramp picture with one coloured box (textured, so optical flow has something to follow)."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[..., :] = np.linspace(40, 200, width, dtype=np.uint8)[None, :, None]
    x0, y0, x1, y1 = box
    frame[y0:y1, x0:x1] = colour
    return frame


@pytest.fixture
def keyframe(tmp_path: Path) -> Callable[..., InputAsset]:
    """``keyframe(array, name)`` -> an image InputAsset of that picture."""
    from PIL import Image

    def make(array: np.ndarray, name: str) -> InputAsset:
        path = tmp_path / f"{name}.png"
        Image.fromarray(array).save(path)
        return InputAsset(asset_id=None, kind="image", path=path)

    return make


def decoded(output: Output) -> list[np.ndarray]:
    from genloom.sdk.video import read_frames

    return list(read_frames(output.path))
