"""Window state lives under Genloom's config folder, and a run writes nothing outside
GENLOOM_HOME (the tests themselves never touch the real user's files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from genloom.core import paths

RUN_AND_CLOSE = r"""
from genloom._qt.startup import build_window
app, window = build_window(["genloom-app"])
window.show(); app.processEvents()
window.close(); app.processEvents()
"""


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_first_run_writes_nothing_outside_genloom_home(tmp_path):
    """The whole app, started and closed as a user would: every file it writes (settings,
    window state, the first project, logs) is under GENLOOM_HOME; the user's home (here a
    decoy, with the XDG folders unset so Qt and platformdirs look there) stays empty."""
    home, decoy = tmp_path / "genloom-home", tmp_path / "user-home"
    decoy.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env.update(GENLOOM_HOME=str(home), HOME=str(decoy), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", RUN_AND_CLOSE], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _files(decoy) == []
    written = _files(home)
    assert "config/window.ini" in written and "config/settings.json" in written
    assert any(name.startswith("projects/My first project/") for name in written)


def test_window_state_is_stored_in_the_config_folder(qtbot, genloom_home, fixture_plugins, genloom_project):
    from genloom._qt.main_window import MainWindow
    from genloom.core.settings import Settings

    assert paths.window_state_file() == genloom_home / "config" / "window.ini"
    window = MainWindow(Settings(), fixture_plugins, genloom_project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.close()
    text = paths.window_state_file().read_text()
    assert "geometry=" in text and "state=" in text
