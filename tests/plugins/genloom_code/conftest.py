"""Fixtures: a tiny random Llama whose tokenizer has FIM tokens, the code plugin alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from genloom.sdk import ModelRef
from tests.plugins.genloom_text.conftest import runner, tiny_gpt2, tiny_llama  # noqa: F401
from tests.plugins.genloom_text.tiny_models import build_llama


@pytest.fixture(scope="session")
def tiny_fim_llama(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = build_llama(tmp_path_factory.mktemp("tiny-fim-llama"), fim=True, chat_template=None)
    return ModelRef(id=str(path), path=str(path), source="user")


@pytest.fixture
def code_plugins(genloom_plugins: Callable[..., Any]) -> Any:
    return genloom_plugins(modules=["genloom_code.plugin"])


@pytest.fixture
def text_plugins(code_plugins: Any) -> Any:
    """The runner fixture loads generators from here: the code plugin."""
    return code_plugins
