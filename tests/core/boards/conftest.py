"""Fixtures of the storyboard tests: the built-in procedural plugin plus a tiny test
video generator (tests/fixtures/board_plugins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

BOARD_PLUGINS = Path(__file__).parents[2] / "fixtures" / "board_plugins"


@pytest.fixture
def board_plugins(genloom_plugins: Any) -> Any:
    return genloom_plugins(modules=["genloom_procedural.plugin"], dirs=[BOARD_PLUGINS])


@pytest.fixture
def stills_plugins(genloom_plugins: Any) -> Any:
    return genloom_plugins(modules=["genloom_procedural.plugin"])
