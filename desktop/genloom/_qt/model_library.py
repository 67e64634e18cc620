"""The model library dialog: every model Genloom knows, where it lives, what can use it.

A thin view over :class:`genloom.core.models.ModelLibrary`. Scans run on the
library's own thread; their progress reaches this dialog through queued
signals, so the window stays responsive while a multi-GB file is hashed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.relay import LibrarySignals
from genloom._qt.remedies import app_message
from genloom._qt.resources import icon, mono_font
from genloom._qt.widgets import resize_within_screen
from genloom.core import benchmarking
from genloom.core.models.licences import classify
from genloom.core.units import human_size
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom.core.models import ModelLibrary

COLUMNS = ("Model", "Kind", "Base", "Format", "Size", "Licence", "Used by", "Status")
#: Where a cell keeps the value it sorts by, when that is not its text (a size in bytes).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class _Cell(QTableWidgetItem):
    """A cell that sorts as a person reads the column: sizes by bytes ("12.0 MiB" after
    "3.6 MiB"), words without regard to case ("eSpeak" between "Emoji" and "Folk")."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is not None and theirs is not None:
            return bool(mine < theirs)
        return self.text().casefold() < other.text().casefold()
STATUS_TEXT = {"ok": "ok", "unknown": "unknown type", "refused": "refused", "unsupported": "no plugin yet",
               "missing": "missing"}


class ModelLibraryDialog(QDialog):
    """Search, filter, add folders, rescan with progress, forget, set types, allow pickle."""

    def __init__(self, library: ModelLibrary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model library")
        resize_within_screen(self, 1100, 640)
        self.library = library
        self.entries: list[Any] = []
        self.task: Any = None
        self.signals = LibrarySignals(library, self)
        self.signals.scan_started.connect(self._on_started)
        self.signals.scan_progress.connect(self._on_progress)
        self.signals.scan_finished.connect(self._on_finished)
        self.signals.models_changed.connect(self.reload)
        self.signals.roots_changed.connect(self.reload)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search models by name, path, kind or base")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.base = QComboBox()
        self.status = QComboBox()
        self.status.addItem("Any status", "")
        for key, text in STATUS_TEXT.items():
            self.status.addItem(text.capitalize(), key)
        for widget in (self.search,):
            widget.textChanged.connect(self.reload)
        for combo in (self.kind, self.base, self.status):
            combo.currentIndexChanged.connect(self.reload)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.kind)
        filters.addWidget(self.base)
        filters.addWidget(self.status)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        # A header's own first order is descending: the list opened Z to A.
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda *_: self._show_details())
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(mono_font(9))
        self.details.setPlaceholderText("Select a model to see where it lives and what can use it.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([420, 160])

        self.add_button = QPushButton(icon("folder"), "Add folder…")
        self.add_button.setToolTip("Add a folder of models, or a ComfyUI / AUTOMATIC1111 / InvokeAI folder. "
                                   "Files stay where they are.")
        self.add_button.clicked.connect(self.add_folder)
        self.rescan_button = QPushButton(icon("retry"), "Rescan")
        self.rescan_button.setToolTip("Look for new, changed, moved and missing models (only changed files "
                                      "are hashed again)")
        self.rescan_button.clicked.connect(self.rescan)
        self.cancel_button = QPushButton(icon("cancel"), "Stop scan")
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.cancel_button.hide()
        self.type_button = QPushButton("Set type…")
        self.type_button.setToolTip("Tell Genloom what kind of model this is, when it could not tell")
        self.type_button.clicked.connect(self.set_type)
        self.pickle_button = QPushButton("Allow pickle…")
        self.pickle_button.setToolTip("Let this one pickle file load, with torch's weights-only loader")
        self.pickle_button.clicked.connect(self.allow_pickle)
        self.forget_button = QPushButton(icon("delete"), "Forget")
        self.forget_button.setToolTip("Remove from the library; the files on disk are left exactly as they are")
        self.forget_button.clicked.connect(self.forget)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("dim")
        self.summary = QLabel()
        self.summary.setObjectName("dim")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.rescan_button, self.cancel_button, self.type_button,
                       self.pickle_button, self.forget_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_label)
        layout.addLayout(buttons)
        self._fill_filters()
        self.reload()

    # -- listing -------------------------------------------------------------------

    def _fill_filters(self) -> None:
        entries = self.library.models()
        for combo, label, values in ((self.kind, "Any kind", sorted({m.kind for m in entries if m.kind})),
                                     (self.base, "Any base",
                                      sorted({m.architecture for m in entries if m.architecture}))):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(label, "")
            for value in values:
                combo.addItem(value, value)
            index = combo.findData(current)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def reload(self) -> None:
        selected = self.selected()
        self.entries = self.library.models(kind=self.kind.currentData() or None,
                                           architecture=self.base.currentData() or None,
                                           status=self.status.currentData() or None,
                                           text=self.search.text().strip())
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            values = (entry.title, entry.kind or "—", entry.architecture or "—", entry.format or "—",
                      human_size(entry.size), classify(entry.licence).label,
                      ", ".join(entry.generators) or "—", STATUS_TEXT.get(entry.status, entry.status))
            for column, value in enumerate(values):
                item = _Cell(value)
                item.setData(Qt.ItemDataRole.UserRole, entry.hash)
                if column == 4:
                    item.setData(SORT_ROLE, entry.size)
                if entry.status != "ok":
                    item.setToolTip(entry.reason)
                    if column == 7:
                        item.setForeground(Qt.GlobalColor.red if entry.status in ("missing", "refused")
                                           else Qt.GlobalColor.darkYellow)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        total = len(self.library.models())
        self.summary.setText(f"{len(self.entries)} of {total} models")
        if selected is not None:
            self.select(selected.hash)
        self._update_buttons()

    def selected(self) -> Any:
        row = self.table.currentRow()
        if row < 0 or self.table.item(row, 0) is None:
            return None
        model_hash = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if e.hash == model_hash), None)

    def select(self, model_hash: str) -> bool:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == model_hash:
                self.table.setCurrentCell(row, 0)
                return True
        return False

    def _show_details(self) -> None:
        entry = self.selected()
        self._update_buttons()
        if entry is None:
            self.details.clear()
            return
        lines = [f"{entry.title}   id {entry.id}", f"kind: {entry.kind or 'unknown'}"
                 + (f" (set by hand; detected {entry.detected_kind or 'nothing'})" if entry.user_kind else ""),
                 f"base: {entry.architecture or '—'}   format: {entry.format or '—'}   "
                 f"size: {human_size(entry.size)}   licence: {classify(entry.licence).label}"
                 f" — {classify(entry.licence).summary}",
                 f"status: {STATUS_TEXT.get(entry.status, entry.status)}" + (f" — {entry.reason}" if entry.reason
                                                                             else ""),
                 "used by: " + (", ".join(entry.generators) or "no installed generator"),
                 f"sha256: {entry.hash}", "locations:"]
        for location in entry.locations:
            flag = "  (missing)" if location.missing else ""
            lines.append(f"  {location.path}  [{location.source}]{flag}")
        if entry.allow_pickle:
            lines.append("pickle loading allowed for this file (weights-only)")
        measured = benchmarking.for_model(benchmarking.load_results(), entry.hash, entry.id)
        lines.append("speed on this machine: " + ("not measured (Help ▸ Benchmarks)" if not measured else ""))
        for result in measured:
            where = "/".join(x for x in (result.backend, result.device, result.dtype) if x)
            lines.append(f"  {result.generator_id} {where}: {result.summary()}")
        self.details.setPlainText("\n".join(lines))

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.type_button.setEnabled(entry is not None)
        self.forget_button.setEnabled(entry is not None)
        self.pickle_button.setEnabled(entry is not None and bool(entry.pickle_files))

    # -- actions -------------------------------------------------------------------

    def add_folder(self, folder: str | None = None) -> None:
        folder = folder or QFileDialog.getExistingDirectory(self, "Add a folder of models")
        if not folder:
            return
        try:
            self.library.add_folder(folder)
        except GenloomError as exc:
            QMessageBox.warning(self, "Cannot add folder", app_message(exc))
            return
        self.rescan()

    def rescan(self) -> None:
        if self.task is not None and self.task.running:
            return
        self.task = self.library.start_scan()

    def cancel_scan(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def forget(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        answer = QMessageBox.question(self, "Forget model",
                                      f"Forget {entry.title}? Its files stay on disk untouched; a rescan of "
                                      "its folder will not bring it back until you add the folder again.")
        if answer == QMessageBox.StandardButton.Yes:
            self._guard(lambda: self.library.forget(entry.hash))

    def set_type(self, kind: str | None = None) -> None:
        entry = self.selected()
        if entry is None:
            return
        if kind is None:
            kinds = self.library.kinds() or [entry.kind or ""]
            kind, ok = QInputDialog.getItem(self, "Set model type", f"What kind of model is {entry.title}?",
                                            kinds, 0, True)
            if not ok or not kind:
                return
        self._guard(lambda: self.library.set_type(entry.hash, kind))

    def allow_pickle(self, confirmed: bool = False) -> None:
        entry = self.selected()
        if entry is None:
            return
        if not confirmed:
            answer = QMessageBox.warning(
                self, "Allow a pickle file",
                f"{entry.title} has pickle weights. Unpickling can run code hidden in a file. Genloom will load "
                "them only with torch's weights-only loader, which refuses anything but tensors. Allow them?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._guard(lambda: self.library.allow_pickle(entry.hash, True))

    def _guard(self, action: Any) -> None:
        try:
            action()
        except GenloomError as exc:
            QMessageBox.warning(self, "Model library", app_message(exc))
        self._fill_filters()
        self.reload()

    # -- scan progress -------------------------------------------------------------------

    def _on_started(self) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.rescan_button.setEnabled(False)
        self.progress_label.setText("scanning…")

    def _on_progress(self, progress: Any) -> None:
        self.progress.setValue(int(progress.fraction * 1000))
        where = progress.current if len(progress.current) < 90 else "…" + progress.current[-88:]
        text = f"{progress.phase}: {progress.candidates_done}/{progress.candidates_total}"
        if progress.bytes_total:
            text += f"  ({human_size(progress.bytes_done)} of {human_size(progress.bytes_total)} hashed)"
        self.progress_label.setText(f"{text}  {where}")

    def _on_finished(self, report: Any) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.rescan_button.setEnabled(True)
        self.progress_label.setText(str(report))
        self._fill_filters()
        self.reload()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        """Closing stops listening (a scan carries on in the library)."""
        self.signals.detach()
        super().done(result)
