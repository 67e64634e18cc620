"""Core events (plain-Python signals, emitted on any thread) re-emitted as queued Qt signals on the GUI thread.

Models in ``genloom.core`` announce changes through :class:`genloom.core.events.Signal`,
whose callbacks run on the thread that made the change: the engine's supervisor, the
model library's scanner, a worker's. Widgets may only change on the GUI thread, so the
shell listens through a :class:`CoreRelay`: a subclass declares Qt signals named like
the core events it relays, and every core emission becomes a Qt signal delivered by the
GUI thread's event loop (always queued, also when the change was made on the GUI thread,
so a view never re-enters itself from inside its own change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import QObject, Qt, Signal

from genloom.core.events import Signal as CoreSignal


class HasEvents(Protocol):
    """A core model that announces changes: its ``events`` holds one core signal per event."""

    @property
    def events(self) -> Any: ...


class CoreRelay(QObject):
    """Relays the core events named in :attr:`EVENTS` as the Qt signals of the same names.

    Subclasses declare ``EVENTS`` and one Qt ``Signal`` per name. :meth:`attach` listens to
    a core model's ``events`` (a project's, an engine's, the model library's); attaching
    another, or :meth:`detach`, stops listening to the previous one.
    """

    EVENTS: ClassVar[tuple[str, ...]] = ()

    _deliver = Signal(str, object)  # event name, its arguments (a tuple)

    def __init__(self, model: HasEvents | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        for name in self.EVENTS:
            if not isinstance(getattr(type(self), name, None), Signal):
                raise TypeError(f"{type(self).__name__} relays {name!r} but declares no Qt signal of that name")
        self._deliver.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._connections: list[tuple[CoreSignal, Callable[..., None]]] = []
        self._source: HasEvents | None = None
        self.attach(model)

    @property
    def source(self) -> HasEvents | None:
        """The model listened to, if any."""
        return self._source

    def attach(self, model: HasEvents | None) -> None:
        """Listen to ``model.events`` (None: to nothing)."""
        self.detach()
        if model is None:
            return
        self._source = model
        for name in self.EVENTS:
            signal: CoreSignal = getattr(model.events, name)
            callback = self._forwarder(name)
            signal.connect(callback)
            self._connections.append((signal, callback))

    def detach(self) -> None:
        """Stop listening; emissions already queued are still delivered."""
        connections, self._connections, self._source = self._connections, [], None
        for signal, callback in connections:
            signal.disconnect(callback)

    def _forwarder(self, name: str) -> Callable[..., None]:
        def forward(*args: object) -> None:  # runs on the emitting thread: only post
            try:
                self._deliver.emit(name, args)
            except RuntimeError:  # the Qt object owning this relay was deleted: stop listening
                self.detach()
        return forward

    def _dispatch(self, name: str, args: tuple[object, ...]) -> None:
        getattr(self, name).emit(*args)


class ProjectSignals(CoreRelay):
    """A project's asset and job events (``project.events``)."""

    EVENTS = ("asset_added", "asset_changed", "asset_deleted", "job_changed")

    asset_added = Signal(object)     # Asset
    asset_changed = Signal(object)   # Asset
    asset_deleted = Signal(int)      # asset id
    job_changed = Signal(object)     # Job


class EngineSignals(CoreRelay):
    """An engine's job and worker events (``engine.events``); progress goes through the bridge's throttle."""

    EVENTS = ("job_started", "job_finished", "job_failed", "job_cancelled", "worker_started", "worker_stopped")

    job_started = Signal(object)             # Job
    job_finished = Signal(object, object)    # Job, [Asset]
    job_failed = Signal(object)              # Job
    job_cancelled = Signal(object, object)   # Job, [Asset] (partial outputs kept)
    worker_started = Signal(object)          # pid
    worker_stopped = Signal(str)             # why


class LibrarySignals(CoreRelay):
    """The model library's scan and change events (``library.events``)."""

    EVENTS = ("scan_started", "scan_progress", "scan_finished", "models_changed", "roots_changed")

    scan_started = Signal()
    scan_progress = Signal(object)   # ScanProgress
    scan_finished = Signal(object)   # ScanReport
    models_changed = Signal(object)  # [hash]
    roots_changed = Signal()
