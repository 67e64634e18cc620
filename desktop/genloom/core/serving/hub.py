"""Job events kept per job, so a stream that starts late still sees all of them.

The engine's signals fire on its own thread, once; an HTTP client asks for a job's
stream after it submitted the job, by which time the job may have started or even
finished. :class:`JobEventHub` listens to the engine from the start, keeps each job's
events (text deltas in full, only the latest preview image) for the last
:data:`KEPT_JOBS` jobs, and hands a subscriber what happened so far followed by what
happens next, in order.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine, ProgressEvent
    from genloom.core.project import Asset, Job

#: How many jobs' events are kept.
KEPT_JOBS = 256
#: Events that end a job's stream.
FINAL_EVENTS = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class JobEvent:
    """One thing that happened to a job: ``kind`` is started, loading, progress, done,
    failed or cancelled; ``data`` is plain JSON data; ``preview`` an image (progress only)."""

    job_id: int
    kind: str
    data: dict[str, Any]
    preview: bytes | None = None

    @property
    def final(self) -> bool:
        return self.kind in FINAL_EVENTS


Listener = Callable[[JobEvent], None]


@dataclass
class _JobLog:
    events: list[JobEvent] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)


class JobEventHub:
    """Keeps the events of an engine's jobs and passes them on to subscribers."""

    def __init__(self, engine: Engine) -> None:
        self._logs: OrderedDict[int, _JobLog] = OrderedDict()
        self._lock = threading.Lock()
        events = engine.events
        self._connections: list[tuple[Any, Callable[..., Any]]] = [
            (events.job_started, lambda job: self._add(JobEvent(job.id, "started", {}))),
            (events.job_loading, lambda job_id, generator, model: self._add(JobEvent(
                job_id, "loading", {"generator": generator, "model": model}))),
            (events.job_progress, self._on_progress),
            (events.job_finished, lambda job, assets: self._add(_final(job, assets, "done"))),
            (events.job_failed, lambda job: self._add(_final(job, [], "failed"))),
            (events.job_cancelled, lambda job, assets: self._add(_final(job, assets, "cancelled"))),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)

    def close(self) -> None:
        """Stop listening to the engine."""
        for signal, slot in self._connections:
            signal.disconnect(slot)

    def _on_progress(self, event: ProgressEvent) -> None:
        progress = event.progress
        preview = progress.preview if isinstance(progress.preview, bytes) else None
        self._add(JobEvent(event.job_id, "progress", {
            "step": progress.step, "total": progress.total, "message": progress.message,
            "text": progress.partial_text, "elapsed": round(event.elapsed, 3)}, preview))

    def _add(self, event: JobEvent) -> None:
        with self._lock:
            log = self._logs.get(event.job_id)
            if log is None:
                log = self._logs[event.job_id] = _JobLog()
                while len(self._logs) > KEPT_JOBS:
                    oldest, old = next(iter(self._logs.items()))
                    if old.listeners:
                        break  # someone is still following it
                    del self._logs[oldest]
            else:
                self._logs.move_to_end(event.job_id)
            if event.preview is not None:
                # Only the latest preview is worth replaying; the text deltas all are.
                log.events = [e if e.preview is None else JobEvent(e.job_id, e.kind, e.data)
                              for e in log.events]
            log.events.append(event)
            listeners = list(log.listeners)
        for listener in listeners:
            listener(event)

    def subscribe(self, job_id: int, listener: Listener) -> tuple[list[JobEvent], Callable[[], None]]:
        """Follow a job: returns its events so far and a function that stops following.

        ``listener`` is called (on the engine's thread) for every later event.
        """
        with self._lock:
            log = self._logs.get(job_id)
            if log is None:
                log = self._logs[job_id] = _JobLog()
            log.listeners.append(listener)
            past = list(log.events)

        def unsubscribe() -> None:
            with self._lock:
                if listener in log.listeners:
                    log.listeners.remove(listener)

        return past, unsubscribe

    def record_final(self, job: Job) -> None:
        """Note a job that ended before the hub saw it (another engine ran it)."""
        with self._lock:
            log = self._logs.get(job.id)
            if log is not None and any(e.final for e in log.events):
                return
        self._add(_final(job, [], job.state))


def _final(job: Job, assets: list[Asset], kind: str) -> JobEvent:
    data: dict[str, Any] = {"state": job.state, "assets": [a.id for a in assets] or list(job.asset_ids)}
    if job.error:
        data["error"] = job.error
    return JobEvent(job.id, kind, data)
