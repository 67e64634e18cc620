"""Fixtures: a tiny random Stable Diffusion folder and LoRA, and an in-process runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from genloom.sdk import InputAsset, ModelRef, Output, Request, RunState
from tests.plugins.genloom_image.tiny_sd import build_tiny_lora, build_tiny_sd


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    """A user's Stable Diffusion folder (random weights), as the model library hands it over."""
    path = build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))
    return ModelRef(id=str(path), kind="diffusers", path=str(path), source="user", title="tiny-sd")


@pytest.fixture(scope="session")
def tiny_lora(tiny_sd: ModelRef, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_lora(Path(tiny_sd.path), tmp_path_factory.mktemp("tiny-lora"))


@pytest.fixture
def image_plugins(genloom_plugins: Callable[..., Any]) -> Any:
    return genloom_plugins(modules=["genloom_image.plugin"])


@pytest.fixture
def picture(tmp_path: Path) -> Callable[..., InputAsset]:
    """``picture(w, h, mode)`` -> an InputAsset of a simple drawn image (or mask) file."""
    from PIL import Image, ImageDraw

    def make(width: int = 64, height: int = 64, kind: str = "image", name: str = "") -> InputAsset:
        if kind == "mask":
            img = Image.new("L", (width, height), 0)
            ImageDraw.Draw(img).rectangle((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=255)
        else:
            img = Image.new("RGB", (width, height), (250, 200, 40))
            ImageDraw.Draw(img).ellipse((4, 4, width - 4, height - 4), fill=(220, 30, 60))
        path = tmp_path / (name or f"{kind}-{width}x{height}.png")
        img.save(path)
        return InputAsset(asset_id=None, kind="image", path=path, metadata={"prompt": "a red dot"})

    return make


class Runner:
    """Loads one generator on one model and runs requests against it, in-process."""

    def __init__(self, plugins: Any, generator_id: str, model: ModelRef | None, workdir: Path) -> None:
        self.spec = plugins.generator(generator_id)
        self.model = model
        self.generator = self.spec.factory()
        self.generator.load(model, "cpu", "float32")
        self.workdir = workdir
        self.runs = 0

    def request(self, seed: int = 1, inputs: dict[str, InputAsset] | None = None,
                seeds: tuple[int, ...] = (), **params: Any) -> Request:
        self.runs += 1
        out = self.workdir / f"run-{self.runs}"
        out.mkdir(parents=True, exist_ok=True)
        return Request(self.spec.id, self.spec.validate_params(params), seed, inputs=dict(inputs or {}),
                       model=self.model, output_dir=out, seeds=seeds)

    def run(self, seed: int = 1, state: RunState | None = None, inputs: dict[str, InputAsset] | None = None,
            seeds: tuple[int, ...] = (), **params: Any) -> tuple[list[Output], RunState]:
        state = state or RunState()
        return self.generator.run(self.request(seed, inputs, seeds, **params), state), state


@pytest.fixture
def runner(image_plugins: Any, tmp_path: Path) -> Iterator[Callable[..., Runner]]:
    """``runner(generator_id, model_ref)`` -> a loaded :class:`Runner`; unloaded after the test."""
    made: list[Runner] = []

    def make(generator_id: str, model: ModelRef | None, plugins: Any = None) -> Runner:
        made.append(Runner(plugins or image_plugins, generator_id, model, tmp_path))
        return made[-1]

    yield make
    for item in made:
        item.generator.unload()


def pixels(output: Output) -> Any:
    """An output PNG as a float numpy array."""
    import numpy as np
    from PIL import Image

    with Image.open(output.path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)
