"""The staged start-up: a light frame painted first, filled without moving anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage

from genloom._qt.dock_layout import FIRST_RUN_DOCK_SIZES
from genloom._qt.dock_layout import stored_window_state as stored_window_state_settings
from genloom._qt.main_window import MainWindow
from genloom._qt.resources import icon
from genloom.core import paths
from genloom.core.project import Project
from genloom.core.settings import Settings


@pytest.fixture
def stored_window_state(genloom_home: Path) -> Iterator[Path]:
    """The window state file, in the test's GENLOOM_HOME like every setting."""
    yield paths.window_state_file()


def _layout(window: MainWindow) -> dict[str, tuple[int, int, int, int]]:
    return {name: widget.geometry().getRect() for name, widget in
            (("generate", window.generate_dock), ("queue", window.queue_dock), ("centre", window.centralWidget()),
             ("menu", window.menuBar()))}


def _frame_then_fill(qtbot, plugins, project) -> tuple[MainWindow, dict, dict]:
    window = MainWindow(Settings())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    first = _layout(window)
    window.finish_startup(plugins, project)
    qtbot.wait(50)
    return window, first, _layout(window)


def test_first_run_frame_has_the_final_dock_sizes_before_the_panels_exist(
        qtbot, fixture_plugins, genloom_project, stored_window_state):
    window, first, filled = _frame_then_fill(qtbot, fixture_plugins, genloom_project)
    assert first == filled
    assert window.generate_dock.width() == FIRST_RUN_DOCK_SIZES[0]
    assert window.queue_dock.height() == FIRST_RUN_DOCK_SIZES[1]
    assert window.generate_panel.picker.isVisible() and window.queue.isVisible()


def test_stored_dock_sizes_apply_to_the_frame_and_survive_the_fill(
        qtbot, fixture_plugins, genloom_project, stored_window_state):
    earlier = MainWindow(Settings(), fixture_plugins, genloom_project)
    qtbot.addWidget(earlier)
    earlier.show()
    qtbot.waitExposed(earlier)
    earlier.resizeDocks([earlier.generate_dock], [320], Qt.Orientation.Horizontal)
    earlier.resizeDocks([earlier.queue_dock], [300], Qt.Orientation.Vertical)
    qtbot.wait(50)
    earlier.close()  # stores geometry and dock state, closes the project
    # Only the dock state: the offscreen screen (800x600) would clamp a restored geometry
    # below the panels' minimum width, which is not what this test is about.
    stored_window_state_settings().remove("window/geometry")

    window, first, filled = _frame_then_fill(qtbot, fixture_plugins, Project.open(genloom_project.path))
    assert first == filled
    assert window.generate_dock.width() == 320
    assert window.queue_dock.height() == 300


FRAME_ONLY = r"""
import json, sys
from genloom._qt.startup import start_application
app, window, settings = start_application(["genloom-app"])
window.show(); app.processEvents()
print(json.dumps(sorted(sys.modules)))
"""


def test_the_frame_imports_neither_the_panels_nor_the_engine(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    env = {**os.environ, "GENLOOM_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    out = subprocess.run([sys.executable, "-c", FRAME_ONLY], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    modules = set(json.loads(out.stdout.splitlines()[-1]))
    deferred = {"PySide6.QtSvg", "numpy", "pluggy", "genloom.core.plugins", "genloom.core.project",
                "genloom._qt.gallery", "genloom._qt.inspector", "genloom._qt.queue_panel",
                "genloom._qt.generator_picker", "genloom._qt.dialogs", "genloom._qt.bridge",
                "genloom._qt.generate_panel", "genloom._qt.project_controller", "genloom._qt.menus",
                "genloom._qt.relay", "genloom._qt.remedies"}
    assert not modules & deferred


FRAME_ENUMS = r"""
import enum, json
created = []
build = enum.EnumType._create_
def counting(cls, class_name, names, **kwargs):
    created.append(kwargs.get("qualname") or class_name)
    return build(cls, class_name, names, **kwargs)
enum.EnumType._create_ = counting
from genloom._qt.startup import start_application
app, window, settings = start_application(["genloom-app"])
window.show(); app.processEvents()
frame = list(created)
from PySide6.QtCore import Qt
print(json.dumps([frame, created[len(frame):]]))
"""


def test_the_frame_does_not_build_the_qt_namespace(tmp_path):
    """PySide6 builds the ~100 enum classes of ``Qt`` on its first use (~40 ms), and the
    QStyle enums on QStyle's (~15 ms): the window must be painted before either."""
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    env = {**os.environ, "GENLOOM_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    out = subprocess.run([sys.executable, "-c", FRAME_ENUMS], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    frame, qt_namespace = json.loads(out.stdout.splitlines()[-1])
    assert len(qt_namespace) > 50  # the probe sees the namespace being built when it is
    assert not set(frame) & set(qt_namespace)
    assert not {"PixelMetric", "PrimitiveElement", "StandardPixmap"} & set(frame)  # QStyle's


def test_the_stored_first_run_state_lays_out_like_docks_placed_by_hand(
        qtbot, stored_window_state, monkeypatch):
    from genloom._qt import dock_layout

    restored = MainWindow(Settings())
    qtbot.addWidget(restored)
    monkeypatch.setattr(dock_layout, "FIRST_RUN_STATE", b"")  # not a state: placed by addDockWidget
    by_hand = MainWindow(Settings())
    qtbot.addWidget(by_hand)
    assert bytes(restored.saveState().data()) == bytes(by_hand.saveState().data())
    for window in (restored, by_hand):
        window.show()
        qtbot.waitExposed(window)
    assert _layout(restored) == _layout(by_hand)
    assert restored.dockWidgetArea(restored.generate_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert restored.dockWidgetArea(restored.queue_dock) == Qt.DockWidgetArea.BottomDockWidgetArea


def test_icons_render_when_painted_at_the_size_asked_and_disabled(qapp):
    themed = icon("generate", "#ff0000")
    for side in (16, 24, 48):
        image = themed.pixmap(QSize(side, side)).toImage().convertToFormat(QImage.Format.Format_ARGB32)
        assert image.size() == QSize(side, side)
        painted = [image.pixelColor(x, y) for x in range(side) for y in range(side)
                   if image.pixelColor(x, y).alpha() > 200]
        assert painted and all(c.red() > 200 and c.green() < 60 for c in painted)
    disabled = themed.pixmap(QSize(16, 16), QIcon.Mode.Disabled).toImage()
    normal = themed.pixmap(QSize(16, 16)).toImage()
    assert disabled != normal


def test_a_changed_copy_of_a_lazy_icon_keeps_working(qapp):
    original = icon("export")
    copy = QIcon(original)
    copy.addPixmap(original.pixmap(QSize(16, 16)))  # detaches: Qt clones the engine
    del copy
    assert not original.pixmap(QSize(32, 32)).isNull()
