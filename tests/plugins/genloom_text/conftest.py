"""Fixtures: tiny random models in temp folders, a runner for generators in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from genloom.sdk import ModelRef, Output, Request, RunState
from tests.plugins.genloom_text.tiny_models import build_gpt2, build_llama


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = build_llama(tmp_path_factory.mktemp("tiny-llama"))
    return ModelRef(id=str(path), path=str(path), source="user")


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = build_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))
    return ModelRef(id=str(path), path=str(path), source="user")


@pytest.fixture(params=["llama", "gpt2"])
def tiny_model(request: pytest.FixtureRequest) -> ModelRef:
    """Each test using it runs on the tiny Llama and on the tiny GPT-2."""
    return request.getfixturevalue(f"tiny_{request.param}")


@pytest.fixture
def text_plugins(genloom_plugins: Callable[..., Any]) -> Any:
    return genloom_plugins(modules=["genloom_text.plugin"])


class Runner:
    """Loads one generator on one model and runs requests against it, in-process."""

    def __init__(self, plugins: Any, generator_id: str, model: ModelRef, workdir: Path) -> None:
        self.spec = plugins.generator(generator_id)
        self.model = model
        self.generator = self.spec.factory()
        self.generator.load(model, "cpu", "float32")
        self.workdir = workdir

    def request(self, seed: int = 1, seeds: tuple[int, ...] = (), **params: Any) -> Request:
        return Request(self.spec.id, self.spec.validate_params(params), seed, model=self.model,
                       output_dir=self.workdir, seeds=seeds)

    def run(self, seed: int = 1, state: RunState | None = None, seeds: tuple[int, ...] = (),
            **params: Any) -> tuple[list[Output], RunState]:
        state = state or RunState()
        return self.generator.run(self.request(seed, seeds, **params), state), state


@pytest.fixture
def runner(text_plugins: Any, tmp_path: Path) -> Callable[..., Runner]:
    """``runner(generator_id, model_ref)`` -> a loaded :class:`Runner`; unloaded after."""
    made: list[Runner] = []

    def make(generator_id: str, model: ModelRef, plugins: Any = None) -> Runner:
        made.append(Runner(plugins or text_plugins, generator_id, model, tmp_path))
        return made[-1]

    yield make
    for item in made:
        item.generator.unload()
