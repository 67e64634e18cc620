"""A new user's first minutes in the window: size, the first form, what empty panels say,
and the finished asset shown (real widgets offscreen, the built-in or test plugins)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QSpinBox

from genloom._qt.gallery import EMPTY_PROJECT_HINT
from genloom._qt.generate_panel import PICKER_HEIGHT
from genloom._qt.inspector import EMPTY_INSPECTOR_HINT
from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings

TIMEOUT = 60_000
WHAT_TO_DO = "Pick a generator on the left, write a prompt, press Generate"


@pytest.fixture
def builtin_plugins(genloom_plugins):
    return genloom_plugins(entry_points=True)


def _window(qtbot, settings, plugins, project) -> MainWindow:
    window = MainWindow(settings, plugins, project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


FIRST_WINDOW = r"""
import json
from genloom._qt.startup import build_window
app, window = build_window(["genloom-app"])
window.show(); app.processEvents()
area, frame = window.screen().availableGeometry(), window.frameGeometry()
print(json.dumps([area.getRect(), frame.getRect()]))
"""


@pytest.mark.parametrize("screen", [(1600, 1000), (1280, 800)])
def test_a_first_window_fills_most_of_the_screens_available_area_and_stays_inside(tmp_path, screen):
    """The real start-up on a screen of a given size (Qt's offscreen platform, configured)."""
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": screen[0],
                                               "height": screen[1], "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "GENLOOM_HOME": str(tmp_path / "home"),
           "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = subprocess.run([sys.executable, "-c", FIRST_WINDOW], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    (ax, ay, aw, ah), (fx, fy, fw, fh) = json.loads(out.stdout.splitlines()[-1])
    assert (aw, ah) == screen
    assert ax <= fx and ay <= fy and fx + fw <= ax + aw and fy + fh <= ay + ah  # inside the screen
    assert fw >= 0.85 * aw and fh >= 0.85 * ah


def test_every_built_in_form_fits_the_generate_dock_without_a_sideways_scroll_bar(
        qtbot, builtin_plugins, genloom_project):
    window = _window(qtbot, Settings(), builtin_plugins, genloom_project)
    panel = window.generate_panel
    for generator_id in sorted(builtin_plugins.generators):
        assert panel.picker.select(generator_id)
        qtbot.wait(10)
        assert panel.form_width_needed() <= window.generate_dock.width(), generator_id
        assert panel.form.width() >= panel.form.minimumSizeHint().width(), generator_id
        assert not panel.form_area.horizontalScrollBar().isVisible(), generator_id
    # The list shows the generators, not four rows of them, and leaves the form most of a
    # short panel (this first window is 720 px tall, as on a 1366x768 laptop screen).
    tree = panel.picker.tree
    assert window.height() <= 720
    assert tree.viewport().height() >= 6 * tree.sizeHintForRow(0)
    assert panel.form_area.height() >= 1.4 * panel.picker.height()
    window.resize(1600, 1200)  # a tall window: the list its full first height, the form the rest
    qtbot.waitUntil(lambda: panel.picker.height() == PICKER_HEIGHT)
    assert tree.viewport().height() >= 8 * tree.sizeHintForRow(0)
    assert panel.form_area.height() > PICKER_HEIGHT


def test_a_dragged_split_between_the_generator_list_and_the_form_stays_where_it_was_put(
        qtbot, builtin_plugins, genloom_project):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    window = _window(qtbot, Settings(), builtin_plugins, genloom_project)
    split = window.generate_panel.split
    before = split.sizes()
    handle = split.handle(1)
    centre = handle.rect().center()
    QTest.mousePress(handle, Qt.MouseButton.LeftButton, pos=centre)
    QTest.mouseMove(handle, centre + QPoint(0, 40))
    QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=centre + QPoint(0, 40))
    qtbot.waitUntil(lambda: split.sizes()[0] > before[0])
    dragged = split.sizes()
    window.resize(window.width(), window.height() + 100)
    qtbot.waitUntil(lambda: sum(split.sizes()) > sum(dragged))
    assert split.sizes()[0] == dragged[0]  # the taller panel went to the form, not to the list


def test_a_form_wider_than_the_dock_widens_the_dock_instead_of_being_clipped(
        qtbot, fixture_plugins, genloom_project):
    window = _window(qtbot, Settings(), fixture_plugins, genloom_project)
    panel = window.generate_panel
    panel.picker.select("gltest_basic.echo")
    panel.form.fields["prompt"].widget.setMinimumWidth(600)  # a plugin's very wide field
    qtbot.waitUntil(lambda: window.generate_dock.width() >= panel.form_width_needed() > 600)
    assert window.generate_dock.width() >= panel.form_width_needed()
    assert not panel.form_area.horizontalScrollBar().isVisible()


def test_the_first_generator_is_text_to_image_with_a_prompt_the_bundled_model_knows(
        qtbot, builtin_plugins, genloom_project):
    window = _window(qtbot, Settings(), builtin_plugins, genloom_project)
    form = window.generate_panel.form
    assert form.spec.id == "image.text_to_image"
    assert "red heart" in form.fields["prompt"].widget.placeholderText()


def test_the_last_generator_used_is_shown_at_the_next_start(qtbot, builtin_plugins, genloom_project):
    window = _window(qtbot, Settings.load(), builtin_plugins, genloom_project)
    assert window.generate_panel.picker.select("text.complete")
    assert Settings.load().last_generator == "text.complete"
    again = _window(qtbot, Settings.load(), builtin_plugins, genloom_project)
    assert again.generate_panel.form.spec.id == "text.complete"


def test_width_and_height_read_model_default_not_zero_pixels(qtbot, builtin_plugins, genloom_project):
    window = _window(qtbot, Settings(), builtin_plugins, genloom_project)
    form = window.generate_panel.form
    for name in ("width", "height"):
        spin = form.fields[name].widget.findChild(QSpinBox)
        assert spin.value() == 0 and spin.text() == "Model default"
        assert "native size" in spin.toolTip() or "native size" in form.fields[name].widget.toolTip()
    assert form.values()["width"] == 0  # the value the generator reads as "the model's own size"


@pytest.fixture
def window(qtbot, fixture_plugins, genloom_project):
    win = _window(qtbot, Settings(), fixture_plugins, genloom_project)
    win.start_engine()
    yield win
    win.stop_engine()


def test_an_empty_project_says_what_to_do_and_a_finished_asset_is_shown_with_its_recipe(qtbot, window):
    gallery, inspector = window.gallery, window.inspector
    assert gallery.grid_stack.currentWidget() is gallery.empty_hint
    assert gallery.empty_hint.text() == EMPTY_PROJECT_HINT and WHAT_TO_DO in EMPTY_PROJECT_HINT
    assert inspector.asset() is None and inspector.empty_label.text() == EMPTY_INSPECTOR_HINT
    assert WHAT_TO_DO in EMPTY_INSPECTOR_HINT

    panel = window.generate_panel
    panel.picker.select("gltest_basic.echo")
    panel.form.fields["prompt"].set("harbour lights")
    (job,) = panel.generate()
    qtbot.waitUntil(lambda: inspector.asset() is not None, timeout=TIMEOUT)
    (asset_id,) = window.project.jobs.get(job.id).asset_ids
    assert inspector.asset().id == asset_id
    assert gallery.current_id() == asset_id
    assert gallery.grid_stack.currentWidget() is gallery.view
    assert "harbour lights" in inspector.viewer().toPlainText()


def test_filters_that_hide_everything_say_so(qtbot, window):
    window.project.add_asset(b"a note", kind="text", suffix=".txt")
    window.gallery.refresh()
    qtbot.waitUntil(lambda: window.gallery.model.total() == 1, timeout=TIMEOUT)
    window.gallery.kind_combo.setCurrentIndex(window.gallery.kind_combo.findData("image"))
    qtbot.waitUntil(lambda: window.gallery.grid_stack.currentWidget() is window.gallery.empty_hint,
                    timeout=TIMEOUT)
    assert window.gallery.empty_hint.text().startswith("No assets match these filters")
