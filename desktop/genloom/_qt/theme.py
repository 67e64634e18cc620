"""A coherent dark theme and a light alternative: palette plus a small style sheet."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from genloom._qt.resources import set_icon_colour


@dataclass(frozen=True)
class Colours:
    window: str
    base: str
    alt_base: str
    panel: str
    text: str
    dim_text: str
    accent: str
    accent_text: str
    border: str
    danger: str
    ok: str
    warn: str


THEMES = {
    "dark": Colours(window="#17191e", base="#1e2128", alt_base="#23262e", panel="#1b1d23", text="#e3e6ec",
                    dim_text="#8c93a1", accent="#7c5cff", accent_text="#ffffff", border="#2e323c",
                    danger="#ef5b5b", ok="#3cc48a", warn="#e6a23c"),
    "light": Colours(window="#f4f5f8", base="#ffffff", alt_base="#f0f1f5", panel="#eceef3", text="#1d2027",
                     dim_text="#667085", accent="#6a4dff", accent_text="#ffffff", border="#d5d9e2",
                     danger="#d64545", ok="#1f9d6b", warn="#c27c0e"),
}

_current = THEMES["dark"]


def colours() -> Colours:
    """The colours of the theme in use (delegates paint with them)."""
    return _current


STYLE = "Fusion"


def apply_theme(app: QApplication, name: str, set_style: bool = True) -> Colours:
    """Palette, style sheet and icon colour of theme ``name``; and the Fusion style unless
    ``set_style`` is false (the application was started with ``-style Fusion``)."""
    global _current
    c = THEMES.get(name, THEMES["dark"])
    _current = c
    if set_style:
        app.setStyle(STYLE)
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window, QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.base, QPalette.ColorRole.AlternateBase: c.alt_base,
        QPalette.ColorRole.Text: c.text, QPalette.ColorRole.Button: c.alt_base,
        QPalette.ColorRole.ButtonText: c.text, QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text, QPalette.ColorRole.ToolTipBase: c.base,
        QPalette.ColorRole.ToolTipText: c.text, QPalette.ColorRole.PlaceholderText: c.dim_text,
        QPalette.ColorRole.Link: c.accent, QPalette.ColorRole.Mid: c.border,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(c.dim_text))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(c.dim_text))
    app.setPalette(palette)
    app.setStyleSheet(_STYLE.format(c=c))
    set_icon_colour(c.dim_text if name == "light" else "#c9cfda")
    return c


_STYLE = """
QMainWindow, QDialog {{ background: {c.window}; }}
QDockWidget::title {{ background: {c.panel}; padding: 6px 8px; font-weight: 600; }}
QToolTip {{ border: 1px solid {c.border}; padding: 4px 6px; }}
QPushButton {{ padding: 5px 12px; border: 1px solid {c.border}; border-radius: 6px; background: {c.alt_base}; }}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.dim_text}; }}
QPushButton#primary {{ background: {c.accent}; color: {c.accent_text}; border: none; font-weight: 600;
                       padding: 8px 16px; }}
QPushButton#primary:disabled {{ background: {c.border}; color: {c.dim_text}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    border: 1px solid {c.border}; border-radius: 6px; padding: 4px 6px; background: {c.base};
    selection-background-color: {c.accent}; }}
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QDoubleSpinBox:focus, QComboBox:focus {{
    border-color: {c.accent}; }}
QListView, QTreeView, QTreeWidget, QTableWidget {{ border: 1px solid {c.border}; border-radius: 6px;
    background: {c.base}; }}
QTreeWidget::item, QListView::item {{ padding: 3px; }}
QGroupBox {{ border: 1px solid {c.border}; border-radius: 8px; margin-top: 14px; padding-top: 6px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {c.dim_text}; }}
QProgressBar {{ border: none; border-radius: 3px; background: {c.border}; height: 6px; text-align: center; }}
QProgressBar::chunk {{ border-radius: 3px; background: {c.accent}; }}
QLabel#error {{ color: {c.danger}; }}
QLabel#dim {{ color: {c.dim_text}; }}
QLabel#heading {{ font-weight: 600; font-size: 11pt; }}
QStatusBar {{ color: {c.dim_text}; }}
QSplitter::handle {{ background: {c.border}; }}
QTabBar::tab {{ padding: 6px 12px; }}
QTabBar::tab:selected {{ color: {c.accent}; }}
"""
