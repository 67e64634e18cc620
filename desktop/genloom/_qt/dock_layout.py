"""Where the window's docks go before the first paint: the stored window state, else the first run's layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QDockWidget, QMainWindow

from genloom.core import paths

# Nothing here may touch PySide6's ``Qt`` namespace before the first paint: its first use
# builds some hundred Python enum classes (~40 ms). Restoring a saved state places the
# docks without addDockWidget, whose Qt.DockWidgetArea would build it
# (tests/qt/test_startup.py checks this).

LEFT_MIN_WIDTH = 300  # the Generate dock, placeholder and panel alike
FIRST_RUN_DOCK_SIZES = (360, 220)  # Generate dock width, Queue dock height, when nothing is stored
# The dock layout of a first run (Generate left, Queue bottom, at FIRST_RUN_DOCK_SIZES) as
# QMainWindow.saveState writes it; tests/qt/test_startup.py::test_the_stored_first_run_state_lays_out_like_docks_placed_by_hand
# checks that it lays out like docks placed by hand.
FIRST_RUN_STATE = bytes.fromhex(
    "000000ff00000000fd00000002000000000000016800000000fc0200000001fb0000001a0064006f0063006b002d0067"
    "0065006e006500720061007400650100000000ffffffff0000001000ffffff0000000300000000000000dcfc01000000"
    "01fb000000140064006f0063006b002d007100750065007500650100000000ffffffff0000002300ffffff0000000000"
    "00000000000004000000040000000800000008fc00000000")
DEFAULT_SIZE = (1440, 900)
FIRST_RUN_FRACTION = 0.9  # of the screen's available width and height, for a first window
# The filled window's centre needs about 790 px (the gallery's filter bar and the inspector) beside
# the Generate dock, which a user may widen to 430 px or more; a smaller first window would be
# squeezed or grow after the first paint.
FIRST_RUN_MIN_SIZE = (1240, 720)


def restore_window_state(window: QMainWindow, generate_dock: QDockWidget, queue_dock: QDockWidget) -> bool:
    """Restore the stored geometry and dock state (placing the docks), before the first show.

    Returns whether a stored dock state was restored; without one the docks take the
    first run's layout.
    """
    stored = stored_window_state()
    geometry, state = stored.value("window/geometry"), stored.value("window/state")
    if geometry is None or not window.restoreGeometry(geometry):
        place_first_window(window)
    restored = state is not None and window.restoreState(state)
    if not restored:
        # First run: give the form and the queue room next to the gallery.
        window.restoreState(QByteArray(FIRST_RUN_STATE))
    if any(window.layout().indexOf(dock) < 0 for dock in (generate_dock, queue_dock)):
        place_docks_by_hand(window, generate_dock, queue_dock, resize=not restored)
    return restored


def place_first_window(window: QMainWindow) -> None:
    """A first window: ``FIRST_RUN_FRACTION`` of the screen's available area (without the
    desktop's panels), centred in it, but never smaller than ``FIRST_RUN_MIN_SIZE`` (the
    filled window cannot be narrower, and growing it after the first paint would move
    everything); ``DEFAULT_SIZE`` when no screen is known."""
    from PySide6.QtGui import QGuiApplication

    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(*DEFAULT_SIZE)
        return
    area = screen.availableGeometry()
    width = max(round(area.width() * FIRST_RUN_FRACTION), FIRST_RUN_MIN_SIZE[0])
    height = max(round(area.height() * FIRST_RUN_FRACTION), FIRST_RUN_MIN_SIZE[1])
    window.resize(width, height)
    window.move(area.x() + max(0, (area.width() - width) // 2), area.y() + max(0, (area.height() - height) // 2))


def place_docks_by_hand(window: QMainWindow, generate_dock: QDockWidget, queue_dock: QDockWidget,
                        resize: bool = True) -> None:
    """Add the docks not placed by a restored state, at the first run's sizes with ``resize``.

    The slow way (it builds the Qt namespace): only when FIRST_RUN_STATE is not
    understood by this Qt, or a stored state lacks a dock.
    """
    from PySide6.QtCore import Qt

    for dock, area in ((generate_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
                       (queue_dock, Qt.DockWidgetArea.BottomDockWidgetArea)):
        if window.layout().indexOf(dock) < 0:
            window.addDockWidget(area, dock)
    if resize:
        resize_docks(window, generate_dock, queue_dock, FIRST_RUN_DOCK_SIZES)


def resize_docks(window: QMainWindow, generate_dock: QDockWidget, queue_dock: QDockWidget,
                 sizes: tuple[int, int]) -> None:
    """Give the Generate dock ``sizes[0]`` of width and the Queue dock ``sizes[1]`` of height."""
    from PySide6.QtCore import Qt

    window.resizeDocks([generate_dock], [sizes[0]], Qt.Orientation.Horizontal)
    window.resizeDocks([queue_dock], [sizes[1]], Qt.Orientation.Vertical)


def save_window_state(window: QMainWindow) -> None:
    """Store the window's geometry and dock state for the next start."""
    stored = stored_window_state()
    stored.setValue("window/geometry", window.saveGeometry())
    stored.setValue("window/state", window.saveState())


def stored_window_state() -> QSettings:
    """Where the window state is kept: ``paths.window_state_file()``, under Genloom's own
    config folder (never Qt's per-user default, which ignores ``GENLOOM_HOME``)."""
    return QSettings(str(paths.window_state_file()), QSettings.Format.IniFormat)
