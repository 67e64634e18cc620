"""Shared test set-up: every test runs with its own Genloom home folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURE_PLUGINS = Path(__file__).parent / "fixtures" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_home(genloom_home: Path) -> Path:
    """No test reads or writes the real user's settings, logs or plugins."""
    return genloom_home


@pytest.fixture
def fixture_plugins(genloom_plugins):
    """The test plugins in tests/fixtures/plugins, without entry point plugins."""
    return genloom_plugins(dirs=[FIXTURE_PLUGINS])
