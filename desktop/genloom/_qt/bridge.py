"""Engine events on the GUI thread, with each job's progress coalesced and throttled.

The engine calls its callbacks on its supervisor thread; :class:`EngineSignals`
(:mod:`genloom._qt.relay`) delivers them on the GUI thread. Progress can arrive
hundreds of times a second: it is coalesced per job and flushed at most
``PROGRESS_HZ`` times a second. Streamed text is concatenated,
never dropped; previews keep only the newest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from genloom._qt.relay import EngineSignals

if TYPE_CHECKING:
    from genloom.core.events import Signal as CoreSignal
    from genloom.core.jobs.engine import Engine, ProgressEvent
    from genloom.core.project import Job
    from genloom.sdk.run import Progress

PROGRESS_HZ = 20


@dataclass
class JobProgress:
    """The latest progress of one running job, as the queue panel shows it."""

    job_id: int
    step: int = 0
    total: int = 0
    message: str = ""
    preview: bytes | None = None
    text: str = ""          # all streamed text so far
    elapsed: float = 0.0
    new_text: str = ""      # streamed since the last flush
    loading: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class EngineBridge(QObject):
    """An engine's events on the GUI thread: :attr:`events` relays them as they are, and
    :attr:`job_progress` carries each running job's progress, coalesced and throttled."""

    job_progress = Signal(object)           # JobProgress (throttled)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: job_started, job_finished, job_failed, job_cancelled, worker_started, worker_stopped
        self.events = EngineSignals(None, self)
        self._lock = threading.Lock()
        self._pending: dict[int, JobProgress] = {}
        self._state: dict[int, JobProgress] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / PROGRESS_HZ))
        self._timer.timeout.connect(self._flush)
        self._timer.start()
        self._connections: list[tuple[CoreSignal, Callable[..., None]]] = []

    # -- wiring ------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """Subscribe to ``engine`` (detaching from any previous one)."""
        self.detach()
        self.events.attach(engine)
        e = engine.events
        pairs: list[tuple[CoreSignal, Callable[..., None]]] = [
            (e.job_started, self._on_started), (e.job_loading, self._on_loading),
            (e.job_progress, self._on_progress)]
        for signal, callback in pairs:
            signal.connect(callback)
            self._connections.append((signal, callback))

    def detach(self) -> None:
        """Stop listening to the engine and forget the progress of its jobs."""
        self.events.detach()
        for signal, callback in self._connections:
            signal.disconnect(callback)
        self._connections.clear()
        with self._lock:
            self._pending.clear()
            self._state.clear()

    def progress_of(self, job_id: int) -> JobProgress | None:
        """The latest progress shown for ``job_id``, if it has run while attached."""
        return self._state.get(job_id)

    # -- engine thread ------------------------------------------------------------

    def _on_started(self, job: Job) -> None:
        with self._lock:
            self._state[job.id] = JobProgress(job.id)

    def _on_loading(self, job_id: int, generator_id: str, model: str) -> None:
        with self._lock:
            entry = self._pending.setdefault(job_id, JobProgress(job_id))
            entry.loading = model or generator_id
            entry.message = f"loading {model or generator_id}"

    def _on_progress(self, event: ProgressEvent) -> None:
        p: Progress = event.progress
        with self._lock:
            entry = self._pending.setdefault(event.job_id, JobProgress(event.job_id))
            entry.step, entry.total, entry.elapsed = p.step, p.total, event.elapsed
            if p.message:
                entry.message = p.message
            if p.preview is not None:
                entry.preview = p.preview
            if p.partial_text:
                entry.new_text += p.partial_text

    # -- GUI thread ----------------------------------------------------------------

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for job_id, update in pending.items():
            state = self._state.setdefault(job_id, JobProgress(job_id))
            state.step, state.total, state.elapsed = update.step, update.total, update.elapsed
            state.message = update.message or state.message
            state.preview = update.preview or state.preview
            state.loading = update.loading or state.loading
            state.text += update.new_text
            state.new_text = update.new_text
            self.job_progress.emit(state)
