"""The Plugins dialog's install controls: core does the work on a thread, the dialog shows it.

Only operations that core refuses before changing anything run here (a plugin asking for
another torch, uninstalling a built-in plugin): the tests' own environment must never
change. Installs that succeed are tested in a throwaway venv (tests/cli/test_plugin_install.py).
"""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import QTimer

from genloom._qt.dialogs import PluginDialog
from genloom.core.settings import Settings
from tests.plugin_envs import plugin_module, write_wheel


@pytest.fixture(autouse=True)
def _pip_sees_only_the_test_s_wheels(monkeypatch):
    """This machine's pip configuration (extra wheel folders) must not reach these runs."""
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


def test_a_refused_install_runs_without_freezing_the_dialog_and_says_why(qtbot, fixture_plugins, tmp_path):
    wheel = write_wheel(tmp_path / "wheels", "genloom-oldtorch", "0.1.0",
                        {"oldtorch/__init__.py": "", "oldtorch/plugin.py": plugin_module("oldtorch.echo")},
                        requires=("torch<2",), entry_points={"oldtorch": "oldtorch.plugin"})
    dialog = PluginDialog(fixture_plugins, Settings())
    qtbot.addWidget(dialog)
    panel = dialog.installer
    panel.offline.setChecked(True)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    with qtbot.waitSignal(panel.finished, timeout=120_000) as done:
        panel.install(str(wheel))
        assert panel.busy() and not panel.install_button.isEnabled()
        dialog.reject()  # closing while pip works is refused, not a crash
        assert "still working" in panel.status.text()
    timer.stop()
    assert len(ticks) >= 3  # the event loop kept running while pip resolved
    what, error = done.args
    assert what.startswith("install ") and "requires torch<2" in error
    assert "Not done:" in panel.status.text() and panel.install_button.isEnabled()
    assert "requires torch<2" in panel.log.toPlainText()


def test_uninstalling_a_built_in_plugin_is_refused_with_core_s_reason(qtbot, genloom_plugins):
    plugins = genloom_plugins(entry_points=True)
    dialog = PluginDialog(plugins, Settings())
    qtbot.addWidget(dialog)
    dialog.table.setCurrentCell(next(i for i, r in enumerate(dialog.records) if r.name == "image"), 1)
    assert dialog._selected_name() == "image"
    with qtbot.waitSignal(dialog.installer.finished, timeout=60_000) as done:
        dialog.installer.uninstall(dialog._selected_name())
    assert "built into Genloom and cannot be uninstalled" in done.args[1]
