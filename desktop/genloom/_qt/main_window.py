"""The main window: generate on the left, the gallery in the middle, the inspector on
the right, the queue at the bottom."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QWidget

from genloom.sdk.errors import GenloomError, ParameterError

# The frame shown first needs only the names above; the panels' modules (picker,
# queue, bridge, dialogs, icons) are imported by build_panels, after the first paint.
# Nor does the frame touch PySide6's ``Qt`` namespace: its first use builds some hundred
# Python enum classes (~40 ms), so ``Qt`` and the other Qt classes are imported in the
# methods that run after the first paint (tests/qt/test_startup.py checks this).

LEFT_MIN_WIDTH = 300  # the Generate dock, placeholder and panel alike
FIRST_RUN_DOCK_SIZES = (360, 220)  # Generate dock width, Queue dock height, when nothing is stored
# The dock layout of a first run (Generate left, Queue bottom, at FIRST_RUN_DOCK_SIZES) as
# QMainWindow.saveState writes it. Restoring a state places the docks without addDockWidget,
# whose Qt.DockWidgetArea would build the Qt namespace before the first paint. Made by
# tests/qt/test_startup.py::first_run_state_by_hand; the test checks both lay out the same.
FIRST_RUN_STATE = bytes.fromhex(
    "000000ff00000000fd00000002000000000000016800000000fc0200000001fb0000001a0064006f0063006b002d0067"
    "0065006e006500720061007400650100000000ffffffff0000001000ffffff0000000300000000000000dcfc01000000"
    "01fb000000140064006f0063006b002d007100750065007500650100000000ffffffff0000002300ffffff0000000000"
    "00000000000004000000040000000800000008fc00000000")
ALIGN_CENTER = 0x84  # Qt.AlignHCenter | Qt.AlignVCenter, set as a property without the Qt enums


class MainWindow(QMainWindow):
    """The application window. It owns the engine of the open project."""

    def __init__(self, settings: Any, plugins: Any = None, project: Any = None) -> None:
        """Build the window. Without ``plugins`` and ``project`` only the frame is built:
        title, menu bar, the docks (empty, at their final sizes) and the status bar, cheap
        enough to show at once. :meth:`build_panels` and :meth:`finish_startup` fill it."""
        super().__init__()
        self.settings = settings
        self.plugins: Any = None
        self.project: Any = None
        self.gallery: Any = None
        self.inspector: Any = None
        self.engine: Any = None
        self.library: Any = None
        self.form: Any = None  # the ParamForm of the chosen generator
        self.bridge: Any = None
        self.panels_built = False
        self.setWindowTitle("Genloom")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.opening = QLabel("Opening the project…")
        self.opening.setObjectName("dim")
        self.opening.setProperty("alignment", ALIGN_CENTER)
        self.setCentralWidget(self.opening)

        # The docks exist from the start (empty) so their stored sizes apply before the
        # first paint; build_panels puts the real panels in without moving anything.
        # _restore_geometry places them (by restoring a dock state).
        placeholder = QWidget()
        placeholder.setMinimumWidth(LEFT_MIN_WIDTH)
        self.generate_dock = self._dock("Generate", placeholder)
        self.queue_dock = self._dock("Queue", QWidget())

        self.status_project = QLabel()
        self.status_worker = QLabel("worker starts with the first job")
        self.statusBar().addWidget(self.status_project, 1)
        self.statusBar().addPermanentWidget(self.status_worker)

        bar = self.menuBar()
        self._menus = {name: bar.addMenu(title) for name, title in
                       (("file", "&File"), ("generate", "&Generate"), ("view", "&View"), ("tools", "&Tools"),
                        ("help", "&Help"))}
        self._restore_geometry()
        if plugins is not None and project is not None:
            self.finish_startup(plugins, project)

    def build_panels(self) -> None:
        """Build the generator picker, form, queue and menus into the frame (once).

        Called from the event loop after the frame has been painted.
        """
        if self.panels_built:
            return
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QSplitter, QVBoxLayout

        from genloom._qt.bridge import EngineBridge
        from genloom._qt.generator_picker import GeneratorPicker
        from genloom._qt.queue_panel import QueuePanel
        from genloom._qt.resources import icon

        self.panels_built = True
        self.bridge = EngineBridge(self)
        # Left: generator picker + form + Generate
        self.picker = GeneratorPicker()
        self.form_area = QScrollArea()
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.generate_button = QPushButton(icon("generate", "#ffffff"), "Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Queue this generator with these settings (Ctrl+Enter)")
        self.generate_button.clicked.connect(self.generate)
        self.generate_button.setEnabled(False)
        self.form_message = QLabel()
        self.form_message.setObjectName("error")
        self.form_message.setWordWrap(True)
        self.form_message.hide()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(6, 6, 6, 6)
        left_split = QSplitter(Qt.Orientation.Vertical)
        left_split.addWidget(self.picker)
        left_split.addWidget(self.form_area)
        left_split.setSizes([220, 520])
        left_layout.addWidget(left_split, 1)
        left_layout.addWidget(self.form_message)
        row = QHBoxLayout()
        row.addWidget(self.generate_button, 1)
        left_layout.addLayout(row)
        left.setMinimumWidth(LEFT_MIN_WIDTH)
        self._replace_dock_widget(self.generate_dock, left)

        # Bottom: queue
        self.queue = QueuePanel(self.bridge)
        self._replace_dock_widget(self.queue_dock, self.queue)
        self._build_menus()

    def finish_startup(self, plugins: Any, project: Any) -> None:
        """Fill the frame: the plugins' generators, the project's gallery, inspector and queue.

        The gallery and inspector (with the thumbnail and media machinery) are
        imported here, after the frame has been shown.
        """
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtWidgets import QSplitter

        from genloom._qt.gallery import GalleryWidget
        from genloom._qt.inspector import InspectorWidget

        # The docks keep the sizes the frame was shown with (or is to be shown with): the
        # new centre and panels have other size hints, and the user must not see a jump.
        if self.isVisible():
            keep = (self.generate_dock.width(), self.queue_dock.height())
        else:
            keep = None if self._restored_state else FIRST_RUN_DOCK_SIZES
        self.build_panels()
        self.plugins, self.project = plugins, project
        self.gallery = GalleryWidget(project)
        self.inspector = InspectorWidget(project)
        centre = QSplitter()
        centre.addWidget(self.gallery)
        centre.addWidget(self.inspector)
        centre.setStretchFactor(0, 3)
        centre.setStretchFactor(1, 2)
        centre.setSizes([760, 440])
        self.setCentralWidget(centre)
        self.opening = None
        self.queue.set_project(project)
        self._wire()
        self.picker.set_generators(list(plugins.generators.values()))
        self._select_first_generator()
        self.setWindowTitle(f"Genloom — {project.name}")
        self._show_project_status()
        if keep is not None:
            # Settle the layout with the new size hints now (the pending layout requests would
            # otherwise run later and give the centre's spare width to the dock), then size.
            for _ in range(3):  # a child's layout request posts one to its parent
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            self.resizeDocks([self.generate_dock], [keep[0]], Qt.Orientation.Horizontal)
            self.resizeDocks([self.queue_dock], [keep[1]], Qt.Orientation.Vertical)

    @property
    def ready(self) -> bool:
        """True once :meth:`finish_startup` has run."""
        return self.project is not None

    # -- construction ---------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        """A dock, a child of the window but not yet in its layout (see :meth:`_place_docks`)."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        return dock

    def _replace_dock_widget(self, dock: QDockWidget, widget: QWidget) -> None:
        """Swap a dock's placeholder for its panel, keeping the dock's size."""
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.deleteLater()

    def _wire(self) -> None:
        self.picker.generator_selected.connect(self.show_generator)
        self.gallery.asset_selected.connect(self.inspector.show_asset)
        self.gallery.rerun_requested.connect(self.rerun)
        self.gallery.use_as_input_requested.connect(self.use_as_input)
        self.gallery.export_requested.connect(self.export_asset)
        self.gallery.delete_requested.connect(self.delete_asset)
        self.inspector.rerun_requested.connect(self.rerun)
        self.inspector.use_as_input_requested.connect(self.use_as_input)
        self.inspector.export_requested.connect(self.export_asset)
        self.inspector.jump_to_asset.connect(self.jump_to_asset)
        self.queue.cancel_requested.connect(self.cancel_job)
        self.queue.retry_requested.connect(self.retry_job)
        self.queue.move_requested.connect(self.move_job)
        self.bridge.job_finished.connect(self._on_job_finished)
        self.bridge.job_failed.connect(self._on_job_failed)
        self.bridge.worker_started.connect(lambda pid: self.status_worker.setText(f"worker ready (pid {pid})"))
        self.bridge.worker_stopped.connect(lambda why: self.status_worker.setText(f"worker restarted: {why}"))

    def _build_menus(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence

        file_menu = self._menus["file"]
        self._action(file_menu, "New or open project…", self.choose_project, QKeySequence.StandardKey.Open,
                     "open")
        self.recent_menu = file_menu.addMenu("Recent projects")
        self._fill_recent()
        file_menu.addSeparator()
        self._action(file_menu, "Import files…", self.import_dialog, "Ctrl+I", "input")
        self._action(file_menu, "Export selected asset…", lambda: self.export_asset(self.selected_asset()),
                     "Ctrl+E", "export")
        file_menu.addSeparator()
        self._action(file_menu, "Quit", self.close, QKeySequence.StandardKey.Quit)

        gen_menu = self._menus["generate"]
        self._action(gen_menu, "Generate", self.generate, "Ctrl+Return", "generate")
        extra = QAction(self)
        extra.setShortcut("Ctrl+Enter")
        extra.triggered.connect(self.generate)
        self.addAction(extra)
        self._action(gen_menu, "Re-run selected asset", lambda: self.rerun(self.selected_asset(), False),
                     "Ctrl+R", "retry")
        self._action(gen_menu, "Vary selected asset (new seed)", lambda: self.rerun(self.selected_asset(), True),
                     "Ctrl+Shift+R", "vary")
        self._action(gen_menu, "Use selected asset as input", lambda: self.use_as_input(self.selected_asset()),
                     "Ctrl+U", "input")
        self._action(gen_menu, "Paint a mask over the selected image…",
                     lambda: self.paint_mask(self.selected_asset()), "Ctrl+M", "image")
        self._action(gen_menu, "Cancel running job", self.cancel_running, "Escape", "cancel")

        view_menu = self._menus["view"]
        view_menu.addAction(self.generate_dock.toggleViewAction())
        view_menu.addAction(self.queue_dock.toggleViewAction())
        theme_group = QActionGroup(self)
        for name in ("dark", "light"):
            action = view_menu.addAction(f"{name.capitalize()} theme")
            action.setCheckable(True)
            action.setChecked(self.settings.theme == name)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            theme_group.addAction(action)

        tools = self._menus["tools"]
        self._action(tools, "Model library…", self.show_model_library, "Ctrl+Shift+M", "folder")
        self._action(tools, "Plugins…", self.show_plugins, None, "plugin")
        self._action(tools, "Settings…", self.show_settings, QKeySequence.StandardKey.Preferences, "settings")
        self._action(tools, "Reveal project folder", lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(self.project.path))), None, "reveal")

        help_menu = self._menus["help"]
        self._action(help_menu, "About Genloom", self.about)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None, icon_name: str | None = None) -> Any:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence

        from genloom._qt.resources import icon

        action = menu.addAction(icon(icon_name), text) if icon_name else menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_projects:
            action = self.recent_menu.addAction(path)
            action.setEnabled((Path(path) / "genloom.db").exists())
            action.triggered.connect(lambda _=False, p=path: self.open_project(Path(p)))
        self.recent_menu.setEnabled(bool(self.settings.recent_projects))

    # -- engine ----------------------------------------------------------------------

    def start_engine(self) -> None:
        """Start the job engine (the worker process starts with the first job)."""
        from genloom.core.jobs.engine import Engine

        if self.engine is not None or not self.ready:
            return
        self.engine = Engine(self.project, self.plugins, self.settings)
        self.bridge.attach(self.engine)
        self.engine.start()
        self.generate_button.setEnabled(self.form is not None)
        if self.library is None:
            self._open_library()

    def _open_library(self) -> None:
        """The machine-wide model library; a background rescan keeps it current."""
        from genloom._qt.model_library import _LibrarySignals
        from genloom.core.models import ModelLibrary

        try:
            self.library = ModelLibrary(self.plugins, hf_cache=self.settings.scan_hf_cache)
        except (GenloomError, OSError) as exc:
            self.statusBar().showMessage(f"model library unavailable: {exc}", 10000)
            return
        self._library_signals = _LibrarySignals(self.library, self)
        self._library_signals.finished.connect(lambda _report: self._offer_models())
        self._library_signals.changed.connect(self._offer_models)
        self._offer_models()
        self.library.start_scan()

    def _offer_models(self) -> None:
        if self.form is None or self.library is None or not self.form.spec.model_kinds:
            return
        kinds = set(self.form.spec.model_kinds)
        choices = [(f"{m.title}  [{m.architecture or m.kind}]", m.hash) for m in self.library.models(status="ok")
                   if m.kind in kinds and not m.details.get("bundled_id") == self.form.spec.default_model]
        self.form.set_models(choices)

    def show_model_library(self) -> None:
        from genloom._qt.model_library import ModelLibraryDialog

        if self.library is None:
            self._open_library()
        if self.library is not None:
            ModelLibraryDialog(self.library, self).exec()

    def stop_engine(self) -> None:
        if self.engine is not None:
            self.bridge.detach()
            # A job still running goes back to the queue and runs next time.
            self.engine.stop(requeue_running=True)
            self.engine = None

    # -- generating -----------------------------------------------------------------------

    def _select_first_generator(self) -> None:
        specs = sorted(self.plugins.generators.values(), key=lambda s: (s.modality != "image", s.title))
        if specs:
            self.picker.select(specs[0].id)

    def show_generator(self, generator_id: str) -> None:
        from genloom._qt.param_form import ParamForm

        spec = self.plugins.generators.get(generator_id)
        if spec is None:
            return
        previous = self.form
        self.form = ParamForm(spec)
        self._offer_models()
        for picker in self.form.inputs.values():
            picker.selection_provider = self.selected_asset
        if previous is not None:
            # Keep the prompt when switching between generators.
            old_prompt, new_prompt = previous.prompt_field(), self.form.prompt_field()
            if old_prompt and new_prompt:
                self.form.set_values({new_prompt: previous.raw_values()[old_prompt]})
        self.form_area.setWidget(self.form)
        self.form_message.hide()
        self.generate_button.setEnabled(self.engine is not None)

    def generate(self) -> list[Any]:
        """Validate the form and queue the jobs; errors appear beside the field."""
        if self.form is None or self.engine is None:
            return []
        self.form_message.hide()
        try:
            values = self.form.values()
            model_key = self.form.model_key()
            model = self.library.model_ref(model_key) if model_key and self.library is not None else None
            jobs = self.engine.submit(self.form.spec.id, values, seed=self.form.seed.seed(),
                                      count=self.form.count.value(), inputs=self.form.input_ids(),
                                      model=model)
        except ParameterError as exc:
            self.form.show_error(exc.param, str(exc))
            if exc.param not in self.form.errors:
                self._form_error(str(exc))
            return []
        except GenloomError as exc:
            self._form_error(str(exc))
            return []
        if jobs and self.form.spec.uses_seed:
            self.form.seed.show_used(jobs[0].seed)
        self.statusBar().showMessage(f"queued {len(jobs)} job(s)", 4000)
        return jobs

    def _form_error(self, text: str) -> None:
        self.form_message.setText(text)
        self.form_message.show()

    def cancel_job(self, job_id: int) -> None:
        if self.engine is not None:
            self.engine.cancel(job_id)

    def cancel_running(self) -> None:
        selected = self.queue.selected_job()
        if selected is not None and selected.state in ("queued", "running"):
            self.cancel_job(selected.id)
            return
        for job in self.project.jobs.list(states=["running"]):
            if self.engine is not None and job.owner == self.engine.owner:
                self.cancel_job(job.id)

    def retry_job(self, job_id: int) -> None:
        if self.engine is not None:
            self._guard(lambda: self.engine.retry(job_id))

    def move_job(self, job_id: int, index: int) -> None:
        self._guard(lambda: self.project.jobs.move(job_id, index))

    def rerun(self, asset_id: int | None, new_seed: bool = False) -> None:
        if asset_id is None or self.engine is None:
            return
        self._guard(lambda: self.engine.rerun(asset_id, new_seed=new_seed))

    def use_as_input(self, asset_id: int | None) -> None:
        """Feed an asset to a generator: into a matching input slot (switching to a generator
        that takes that kind if needed), or a text asset into the prompt."""
        if asset_id is None:
            return
        asset = self.project.get_asset(asset_id)
        if self.form is not None:
            for role, picker in self.form.inputs.items():
                if picker.kind == asset.kind:
                    self.form.set_input(role, asset_id)
                    return
        if asset.kind in ("text", "code") and self.form is not None and self.form.prompt_field():
            text = self.project.asset_path(asset).read_text(encoding="utf-8", errors="replace")
            self.form.set_values({self.form.prompt_field(): text})
            return
        for spec in sorted(self.plugins.generators.values(), key=lambda s: s.title):
            if any(item.kind == asset.kind for item in spec.inputs):
                self.picker.select(spec.id)
                role = next(item.role for item in spec.inputs if item.kind == asset.kind)
                if self.form is not None:
                    self.form.set_input(role, asset_id)
                return
        self.statusBar().showMessage(f"no installed generator takes a {asset.kind} as input", 6000)

    def paint_mask(self, asset_id: int | None, dialog_hook: Any = None) -> Any:
        """Paint a mask over an image; the saved mask and the image go into an inpainting form."""
        from genloom._qt.mask_painter import MaskPainterDialog

        if asset_id is None:
            return None
        asset = self.project.get_asset(asset_id)
        if asset.kind != "image":
            self.statusBar().showMessage("a mask is painted over an image asset; select one", 6000)
            return None
        dialog = MaskPainterDialog(self.project, asset, self)
        if dialog_hook is not None:
            dialog_hook(dialog)  # tests paint and save here instead of a person
        elif not dialog.exec():
            return None
        mask = dialog.saved_asset
        if mask is None:
            return None
        if self.form is None or "mask" not in self.form.inputs:
            target = next((s for s in sorted(self.plugins.generators.values(), key=lambda s: s.title)
                           if {"image", "mask"} <= {i.role for i in s.inputs}), None)
            if target is None:
                self.statusBar().showMessage("mask saved; no installed generator does inpainting", 6000)
                return mask
            self.picker.select(target.id)
        self.form.set_input("image", asset.id)
        self.form.set_input("mask", mask.id)
        return mask

    def _on_job_finished(self, job: Any, assets: list) -> None:
        if assets:
            self.statusBar().showMessage(f"job {job.id} done: {len(assets)} new asset(s)", 4000)

    def _on_job_failed(self, job: Any) -> None:
        first = job.error.splitlines()[0] if job.error else "failed"
        self.statusBar().showMessage(f"job {job.id} failed: {first}", 10000)

    # -- assets ---------------------------------------------------------------------------------

    def selected_asset(self) -> int | None:
        """The asset the user is looking at: the inspector's, else the gallery's current one."""
        if not self.ready:
            return None
        asset = self.inspector.asset()
        return asset.id if asset is not None else self.gallery.current_id()

    def jump_to_asset(self, asset_id: int) -> None:
        self.gallery.select_asset(asset_id)
        self.inspector.show_asset(asset_id)

    def export_asset(self, asset_id: int | None) -> None:
        from PySide6.QtWidgets import QFileDialog

        from genloom.core.provenance import export_file

        if asset_id is None:
            return
        asset = self.project.get_asset(asset_id)
        name, _ = QFileDialog.getSaveFileName(self, "Export asset", f"genloom-{asset.id}{asset.suffix}")
        if name:
            self._guard(lambda: export_file(self.project.asset_path(asset), Path(name), kind=asset.kind,
                                            suffix=asset.suffix, recipe=asset.recipe, prompt=asset.prompt,
                                            metadata=asset.metadata))

    def delete_asset(self, asset_id: int) -> None:
        from genloom._qt.dialogs import confirm

        if confirm(self, "Delete asset", f"Remove asset {asset_id} from the project?"):
            self._guard(lambda: self.project.delete_asset(asset_id))
            self.inspector.show_asset(None)

    def import_files(self, paths: list[Path]) -> list[Any]:
        from PySide6.QtWidgets import QMessageBox

        from genloom.core.importing import import_file

        added, problems = [], []
        for path in paths:
            try:
                added.append(import_file(self.project, path))
            except (GenloomError, OSError) as exc:
                problems.append(str(exc))
        if problems:
            QMessageBox.warning(self, "Some files were not imported", "\n".join(problems))
        if added:
            self.statusBar().showMessage(f"imported {len(added)} file(s)", 4000)
        return added

    def import_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        names, _ = QFileDialog.getOpenFileNames(self, "Import files")
        if names:
            self.import_files([Path(n) for n in names])

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        # Files dragged out of our own gallery are already in the project.
        inside = self.project.path.resolve()
        paths = [p for p in paths if not p.resolve().is_relative_to(inside)]
        if paths:
            self.import_files(paths)
            event.acceptProposedAction()

    # -- projects, dialogs, settings ----------------------------------------------------------------

    def choose_project(self) -> None:
        from genloom._qt.dialogs import ProjectDialog

        dialog = ProjectDialog(self.settings, self)
        if dialog.exec() and dialog.chosen is not None:
            self.open_project(dialog.chosen, create=dialog.create)

    def open_project(self, path: Path, create: bool = False) -> bool:
        from PySide6.QtWidgets import QMessageBox

        from genloom.core.project import Project

        try:
            project = Project.create(path) if create else Project.open(path)
        except (GenloomError, OSError) as exc:
            QMessageBox.critical(self, "Cannot open project", str(exc))
            return False
        self.stop_engine()
        self.project.close()
        self.project = project
        self.gallery.set_project(project)
        self.inspector.set_project(project)
        self.inspector.show_asset(None)
        self.queue.set_project(project)
        self.settings.remember_project(project.path)
        self._save_settings()
        self._fill_recent()
        self.setWindowTitle(f"Genloom — {project.name}")
        self._show_project_status()
        self.start_engine()
        return True

    def _show_project_status(self) -> None:
        self.status_project.setText(f"{self.project.name} — {self.project.path}")

    def show_plugins(self) -> None:
        from genloom._qt.dialogs import PluginDialog

        PluginDialog(self.plugins, self.settings, self).exec()

    def show_settings(self) -> None:
        from genloom._qt.dialogs import SettingsDialog

        theme = self.settings.theme
        if SettingsDialog(self.settings, self).exec() and self.settings.theme != theme:
            self.set_theme(self.settings.theme)

    def set_theme(self, name: str) -> None:
        from genloom._qt.theme import apply_theme

        self.settings.theme = name
        self._save_settings()
        apply_theme(QApplication.instance(), name)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from genloom import __version__

        QMessageBox.about(self, "About Genloom",
                          f"Genloom {__version__}\nAn offline generative studio.\n\n"
                          f"Plugins: {len(self.plugins.plugins)}  Generators: {len(self.plugins.generators)}")

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.statusBar().showMessage(f"could not save settings: {exc}", 8000)

    def _guard(self, action: Any) -> Any:
        """Run a user action; show its error instead of losing it."""
        from PySide6.QtWidgets import QMessageBox

        try:
            return action()
        except (GenloomError, ValueError, OSError, LookupError) as exc:
            QMessageBox.warning(self, "Genloom", str(exc))
            return None

    # -- window state ----------------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        """Restore the stored geometry and dock state (placing the docks), before the first show."""
        stored = QSettings("Genloom", "Genloom")
        geometry, state = stored.value("window/geometry"), stored.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        self._restored_state = state is not None and self.restoreState(state)
        if not self._restored_state:
            # First run: give the form and the queue room next to the gallery.
            self.restoreState(QByteArray(FIRST_RUN_STATE))
        docks = (self.generate_dock, self.queue_dock)
        if any(self.layout().indexOf(dock) < 0 for dock in docks):
            self._place_docks_by_hand(resize=not self._restored_state)

    def _place_docks_by_hand(self, resize: bool = True) -> None:
        """Add the docks not placed by a restored state, at the first run's sizes with ``resize``.

        The slow way (it builds the Qt namespace): only when FIRST_RUN_STATE is not
        understood by this Qt, or a stored state lacks a dock.
        """
        from PySide6.QtCore import Qt

        for dock, area in ((self.generate_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
                           (self.queue_dock, Qt.DockWidgetArea.BottomDockWidgetArea)):
            if self.layout().indexOf(dock) < 0:
                self.addDockWidget(area, dock)
        if resize:
            self.resizeDocks([self.generate_dock], [FIRST_RUN_DOCK_SIZES[0]], Qt.Orientation.Horizontal)
            self.resizeDocks([self.queue_dock], [FIRST_RUN_DOCK_SIZES[1]], Qt.Orientation.Vertical)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        stored = QSettings("Genloom", "Genloom")
        stored.setValue("window/geometry", self.saveGeometry())
        stored.setValue("window/state", self.saveState())
        self.stop_engine()
        if not self.ready:
            super().closeEvent(event)
            return
        if self.library is not None:
            self._library_signals.detach()
            self.library.close()
            self.library = None
        self.gallery.shutdown()
        self.queue.set_project(None)
        self.inspector.set_project(None)
        self.project.close()
        super().closeEvent(event)
