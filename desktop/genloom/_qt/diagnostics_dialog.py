"""Help > Diagnostics: ``genloom doctor`` in a window, with a button to copy it for a bug report.

The report imports torch and ONNX Runtime, which the UI process never loads, so it runs
in a child process (``python -m genloom doctor``) and the dialog shows its text when it
ends; the child is told the Qt platform this app runs on.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QProcess, QProcessEnvironment
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.widgets import resize_within_screen

COLLECTING = "Collecting diagnostics (this loads PyTorch, a few seconds)…"


class DiagnosticsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Diagnostics")
        resize_within_screen(self, 760, 620)
        self.summary = QLabel(COLLECTING)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy to clipboard")
        self.copy_button.setEnabled(False)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        env = QProcessEnvironment.systemEnvironment()
        platform_name = QGuiApplication.platformName()
        if platform_name:
            env.insert("QT_QPA_PLATFORM", platform_name)
        self.process.setProcessEnvironment(env)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._failed_to_start)
        self.process.start(sys.executable, ["-m", "genloom", "doctor"])

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        out = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        err = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        text = out.strip() or err.strip() or f"the diagnostics ended with code {code} and said nothing"
        self.text.setPlainText(text)
        last = text.splitlines()[-1] if text else ""
        self.summary.setText(last if last.endswith(("found", "No problems found")) else
                             "The diagnostics did not finish; the text below says why.")
        self.copy_button.setEnabled(True)

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.text.setPlainText(f"Could not start {sys.executable} to collect the diagnostics.")
            self.summary.setText("The diagnostics did not run.")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.summary.setText("Copied: paste it into your bug report.")

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(3000)
        super().done(result)
