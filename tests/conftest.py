"""Shared test set-up: every test runs with its own Genloom home folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

FIXTURE_PLUGINS = Path(__file__).parent / "fixtures" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The tests cannot touch the real user's files: before anything (Qt, platformdirs, a
# subprocess) looks up the home folder, it is a decoy for the whole session, and the
# session fails if Genloom wrote anything there (it must write only under each test's
# GENLOOM_HOME). Libraries' own caches (fontconfig...) may land in the decoy.
DECOY_HOME = Path(tempfile.mkdtemp(prefix="genloom-tests-user-home-"))
os.environ["HOME"] = str(DECOY_HOME)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ.pop(_name, None)


def genloom_files_outside_the_test_homes() -> list[str]:
    """Files with Genloom in their path in the decoy user home."""
    return sorted(str(p.relative_to(DECOY_HOME)) for p in DECOY_HOME.rglob("*")
                  if "genloom" in str(p.relative_to(DECOY_HOME)).lower())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    stray = genloom_files_outside_the_test_homes()
    if stray:
        print("\nGenloom wrote outside the tests' GENLOOM_HOME (into the user's home): " + ", ".join(stray))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
