"""Viewers for text and code: read-only editors; code gets Python highlighting
and line numbers."""

from __future__ import annotations

import builtins
import keyword
import re
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

__all__ = ["MAX_TEXT_BYTES", "CodeViewer", "PythonHighlighter", "TextViewer", "read_text"]

#: Text beyond this many bytes is not loaded (a note says so).
MAX_TEXT_BYTES = 8 * 1024 * 1024


def read_text(path: Path) -> str:
    """The file as text (UTF-8, bad bytes replaced), cut at :data:`MAX_TEXT_BYTES`."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_TEXT_BYTES + 1)
    text = data[:MAX_TEXT_BYTES].decode("utf-8", errors="replace")
    if len(data) > MAX_TEXT_BYTES:
        text += f"\n\n[… cut: only the first {MAX_TEXT_BYTES // (1024 * 1024)} MiB are shown]"
    return text


class TextViewer(QPlainTextEdit):
    """Read-only, word-wrapped text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)

    def load(self, path: Path) -> None:
        """Show the file at ``path``."""
        self.setPlainText(read_text(path))

    def clear_view(self) -> None:
        """Show nothing."""
        self.clear()


def _format(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    """Python: keywords, builtins, strings (also triple-quoted over lines),
    comments, numbers and decorators."""

    STYLES = {
        "keyword": _format("#c678dd", bold=True),
        "builtin": _format("#56b6c2"),
        "string": _format("#98c379"),
        "comment": _format("#7f848e", italic=True),
        "number": _format("#d19a66"),
        "decorator": _format("#e5c07b"),
    }
    _TRIPLE = (re.compile(r'"""'), re.compile(r"'''"))

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        words = "|".join(re.escape(k) for k in keyword.kwlist + list(keyword.softkwlist))
        names = "|".join(sorted(n for n in dir(builtins) if not n.startswith("_")))
        self._rules: list[tuple[re.Pattern[str], str]] = [
            (re.compile(rf"\b(?:{words})\b"), "keyword"),
            (re.compile(rf"\b(?:{names})\b"), "builtin"),
            (re.compile(r"\b(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|"
                        r"\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?j?)\b"), "number"),
            (re.compile(r"^\s*@[\w.]+", re.MULTILINE), "decorator"),
            (re.compile(r"[rbfuRBFU]{0,2}\"(?:[^\"\\\n]|\\.)*\"|"
                        r"[rbfuRBFU]{0,2}'(?:[^'\\\n]|\\.)*'"), "string"),
            (re.compile(r"#[^\n]*"), "comment"),
        ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt API
        for pattern, style in self._rules:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), self.STYLES[style])
        self._strings_and_comments(text)

    def _strings_and_comments(self, text: str) -> None:
        """Triple-quoted strings across blocks (state 1: in \"\"\", 2: in '''); a string
        or comment wins over rules matched inside it."""
        self.setCurrentBlockState(0)
        start = 0
        state = self.previousBlockState()
        while start <= len(text):
            if state in (1, 2):
                close = self._TRIPLE[state - 1].search(text, start)
                end = len(text) if close is None else close.end()
                self.setFormat(start, end - start, self.STYLES["string"])
                if close is None:
                    self.setCurrentBlockState(state)
                    return
                start, state = end, 0
                continue
            opening = None
            for index, pattern in enumerate(self._TRIPLE):
                found = pattern.search(text, start)
                if found and (opening is None or found.start() < opening[1].start()):
                    opening = (index + 1, found)
            comment = text.find("#", start)
            if opening is None:
                return
            if 0 <= comment < opening[1].start() and not self._in_string(text, comment):
                return
            state, start = opening[0], opening[1].start()
            close = self._TRIPLE[state - 1].search(text, opening[1].end())
            end = len(text) if close is None else close.end()
            self.setFormat(start, end - start, self.STYLES["string"])
            if close is None:
                self.setCurrentBlockState(state)
                return
            start, state = end, 0

    def _in_string(self, text: str, position: int) -> bool:
        return self.format(position) == self.STYLES["string"]


class _LineNumbers(QWidget):
    def __init__(self, editor: CodeViewer) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self._editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        self._editor.paint_line_numbers(self, event)


class CodeViewer(QPlainTextEdit):
    """Read-only code in a monospaced font, with Python highlighting and line numbers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = PythonHighlighter(self.document())
        self._numbers = _LineNumbers(self)
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_numbers)
        self._update_margin()

    def load(self, path: Path) -> None:
        """Show the file at ``path`` (highlighted as Python)."""
        self.setPlainText(read_text(path))

    def clear_view(self) -> None:
        """Show nothing."""
        self.clear()

    def line_number_width(self) -> int:
        """Pixels needed for the line numbers."""
        digits = len(str(max(1, self.blockCount())))
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(2, digits)

    def _update_margin(self) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _scroll_numbers(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        area = self.contentsRect()
        self._numbers.setGeometry(QRect(area.left(), area.top(), self.line_number_width(),
                                        area.height()))

    def paint_line_numbers(self, widget: QWidget, event: QPaintEvent) -> None:
        """Paint the numbers of the visible lines on ``widget``."""
        painter = QPainter(widget)
        painter.fillRect(event.rect(), self.palette().alternateBase())
        painter.setPen(self.palette().placeholderText().color())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                painter.drawText(0, top, widget.width() - 5, height,
                                 Qt.AlignmentFlag.AlignRight, str(block.blockNumber() + 1))
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()
