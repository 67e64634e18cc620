"""The centre's Storyboard, Chat and Evaluate tabs: listed from the start, built when first
shown (clicked, a menu entry, a shortcut, or asked for by code), the same to the user."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from genloom._qt.main_window import MainWindow
from genloom.core.settings import Settings

TITLES = ["Gallery", "Storyboard", "Chat", "Evaluate"]


@pytest.fixture
def window(qtbot, fixture_plugins, genloom_project):
    win = MainWindow(Settings(), fixture_plugins, genloom_project)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _titles(window: MainWindow) -> list[str]:
    tabs = window.centre_tabs
    return [tabs.tabText(i) for i in range(tabs.count())]


def _views():
    from genloom._qt.chat_view import ChatView
    from genloom._qt.evaluate_view import EvaluateView
    from genloom._qt.storyboard import StoryboardView

    return {"Storyboard": StoryboardView, "Chat": ChatView, "Evaluate": EvaluateView}


def _menu_action(window: MainWindow, menu: str, text: str):
    return next(a for a in window.menus[menu].actions() if a.text() == text)


def test_the_tabs_are_listed_at_once_and_each_is_built_when_its_tab_is_clicked(qtbot, window):
    tabs = window.centre_tabs
    assert _titles(window) == TITLES
    assert window._tabs_built == {}
    views = _views()
    for index, title in enumerate(TITLES[1:], start=1):
        qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(index).center())
        shown = tabs.currentWidget()
        assert isinstance(shown, views[title]) and tabs.currentIndex() == index
        assert shown.isVisible()
        assert _titles(window) == TITLES
    assert window.storyboard is tabs.widget(1) and window.chat is tabs.widget(2) and window.evaluate is tabs.widget(3)
    qtbot.mouseClick(tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(0).center())
    assert tabs.currentIndex() == 0 and window.gallery.isVisible()


def test_menu_entries_and_their_shortcuts_build_the_tab_they_show(qtbot, window):
    views = _views()
    for text, shortcut in (("Storyboard", "Ctrl+2"), ("Chat", "Ctrl+3")):
        action = _menu_action(window, "view", text)
        assert action.shortcut().toString() == shortcut
        action.trigger()
        assert isinstance(window.centre_tabs.currentWidget(), views[text])
    _menu_action(window, "view", "Gallery").trigger()
    assert window.centre_tabs.currentIndex() == 0


def test_new_conversation_builds_the_chat_and_focuses_its_composer(qtbot, genloom_plugins, genloom_project):
    window = MainWindow(Settings(), genloom_plugins(entry_points=True), genloom_project)  # with text.chat
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    _menu_action(window, "generate", "New conversation").trigger()
    chat = window.centre_tabs.currentWidget()
    assert chat is window.chat and chat.conversation_id is not None
    qtbot.waitUntil(chat.composer.hasFocus)


def test_asking_for_a_tab_builds_it_in_place_without_bringing_it_forward(window):
    evaluate = window.evaluate
    assert isinstance(evaluate, _views()["Evaluate"])
    assert window.centre_tabs.indexOf(evaluate) == 3 and window.centre_tabs.currentIndex() == 0
    assert window.evaluate is evaluate and _titles(window) == TITLES
    window.show_evaluate()
    assert window.centre_tabs.currentWidget() is evaluate


def test_a_lazy_tab_speaks_through_the_status_bar(window):
    window.storyboard.status.emit("board saved")
    assert window.statusBar().currentMessage() == "board saved"


def test_tabs_built_before_and_after_a_project_switch_show_the_new_project(window, tmp_path):
    storyboard = window.storyboard  # built over the first project
    assert window.open_project(tmp_path / "second", create=True)
    second = window.project
    assert storyboard.project is second
    assert window.evaluate.project is second  # built now, over the open project


BUILT = r"""
import json, sys
from genloom._qt.startup import build_window
app, window = build_window(["genloom-app"])
window.show(); app.processEvents()
print(json.dumps(sorted(sys.modules)))
"""


def test_a_started_window_has_not_built_the_lazy_tabs(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    env = {**os.environ, "GENLOOM_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    out = subprocess.run([sys.executable, "-c", BUILT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    modules = set(json.loads(out.stdout.splitlines()[-1]))
    assert "genloom._qt.gallery" in modules  # the probe sees what the window built
    assert not modules & {"genloom._qt.storyboard", "genloom._qt.chat_view", "genloom._qt.evaluate_view",
                          "genloom._qt.leaderboard_view"}
