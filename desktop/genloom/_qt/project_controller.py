"""The open project and what lives as long as it: the job engine and its bridge, the model library, recent projects."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from genloom._qt.bridge import EngineBridge
from genloom._qt.relay import LibrarySignals
from genloom.sdk.errors import GenloomError

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine
    from genloom.core.models import ModelLibrary
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Project
    from genloom.core.settings import Settings


class ProjectController(QObject):
    """Owns the open :class:`Project`, its :class:`Engine` and the :class:`ModelLibrary`.

    Views never open, switch or close these themselves: they call this controller and
    follow its signals. It shows nothing; failures are raised (opening a project) or
    announced through :attr:`message` for the window to show.
    """

    project_changed = Signal(object)   # Project: another project is now open
    engine_changed = Signal(object)    # Engine, or None when stopped
    models_changed = Signal()          # the library opened, finished a scan or changed
    message = Signal(str, int)         # a status line and how long to show it (ms)

    def __init__(self, settings: Settings, plugins: PluginManager, project: Project,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.plugins = plugins
        self.project = project
        self.engine: Engine | None = None
        self.library: ModelLibrary | None = None
        self._library_signals: LibrarySignals | None = None
        #: Engine and project events as queued Qt signals; it outlives each engine.
        self.bridge = EngineBridge(self)

    # -- engine ---------------------------------------------------------------------

    def start_engine(self) -> None:
        """Start the job engine (the worker process starts with the first job)."""
        from genloom.core.evaluation.sweeps import follow as follow_sweeps
        from genloom.core.jobs.engine import Engine

        if self.engine is not None or self.project is None:
            return
        self.engine = Engine(self.project, self.plugins, self.settings)
        self.bridge.attach(self.engine)
        self.engine.start()
        follow_sweeps(self.engine)  # a sweep's grid is queued when its last cell ends
        self.engine_changed.emit(self.engine)
        if self.library is None:
            self.open_library()

    def stop_engine(self) -> None:
        """Stop the engine; a job still running goes back to the queue and runs next time."""
        if self.engine is not None:
            self.bridge.detach()
            self.engine.stop(requeue_running=True)
            self.engine = None
            self.engine_changed.emit(None)

    # -- projects -------------------------------------------------------------------

    def open_project(self, path: Path, create: bool = False) -> Project:
        """Make the project at ``path`` (created with ``create``) the open one.

        Raises :class:`GenloomError` or :class:`OSError` when it cannot be opened; the
        current project then stays open and its engine keeps running.
        """
        from genloom.core.project import Project

        project = Project.create(path) if create else Project.open(path)
        self.stop_engine()
        self.project.close()
        self.project = project
        self.settings.remember_project(project.path)
        self.save_settings()
        self.project_changed.emit(project)
        self.start_engine()
        return project

    def recent_projects(self) -> list[tuple[str, bool]]:
        """The recently opened projects, newest first, each with whether it can still be opened."""
        return [(path, (Path(path) / "genloom.db").exists()) for path in self.settings.recent_projects]

    def save_settings(self) -> None:
        """Save the settings; a failure is announced, not raised (the app keeps its settings in memory)."""
        try:
            self.settings.save()
        except OSError as exc:
            self.message.emit(f"could not save settings: {exc}", 8000)

    # -- model library ----------------------------------------------------------------

    def open_library(self) -> ModelLibrary | None:
        """The machine-wide model library, opened once; a background rescan keeps it current."""
        from genloom.core.models import ModelLibrary

        if self.library is not None:
            return self.library
        try:
            self.library = ModelLibrary(self.plugins, hf_cache=self.settings.scan_hf_cache)
        except (GenloomError, OSError) as exc:
            self.message.emit(f"model library unavailable: {exc}", 10000)
            return None
        self._library_signals = LibrarySignals(self.library, self)
        for relayed in (self._library_signals.scan_finished, self._library_signals.models_changed,
                        self._library_signals.roots_changed):
            relayed.connect(lambda *_: self.models_changed.emit())
        self.models_changed.emit()
        self.library.start_scan()
        return self.library

    # -- shutting down -------------------------------------------------------------------

    def close(self) -> None:
        """Stop the engine, close the library and the project (the window is closing)."""
        self.stop_engine()
        if self.library is not None:
            if self._library_signals is not None:
                self._library_signals.detach()
            self.library.close()
            self.library = None
        self.project.close()
