"""Fonts and icons bundled in ``genloom.resources``.

Both are cheap until used: the first window needs only the regular and
semibold UI faces (the rest register after the first paint), and an icon is a
recoloured SVG that is rendered, at the size asked for, the first time it is
painted (QtSvg is imported only then).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtGui import QFont, QFontDatabase, QIcon, QIconEngine

UI_FONT_FILES = ("Inter-Regular.otf", "Inter-Medium.otf", "Inter-SemiBold.otf", "Inter-Italic.otf")
FIRST_FRAME_FONT_FILES = ("Inter-Regular.otf", "Inter-SemiBold.otf")  # text and bold titles
MONO_FONT_FILE = "DejaVuSansMono.ttf"

_icon_colour = "#c9cfda"
_cloned_engines: list[QIconEngine] = []


@cache
def _resources_folder() -> Path:
    """The folder of ``genloom.resources``. Read straight from the package, not through
    ``importlib.resources`` (seven modules to import before the first paint, and a reader
    built on each call); that only where the package is not a folder (a zip)."""
    import genloom.resources

    folder = Path(genloom.resources.__file__).parent
    if folder.is_dir():
        return folder
    from importlib.resources import files

    return Path(str(files("genloom.resources")))


def resource_path(*parts: str) -> Path:
    """A file bundled in ``genloom.resources``."""
    return _resources_folder().joinpath(*parts)


def _add_font(name: str) -> str:
    """Register one bundled font file; its family, or "" when it cannot be loaded."""
    font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return families[0] if families else ""


def load_first_frame_fonts() -> str:
    """Register the faces the first window paints with; return the UI family."""
    family = ""
    for name in FIRST_FRAME_FONT_FILES:
        family = family or _add_font(name)
    return family or "sans-serif"


def load_remaining_fonts() -> None:
    """Register the other bundled faces (medium, italic, and the monospace face that
    :func:`mono_font` names)."""
    for name in (*UI_FONT_FILES, MONO_FONT_FILE):
        if name not in FIRST_FRAME_FONT_FILES:
            _add_font(name)


def mono_font(point_size: int = 10) -> QFont:
    font = QFont("DejaVu Sans Mono", point_size)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def set_icon_colour(colour: str) -> None:
    """Icons are drawn in one colour that follows the theme."""
    global _icon_colour
    if colour != _icon_colour:
        _icon_colour = colour
        icon.cache_clear()


class _SvgIconEngine(QIconEngine):
    """Renders one recoloured SVG at each size (and mode) asked for, once."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._pixmaps: dict[tuple[int, int, Any], Any] = {}

    def pixmap(self, size: Any, mode: Any, state: Any) -> Any:  # Qt override
        key = (size.width(), size.height(), mode)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            pixmap = self._render(size, mode)
            self._pixmaps[key] = pixmap
        return pixmap

    def paint(self, painter: Any, rect: Any, mode: Any, state: Any) -> None:  # Qt override
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pixmap = self.pixmap(rect.size() * ratio, mode, state)
        painter.drawPixmap(rect, pixmap)

    def actualSize(self, size: Any, mode: Any, state: Any) -> Any:  # noqa: N802 - Qt override
        side = min(size.width(), size.height())
        return type(size)(side, side)

    def clone(self) -> QIconEngine:  # Qt override: QIcon copies the engine on write
        # The caller deletes the copy; PySide does not hand a returned wrapper to C++, so
        # keep it referenced here or Python would delete it first. Only an icon changed
        # after it was made (addPixmap) is ever copied, so this stays small.
        copy = _SvgIconEngine(self._svg)
        _cloned_engines.append(copy)
        return copy

    def _render(self, size: Any, mode: Any) -> Any:
        from PySide6.QtCore import QByteArray, Qt
        from PySide6.QtGui import QPainter, QPixmap
        from PySide6.QtSvg import QSvgRenderer
        from PySide6.QtWidgets import QApplication, QStyleOption

        side = max(1, min(size.width(), size.height()))
        pixmap = QPixmap(side, side)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        QSvgRenderer(QByteArray(self._svg)).render(painter)
        painter.end()
        if mode != QIcon.Mode.Normal and QApplication.instance() is not None:
            # Disabled and selected looks come from the style, as for any pixmap icon.
            generated = QApplication.style().generatedIconPixmap(mode, pixmap, QStyleOption())
            if not generated.isNull():
                pixmap = generated
        return pixmap


@cache
def icon(name: str, colour: str | None = None) -> QIcon:
    """A themed icon from ``resources/icons/<name>.svg``, rendered when first painted."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    svg = svg.replace("currentColor", colour or _icon_colour)
    return QIcon(_SvgIconEngine(svg.encode("utf-8")))


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons", "genloom.svg")))
