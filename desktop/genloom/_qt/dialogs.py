"""Dialogs: plugins, settings, and choosing or creating a project."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.resources import icon, mono_font
from genloom._qt.widgets import resize_within_screen

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager
    from genloom.core.settings import Settings


class PluginDialog(QDialog):
    """Every plugin: name, version, where from, generators, status; the traceback of a
    failed one; enable/disable (saved to settings, applied when plugins next load)."""

    COLUMNS = ("Enabled", "Plugin", "Version", "Status", "Generators", "From")

    def __init__(self, plugins: PluginManager, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        resize_within_screen(self, 900, 620)
        self.settings = settings
        self.records = list(plugins.plugins.values())
        self.table = QTableWidget(len(self.records), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        disabled = set(settings.disabled_plugins)
        for row, record in enumerate(self.records):
            check = QTableWidgetItem()
            check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            check.setCheckState(Qt.CheckState.Unchecked if record.name in disabled else Qt.CheckState.Checked)
            self.table.setItem(row, 0, check)
            values = (record.name, record.version, record.status, record.generator_summary() or "—",
                      f"{record.source}: {record.location}")
            for column, value in enumerate(values, start=1):
                item = QTableWidgetItem(value)
                if record.status == "failed":
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(mono_font(9))
        self.detail.setPlaceholderText("Select a plugin to see its details (and the traceback of a failed one).")
        self.table.currentCellChanged.connect(lambda row, *_: self._show(row))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        note = QLabel("Enable or disable plugins here; the change applies when Genloom next starts.")
        note.setObjectName("dim")
        from genloom._qt.plugin_install import PluginInstallPanel

        # Install, uninstall and roll back (core's plugin_install does the work).
        self.installer = PluginInstallPanel(self._selected_name, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(note)
        layout.addWidget(self.installer)
        layout.addWidget(buttons)
        failed = [i for i, r in enumerate(self.records) if r.status == "failed"]
        if failed:
            self.table.selectRow(failed[0])
            self._show(failed[0])

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.records):
            return
        record = self.records[row]
        lines = [f"{record.name} {record.version} — {record.status}", f"from {record.source}: {record.location}"]
        if record.distribution:
            lines.append(f"distribution: {record.distribution}")
        if record.display_name and record.display_name != record.name:
            lines.insert(1, record.display_name)
        summary = record.generator_summary()
        if summary:
            lines.append("generators: " + summary)
        lines.append(f"manifest: {record.manifest}" if record.manifest
                     else "no manifest (genloom-plugin.toml): listed only after its import")
        if record.models:
            lines.append("models: " + ", ".join(record.models))
        lines += [f"warning: {w}" for w in record.warnings]
        if record.error:
            lines += ["", record.error]
        self.detail.setPlainText("\n".join(lines))

    def _selected_name(self) -> str:
        row = self.table.currentRow()
        return self.records[row].name if 0 <= row < len(self.records) else ""

    def reject(self) -> None:
        if self.installer.busy():  # pip is changing the environment: let it finish
            self.installer.status.setText("pip is still working; close this when it has finished.")
            return
        super().reject()

    def disabled_names(self) -> list[str]:
        return sorted(r.name for row, r in enumerate(self.records)
                      if self.table.item(row, 0).checkState() == Qt.CheckState.Unchecked)

    def _save(self) -> None:
        self.settings.disabled_plugins = self.disabled_names()
        self.settings.save()
        self.accept()


class SettingsDialog(QDialog):
    """Device, memory budget, plugin folders, theme, job time-outs and the local API."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        from genloom.core.settings import DTYPE_CHOICES

        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        form = QFormLayout()
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItems(["auto", "cpu", "cuda", "mps"])
        self.device.setCurrentText(settings.device)
        self.device.setToolTip("auto picks CUDA, then Apple MPS, then the CPU; cuda:1 picks a second GPU")
        self.dtype = QComboBox()
        self.dtype.addItems(list(DTYPE_CHOICES))
        self.dtype.setCurrentText(settings.dtype)
        self.dtype.setToolTip("The precision models run in on a GPU: auto is float16 (bfloat16 for models "
                              "trained in it, where the GPU has it); the CPU always runs float32")
        self.cache = QSpinBox()
        self.cache.setRange(1, 16)
        self.cache.setValue(settings.max_loaded_generators)
        self.cache.setToolTip("How many loaded generators (models) the worker keeps ready between jobs")
        self.budget = QSpinBox()
        self.budget.setRange(0, 1_048_576)
        self.budget.setSingleStep(512)
        self.budget.setSuffix(" MB")
        self.budget.setSpecialValueText("automatic")
        self.budget.setValue(settings.model_memory_budget_mb)
        self.budget.setToolTip("Memory loaded models may use per device (the VRAM budget on a GPU); beyond it "
                               "the least recently used are unloaded, and a model bigger than it is "
                               "offloaded to system memory part by part. Automatic: 90% of a GPU's "
                               "memory, half the RAM.")
        self.threads = QSpinBox()
        self.threads.setRange(0, 1024)
        self.threads.setSpecialValueText("one per core")
        self.threads.setValue(settings.cpu_threads)
        self.threads.setToolTip("CPU threads a model may use, for torch and ONNX Runtime alike; fewer "
                                "leave cores free for other work. Applies from the next worker start.")
        self.stall = QDoubleSpinBox()
        self.stall.setRange(5, 86400)
        self.stall.setValue(settings.stall_timeout_s)
        self.stall.setSuffix(" s")
        self.stall.setToolTip("A job that reports no progress for this long is stopped as hung")
        self.theme = QComboBox()
        self.theme.addItems(["dark", "light"])
        self.theme.setCurrentText(settings.theme)
        self.plugin_dirs = QListWidget()
        for folder in settings.plugin_dirs:
            self.plugin_dirs.addItem(folder)
        dirs_row = QHBoxLayout()
        add = QPushButton("Add folder…")
        add.clicked.connect(self._add_dir)
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: [self.plugin_dirs.takeItem(self.plugin_dirs.row(i))
                                        for i in self.plugin_dirs.selectedItems()])
        dirs_row.addWidget(add)
        dirs_row.addWidget(remove)
        dirs_row.addStretch(1)
        form.addRow("Device", self.device)
        form.addRow("Precision (dtype)", self.dtype)
        form.addRow("Loaded generators kept", self.cache)
        form.addRow("Model memory (VRAM) budget", self.budget)
        form.addRow("CPU threads for models", self.threads)
        form.addRow("Hung job time-out", self.stall)
        form.addRow("Theme", self.theme)
        self.api_enabled = QCheckBox("Serve this project to scripts and other apps on 127.0.0.1")
        self.api_enabled.setObjectName("api-enabled")
        self.api_enabled.setChecked(settings.api_enabled)
        self.api_enabled.setToolTip("The local HTTP API (Genloom's own and OpenAI-compatible endpoints); "
                                    "clients need the token in Genloom's config folder (api-token)")
        self.api_port = QSpinBox()
        self.api_port.setObjectName("api-port")
        self.api_port.setRange(1024, 65535)
        self.api_port.setValue(settings.api_port)
        form.addRow("Local API", self.api_enabled)
        form.addRow("Local API port", self.api_port)
        form.addRow("Plugin folders", self.plugin_dirs)
        form.addRow("", dirs_row)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _add_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Plugin folder")
        if folder:
            self.plugin_dirs.addItem(folder)

    def _save(self) -> None:
        from genloom.core.settings import SettingsError

        previous = (self.settings.device, self.settings.dtype, self.settings.max_loaded_generators, self.settings.stall_timeout_s,
                    self.settings.theme, list(self.settings.plugin_dirs), self.settings.model_memory_budget_mb,
                    self.settings.cpu_threads, self.settings.api_enabled, self.settings.api_port)
        self.settings.api_enabled = self.api_enabled.isChecked()
        self.settings.api_port = self.api_port.value()
        self.settings.device = self.device.currentText().strip()
        self.settings.dtype = self.dtype.currentText()
        self.settings.max_loaded_generators = self.cache.value()
        self.settings.model_memory_budget_mb = self.budget.value()
        self.settings.cpu_threads = self.threads.value()
        self.settings.stall_timeout_s = self.stall.value()
        self.settings.theme = self.theme.currentText()
        self.settings.plugin_dirs = [self.plugin_dirs.item(i).text() for i in range(self.plugin_dirs.count())]
        try:
            self.settings.save()
        except (SettingsError, OSError) as exc:
            (self.settings.device, self.settings.dtype, self.settings.max_loaded_generators, self.settings.stall_timeout_s,
             self.settings.theme, self.settings.plugin_dirs, self.settings.model_memory_budget_mb,
             self.settings.cpu_threads, self.settings.api_enabled, self.settings.api_port) = previous
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


class ProjectDialog(QDialog):
    """Open a recent project, open a folder, or create a new project."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Projects")
        self.resize(560, 380)
        self.chosen: Path | None = None
        self.create = False
        self.recent = QListWidget()
        for path in settings.recent_projects:
            item = QListWidgetItem(icon("folder"), path)
            if not (Path(path) / "genloom.db").exists():
                item.setText(f"{path}  (missing)")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)
        self.recent.itemDoubleClicked.connect(lambda item: self._choose(Path(item.data(Qt.ItemDataRole.UserRole))))
        self.new_path = QLineEdit()
        self.new_path.setPlaceholderText("Folder for a new project")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_new)
        create = QPushButton(icon("new"), "Create")
        create.clicked.connect(self._create)
        open_other = QPushButton(icon("open"), "Open folder…")
        open_other.clicked.connect(self._open_other)
        open_recent = QPushButton("Open")
        open_recent.clicked.connect(self._open_recent)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Recent projects"))
        layout.addWidget(self.recent, 1)
        row = QHBoxLayout()
        row.addWidget(open_recent)
        row.addWidget(open_other)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(QLabel("New project"))
        row = QHBoxLayout()
        row.addWidget(self.new_path, 1)
        row.addWidget(browse)
        row.addWidget(create)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def _choose(self, path: Path, create: bool = False) -> None:
        self.chosen, self.create = path, create
        self.accept()

    def _open_recent(self) -> None:
        item = self.recent.currentItem()
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._choose(Path(item.data(Qt.ItemDataRole.UserRole)))

    def _open_other(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open project folder")
        if folder:
            if not (Path(folder) / "genloom.db").exists():
                self.error.setText(f"{folder} is not a Genloom project (it has no genloom.db); "
                                   "create a new project there instead")
                self.error.show()
                return
            self._choose(Path(folder))

    def _browse_new(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new project")
        if folder:
            self.new_path.setText(folder)

    def _create(self) -> None:
        text = self.new_path.text().strip()
        if not text:
            self.error.setText("Give a folder for the new project")
            self.error.show()
            return
        path = Path(text).expanduser()
        if (path / "genloom.db").exists():
            self.error.setText(f"{path} already holds a project; open it instead")
            self.error.show()
            return
        self._choose(path, create=True)


def confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


__all__ = ["PluginDialog", "ProjectDialog", "SettingsDialog", "confirm", "QCheckBox"]
