"""Fonts and icons bundled in ``genloom.resources``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

UI_FONT_FILES = ("Inter-Regular.otf", "Inter-Medium.otf", "Inter-SemiBold.otf", "Inter-Italic.otf")
MONO_FONT_FILE = "DejaVuSansMono.ttf"

_icon_colour = "#c9cfda"


def resource_path(*parts: str) -> Path:
    return Path(str(files("genloom.resources").joinpath(*parts)))


def load_fonts() -> tuple[str, str]:
    """Register the bundled fonts; return (UI family, monospace family)."""
    ui_family = mono_family = ""
    for name in UI_FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        ui_family = ui_family or (families[0] if families else "")
    font_id = QFontDatabase.addApplicationFont(str(resource_path("fonts", MONO_FONT_FILE)))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    mono_family = families[0] if families else "monospace"
    return ui_family or "sans-serif", mono_family


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


@cache
def icon(name: str, colour: str | None = None) -> QIcon:
    """A themed icon from ``resources/icons/<name>.svg``."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    svg = svg.replace("currentColor", colour or _icon_colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pixmap)
    return result


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons", "genloom.svg")))
