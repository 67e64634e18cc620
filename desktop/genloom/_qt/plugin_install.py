"""The Plugins dialog's install, uninstall and roll back controls.

The work is :mod:`genloom.core.plugin_install` (pip under Genloom's constraints, with
snapshots); it runs on a Python thread so the window stays responsive through a long pip
run, and pip's lines and the result come back to the GUI thread through queued signals.
Nothing here decides what may be installed: core refuses, and this shows why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.remedies import app_message
from genloom._qt.resources import mono_font


class _Relay(QObject):
    """Lives in the GUI thread; the worker thread emits, Qt queues the calls across."""

    line = Signal(str)
    done = Signal(object, str)  # ChangeResult or None, error message ("" when it worked)


class PluginInstallPanel(QWidget):
    """Install… (wheel, folder or package name), Uninstall, Roll back…, and pip's output."""

    #: Emitted on the GUI thread when an operation ends: (what was done, error or "").
    finished = Signal(str, str)

    def __init__(self, selected_plugin: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._selected_plugin = selected_plugin
        self._thread: threading.Thread | None = None
        self._relay = _Relay()
        self._relay.line.connect(self._append)
        self._relay.done.connect(self._on_done)
        self._what = ""

        self.install_button = QPushButton("Install…")
        menu = QMenu(self.install_button)
        menu.addAction("Wheel file…", self._choose_wheel)
        menu.addAction("Project folder…", self._choose_folder)
        menu.addAction("Package name…", self._choose_name)
        self.install_button.setMenu(menu)
        self.uninstall_button = QPushButton("Uninstall")
        self.uninstall_button.clicked.connect(self._confirm_uninstall)
        self.rollback_button = QPushButton("Roll back…")
        self.rollback_button.setToolTip("Put the Python environment back as it was before an "
                                        "earlier plugin install or uninstall")
        self.rollback_button.clicked.connect(self._choose_snapshot)
        self.offline = QCheckBox("Offline")
        self.offline.setToolTip("Use no package index: a wheel's dependencies must lie in its folder")
        self.status = QLabel("")
        self.status.setObjectName("dim")
        self.status.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setFont(mono_font(9))
        self.log.setMaximumBlockCount(2000)
        self.log.setMaximumHeight(150)  # the plugin list above stays the dialog's main part
        self.log.setPlaceholderText("pip's output appears here while a plugin installs.")
        self.log.hide()

        row = QHBoxLayout()
        for widget in (self.install_button, self.uninstall_button, self.rollback_button, self.offline):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.log)

    # -- starting work (the choosers ask the user, these do it) ---------------------------

    def install(self, target: str) -> None:
        from genloom.core.plugin_install import PipOptions, install

        options = PipOptions(no_index=self.offline.isChecked())
        path = Path(target)
        if options.no_index and path.is_file():
            options.find_links.append(str(path.parent))  # its dependencies may lie beside it
        self._start(f"install {target}", lambda out: install(target, options, out))

    def uninstall(self, name: str) -> None:
        from genloom.core.plugin_install import uninstall

        self._start(f"uninstall {name}", lambda out: uninstall(name, out))

    def rollback(self, snapshot_id: str | None) -> None:
        from genloom.core.plugin_install import PipOptions, rollback

        options = PipOptions(no_index=self.offline.isChecked())
        self._start("roll back", lambda out: rollback(snapshot_id, options, out))

    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running operation's thread has ended (closing the dialog)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self, what: str, work: Callable[[Callable[[str], None]], Any]) -> None:
        if self.busy():
            return
        self._what = what
        self._set_busy(True)
        self.log.show()
        self.log.appendPlainText(f"— {what}")
        self.status.setText(f"Working: {what}…")
        relay = self._relay

        def run() -> None:
            try:
                result = work(relay.line.emit)
            except Exception as exc:  # noqa: BLE001 - shown to the user, whatever went wrong
                relay.done.emit(None, app_message(exc))
            else:
                relay.done.emit(result, "")

        # The thread object is kept until it has finished and been joined (see wait()).
        self._thread = threading.Thread(target=run, name="genloom-plugin-install", daemon=True)
        self._thread.start()

    def _append(self, line: str) -> None:
        self.log.appendPlainText(line)

    def _on_done(self, result: Any, error: str) -> None:
        self.wait()
        self._thread = None
        self._set_busy(False)
        if error:
            self.status.setText(f"Not done: {error}")
            self.log.appendPlainText(f"not done: {error}")
        else:
            changes = result.changes.describe() or ["nothing needed changing"]
            self.log.appendPlainText("\n".join(changes))
            self.status.setText(f"Done: {self._what}. Restart Genloom to load the change; "
                                "Roll back… undoes it.")
        self.finished.emit(self._what, error)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.install_button, self.uninstall_button, self.rollback_button, self.offline):
            widget.setEnabled(not busy)

    # -- asking the user -------------------------------------------------------------------

    def _choose_wheel(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install a plugin wheel", "", "Wheels (*.whl)")
        if path:
            self.install(path)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Install a plugin from its project folder")
        if path:
            self.install(path)

    def _choose_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Install a plugin", "Package name (optionally with a "
                                        "version, like genloom-sketches>=1.2):")
        if ok and name.strip():
            self.install(name.strip())

    def _confirm_uninstall(self) -> None:
        name = self._selected_plugin()
        if not name:
            self.status.setText("Select the plugin to uninstall in the list above.")
            return
        answer = QMessageBox.question(self, "Uninstall plugin",
                                      f"Uninstall the plugin {name}? Roll back… can reinstall it.")
        if answer == QMessageBox.StandardButton.Yes:
            self.uninstall(name)

    def _choose_snapshot(self) -> None:
        from genloom.core.plugin_env import list_snapshots

        snapshots = list(reversed(list_snapshots()))
        if not snapshots:
            self.status.setText("Nothing to roll back: no plugin has been installed or uninstalled here yet.")
            return
        labels = [f"before {s.reason} ({time.strftime('%Y-%m-%d %H:%M', time.localtime(s.created))})"
                  for s in snapshots]
        label, ok = QInputDialog.getItem(self, "Roll back", "Put the environment back as it was:",
                                         labels, 0, False)
        if ok:
            self.rollback(snapshots[labels.index(label)].id)
