"""The first run's welcome: the examples the bundled models are making in the first project,
the device models will run on and why, and the model folders of other apps found on this
machine, each a click away from the model library.

The device needs torch, which the UI process never loads: a ``genloom doctor --json`` child
answers it (as Help > Diagnostics does) and the line fills in when it ends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QProcess, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genloom.core.models.discover import FoundFolder, find_model_folders

if TYPE_CHECKING:
    from genloom._qt.main_window import MainWindow

CHECKING_DEVICE = "Checking which device Genloom will use…"
NONE_FOUND = ("No ComfyUI, AUTOMATIC1111, InvokeAI or Hugging Face models were found in their "
              "usual places. Models you have elsewhere can be added in the model library.")


def device_line(doctor_json: str) -> str:
    """The sentence about the device, from ``genloom doctor --json``."""
    try:
        report = json.loads(doctor_json)
        lines = next(s["lines"] for s in report["sections"] if s["title"] == "PyTorch")
        value = next(line["value"] for line in lines if line["label"] == "Generators run on")
    except (ValueError, KeyError, StopIteration, TypeError):
        return "Genloom could not tell which device it will use; Help > Diagnostics says why."
    device, _, why = value.partition(": ")
    name = {"cpu": "the CPU", "cuda": "the NVIDIA GPU (CUDA)", "mps": "the Apple GPU (Metal)"}.get(
        device.split(":")[0], device)
    return f"Models will run on {name}: {why}."


class WelcomeDialog(QDialog):
    def __init__(self, window: MainWindow, examples: int, folders: list[FoundFolder] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setWindowTitle("Welcome to Genloom")
        self.setMinimumWidth(620)
        project = window.project.path
        intro = QLabel(
            "<h2>Welcome to Genloom</h2>"
            f"<p>This is your first project, kept in <b>{project}</b>.</p>"
            f"<p>The models that come with Genloom are making {examples} examples in it now: a "
            "pattern, a folk tune, the opening of a story and a small picture. Each appears in "
            "the gallery when it is done; the queue below shows how far they are.</p>"
            "<p>To make your own, pick a generator on the left, write a prompt and press "
            "Generate.</p>")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.device = QLabel(CHECKING_DEVICE)
        self.device.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(_heading("Device"))
        layout.addWidget(self.device)
        layout.addSpacing(6)
        layout.addWidget(_heading("Models you already have"))
        self.folders = find_model_folders() if folders is None else folders
        self.add_buttons: dict[Path, QPushButton] = {}
        if self.folders:
            grid = QGridLayout()
            for row, found in enumerate(self.folders):
                label = QLabel(f"{found.label}: {found.path}")
                label.setWordWrap(True)
                button = QPushButton("Add to the model library")
                button.clicked.connect(lambda _=False, f=found: self.add_folder(f))
                self.add_buttons[found.path] = button
                grid.addWidget(label, row, 0)
                grid.addWidget(button, row, 1)
            layout.addLayout(grid)
        else:
            none = QLabel(NONE_FOUND)
            none.setWordWrap(True)
            layout.addWidget(none)
        buttons = QDialogButtonBox()
        library = buttons.addButton("Open the model library…", QDialogButtonBox.ButtonRole.ActionRole)
        library.clicked.connect(window.show_model_library)
        start = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        start.setDefault(True)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.process = QProcess(self)
        self.process.finished.connect(self._device_known)
        self.process.start(sys.executable, ["-m", "genloom", "doctor", "--json"])

    def _device_known(self, *_: object) -> None:
        out = bytes(self.process.readAllStandardOutput().data()).decode("utf-8", "replace")
        self.device.setText(device_line(out))

    def add_folder(self, found: FoundFolder) -> None:
        """Add a found folder to the library (it scans in the background)."""
        library = self.window_._projects().open_library()
        if library is None:
            return
        try:
            library.add_folder(found.path)
        except Exception as exc:  # a folder gone or unreadable since it was found
            self.add_buttons[found.path].setText(f"Could not add: {exc}")
            return
        library.start_scan()
        self.add_buttons[found.path].setText("Added")
        self.add_buttons[found.path].setEnabled(False)

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(3000)
        super().done(result)


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def welcome(window: MainWindow) -> WelcomeDialog | None:
    """Queue the examples, show the welcome (not modal: the window stays usable), and
    remember it was shown."""
    from genloom.core.welcome import queue_examples

    engine = window._projects().engine
    jobs = queue_examples(engine) if engine is not None else []
    window.settings.welcome_shown = True
    window._projects().save_settings()
    dialog = WelcomeDialog(window, len(jobs))
    window.welcome_dialog = dialog
    dialog.show()
    return dialog
