"""Message bubbles of the chat view: Markdown text, code blocks with highlighting and their
actions (copy, save as a code asset, check), and a branch switcher.

A bubble is rebuilt from segments (text and code) as an answer streams in; segments that did
not change keep their widgets, so a long answer costs only its last segment per update.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.resources import icon
from genloom._qt.viewers_text import PythonHighlighter
from genloom.core.conversations import CodeBlock, Message, code_blocks

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "system": "System prompt"}


@dataclass(frozen=True)
class Segment:
    """A run of Markdown text, or a code block."""

    kind: str  # "text" or "code"
    text: str
    block: CodeBlock | None = None


def segments(text: str) -> list[Segment]:
    """``text`` split into Markdown runs and fenced code blocks, in order."""
    parts: list[Segment] = []
    position = 0
    for block in code_blocks(text):
        before = text[position:block.start].strip("\n")
        if before.strip():
            parts.append(Segment("text", before))
        parts.append(Segment("code", block.code, block))
        position = block.end
    rest = text[position:].strip("\n")
    if rest.strip():
        parts.append(Segment("text", rest))
    return parts


class CodeBlockView(QFrame):
    """A code block: language, Copy, Save as code asset (checked), and the highlighted code."""

    save_requested = Signal(object)  # CodeBlock

    def __init__(self, block: CodeBlock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeBlock")
        self.block = block
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(2)
        header = QHBoxLayout()
        self.language = QLabel(block.language or "code")
        self.language.setObjectName("dim")
        header.addWidget(self.language)
        self.status = QLabel()
        self.status.setObjectName("dim")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(self.status, 1)
        self.copy_button = QToolButton()
        self.copy_button.setIcon(icon("copy"))
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the code")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.clicked.connect(self.copy)
        header.addWidget(self.copy_button)
        self.save_button = QToolButton()
        self.save_button.setIcon(icon("code"))
        self.save_button.setText("Save as code")
        self.save_button.setToolTip("Store this block as a code asset made from the answer, and "
                                    "check that it parses")
        self.save_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.block))
        header.addWidget(self.save_button)
        layout.addLayout(header)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.editor.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.highlighter = PythonHighlighter(self.editor.document()) \
            if block.language in ("python", "") else None
        layout.addWidget(self.editor)
        self.set_block(block)

    def set_block(self, block: CodeBlock) -> None:
        """Show ``block`` (the same block, grown while streaming)."""
        self.block = block
        if self.editor.toPlainText() != block.code:
            self.editor.setPlainText(block.code)
        lines = max(1, block.code.count("\n") + 1)
        metrics = self.editor.fontMetrics()
        self.editor.setFixedHeight(min(lines, 30) * metrics.lineSpacing() + 14)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.block.code)
        self.status.setText("copied")

    def show_check(self, text: str) -> None:
        self.status.setText(text)


class MessageBubble(QFrame):
    """One message: role, actions, branch switcher, and its text as Markdown and code."""

    regenerate_requested = Signal(int)
    continue_requested = Signal(int)
    edit_requested = Signal(int, str)       # message id, new text
    stop_requested = Signal(int)
    branch_requested = Signal(int)          # the sibling message id to show
    save_code_requested = Signal(int, object)  # message id, CodeBlock

    def __init__(self, message: Message, siblings: list[Message],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.siblings = siblings
        self.setObjectName(f"bubble-{message.role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Who wrote it, at a glance: a coloured edge for the user, a dim one for the system.
        edge = {"user": "palette(highlight)", "assistant": "transparent",
                "system": "palette(mid)"}[message.role]
        self.setStyleSheet(f"QFrame#bubble-{message.role} {{ border-left: 3px solid {edge}; }}")
        self._segments: list[Segment] = []
        self._widgets: list[QWidget] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 10, 8)
        outer.setSpacing(4)
        header = QHBoxLayout()
        header.setSpacing(4)
        self.role_label = QLabel(ROLE_TITLES[message.role])
        self.role_label.setObjectName("heading")
        header.addWidget(self.role_label)
        self.branch_label = QLabel()
        self.prev_button = self._tool("‹", "The previous version (branch)")
        self.next_button = self._tool("›", "The next version (branch)")
        header.addWidget(self.prev_button)
        header.addWidget(self.branch_label)
        header.addWidget(self.next_button)
        self.info_label = QLabel()
        self.info_label.setObjectName("dim")
        self.info_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(self.info_label, 1)
        self.stop_button = self._tool("Stop", "Stop the answer (the text so far is kept)", "cancel")
        self.continue_button = self._tool("Continue", "Go on with this answer where it was cut off")
        self.regenerate_button = self._tool("Regenerate", "A new answer with a new seed, kept "
                                                          "beside this one", "retry")
        self.edit_button = self._tool("Edit", "Change this message: a new branch from here")
        self.copy_button = self._tool("", "Copy the message", "copy")
        for button in (self.stop_button, self.continue_button, self.regenerate_button,
                       self.edit_button, self.copy_button):
            header.addWidget(button)
        outer.addLayout(header)
        self.body = QVBoxLayout()
        self.body.setSpacing(4)
        outer.addLayout(self.body)
        self.editor: QPlainTextEdit | None = None
        self.note = QLabel()
        self.note.setObjectName("dim")
        self.note.setWordWrap(True)
        self.note.hide()
        outer.addWidget(self.note)
        self.prev_button.clicked.connect(lambda: self._switch(-1))
        self.next_button.clicked.connect(lambda: self._switch(1))
        self.stop_button.clicked.connect(lambda: self.stop_requested.emit(self.message.id))
        self.continue_button.clicked.connect(lambda: self.continue_requested.emit(self.message.id))
        self.regenerate_button.clicked.connect(
            lambda: self.regenerate_requested.emit(self.message.id))
        self.edit_button.clicked.connect(self.start_editing)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.text()))
        self.set_message(message)

    def _tool(self, text: str, tip: str, icon_name: str | None = None) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if icon_name:
            button.setIcon(icon(icon_name))
            if text:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    # -- what it shows ---------------------------------------------------------------

    def set_message(self, message: Message) -> None:
        self.message = message
        pending = message.state == "pending"
        answer = message.role == "assistant"
        self.stop_button.setVisible(pending)
        self.regenerate_button.setVisible(answer and not pending)
        self.continue_button.setVisible(answer and message.cut_off)
        self.edit_button.setVisible(message.role in ("user", "system") and not pending)
        count = len(self.siblings)
        index = next((i for i, m in enumerate(self.siblings) if m.id == message.id), 0)
        for widget in (self.prev_button, self.branch_label, self.next_button):
            widget.setVisible(count > 1)
        self.branch_label.setText(f"{index + 1}/{count}")
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)
        self.info_label.setText(_facts(message))
        notes = []
        if message.state == "failed":
            notes.append(f"Failed: {message.error}")
        elif message.state == "cancelled":
            notes.append("Stopped; the text so far is kept. Continue goes on from here.")
        elif answer and message.info.get("stop_reason") == "max_tokens":
            notes.append("Cut off at the token limit (max new tokens); Continue goes on.")
        dropped = message.info.get("dropped_messages")
        if dropped:
            notes.append(f"{dropped} earlier messages were left out to fit the model's context "
                         f"of {message.info.get('context_length', '?')} tokens (setting: drop "
                         "the oldest turns).")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))
        if not pending or message.content:
            self.set_text(message.content if message.content or not pending else "")

    def text(self) -> str:
        return "\n\n".join(s.text if s.kind == "text" else
                           f"```{s.block.language if s.block else ''}\n{s.text}\n```"
                           for s in self._segments)

    def set_text(self, text: str) -> None:
        """Show ``text``; only the segments that changed are rebuilt (streaming)."""
        new = segments(text) or ([Segment("text", "…")] if self.message.state == "pending"
                                 else [Segment("text", "")])
        keep = 0
        while keep < min(len(new), len(self._segments)) and new[keep] == self._segments[keep]:
            keep += 1
        # The first changed segment has usually grown in place (streaming): update it.
        if keep < min(len(new), len(self._segments)) and new[keep].kind == self._segments[keep].kind:
            self._update_widget(self._widgets[keep], new[keep])
            keep += 1
        for widget in self._widgets[keep:]:
            widget.hide()
            widget.deleteLater()
        del self._widgets[keep:]
        for segment in new[keep:]:
            self._widgets.append(self._segment_widget(segment))
            self.body.addWidget(self._widgets[-1])
        self._segments = new

    def _update_widget(self, widget: QWidget, segment: Segment) -> None:
        if isinstance(widget, CodeBlockView) and segment.block is not None:
            widget.set_block(segment.block)
        elif isinstance(widget, QLabel):
            widget.setText(segment.text)

    def _segment_widget(self, segment: Segment) -> QWidget:
        if segment.kind == "code" and segment.block is not None:
            view = CodeBlockView(segment.block)
            view.save_requested.connect(
                lambda block: self.save_code_requested.emit(self.message.id, block))
            return view
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.MarkdownText)
        label.setText(segment.text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.setOpenExternalLinks(False)
        return label

    def code_views(self) -> list[CodeBlockView]:
        return [w for w in self._widgets if isinstance(w, CodeBlockView)]

    # -- editing -------------------------------------------------------------------------

    def start_editing(self) -> None:
        """Replace the text with an editor: Send makes a new branch, Cancel leaves it."""
        if self.editor is not None:
            return
        self.editor = QPlainTextEdit(self.message.content)
        self.editor.setMinimumHeight(70)
        row = QHBoxLayout()
        send = QPushButton("Save and send" if self.message.role == "user" else "Save")
        cancel = QPushButton("Cancel")
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(send)
        holder = QWidget()
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.editor)
        box.addLayout(row)
        self._edit_holder = holder
        self.body.addWidget(holder)
        for widget in self._widgets:
            widget.hide()
        send.clicked.connect(self.finish_editing)
        cancel.clicked.connect(self.cancel_editing)
        self.editor.setFocus()

    def finish_editing(self) -> None:
        if self.editor is None:
            return
        text = self.editor.toPlainText()
        self.cancel_editing()
        if text.strip() and text != self.message.content:
            self.edit_requested.emit(self.message.id, text)

    def cancel_editing(self) -> None:
        if self.editor is None:
            return
        self._edit_holder.hide()
        self._edit_holder.deleteLater()
        self.editor = None
        for widget in self._widgets:
            widget.show()

    def _switch(self, step: int) -> None:
        index = next((i for i, m in enumerate(self.siblings) if m.id == self.message.id), 0)
        target = index + step
        if 0 <= target < len(self.siblings):
            self.branch_requested.emit(self.siblings[target].id)


def _facts(message: Message) -> str:
    info = message.info
    parts = []
    if message.state == "pending":
        parts.append("writing…")
    if "seed" in info and message.role == "assistant":
        parts.append(f"seed {info['seed']}")
    if "generated_tokens" in info:
        parts.append(f"{info['generated_tokens']} tokens")
    if info.get("tokens_per_second"):
        parts.append(f"{info['tokens_per_second']} tok/s")
    if message.asset_id is not None:
        parts.append(f"asset {message.asset_id}")
    return " · ".join(parts)
