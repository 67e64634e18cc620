"""The :class:`Job` record: a recipe waiting to run, running, or run."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

__all__ = ["FINISHED_STATES", "JOB_STATES", "Job", "job_from_row"]

#: Every state a job can be in. queued -> running -> done | failed | cancelled;
#: a queued job may also go straight to cancelled (or failed).
JOB_STATES: tuple[str, ...] = ("queued", "running", "done", "failed", "cancelled")

#: States a job never leaves.
FINISHED_STATES: tuple[str, ...] = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    """One job of the project's queue.

    ``position`` orders queued jobs (lowest runs first). ``inputs`` maps an
    input role (``"init_image"``) to an asset id. ``model`` is the model
    reference the job asked for, or ``None`` for the generator's default.
    ``batch`` groups jobs submitted together. ``started``/``finished`` are Unix
    times. ``asset_ids`` are the outputs of a done job. ``retry_of`` is the job
    this one retries; ``rerun_of`` the asset this one makes again. ``attempts``
    counts how often the job was claimed; ``owner`` and ``heartbeat`` identify
    the engine running it and when it last reported. ``cancel_requested`` is
    set on a running job the user cancelled, until its engine stops.
    ``seed_count`` is how many outputs the job makes, one per seed of :attr:`seeds`.
    """

    id: int
    state: str
    position: int
    generator_id: str
    plugin_version: str
    params: dict[str, Any]
    seed: int | None
    inputs: dict[str, int]
    model: dict[str, Any] | None
    device: str
    batch: str
    created: float
    started: float | None
    finished: float | None
    error: str
    asset_ids: tuple[int, ...]
    retry_of: int | None
    rerun_of: int | None
    attempts: int
    owner: str
    heartbeat: float | None
    cancel_requested: bool
    seed_count: int = 1

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of the job's outputs, in order: ``seed`` and the ones after it."""
        if self.seed is None:
            return ()
        return tuple(self.seed + i for i in range(self.seed_count))

    @property
    def is_finished(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self.state in FINISHED_STATES


def job_from_row(row: sqlite3.Row) -> Job:
    """The :class:`Job` of a ``SELECT * FROM jobs`` row."""
    return Job(
        id=row["id"], state=row["state"], position=row["position"],
        generator_id=row["generator_id"], plugin_version=row["plugin_version"],
        params=json.loads(row["params"]), seed=row["seed"], inputs=json.loads(row["inputs"]),
        model=json.loads(row["model"]) if row["model"] is not None else None,
        device=row["device"], batch=row["batch"], created=row["created"],
        started=row["started"], finished=row["finished"], error=row["error"],
        asset_ids=tuple(json.loads(row["asset_ids"])), retry_of=row["retry_of"],
        rerun_of=row["rerun_of"], attempts=row["attempts"], owner=row["owner"],
        heartbeat=row["heartbeat"], cancel_requested=bool(row["cancel_requested"]),
        seed_count=row["seed_count"],
    )
