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


@pytest.fixture(scope="session", autouse=True)
def _clear_offscreen_clipboard():
    """Qt's offscreen platform segfaults at exit when the clipboard holds a QMimeData
    (seen with PySide6 6.11 and 6.12; the xcb platform does not), so the tests that
    copy leave it empty for the interpreter's exit."""
    yield
    import sys

    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None and app.platformName() == "offscreen":
            app.clipboard().clear()
