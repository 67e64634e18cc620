"""Help ▸ Benchmarks: the results of ``genloom bench`` on this machine, a way to run it,
and a report to copy.

The app's process never loads torch, so a run is ``genloom bench`` in a child process
(QProcess): the window stays responsive, Cancel ends the child, and the results it
stores are read back from core's file when it finishes.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.widgets import resize_within_screen
from genloom.core import benchmarking

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager

COLUMNS = ("Generator", "Model", "Backend / device", "Figures", "Measured")


class BenchmarksDialog(QDialog):
    """Stored results (newest per generator, model, backend and device), Run, Copy report."""

    def __init__(self, plugins: PluginManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Benchmarks")
        resize_within_screen(self, 980, 520)
        self.process: QProcess | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("How fast this machine runs your generators with their models. "
                                "Each run loads the model once, warms up, then times a few "
                                "generations."))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.generator = QComboBox()
        self.generator.addItem("All generators with a model", "")
        for spec in benchmarking.bench_candidates(plugins):
            self.generator.addItem(f"{spec.title} ({spec.id})", spec.id)
        self.runs = QSpinBox()
        self.runs.setRange(1, benchmarking.MAX_RUNS)
        self.runs.setValue(3)
        self.runs.setPrefix("runs: ")
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.copy_button = QPushButton("Copy report")
        self.copy_button.clicked.connect(self.copy_report)
        for widget in (self.generator, self.runs, self.run_button, self.cancel_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)

        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setFixedHeight(110)
        self.log.setPlaceholderText("Progress of a run shows here.")
        layout.addWidget(self.log)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        results = benchmarking.best_results(benchmarking.load_results())
        self.table.setRowCount(len(results))
        for index, result in enumerate(results):
            where = " / ".join(x for x in (result.backend, result.device, result.dtype) if x)
            cells = (result.generator_id, result.model_title or result.model_id or "—", where,
                     result.summary(), time.strftime("%Y-%m-%d %H:%M", time.localtime(result.created)))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(index, column, item)
        self.table.resizeColumnsToContents()
        self.copy_button.setEnabled(bool(results))

    def run(self, extra: list[str] | None = None) -> None:
        """Start ``genloom bench`` for the chosen generator (``extra``: more arguments)."""
        if self.process is not None:
            return
        args = ["-m", "genloom", "bench", "--runs", str(self.runs.value())]
        chosen = self.generator.currentData()
        if chosen:
            args.append(chosen)
        args += extra or []
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._finished)
        self.process = process
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.log.appendPlainText("Running " + " ".join(["genloom", *args[2:]]))
        process.start(sys.executable, args)

    def cancel(self) -> None:
        if self.process is not None:
            self.log.appendPlainText("Cancelled.")
            self.process.kill()

    def is_running(self) -> bool:
        return self.process is not None

    def _read(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip() and not line.startswith("[transformers]") and "it/s]" not in line:
                self.log.appendPlainText(line.rstrip())

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        if status == QProcess.ExitStatus.NormalExit and code == 0:
            self.log.appendPlainText("Done.")
        elif status == QProcess.ExitStatus.NormalExit:
            self.log.appendPlainText(f"The run stopped with exit code {code}; the lines above say why.")
        self.process = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.reload()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(benchmarking.text_report(benchmarking.load_results()))

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(5000)
        super().done(result)


def show_benchmarks(plugins: PluginManager, parent: QWidget | None = None) -> None:
    dialog = BenchmarksDialog(plugins, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.exec()
