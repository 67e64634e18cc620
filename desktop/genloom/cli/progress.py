"""A terminal progress display for running jobs, on stderr.

Progress bars and streamed text go to stderr so that stdout carries only
results (paths, or JSON with --json) for scripts.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine, ProgressEvent
    from genloom.core.project import Job


class ProgressPrinter:
    """Subscribes to an engine's events and draws one line per running job."""

    def __init__(self, total_jobs: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.interactive = enabled and self.stream.isatty()
        self.total_jobs = total_jobs
        self.finished = 0
        self.streaming_text = False
        self._last_draw = 0.0
        self._lock = threading.Lock()

    def attach(self, engine: Engine) -> None:
        engine.events.job_started.connect(self.on_started)
        engine.events.job_loading.connect(self.on_loading)
        engine.events.job_progress.connect(self.on_progress)
        engine.events.job_finished.connect(lambda job, assets: self.on_end(job, "done"))
        engine.events.job_failed.connect(lambda job: self.on_end(job, "failed"))
        engine.events.job_cancelled.connect(lambda job, assets: self.on_end(job, "cancelled"))

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def on_started(self, job: Job) -> None:
        with self._lock:
            if not self.interactive:
                self._write(f"job {job.id}: {job.generator_id} started (seed {job.seed})\n")

    def on_loading(self, job_id: int, generator_id: str, model: str) -> None:
        with self._lock:
            self._draw_line(f"job {job_id}: loading {model or generator_id}...")

    def on_progress(self, event: ProgressEvent) -> None:
        progress = event.progress
        with self._lock:
            if progress.partial_text:
                if not self.streaming_text:
                    self._clear()
                    self.streaming_text = True
                self._write(progress.partial_text)
                return
            now = time.monotonic()
            if now - self._last_draw < 0.1 and progress.step < progress.total:
                return  # throttle: terminals are slow
            self._last_draw = now
            self._draw_line(_bar(event, self.finished, self.total_jobs))

    def on_end(self, job: Job, how: str) -> None:
        with self._lock:
            self.finished += 1
            if self.streaming_text:
                self._write("\n")
                self.streaming_text = False
            self._clear()
            line = f"job {job.id}: {how}"
            if how == "failed" and job.error:
                line += f": {job.error.splitlines()[0]}"
            elif how == "cancelled" and job.error:
                line += f" ({job.error.splitlines()[0]})"
            self._write(line + "\n")

    def _draw_line(self, text: str) -> None:
        if self.interactive and not self.streaming_text:
            self._write("\r\x1b[2K" + text[:200])

    def _clear(self) -> None:
        if self.interactive:
            self._write("\r\x1b[2K")


def _bar(event: ProgressEvent, finished: int, total_jobs: int, width: int = 28) -> str:
    p = event.progress
    fraction = p.step / p.total if p.total else 0.0
    filled = int(width * fraction)
    bar = "#" * filled + "-" * (width - filled)
    eta = ""
    if 0 < fraction < 1:
        remaining = event.elapsed * (1 - fraction) / fraction
        eta = f" ~{remaining:.0f}s left"
    jobs = f" [{finished + 1}/{total_jobs}]" if total_jobs > 1 else ""
    message = f" {p.message}" if p.message else ""
    return f"job {event.job_id}{jobs} [{bar}] {p.step}/{p.total}{eta}{message}"
