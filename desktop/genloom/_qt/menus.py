"""The menu bar's entries and shortcuts; each calls the window or one of its panels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

from genloom._qt.resources import icon

if TYPE_CHECKING:
    from genloom._qt.main_window import MainWindow

Shortcut = str | QKeySequence.StandardKey


def build_menus(window: MainWindow) -> None:
    """Fill the window's menus (their titles exist from the first frame)."""
    menus, panel = window.menus, window.generate_panel

    file_menu = menus["file"]
    add_action(file_menu, "New or open project…", window.choose_project, QKeySequence.StandardKey.Open, "open")
    window.recent_menu = file_menu.addMenu("Recent projects")
    fill_recent(window)
    file_menu.addSeparator()
    add_action(file_menu, "Import files…", window.import_dialog, "Ctrl+I", "input")
    add_action(file_menu, "Export selected asset…", lambda: window.export_asset(window.selected_asset()),
               "Ctrl+E", "export")
    file_menu.addSeparator()
    add_action(file_menu, "Archive project…", window.archive_dialog)
    add_action(file_menu, "Open project archive…", window.unarchive_dialog)
    file_menu.addSeparator()
    add_action(file_menu, "Quit", window.close, QKeySequence.StandardKey.Quit)

    gen_menu = menus["generate"]
    add_action(gen_menu, "Generate", panel.generate, "Ctrl+Return", "generate")
    extra = QAction(window)
    extra.setShortcut("Ctrl+Enter")
    extra.triggered.connect(panel.generate)
    window.addAction(extra)
    add_action(gen_menu, "Re-run selected asset", lambda: window.rerun(window.selected_asset(), False),
               "Ctrl+R", "retry")
    add_action(gen_menu, "Vary selected asset (new seed)", lambda: window.rerun(window.selected_asset(), True),
               "Ctrl+Shift+R", "vary")
    add_action(gen_menu, "Use selected asset as input", lambda: panel.use_as_input(window.selected_asset()),
               "Ctrl+U", "input")
    add_action(gen_menu, "Paint a mask over the selected image…",
               lambda: window.paint_mask(window.selected_asset()), "Ctrl+M", "image")
    add_action(gen_menu, "Cancel running job", window.cancel_running, "Escape", "cancel")
    gen_menu.addSeparator()
    add_action(gen_menu, "New conversation", lambda: window.show_chat(new=True), "Ctrl+Shift+N",
               "new")

    view_menu = menus["view"]
    add_action(view_menu, "Gallery", window.show_gallery, "Ctrl+1", "image")
    add_action(view_menu, "Storyboard", window.show_storyboard, "Ctrl+2", "video")
    add_action(view_menu, "Chat", window.show_chat, "Ctrl+3", "text")
    view_menu.addSeparator()
    view_menu.addAction(window.generate_dock.toggleViewAction())
    view_menu.addAction(window.queue_dock.toggleViewAction())
    theme_group = QActionGroup(window)
    for name in ("dark", "light"):
        action = view_menu.addAction(f"{name.capitalize()} theme")
        action.setCheckable(True)
        action.setChecked(window.settings.theme == name)
        action.triggered.connect(lambda _=False, n=name: window.set_theme(n))
        theme_group.addAction(action)

    tools = menus["tools"]
    add_action(tools, "Compare selected assets…", window.compare_selected, "Ctrl+K", "image")
    add_action(tools, "Leaderboard…", window.show_leaderboard, "Ctrl+Shift+L")
    tools.addSeparator()
    add_action(tools, "Model library…", window.show_model_library, "Ctrl+Shift+M", "folder")
    add_action(tools, "Plugins…", window.show_plugins, None, "plugin")
    add_action(tools, "Settings…", window.show_settings, QKeySequence.StandardKey.Preferences, "settings")
    add_action(tools, "Reveal project folder", lambda: QDesktopServices.openUrl(
        QUrl.fromLocalFile(str(window.project.path))), None, "reveal")

    add_action(menus["help"], "Benchmarks…", window.show_benchmarks)
    add_action(menus["help"], "Diagnostics…", window.show_diagnostics)
    add_action(menus["help"], "About Genloom", window.about)


def add_action(menu: QMenu, text: str, slot: Callable[[], object], shortcut: Shortcut | None = None,
               icon_name: str | None = None) -> QAction:
    """A menu entry calling ``slot`` (without Qt's ``checked`` argument), active in the whole window."""
    action = menu.addAction(icon(icon_name), text) if icon_name else menu.addAction(text)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _=False: slot())
    return action


def fill_recent(window: MainWindow) -> None:
    """List the recent projects under File (those gone from disk are shown disabled)."""
    menu = window.recent_menu
    menu.clear()
    recent = window.projects.recent_projects()
    for path, openable in recent:
        action = menu.addAction(path)
        action.setEnabled(openable)
        action.triggered.connect(lambda _=False, p=path: window.open_project(Path(p)))
    menu.setEnabled(bool(recent))
