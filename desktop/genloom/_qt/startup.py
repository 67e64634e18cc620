"""The staged start-up: paint a light window frame first, then fill it from the event loop.

Before the first paint: the application, the first fonts, the theme, the settings and
the window frame (title, menu bar titles, empty docks at their stored sizes). After it:
the other fonts, the plugins (cheap by contract), the last project, the panels; the
worker process, with torch and the models, starts with the first job.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication, QWidget

    from genloom._qt.main_window import MainWindow
    from genloom.core.project import Project
    from genloom.core.settings import Settings


#: How many default project folders ("My first project", "My first project 2", ...) are
#: tried before the app gives up.
DEFAULT_PROJECT_TRIES = 5


class ProjectStartError(RuntimeError):
    """No project could be opened at start-up; the message says why for each one tried."""


def open_start_project(settings: Settings, requested: str | None = None) -> tuple[Project, str]:
    """The project to open: the one asked for, else the last one, else a new one in Documents.

    Returns the project and, when the one asked for (or the last one) could not
    be opened, why: the app then opens the default project and says so, rather
    than showing an empty window or silently switching projects.
    """
    from genloom.core import paths
    from genloom.core.project import Project
    from genloom.sdk.errors import GenloomError

    problem = ""
    wanted = Path(requested).expanduser() if requested else None
    if wanted is None and settings.last_project and \
            (Path(settings.last_project) / "genloom.db").exists():
        wanted = Path(settings.last_project)
    if wanted is not None:
        try:
            if requested:
                return Project.open_or_create(wanted), ""
            return Project.open(wanted), ""
        except (GenloomError, OSError) as exc:  # damaged, foreign, newer, unreadable
            from genloom._qt.remedies import app_message

            problem = f"Genloom could not open the project {wanted}:\n\n{app_message(exc)}"
    # The default project can be damaged too (or newer, or unreadable): it is left as it
    # is and a fresh one beside it opens, so the app does not hang on a blank window.
    base = paths.default_project_dir()
    candidates = [base] + [base.with_name(f"{base.name} {n}") for n in range(2, DEFAULT_PROJECT_TRIES + 1)]
    for candidate in candidates:
        try:
            project = Project.open_or_create(candidate)
        except (GenloomError, OSError) as exc:
            from genloom._qt.remedies import app_message

            problem += ("\n\n" if problem else "") + \
                f"Genloom could not open the project {candidate}:\n\n{app_message(exc)}"
            continue
        if problem:
            problem += f"\n\nThe project {project.path} was opened instead."
        return project, problem
    raise ProjectStartError(problem)


def start_application(argv: list[str] | None = None) -> tuple[QApplication, MainWindow, Settings]:
    """The QApplication, settings and an empty main window frame, cheap enough to show at once."""
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    from genloom._qt.resources import app_icon, load_first_frame_fonts
    from genloom._qt.theme import STYLE, apply_theme
    from genloom.core.settings import Settings, SettingsError

    app = QApplication.instance()
    new_app = app is None
    if app is None:
        # The style comes from the command line, not setStyle: the QStyle that setStyle
        # returns would build PySide's QStyle type (~15 ms) before the first paint.
        app = QApplication([*(argv if argv is not None else sys.argv), "-style", STYLE])
    assert isinstance(app, QApplication)
    app.setApplicationName("Genloom")
    app.setOrganizationName("Genloom")
    app.setWindowIcon(app_icon())
    app.setFont(QFont(load_first_frame_fonts(), 10))
    settings_error = ""
    try:
        settings = Settings.load()
    except SettingsError as exc:
        settings, settings_error = Settings(), str(exc)
    apply_theme(app, settings.theme, set_style=not new_app)

    from genloom._qt.main_window import MainWindow

    window = MainWindow(settings)
    if settings_error:
        window.statusBar().showMessage(f"settings were not readable, defaults used: {settings_error}", 15000)
    return app, window, settings


def finish_startup(window: MainWindow, argv: list[str] | None = None) -> bool:
    """Load plugins, open the project and fill the window (after it is on screen).

    Returns whether this is the first run (:func:`genloom.core.welcome.is_first_run`): the
    app then shows the welcome once the engine runs.
    """
    from genloom._qt.resources import load_remaining_fonts
    from genloom.core import paths
    from genloom.core.logs import install_app_log
    from genloom.core.plugins import PluginConfig, PluginManager
    from genloom.core.settings import SettingsError

    try:
        install_app_log(paths.log_dir())  # warnings and uncaught exceptions, rotated
    except OSError:
        pass  # a read-only log folder must not stop the app
    load_remaining_fonts()
    settings = window.settings
    plugins = PluginManager(PluginConfig.from_settings(settings)).load()
    args = [a for a in (argv or sys.argv)[1:] if not a.startswith("-")]
    from genloom.core.welcome import is_first_run

    first_run = is_first_run(settings, args[0] if args else None)
    project, problem = open_start_project(settings, args[0] if args else None)
    if not problem:
        settings.remember_project(project.path)
        try:
            settings.save()
        except (OSError, SettingsError):
            pass
    window.finish_startup(plugins, project)
    if problem:
        import logging

        logging.getLogger("genloom").warning("%s", problem)
        window.report_problem("Cannot open project", problem)
    return first_run and not problem


def build_window(argv: list[str] | None = None) -> tuple[QApplication, MainWindow]:
    """The application and a complete main window (not yet shown): for tests and scripts."""
    app, window, _settings = start_application(argv)
    finish_startup(window, argv)
    return app, window


def close_on_sigterm(window: QWidget) -> QObject:
    """Close ``window`` (which puts a running job back in the queue and stops the worker)
    when the process gets SIGTERM, as from a logout, ``kill`` or a service manager.

    Python runs signal handlers only between bytecodes, and Qt's event loop sits in C
    while idle, so a light timer wakes the interpreter a few times a second. Returns
    the timer (keep it referenced).
    """
    import signal

    from PySide6.QtCore import QTimer

    signal.signal(signal.SIGTERM, lambda *_: QTimer.singleShot(0, window.close))
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> QObject:
    """Call ``callback`` from the event loop once ``widget`` has been painted.

    A zero timer started at ``show()`` can fire before the window system asks for
    the first paint (on X11 the expose event comes later), and the work it starts
    would then delay that paint. Returns the event filter (keep it referenced).
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                widget.removeEventFilter(self)
                QTimer.singleShot(0, callback)
            return False

    watcher = FirstPaint(widget)
    widget.installEventFilter(watcher)
    return watcher
