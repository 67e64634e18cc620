"""GPU-only tests: marked ``gpu`` and skipped, with one reason, where there is no CUDA GPU.

Run them on a lent GPU with ``bash tools/gpu/check.sh`` (see tools/gpu/README.md), or here
with ``pytest -m gpu tests/gpu`` (they skip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from genloom.sdk import ModelRef, Output, Request, RunState

NO_CUDA = "no CUDA GPU here (torch.cuda.is_available() is False); run tools/gpu/check.sh on a lent GPU"
ROOT = Path(__file__).resolve().parents[2]
TEXT_MODEL = ModelRef(id="text.fortune-llama", path=str(ROOT / "plugins" / "genloom_text" / "models" / "fortune-llama"),
                      source="bundled")
CODE_MODEL = ModelRef(id="code.stdlib-llama", path=str(ROOT / "plugins" / "genloom_code" / "models" / "stdlib-llama"),
                      source="bundled")


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


#: Every test module here starts with ``pytestmark = GPU``.
GPU = [pytest.mark.gpu, pytest.mark.skipif(not cuda_available(), reason=NO_CUDA)]


class Loaded:
    """One generator loaded on one device and dtype, run in-process."""

    def __init__(self, plugins: Any, generator_id: str, model: ModelRef | None, device: str, dtype: str,
                 workdir: Path) -> None:
        self.spec = plugins.generator(generator_id)
        self.model = model
        self.generator = self.spec.factory()
        self.generator.load(model, device, dtype)
        self.workdir = workdir
        self.runs = 0

    def run(self, seed: int = 1, **params: Any) -> list[Output]:
        self.runs += 1
        out = self.workdir / f"run-{self.runs}"
        out.mkdir(parents=True, exist_ok=True)
        request = Request(self.spec.id, self.spec.validate_params(params), seed, model=self.model, output_dir=out)
        return self.generator.run(request, RunState())


@pytest.fixture
def load(genloom_plugins: Callable[..., Any], tmp_path: Path) -> Iterator[Callable[..., Loaded]]:
    """``load(generator_id, model, device, dtype)`` -> a :class:`Loaded`; unloaded after the test."""
    plugins = genloom_plugins(modules=["genloom_image.plugin", "genloom_text.plugin", "genloom_code.plugin",
                                       "genloom_video.plugin", "genloom_audio.plugin"])
    made: list[Loaded] = []

    def make(generator_id: str, model: ModelRef | None, device: str = "cuda", dtype: str = "float16") -> Loaded:
        made.append(Loaded(plugins, generator_id, model, device, dtype, tmp_path / f"g{len(made)}"))
        return made[-1]

    yield make
    for item in made:
        item.generator.unload()
