"""The chat view: conversations with text and code models.

Left, the conversations (new, rename, delete, search); in the middle the thread as message
bubbles, the answer streaming in token by token, and the composer; right, the thread's
settings (chat generator, model, sampling, what happens when the context is full, the system
prompt); below, a code editor for fill-in-the-middle. Everything is asked of core
(``genloom.core.conversations``): the view keeps no rule of its own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.chat_bubbles import MessageBubble
from genloom._qt.chat_infill import InfillPane
from genloom._qt.param_form import ParamForm
from genloom._qt.relay import ConversationSignals
from genloom._qt.widgets import FittedScrollArea
from genloom.core.conversations import (
    ChatTurns,
    CodeBlock,
    Message,
    chat_generators,
    context_usage,
    default_settings,
    save_code_block,
    settings_params,
    system_prompt_of,
)
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom._qt.bridge import JobProgress
    from genloom._qt.project_controller import ProjectController
    from genloom.core.conversations import ConversationStore
    from genloom.core.project import Asset, Job, Project
    from genloom.sdk.spec import GeneratorSpec

#: Shown where the messages go while no conversation is open.
NO_CONVERSATION_HINT = "No conversation yet: press New to start one, or pick one on the left."


class ChatView(QWidget):
    """Conversations of the open project, over :class:`ProjectController`."""

    status = Signal(str, int)

    def __init__(self, projects: ProjectController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.projects = projects
        self.conversation_id: int | None = None
        self.bubbles: list[MessageBubble] = []
        self._streaming: Message | None = None
        self._streamed = ""
        self._code_jobs: dict[int, tuple[int, CodeBlock]] = {}  # job id: (message id, block)
        self.form: ParamForm | None = None
        self._refresh_pending = self._reload_wanted = False
        self.signals = ConversationSignals(None, self)

        split = QSplitter(self)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)
        split.addWidget(self._build_list())
        split.addWidget(self._build_thread())
        split.addWidget(self._build_settings())
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        split.setSizes([200, 700, 280])
        split.setChildrenCollapsible(False)

        self.signals.conversation_changed.connect(self._on_conversation_changed)
        self.signals.conversation_deleted.connect(lambda _id: self.refresh_list())
        self.signals.message_changed.connect(self._on_message_changed)
        projects.bridge.job_progress.connect(self._on_progress)
        projects.bridge.events.job_finished.connect(self._on_job_finished)
        projects.bridge.events.job_failed.connect(lambda job: self._on_job_finished(job, []))
        projects.project_changed.connect(self.set_project)
        self.set_project(projects.project)

    # -- construction ---------------------------------------------------------------------

    def _build_list(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 6, 0, 6)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search conversations")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.refresh_list())
        layout.addWidget(self.search)
        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_list_choice)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_button = QPushButton("New")
        self.rename_button = QPushButton("Rename")
        self.delete_button = QPushButton("Delete")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the conversation as Markdown (the thread shown) or "
                                      "JSON (every branch)")
        self.export_button.clicked.connect(lambda: self.export_conversation())
        self.new_button.clicked.connect(self.new_conversation)
        self.rename_button.clicked.connect(lambda: self.rename_conversation())
        self.delete_button.clicked.connect(lambda: self.delete_conversation())
        for button in (self.new_button, self.rename_button, self.delete_button):
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(self.export_button)
        return panel

    def _build_thread(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 6, 6, 6)
        header = QHBoxLayout()
        self.title_label = QLabel("No conversation")
        self.title_label.setObjectName("heading")
        self.title_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header.addWidget(self.title_label, 2)
        self.usage_label = QLabel()
        self.usage_label.setObjectName("dim")
        self.usage_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.usage_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.usage_label.setToolTip("Tokens the conversation takes against the model's context, "
                                    "as the model's tokenizer counted them for the last answer")
        header.addWidget(self.usage_label, 1)
        layout.addLayout(header)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.thread_widget = QWidget()
        self.thread_layout = QVBoxLayout(self.thread_widget)
        self.thread_layout.setSpacing(8)
        # What to do, where the messages will be (the heading beside the usage figure is too
        # narrow for it: on a 1366 px screen it read "No conversation: press").
        self.empty_hint = QLabel(NO_CONVERSATION_HINT)
        self.empty_hint.setObjectName("dim")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thread_layout.addWidget(self.empty_hint)
        self.thread_layout.addStretch(1)
        self.scroll.setWidget(self.thread_widget)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.scroll)
        self.infill = InfillPane(self.projects)
        self.infill.hide()
        vertical.addWidget(self.infill)
        vertical.setStretchFactor(0, 3)
        vertical.setStretchFactor(1, 1)
        self.vertical = vertical
        layout.addWidget(vertical, 1)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        composer = QHBoxLayout()
        self.composer = QPlainTextEdit()
        self.composer.setPlaceholderText("Write a message (Ctrl+Enter sends)")
        self.composer.setFixedHeight(72)
        composer.addWidget(self.composer, 1)
        buttons = QVBoxLayout()
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.code_button = QPushButton("Code editor")
        self.code_button.setCheckable(True)
        self.code_button.toggled.connect(self._show_infill)
        for button in (self.send_button, self.stop_button, self.code_button):
            buttons.addWidget(button)
        composer.addLayout(buttons)
        layout.addLayout(composer)
        self.send_button.clicked.connect(lambda: self.send())
        self.stop_button.clicked.connect(self.stop)
        from PySide6.QtGui import QKeySequence, QShortcut

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.composer)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda: self.send())
        return panel

    def _show_infill(self, shown: bool) -> None:
        self.infill.setVisible(shown)
        if shown:  # the thread keeps most of the height
            total = sum(self.vertical.sizes()) or 600
            self.vertical.setSizes([total * 2 // 3, total - total * 2 // 3])

    def _build_settings(self) -> QWidget:
        self.settings_scroll = scroll = FittedScrollArea()
        scroll.setWidgetResizable(True)
        panel = QWidget()
        self.settings_layout = QVBoxLayout(panel)
        heading = QLabel("This conversation")
        heading.setObjectName("heading")
        self.settings_layout.addWidget(heading)
        self.generator_combo = QComboBox()
        self.generator_combo.setToolTip("The chat generator the answers are made with")
        self.generator_combo.currentIndexChanged.connect(lambda _i: self._on_generator_chosen())
        self.settings_layout.addWidget(self.generator_combo)
        label = QLabel("System prompt")
        self.settings_layout.addWidget(label)
        self.system_edit = QPlainTextEdit()
        self.system_edit.setPlaceholderText("Instructions for the whole conversation (optional)")
        self.system_edit.setFixedHeight(80)
        self.settings_layout.addWidget(self.system_edit)
        self.system_button = QPushButton("Use from the next message")
        self.system_button.setToolTip("The system prompt becomes a message of the thread: the "
                                      "answers after it follow it, the earlier ones keep theirs")
        self.system_button.clicked.connect(self.apply_system_prompt)
        self.settings_layout.addWidget(self.system_button)
        self.form_holder = QVBoxLayout()
        self.settings_layout.addLayout(self.form_holder)
        self.settings_layout.addStretch(1)
        scroll.setWidget(panel)
        return scroll

    # -- the project and its conversations -------------------------------------------

    @property
    def project(self) -> Project:
        return self.projects.project

    @property
    def store(self) -> ConversationStore:
        return self.projects.project.conversations

    def turns(self) -> ChatTurns | None:
        engine = self.projects.engine
        if engine is None:
            self._error("The job engine is not running; it starts with the project.")
            return None
        return ChatTurns(engine)

    def set_project(self, project: Project) -> None:
        self.signals.attach(project.conversations)
        self.conversation_id = None
        self.generator_combo.blockSignals(True)
        self.generator_combo.clear()
        for spec in chat_generators(self.projects.plugins.generators.values()):
            self.generator_combo.addItem(spec.title, spec.id)
        self.generator_combo.blockSignals(False)
        self.refresh_list()
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.show_conversation(None)

    def refresh_list(self) -> None:
        query = self.search.text().strip()
        if query:
            found = [(hit.conversation, " ".join(hit.message.content.split())[:60])
                     for hit in self.store.search(query)]
        else:
            found = [(c, "") for c in self.store.list()]
        self.list.blockSignals(True)
        self.list.clear()
        for conversation, hint in found:
            item = QListWidgetItem(conversation.title or "New conversation")
            item.setData(Qt.ItemDataRole.UserRole, conversation.id)
            if hint:
                item.setToolTip(hint)
            self.list.addItem(item)
            if conversation.id == self.conversation_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _on_list_choice(self, item: QListWidgetItem | None, _old: object = None) -> None:
        if item is not None:
            self.show_conversation(int(item.data(Qt.ItemDataRole.UserRole)))

    def new_conversation(self) -> int:
        """A new conversation with the current one's settings (else the defaults)."""
        settings: dict[str, Any]
        if self.conversation_id is not None:
            settings = dict(self.store.get(self.conversation_id).settings)
        else:
            settings = default_settings(self.projects.plugins.generators.values())
        conversation = self.store.create("", settings)
        self.conversation_id = conversation.id
        self.refresh_list()
        self.show_conversation(conversation.id)
        self.composer.setFocus()
        return conversation.id

    def rename_conversation(self, title: str | None = None) -> None:
        if self.conversation_id is None:
            return
        if title is None:
            current = self.store.get(self.conversation_id).title
            title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
            if not ok:
                return
        self._guard(lambda: self.store.rename(self.conversation_id or 0, title or ""))

    def export_conversation(self, path: Path | None = None) -> Path | None:
        """Save the conversation as Markdown or JSON (by the file's suffix)."""
        from genloom.core.conversations.export import write_export

        if self.conversation_id is None:
            return None
        if path is None:
            from PySide6.QtWidgets import QFileDialog

            title = self.store.get(self.conversation_id).title or "conversation"
            name, _filter = QFileDialog.getSaveFileName(
                self, "Export conversation", f"{title[:40]}.md",
                "Markdown (*.md);;JSON, every branch (*.json)")
            if not name:
                return None
            path = Path(name)
        try:
            written = write_export(self.store, self.conversation_id, path)
        except OSError as exc:
            self._error(f"Could not write {path}: {exc.strerror or exc}")
            return None
        self.status.emit(f"exported to {written}", 6000)
        return written

    def delete_conversation(self, confirm: bool = True) -> None:
        if self.conversation_id is None:
            return
        if confirm and QMessageBox.question(
                self, "Delete conversation",
                "Delete this conversation? Its answers stay in the project as assets.") \
                != QMessageBox.StandardButton.Yes:
            return
        self.store.delete(self.conversation_id)
        self.conversation_id = None
        self.refresh_list()
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.show_conversation(None)

    # -- the thread --------------------------------------------------------------------------

    def show_conversation(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self._error("")
        self.reload()
        self._load_settings()

    def thread(self) -> list[Message]:
        return self.store.thread(self.conversation_id) if self.conversation_id is not None else []

    def reload(self) -> None:
        """Show the chosen branch: the same messages are updated in place (an answer that
        settled), another branch is rebuilt."""
        thread = self.thread()
        if [m.id for m in thread] == [b.message.id for b in self.bubbles]:
            for bubble, message in zip(self.bubbles, thread, strict=True):
                if bubble.message != message:
                    bubble.set_message(message)
            self._after_reload(thread)
            return
        for bubble in self.bubbles:
            bubble.hide()
            bubble.deleteLater()
        self.bubbles = []
        for message in thread:
            bubble = MessageBubble(message, self.store.siblings(message.id))
            bubble.regenerate_requested.connect(self.regenerate)
            bubble.continue_requested.connect(self.continue_answer)
            bubble.edit_requested.connect(self.edit_message)
            bubble.stop_requested.connect(lambda _id: self.stop())
            bubble.branch_requested.connect(self.choose_branch)
            bubble.save_code_requested.connect(self.save_code)
            self.thread_layout.insertWidget(self.thread_layout.count() - 1, bubble)
            self.bubbles.append(bubble)
        self._after_reload(thread)

    def _after_reload(self, thread: list[Message]) -> None:
        pending = [m for m in thread if m.state == "pending"]
        self._streaming = pending[-1] if pending else None
        if self._streaming is not None:
            progress = self.projects.bridge.progress_of(self._streaming.job_id or -1)
            self._streamed = progress.text if progress else ""
            if self._streamed:
                self._show_stream()
        self.stop_button.setEnabled(self._streaming is not None)
        self.send_button.setEnabled(self.conversation_id is not None)
        title = self.store.get(self.conversation_id).title if self.conversation_id else ""
        self.title_label.setText(title or ("New conversation" if self.conversation_id
                                           else "No conversation"))
        self.empty_hint.setVisible(self.conversation_id is None)
        self._show_usage(thread)
        QTimer.singleShot(0, self._scroll_to_end)

    def _show_usage(self, thread: list[Message], streaming: int = 0) -> None:
        usage = context_usage(thread)
        if usage is None:
            self.usage_label.setText("")
            return
        used, context = usage
        if streaming:
            self.usage_label.setText(f"+{streaming} tokens streaming · {used} of {context} "
                                     "tokens at the last answer")
        else:
            self.usage_label.setText(f"{used} of {context} tokens" if context else f"{used} tokens")

    def _scroll_to_end(self) -> None:
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

    # -- turns ------------------------------------------------------------------------------

    def send(self, text: str | None = None) -> Message | None:
        """Send the composer's text (or ``text``); returns the pending answer."""
        if self.conversation_id is None:
            self.new_conversation()
        text = self.composer.toPlainText() if text is None else text
        if not text.strip():
            return None
        answer = self._turn(lambda turns: turns.send(self.conversation_id or 0, text))
        if answer is not None:
            self.composer.clear()
        return answer

    def regenerate(self, message_id: int | None = None) -> Message | None:
        if message_id is None:
            answers = [m for m in self.thread() if m.role == "assistant"]
            if not answers:
                return None
            message_id = answers[-1].id
        chosen = message_id
        return self._turn(lambda turns: turns.regenerate(chosen))

    def continue_answer(self, message_id: int) -> Message | None:
        return self._turn(lambda turns: turns.continue_answer(message_id))

    def edit_message(self, message_id: int, text: str) -> Message | None:
        return self._turn(lambda turns: turns.edit(message_id, text))

    def apply_system_prompt(self) -> None:
        if self.conversation_id is None:
            self.new_conversation()
        text = self.system_edit.toPlainText()
        self._turn(lambda turns: turns.set_system_prompt(self.conversation_id or 0, text))

    def stop(self) -> None:
        if self._streaming is not None:
            turns = self.turns()
            if turns is not None:
                self._guard(lambda: turns.stop(self._streaming.id if self._streaming else 0))

    def choose_branch(self, message_id: int) -> None:
        self.store.choose(message_id)

    def _turn(self, action: Any) -> Any:
        if self._streaming is not None:
            self._error("An answer is still being written; stop it first.")
            return None
        turns = self.turns()
        if turns is None:
            return None
        self._error("")
        self._save_settings()
        result = self._guard(lambda: action(turns))
        if result is not None:
            self.reload()
        return result

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except (GenloomError, LookupError) as exc:
            self._error(str(exc))
            return None

    def _error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # -- streaming and settling ------------------------------------------------------

    def _on_progress(self, progress: JobProgress) -> None:
        if self._streaming is None or progress.job_id != self._streaming.job_id:
            return
        self._streamed = progress.text
        self._show_stream(progress.step)

    def _show_stream(self, tokens: int = 0) -> None:
        if not self.bubbles or self._streaming is None:
            return
        bubble = self.bubbles[-1]
        prefix = ""
        continued = self._streaming.info.get("continued_from")
        if isinstance(continued, int):
            prefix = self.store.message(continued).content
        bubble.set_text(prefix + self._streamed)
        if tokens:
            self._show_usage([m.message for m in self.bubbles], tokens)
        bar = self.scroll.verticalScrollBar()
        if bar.value() >= bar.maximum() - 80:
            QTimer.singleShot(0, self._scroll_to_end)

    def _on_message_changed(self, message: Message) -> None:
        # Settled on the engine's thread by the store; here only shown (once per burst).
        if message.conversation_id == self.conversation_id:
            self._schedule(reload=True)

    def _on_conversation_changed(self, conversation_id: int) -> None:
        self._schedule(reload=conversation_id == self.conversation_id and self._streaming is None)

    def _schedule(self, reload: bool) -> None:
        """Refresh the list (and the thread) once for a burst of store events."""
        self._reload_wanted = self._reload_wanted or reload
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self._refresh_now)

    def _refresh_now(self) -> None:
        reload, self._reload_wanted, self._refresh_pending = self._reload_wanted, False, False
        self.refresh_list()
        if reload:
            self.reload()

    def _on_job_finished(self, job: Job, assets: list[Asset]) -> None:
        if job.id in self._code_jobs:
            message_id, block = self._code_jobs.pop(job.id)
            if assets:
                meta = assets[0].metadata
                check = meta.get("check_message") or f"syntax {meta.get('syntax', '?')}"
                text = f"saved as asset {assets[0].id}; {check}"
            else:
                text = f"not saved: {job.error.splitlines()[0] if job.error else 'failed'}"
            self.status.emit(text, 8000)
            for view in self._code_views(message_id, block):
                view.show_check(text)

    # -- code ------------------------------------------------------------------------------

    def save_code(self, message_id: int, block: CodeBlock) -> int | None:
        """Save a code block of an answer as a checked code asset; returns the job id."""
        engine = self.projects.engine
        if engine is None:
            return None
        message = self.store.message(message_id)
        job = self._guard(lambda: save_code_block(engine, message.asset_id, block))
        if job is None:
            return None
        self._code_jobs[job.id] = (message_id, block)
        for view in self._code_views(message_id, block):
            view.show_check("saving…")
        return int(job.id)

    def _code_views(self, message_id: int, block: CodeBlock) -> list[Any]:
        return [view for bubble in self.bubbles if bubble.message.id == message_id
                for view in bubble.code_views() if view.block == block]

    # -- settings -----------------------------------------------------------------------------

    def spec(self) -> GeneratorSpec | None:
        generator = self.generator_combo.currentData()
        return self.projects.plugins.generators.get(generator) if generator else None

    def _load_settings(self) -> None:
        settings = self.store.get(self.conversation_id).settings if self.conversation_id else {}
        generator = settings.get("generator")
        index = self.generator_combo.findData(generator) if generator else 0
        self.generator_combo.blockSignals(True)
        self.generator_combo.setCurrentIndex(max(0, index))
        self.generator_combo.blockSignals(False)
        self._build_form(settings)
        self.system_edit.setPlainText(system_prompt_of(self.thread()))

    def _build_form(self, settings: dict[str, Any]) -> None:
        if self.form is not None:
            self.form.hide()
            self.form.deleteLater()
            self.form = None
        spec = self.spec()
        if spec is None:
            return
        reduced = dataclasses.replace(spec, params=tuple(settings_params(spec)))
        self.form = ParamForm(reduced)
        for widget in (self.form.count, self.form.seed):  # the engine owns seeds; one answer a turn
            widget.hide()
            for layout in self.form.findChildren(QFormLayout):
                label = layout.labelForField(widget)
                if label is not None:
                    label.hide()
        self._offer_models(settings.get("model"))
        self.form.set_values(settings.get("params") or {})
        self.form.edited.connect(self._save_settings)
        if self.form.model_combo is not None:
            self.form.model_combo.currentIndexChanged.connect(lambda _i: self._save_settings())
        self.form_holder.addWidget(self.form)

    def _offer_models(self, current: object) -> None:
        if self.form is None:
            return
        library = self.projects.library
        kinds = set(self.form.spec.model_kinds)
        choices = []
        if library is not None:
            choices = [(f"{m.title}  [{m.architecture or m.kind}]", m.hash)
                       for m in library.models(status="ok") if m.kind in kinds]
        if isinstance(current, str) and current and all(key != current for _l, key in choices):
            choices.append((current, current))
        self.form.set_models(choices)
        if self.form.model_combo is not None and isinstance(current, str):
            self.form.model_combo.setCurrentIndex(max(0, self.form.model_combo.findData(current)))

    def _on_generator_chosen(self) -> None:
        if self.conversation_id is None:
            return
        settings = dict(self.store.get(self.conversation_id).settings)
        settings.update(generator=self.generator_combo.currentData(), params={})
        self.store.update_settings(self.conversation_id, settings)
        self._build_form(settings)

    def _save_settings(self) -> None:
        if self.conversation_id is None or self.form is None:
            return
        try:
            values = self.form.values()
        except GenloomError:
            return  # shown beside the field
        settings = dict(self.store.get(self.conversation_id).settings)
        settings.update(generator=self.form.spec.id, model=self.form.model_key(), params=values)
        if settings != self.store.get(self.conversation_id).settings:
            self.store.update_settings(self.conversation_id, settings)
