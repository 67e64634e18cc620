"""Engine and project events, re-emitted on the GUI thread and throttled.

The engine calls its callbacks on its supervisor thread; Qt delivers a signal
emitted there to receivers in the GUI thread through the event queue (an
automatic queued connection), so widgets only ever change on the GUI thread.
Progress can arrive hundreds of times a second: it is coalesced per job and
flushed at most ``PROGRESS_HZ`` times a second. Streamed text is concatenated,
never dropped; previews keep only the newest.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
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
    """Qt signals for everything the engine and the project announce."""

    job_changed = Signal(object)            # Job (any state change, from the project)
    job_started = Signal(object)            # Job
    job_progress = Signal(object)           # JobProgress (throttled)
    job_finished = Signal(object, list)     # Job, [Asset]
    job_failed = Signal(object)             # Job
    job_cancelled = Signal(object, list)    # Job, [Asset]
    worker_started = Signal(int)
    worker_stopped = Signal(str)
    asset_added = Signal(object)
    asset_changed = Signal(object)
    asset_deleted = Signal(int)

    _progress_ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[int, JobProgress] = {}
        self._state: dict[int, JobProgress] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / PROGRESS_HZ))
        self._timer.timeout.connect(self._flush)
        self._timer.start()
        self._engine: Any = None
        self._project: Any = None
        self._connections: list[tuple[Any, Any]] = []

    # -- wiring ------------------------------------------------------------------

    def attach(self, engine: Any) -> None:
        """Subscribe to ``engine`` and its project (detaching from any previous one)."""
        self.detach()
        self._engine, self._project = engine, engine.project
        e, p = engine.events, engine.project.events
        pairs = [
            (e.job_started, self._on_started), (e.job_loading, self._on_loading),
            (e.job_progress, self._on_progress),
            (e.job_finished, lambda job, assets: self.job_finished.emit(job, list(assets))),
            (e.job_failed, self.job_failed.emit),
            (e.job_cancelled, lambda job, assets: self.job_cancelled.emit(job, list(assets))),
            (e.worker_started, lambda pid: self.worker_started.emit(int(pid or 0))),
            (e.worker_stopped, self.worker_stopped.emit),
            (p.job_changed, self.job_changed.emit), (p.asset_added, self.asset_added.emit),
            (p.asset_changed, self.asset_changed.emit), (p.asset_deleted, self.asset_deleted.emit),
        ]
        for signal, callback in pairs:
            signal.connect(callback)
            self._connections.append((signal, callback))

    def detach(self) -> None:
        for signal, callback in self._connections:
            signal.disconnect(callback)
        self._connections.clear()
        with self._lock:
            self._pending.clear()
            self._state.clear()

    def progress_of(self, job_id: int) -> JobProgress | None:
        return self._state.get(job_id)

    # -- engine thread ------------------------------------------------------------

    def _on_started(self, job: Any) -> None:
        with self._lock:
            self._state[job.id] = JobProgress(job.id)
        self.job_started.emit(job)

    def _on_loading(self, job_id: int, generator_id: str, model: str) -> None:
        with self._lock:
            entry = self._pending.setdefault(job_id, JobProgress(job_id))
            entry.loading = model or generator_id
            entry.message = f"loading {model or generator_id}"

    def _on_progress(self, event: Any) -> None:
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
