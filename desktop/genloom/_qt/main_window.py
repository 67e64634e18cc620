"""The main window: assembles the panels (generate left, gallery and inspector centre, queue bottom) and wires them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QWidget

from genloom._qt.dock_layout import (
    LEFT_MIN_WIDTH,
    resize_docks,
    restore_window_state,
    save_window_state,
)
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QDialog, QTabWidget

    from genloom._qt.api_status import ApiController
    from genloom._qt.chat_view import ChatView
    from genloom._qt.evaluate_view import EvaluateView
    from genloom._qt.gallery import GalleryWidget
    from genloom._qt.generate_panel import GeneratePanel
    from genloom._qt.inspector import InspectorWidget
    from genloom._qt.project_controller import ProjectController
    from genloom._qt.queue_panel import QueuePanel
    from genloom._qt.storyboard import StoryboardView
    from genloom.core.jobs.engine import Engine
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Asset, Job, Project
    from genloom.core.settings import Settings

# The frame shown first needs only the names above; the panels' modules (controller,
# generate panel, queue, gallery, inspector, menus, dialogs) are imported by
# finish_startup, after the first paint. Nor does the frame touch PySide6's ``Qt``
# namespace (see dock_layout): ``Qt`` is imported in the methods that run later.

ALIGN_CENTER = 0x84  # Qt.AlignHCenter | Qt.AlignVCenter, set as a property without the Qt enums
T = TypeVar("T")

#: The centre's tabs after the Gallery, in order: (attribute, title). Each is built the first
#: time it is shown or asked for (its attribute, a menu entry, a shortcut), not at start-up:
#: the three cost more than the rest of the window together (the Evaluate tab's leaderboard
#: alone imports numpy), and most sessions never open some of them.
LAZY_TABS = (("storyboard", "Storyboard"), ("chat", "Chat"), ("evaluate", "Evaluate"))


class MainWindow(QMainWindow):
    """The application window: a frame first, then the panels over one :class:`ProjectController`."""

    def __init__(self, settings: Settings, plugins: PluginManager | None = None,
                 project: Project | None = None) -> None:
        """Build the window. Without ``plugins`` and ``project`` only the frame is built:
        title, menu bar, the docks (empty, at their final sizes) and the status bar, cheap
        enough to show at once. :meth:`finish_startup` fills it."""
        super().__init__()
        self.settings = settings
        self.projects: ProjectController | None = None
        self.generate_panel: GeneratePanel | None = None
        self.queue: QueuePanel | None = None
        self.gallery: GalleryWidget | None = None
        self.inspector: InspectorWidget | None = None
        self._tabs_built: dict[str, QWidget] = {}  # the lazy tabs built so far, by attribute
        self._tab_placeholders: dict[str, QWidget] = {}  # and the empty pages standing in for the others
        self.compare_dialog: QDialog | None = None  # the newest, kept while open
        self.leaderboard_dialog: QDialog | None = None
        self.centre_tabs: QTabWidget | None = None
        self.recent_menu: QMenu | None = None
        self.api: ApiController | None = None
        self._pending_selection: int | None = None
        self.setWindowTitle("Genloom")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        opening = QLabel("Opening the project…")
        opening.setObjectName("dim")
        opening.setProperty("alignment", ALIGN_CENTER)
        self.setCentralWidget(opening)

        # The docks exist from the start (empty) so their stored sizes apply before the
        # first paint; finish_startup puts the real panels in without moving anything.
        placeholder = QWidget()
        placeholder.setMinimumWidth(LEFT_MIN_WIDTH)
        self.generate_dock = self._dock("Generate", placeholder)
        self.queue_dock = self._dock("Queue", QWidget())

        self.status_project = QLabel()
        self.status_worker = QLabel("worker starts with the first job")
        self.statusBar().addWidget(self.status_project, 1)
        self.statusBar().addPermanentWidget(self.status_worker)
        # In the frame from the start (hidden), so the layout does not move when it fills in.
        from genloom._qt.api_status import ApiIndicator

        self.status_api = ApiIndicator()
        self.statusBar().addPermanentWidget(self.status_api)
        self.status_api.hide()

        bar = self.menuBar()
        self.menus = {name: bar.addMenu(title) for name, title in
                      (("file", "&File"), ("generate", "&Generate"), ("view", "&View"), ("tools", "&Tools"),
                       ("help", "&Help"))}
        self._restored_state = restore_window_state(self, self.generate_dock, self.queue_dock)
        if plugins is not None and project is not None:
            self.finish_startup(plugins, project)

    def finish_startup(self, plugins: PluginManager, project: Project) -> None:
        """Fill the frame: the project controller, the panels over it, the menus.

        The panels (with the thumbnail and media machinery) are imported here, after the
        frame has been shown.
        """
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QSplitter, QTabWidget

        from genloom._qt.gallery import GalleryWidget
        from genloom._qt.generate_panel import GeneratePanel
        from genloom._qt.inspector import InspectorWidget
        from genloom._qt.menus import build_menus
        from genloom._qt.project_controller import ProjectController
        from genloom._qt.queue_panel import QueuePanel

        if self.projects is not None:
            return
        # The docks keep the sizes the frame was shown with (or is to be shown with): the
        # new centre and panels have other size hints, and the user must not see a jump.
        if self.isVisible():
            keep: tuple[int, int] | None = (self.generate_dock.width(), self.queue_dock.height())
        else:
            from genloom._qt.dock_layout import FIRST_RUN_DOCK_SIZES

            keep = None if self._restored_state else FIRST_RUN_DOCK_SIZES
        self.projects = projects = ProjectController(self.settings, plugins, project, self)
        from genloom._qt.api_status import ApiController

        self.api = ApiController(projects, self)
        self.status_api.follow(self.api)
        self.generate_panel = GeneratePanel(projects)
        self.generate_panel.selection_provider = self.selected_asset
        self._replace_dock_widget(self.generate_dock, self.generate_panel)
        self.queue = QueuePanel(projects.bridge)
        self._replace_dock_widget(self.queue_dock, self.queue)
        build_menus(self)
        self.gallery = GalleryWidget(project)
        self.inspector = InspectorWidget(project)
        browse = QSplitter()
        browse.addWidget(self.gallery)
        browse.addWidget(self.inspector)
        browse.setStretchFactor(0, 3)
        browse.setStretchFactor(1, 2)
        browse.setSizes([760, 440])
        self.centre_tabs = centre = QTabWidget()
        centre.setDocumentMode(True)
        centre.addTab(browse, "Gallery")
        for name, title in LAZY_TABS:
            self._tab_placeholders[name] = placeholder = QWidget()
            centre.addTab(placeholder, title)
        centre.currentChanged.connect(self._on_tab_shown)
        self.setCentralWidget(centre)
        self.queue.set_project(project)
        self._wire()
        self.generate_panel.select_first_generator()
        self._show_project(project)
        if keep is not None:
            # Settle the layout with the new size hints now (the pending layout requests would
            # otherwise run later and give the centre's spare width to the dock), then size.
            for _ in range(3):  # a child's layout request posts one to its parent
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            resize_docks(self, self.generate_dock, self.queue_dock, keep)

    # -- what the panels share ------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once :meth:`finish_startup` has run."""
        return self.projects is not None

    @property
    def project(self) -> Project:
        """The open project (after :meth:`finish_startup`)."""
        return self._projects().project

    @property
    def plugins(self) -> PluginManager:
        """The loaded plugins (after :meth:`finish_startup`)."""
        return self._projects().plugins

    @property
    def engine(self) -> Engine | None:
        """The running job engine, if started."""
        return self.projects.engine if self.projects is not None else None

    def _projects(self) -> ProjectController:
        if self.projects is None:
            raise RuntimeError("the window has no project until finish_startup has run")
        return self.projects

    def selected_asset(self) -> int | None:
        """The asset the user is looking at: the inspector's, else the gallery's current one."""
        if self.inspector is None or self.gallery is None:
            return None
        asset = self.inspector.asset()
        return asset.id if asset is not None else self.gallery.current_id()

    # -- construction ---------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        """A dock, a child of the window; restore_window_state places it."""
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
        projects, panel = self._projects(), self.generate_panel
        gallery, inspector, queue = self.gallery, self.inspector, self.queue
        assert panel is not None and gallery is not None and inspector is not None and queue is not None
        gallery.asset_selected.connect(inspector.show_asset)
        gallery.rerun_requested.connect(self.rerun)
        gallery.use_as_input_requested.connect(panel.use_as_input)
        gallery.export_requested.connect(self.export_asset)
        gallery.delete_requested.connect(self.delete_asset)
        gallery.compare_requested.connect(self.compare_assets)
        inspector.rerun_requested.connect(self.rerun)
        inspector.use_as_input_requested.connect(panel.use_as_input)
        inspector.export_requested.connect(self.export_asset)
        inspector.jump_to_asset.connect(self.jump_to_asset)
        queue.cancel_requested.connect(self.cancel_job)
        queue.retry_requested.connect(self.retry_job)
        queue.move_requested.connect(self.move_job)
        panel.status.connect(self.statusBar().showMessage)
        projects.message.connect(self.statusBar().showMessage)
        projects.project_changed.connect(self._on_project_changed)
        engine_events = projects.bridge.events
        engine_events.job_finished.connect(self._on_job_finished)
        engine_events.job_failed.connect(self._on_job_failed)
        engine_events.worker_started.connect(lambda pid: self.status_worker.setText(f"worker ready (pid {pid})"))
        engine_events.worker_stopped.connect(lambda why: self.status_worker.setText(f"worker restarted: {why}"))

    # -- the lazy tabs ---------------------------------------------------------------------------

    @property
    def storyboard(self) -> StoryboardView | None:
        """The Storyboard tab's view, built on first use (None before :meth:`finish_startup`)."""
        return self._lazy_tab("storyboard")  # type: ignore[return-value]

    @property
    def chat(self) -> ChatView | None:
        """The Chat tab's view, built on first use (None before :meth:`finish_startup`)."""
        return self._lazy_tab("chat")  # type: ignore[return-value]

    @property
    def evaluate(self) -> EvaluateView | None:
        """The Evaluate tab's view, built on first use (None before :meth:`finish_startup`)."""
        return self._lazy_tab("evaluate")  # type: ignore[return-value]

    def _lazy_tab(self, name: str) -> QWidget | None:
        """The tab ``name``, building it in place of its placeholder if not yet built."""
        built = self._tabs_built.get(name)
        if built is not None or self.centre_tabs is None:
            return built
        tabs, placeholder = self.centre_tabs, self._tab_placeholders[name]
        view = self._build_tab(name)  # if this raises, the placeholder stays for the next try
        del self._tab_placeholders[name]
        index = tabs.indexOf(placeholder)
        shown = tabs.currentIndex() == index
        # Swapping the page moves the current tab for a moment: nobody outside hears of it.
        tabs.blockSignals(True)
        try:
            tabs.removeTab(index)
            tabs.insertTab(index, view, dict(LAZY_TABS)[name])
            if shown:
                tabs.setCurrentIndex(index)
        finally:
            tabs.blockSignals(False)
        placeholder.deleteLater()
        self._tabs_built[name] = view
        return view

    def _build_tab(self, name: str) -> QWidget:
        """A lazy tab's view over the open project, wired to the status bar and the engine."""
        projects = self._projects()
        show_message = self.statusBar().showMessage
        if name == "storyboard":
            from genloom._qt.storyboard import StoryboardView

            storyboard = StoryboardView(projects.project, lambda: self.engine)
            storyboard.status.connect(show_message)
            return storyboard
        if name == "chat":
            from genloom._qt.chat_view import ChatView

            chat = ChatView(projects)  # follows the controller's project changes itself
            chat.status.connect(show_message)
            return chat
        from genloom._qt.evaluate_view import EvaluateView

        assert self.gallery is not None
        evaluate = EvaluateView(projects.project, projects.plugins, lambda: self.engine,
                                selection=self.gallery.selected_ids)
        evaluate.status.connect(show_message)
        projects.bridge.job_progress.connect(
            lambda p: evaluate.show_progress(p.job_id, p.step, p.total, p.message))
        return evaluate

    def _on_tab_shown(self, index: int) -> None:
        """Build a lazy tab as it comes to the front (clicked, or by keyboard), before it paints."""
        assert self.centre_tabs is not None
        page = self.centre_tabs.widget(index)
        for name, placeholder in list(self._tab_placeholders.items()):
            if placeholder is page:
                self._lazy_tab(name)

    # -- jobs ----------------------------------------------------------------------------------

    def show_chat(self, new: bool = False) -> None:
        """Bring the chat view forward (with ``new``, in a new conversation)."""
        if self.centre_tabs is None or self.chat is None:
            return
        self.centre_tabs.setCurrentWidget(self.chat)
        if new:
            self.chat.new_conversation()
        self.chat.composer.setFocus()

    def start_engine(self) -> None:
        """Start the job engine (the worker process starts with the first job)."""
        if self.projects is not None:
            self.projects.start_engine()

    def stop_engine(self) -> None:
        """Stop the job engine; a running job goes back to the queue."""
        if self.projects is not None:
            self.projects.stop_engine()

    def cancel_job(self, job_id: int) -> None:
        if self.engine is not None:
            self.engine.cancel(job_id)

    def cancel_running(self) -> None:
        """Cancel the job selected in the queue, else the job this window's engine runs."""
        selected = self.queue.selected_job() if self.queue is not None else None
        if selected is not None and selected.state in ("queued", "running"):
            self.cancel_job(selected.id)
            return
        engine = self.engine
        for job in self.project.jobs.list(states=["running"]):
            if engine is not None and job.owner == engine.owner:
                self.cancel_job(job.id)

    def retry_job(self, job_id: int) -> None:
        engine = self.engine
        if engine is not None:
            self._guard(lambda: engine.retry(job_id))

    def move_job(self, job_id: int, index: int) -> None:
        self._guard(lambda: self.project.jobs.move(job_id, index))

    def rerun(self, asset_id: int | None, new_seed: bool = False) -> None:
        engine = self.engine
        if asset_id is None or engine is None:
            return
        self._guard(lambda: engine.rerun(asset_id, new_seed=new_seed))

    def _on_job_finished(self, job: Job, assets: list[Asset]) -> None:
        if assets:
            self.statusBar().showMessage(f"job {job.id} done: {len(assets)} new asset(s)", 4000)
            self.show_new_asset(assets[0].id)

    def show_new_asset(self, asset_id: int) -> None:
        """Select a just-made asset, so the inspector shows it and its recipe.

        The gallery hears of the asset through the project's events, which may arrive
        after the job's: until it lists the asset, the selection waits for its rows.
        """
        gallery = self.gallery
        if gallery is None:
            return
        self._pending_selection = asset_id
        if gallery.select_asset(asset_id):
            self._pending_selection = None
            return
        if not getattr(self, "_waiting_for_rows", False):
            self._waiting_for_rows = True
            gallery.model.rowsInserted.connect(self._select_pending)
            gallery.model.modelReset.connect(self._select_pending)

    def _select_pending(self, *_args: object) -> None:
        if self.gallery is not None and self._pending_selection is not None \
                and self.gallery.select_asset(self._pending_selection):
            self._pending_selection = None

    def _on_job_failed(self, job: Job) -> None:
        first = job.error.splitlines()[0] if job.error else "failed"
        self.statusBar().showMessage(f"job {job.id} failed: {first}", 10000)

    # -- assets ---------------------------------------------------------------------------------

    def jump_to_asset(self, asset_id: int) -> None:
        if self.gallery is not None and self.inspector is not None:
            self.gallery.select_asset(asset_id)
            self.inspector.show_asset(asset_id)

    def paint_mask(self, asset_id: int | None, dialog_hook: Callable[[QWidget], object] | None = None
                   ) -> Asset | None:
        """Paint a mask over an image; the saved mask and the image go into an inpainting form."""
        from genloom._qt.mask_painter import MaskPainterDialog

        if asset_id is None or self.generate_panel is None:
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
        self.generate_panel.inpaint(asset, mask)
        return mask

    def export_asset(self, asset_id: int | None) -> None:
        from PySide6.QtWidgets import QFileDialog

        from genloom.core.exporting import export_asset

        if asset_id is None:
            return
        asset = self.project.get_asset(asset_id)
        name, _ = QFileDialog.getSaveFileName(self, "Export asset", f"genloom-{asset.id}{asset.suffix}")
        if name:
            # A damaged file is reported, never exported (export_asset checks its hash).
            self._guard(lambda: export_asset(self.project, asset, Path(name), self.settings))

    def delete_asset(self, asset_id: int) -> None:
        from genloom._qt.dialogs import confirm

        if confirm(self, "Delete asset", f"Remove asset {asset_id} from the project?"):
            self._guard(lambda: self.project.delete_asset(asset_id))
            if self.inspector is not None:
                self.inspector.show_asset(None)

    def import_files(self, paths: list[Path]) -> list[Asset]:
        from PySide6.QtWidgets import QMessageBox

        from genloom._qt.remedies import app_message
        from genloom.core.importing import import_file

        added, problems = [], []
        for path in paths:
            try:
                library = self.projects.library if self.projects is not None else None
                added.append(import_file(self.project, path, library=library, settings=self.settings))
            except (GenloomError, OSError) as exc:
                problems.append(app_message(exc))
        if problems:
            QMessageBox.warning(self, "Some files were not imported", "\n".join(problems))
        if added:
            self.statusBar().showMessage(f"imported {len(added)} file(s)", 4000)
            if self.inspector is not None:  # its content credentials and recipe, as verify reads them
                self.inspector.show_asset(added[0].id)
        return added

    def import_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        names, _ = QFileDialog.getOpenFileNames(self, "Import files")
        if names:
            self.import_files([Path(n) for n in names])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        if not self.ready:
            return
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

    def archive_dialog(self) -> None:
        """Ask where, then write the open project to one archive file."""
        from PySide6.QtWidgets import QFileDialog

        from genloom.core.project.archive import SUFFIX

        suggested = self.project.path.parent / f"{self.project.name}{SUFFIX}"
        name, _ = QFileDialog.getSaveFileName(self, "Archive project", str(suggested),
                                              f"Genloom project archives (*{SUFFIX})")
        if name:
            self.archive_to(Path(name))

    def archive_to(self, dest: Path) -> Path | None:
        from genloom.core.project.archive import archive_project

        written = self._guard(lambda: archive_project(self.project, dest))
        if written is not None:
            self.statusBar().showMessage(f"archived {self.project.name} to {written}", 8000)
        return written

    def unarchive_dialog(self) -> None:
        """Ask for an archive and a new, empty folder; unpack it there and open it."""
        from PySide6.QtWidgets import QFileDialog

        from genloom.core.project.archive import SUFFIX

        archive, _ = QFileDialog.getOpenFileName(self, "Open project archive", str(self.project.path.parent),
                                                 f"Genloom project archives (*{SUFFIX})")
        if not archive:
            return
        folder = QFileDialog.getExistingDirectory(self, "Unpack into a new, empty folder",
                                                  str(Path(archive).parent))
        if folder:
            self.unarchive_into(Path(archive), Path(folder))

    def unarchive_into(self, archive: Path, target: Path) -> bool:
        """Unpack ``archive`` into ``target`` (checked first: a refused archive leaves nothing) and open it."""
        from PySide6.QtWidgets import QMessageBox

        from genloom._qt.remedies import app_message
        from genloom.core.project.archive import unarchive

        try:
            unarchive(archive, target).close()
        except (GenloomError, OSError) as exc:
            QMessageBox.critical(self, "Cannot open the archive", app_message(exc))
            return False
        return self.open_project(target)

    def report_problem(self, title: str, text: str) -> None:
        """Say what went wrong in a window that does not block the event loop."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setModal(False)
        box.show()
        self.problem_box = box  # keep a reference: Qt does not own it for Python
        self.statusBar().showMessage(text.splitlines()[0], 30000)

    def open_project(self, path: Path, create: bool = False) -> bool:
        """Switch to the project at ``path``; a project that cannot be opened is reported."""
        from PySide6.QtWidgets import QMessageBox

        from genloom._qt.remedies import app_message

        try:
            self._projects().open_project(path, create=create)
        except (GenloomError, OSError) as exc:
            QMessageBox.critical(self, "Cannot open project", app_message(exc))
            return False
        return True

    def _on_project_changed(self, project: Project) -> None:
        """Point the views at ``project`` (the controller has opened it)."""
        from genloom._qt.menus import fill_recent

        assert self.gallery is not None and self.inspector is not None and self.queue is not None
        self.gallery.set_project(project)
        self.inspector.set_project(project)
        self.inspector.show_asset(None)
        self.queue.set_project(project)
        for name in ("storyboard", "evaluate"):  # a tab not built yet is built over the new project
            view = self._tabs_built.get(name)
            if view is not None:
                view.set_project(project)  # type: ignore[attr-defined]
        fill_recent(self)
        self._show_project(project)

    def _show_project(self, project: Project) -> None:
        self.setWindowTitle(f"Genloom — {project.name}")
        self.status_project.setText(f"{project.name} — {project.path}")

    def show_storyboard(self) -> None:
        """Bring the Storyboard tab to the front."""
        if self.centre_tabs is not None and self.storyboard is not None:
            self.centre_tabs.setCurrentWidget(self.storyboard)

    def show_evaluate(self) -> None:
        """Bring the Evaluate tab to the front."""
        if self.centre_tabs is not None and self.evaluate is not None:
            self.centre_tabs.setCurrentWidget(self.evaluate)

    def show_gallery(self) -> None:
        """Bring the Gallery tab (gallery and inspector) to the front."""
        if self.centre_tabs is not None:
            self.centre_tabs.setCurrentIndex(0)

    def compare_selected(self) -> None:
        """Open the compare view for the gallery's selection (2-4 assets of one kind)."""
        if self.gallery is not None:
            self.compare_assets(self.gallery.selected_ids())

    def compare_assets(self, asset_ids: list[int]) -> None:
        from genloom._qt.compare_view import open_compare

        self.compare_dialog = open_compare(self, self.project, list(asset_ids))

    def show_leaderboard(self) -> None:
        from genloom._qt.leaderboard_view import LeaderboardDialog

        self.leaderboard_dialog = LeaderboardDialog(self.project, self)
        self.leaderboard_dialog.show()

    def show_model_library(self) -> None:
        from genloom._qt.model_library import ModelLibraryDialog

        library = self._projects().open_library()
        if library is not None:
            ModelLibraryDialog(library, self).exec()

    def show_plugins(self) -> None:
        from genloom._qt.dialogs import PluginDialog

        PluginDialog(self.plugins, self.settings, self).exec()

    def show_benchmarks(self) -> None:
        from genloom._qt.benchmarks_dialog import show_benchmarks

        show_benchmarks(self.plugins, self)

    def show_diagnostics(self) -> None:
        from genloom._qt.diagnostics_dialog import DiagnosticsDialog

        self.diagnostics_dialog = DiagnosticsDialog(self)
        self.diagnostics_dialog.show()

    def show_settings(self) -> None:
        from genloom._qt.dialogs import SettingsDialog

        theme = self.settings.theme
        if SettingsDialog(self.settings, self).exec():
            if self.settings.theme != theme:
                self.set_theme(self.settings.theme)
            if self.api is not None:
                self.api.apply_settings()

    def set_theme(self, name: str) -> None:
        from genloom._qt.theme import apply_theme

        self.settings.theme = name
        self._projects().save_settings()
        apply_theme(QApplication.instance(), name)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from genloom import __version__

        QMessageBox.about(self, "About Genloom",
                          f"Genloom {__version__}\nAn offline generative studio.\n\n"
                          f"Plugins: {len(self.plugins.plugins)}  Generators: {len(self.plugins.generators)}")

    def _guard(self, action: Callable[[], T]) -> T | None:
        """Run a user action; show its error instead of losing it."""
        from PySide6.QtWidgets import QMessageBox

        from genloom._qt.remedies import app_message

        try:
            return action()
        except (GenloomError, ValueError, OSError, LookupError) as exc:
            QMessageBox.warning(self, "Genloom", app_message(exc))
            return None

    # -- closing ---------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        save_window_state(self)
        if self.projects is not None:
            if self.api is not None:
                self.api.stop()
            self.projects.stop_engine()
            if self.gallery is not None:
                self.gallery.shutdown()
            if self.queue is not None:
                self.queue.set_project(None)
            if self.inspector is not None:
                self.inspector.set_project(None)
            self.projects.close()
        super().closeEvent(event)
