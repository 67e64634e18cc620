"""A small code editor whose cursor is the gap for a code model's fill-in-the-middle: the text
before the cursor is the prefix, the text after it the suffix, and the middle streams in at
the cursor (``code.infill``, a job like any other)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.viewers_text import PythonHighlighter
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom._qt.bridge import JobProgress
    from genloom._qt.project_controller import ProjectController

INFILL_GENERATOR = "code.infill"


class InfillPane(QWidget):
    """Editor + "Fill at cursor" + Stop; the filled code lands back in the editor."""

    status = Signal(str)

    def __init__(self, projects: ProjectController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.projects = projects
        self.job_id: int | None = None
        self._prefix = self._suffix = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        title = QLabel("Fill in the middle")
        title.setObjectName("heading")
        title.setToolTip("The code before the cursor and the code after it; the code model "
                         "writes what goes between")
        row.addWidget(title)
        self.message = QLabel()
        self.message.setObjectName("dim")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.message, 1)
        self.fill_button = QPushButton("Fill at cursor")
        self.fill_button.setToolTip("The code model writes what belongs between the text before "
                                    "the cursor and the text after it")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        row.addWidget(self.fill_button)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText("def add(a, b):\n    <cursor here>\n\nprint(add(1, 2))")
        self.highlighter = PythonHighlighter(self.editor.document())
        layout.addWidget(self.editor)
        self.fill_button.clicked.connect(self.fill)
        self.stop_button.clicked.connect(self.stop)
        projects.bridge.job_progress.connect(self._on_progress)
        projects.bridge.events.job_finished.connect(self._on_finished)
        projects.bridge.events.job_failed.connect(self._on_ended)
        projects.bridge.events.job_cancelled.connect(self._on_finished)

    def fill(self) -> int | None:
        """Queue the infill job for the cursor's place; returns its id."""
        engine = self.projects.engine
        if engine is None or self.job_id is not None:
            return None
        text = self.editor.toPlainText()
        cursor = self.editor.textCursor().position()
        self._prefix, self._suffix = text[:cursor], text[cursor:]
        try:
            (job,) = engine.submit(INFILL_GENERATOR, {"prompt": self._prefix,
                                                      "suffix": self._suffix})
        except (GenloomError, LookupError) as exc:
            self.message.setText(str(exc))
            return None
        self.job_id = job.id
        self.editor.setReadOnly(True)
        self.fill_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.message.setText("writing…")
        return job.id

    def stop(self) -> None:
        if self.job_id is not None and self.projects.engine is not None:
            self.projects.engine.cancel(self.job_id)

    def _on_progress(self, progress: JobProgress) -> None:
        if progress.job_id == self.job_id and progress.text:
            self._show(self._prefix + progress.text + self._suffix,
                       len(self._prefix) + len(progress.text))

    def _on_finished(self, job: object, assets: list[object]) -> None:
        if getattr(job, "id", None) != self.job_id:
            return
        for asset in assets:
            path = self.projects.project.asset_path(asset)  # type: ignore[arg-type]
            code = path.read_text(encoding="utf-8", errors="replace")
            middle = len(code) - len(self._suffix)
            self._show(code, max(middle, len(self._prefix)))
            meta = getattr(asset, "metadata", {})
            self.message.setText(meta.get("check_message") or f"syntax: {meta.get('syntax', '?')}")
        self._end()

    def _on_ended(self, job: object) -> None:
        if getattr(job, "id", None) == self.job_id:
            self.message.setText(str(getattr(job, "error", "failed")).splitlines()[0][:200])
            self._show(self._prefix + self._suffix, len(self._prefix))
            self._end()

    def _end(self) -> None:
        self.job_id = None
        self.editor.setReadOnly(False)
        self.fill_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _show(self, text: str, cursor_at: int) -> None:
        self.editor.setPlainText(text)
        cursor = self.editor.textCursor()
        cursor.setPosition(min(cursor_at, len(text)), QTextCursor.MoveMode.MoveAnchor)
        self.editor.setTextCursor(cursor)
