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

import itertools
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import QObject, Qt, Signal

from genloom.core.events import Signal as CoreSignal


class HasEvents(Protocol):
    """A core model that announces changes: its ``events`` holds one core signal per event."""

    @property
    def events(self) -> Any: ...


Connection = tuple[CoreSignal, Callable[..., None]]


class _Dispatcher(QObject):
    """The one object core callbacks post through, for every relay; it lives as long as the app.

    Core callbacks run on any thread and hold only this object and a relay's key, never a
    relay: a core model that outlives its views must not keep a relay alive, and a relay's
    last reference must never be dropped off the GUI thread (a garbage collection that
    happens to run on a worker thread, or a callback finishing there), which would delete
    a GUI-thread QObject from another thread while the GUI thread delivers its events: a
    crash inside ``processEvents``, seen in the test suite. Deliveries are queued to the GUI
    thread, where the relay is looked up and dropped if it is gone.
    """

    deliver = Signal(int, str, object)  # relay key, event name, its arguments (a tuple)

    def __init__(self) -> None:
        super().__init__()
        self.relays: weakref.WeakValueDictionary[int, CoreRelay] = weakref.WeakValueDictionary()
        self._keys = itertools.count()
        self.deliver.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    def register(self, relay: CoreRelay) -> int:
        key = next(self._keys)
        self.relays[key] = relay
        return key

    def _dispatch(self, key: int, name: str, args: tuple[object, ...]) -> None:
        relay = self.relays.get(key)
        if relay is None:
            return
        try:
            getattr(relay, name).emit(*args)
        except RuntimeError:  # its C++ side was deleted with its Qt parent
            relay.detach()


_dispatcher: _Dispatcher | None = None


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None:  # first relay, made on the GUI thread like every relay
        _dispatcher = _Dispatcher()
    return _dispatcher


def _post(dispatcher: _Dispatcher, key: int, name: str, *args: object) -> None:
    """A core callback: runs on the emitting thread, so it only posts."""
    dispatcher.deliver.emit(key, name, args)


def _disconnect_all(connections: list[Connection]) -> None:
    """Stop the core callbacks in ``connections`` (the list is emptied in place)."""
    pending = list(connections)
    connections.clear()
    for signal, callback in pending:
        signal.disconnect(callback)


class CoreRelay(QObject):
    """Relays the core events named in :attr:`EVENTS` as the Qt signals of the same names.

    Subclasses declare ``EVENTS`` and one Qt ``Signal`` per name. :meth:`attach` listens to
    a core model's ``events`` (a project's, an engine's, the model library's); attaching
    another, or :meth:`detach`, stops listening to the previous one. A relay that is
    deleted (with its Qt parent, or when its last reference goes) stops listening by itself.
    """

    EVENTS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model: HasEvents | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        for name in self.EVENTS:
            if not isinstance(getattr(type(self), name, None), Signal):
                raise TypeError(f"{type(self).__name__} relays {name!r} but declares no Qt signal of that name")
        self._dispatcher = _the_dispatcher()
        self._key = self._dispatcher.register(self)
        # One list for the relay's whole life: the clean-ups hold it, not the relay.
        self._connections: list[Connection] = []
        self.destroyed.connect(partial(_disconnect_all, self._connections))
        weakref.finalize(self, _disconnect_all, self._connections)
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
            callback = partial(_post, self._dispatcher, self._key, name)
            signal.connect(callback)
            self._connections.append((signal, callback))

    def detach(self) -> None:
        """Stop listening; emissions already queued are still delivered."""
        self._source = None
        _disconnect_all(self._connections)


class ProjectSignals(CoreRelay):
    """A project's asset, job and board events (``project.events``)."""

    EVENTS = ("asset_added", "asset_changed", "asset_deleted", "job_changed", "board_changed")

    asset_added = Signal(object)     # Asset
    asset_changed = Signal(object)   # Asset
    asset_deleted = Signal(int)      # asset id
    job_changed = Signal(object)     # Job
    board_changed = Signal(int)      # board id


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


class ConversationSignals(CoreRelay):
    """The conversation store's events (``project.conversations.events``)."""

    EVENTS = ("conversation_changed", "conversation_deleted", "message_changed")
    conversation_changed = Signal(int)   # conversation id
    conversation_deleted = Signal(int)   # conversation id
    message_changed = Signal(object)     # Message (an answer settled)


class JudgementSignals(CoreRelay):
    """Relays a project's judgements (``genloom.core.evaluation.judgements.judgements_of``)."""

    EVENTS = ("changed",)

    changed = Signal(int)  # judgement id
