"""The job queue, stored in the project database so it survives a crash or restart.

Engines (one per process, possibly several processes) take work with
:meth:`JobQueue.claim_next`, which runs under the database write lock
(``BEGIN IMMEDIATE``), so two engines never claim the same job. A running job's
engine calls :meth:`JobQueue.heartbeat` every few seconds; a job whose
heartbeat stops (its process died) is found by :meth:`JobQueue.recover_orphans`
and queued again once, then failed.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import sqlite3
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from genloom.core.project.asset_rows import dump_json
from genloom.core.project.database import Database
from genloom.core.project.errors import AssetNotFoundError, JobNotFoundError, JobStateError
from genloom.core.project.job import JOB_STATES, Job, job_from_row
from genloom.core.project.project_events import ProjectEvents
from genloom.sdk.spec import check_count, check_seed

__all__ = ["MAX_ATTEMPTS", "JobQueue"]

#: A job interrupted this many times (its process died while running it) is failed.
MAX_ATTEMPTS = 2

INTERRUPTED_TWICE = ("interrupted twice while running (the process running it stopped); "
                     "not retried again")

_LIST_ORDER = """
    CASE state WHEN 'running' THEN 0 WHEN 'queued' THEN 1 ELSE 2 END,
    CASE state WHEN 'queued' THEN position END,
    COALESCE(finished, started, created) DESC, id DESC
"""


class JobQueue:
    """The project's jobs: queue, claim, report, reorder, cancel, retry.

    Every change of a job's state, position or cancel request emits
    ``events.job_changed(job)`` after it is committed.
    """

    def __init__(self, db: Database, events: ProjectEvents, project_path: Path | None = None):
        self._db = db
        self._events = events
        self._project_path = project_path

    # -- reading ---------------------------------------------------------------

    def get(self, job_id: int) -> Job:
        """The job with this id; :class:`JobNotFoundError` if there is none."""
        return self._get(self._db.connection(), job_id)

    def _get(self, conn: sqlite3.Connection, job_id: int) -> Job:
        if isinstance(job_id, bool) or not isinstance(job_id, int) or not 0 <= job_id < 2**63:
            raise JobNotFoundError(job_id, self._project_path)  # SQLite cannot even bind it
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id, self._project_path)
        return job_from_row(row)

    def list(self, states: Sequence[str] | None = None, limit: int = 500,
             batch: str | None = None) -> builtins.list[Job]:
        """Jobs for a queue view: running first, then queued in run order, then the
        finished ones newest first. ``states`` and ``batch`` narrow it down."""
        clauses: builtins.list[str] = []
        params: builtins.list[Any] = []
        if states is not None:
            states = _check_states(states)
            clauses.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        if batch is not None:
            clauses.append("batch = ?")
            params.append(batch)
        where = "WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._db.connection().execute(
            f"SELECT * FROM jobs {where} ORDER BY {_LIST_ORDER} LIMIT ?", (*params, int(limit)))
        return [job_from_row(row) for row in rows]

    def running_ids(self) -> set[int]:
        """The ids of the jobs in the running state (some engine holds them)."""
        rows = self._db.connection().execute("SELECT id FROM jobs WHERE state = 'running'")
        return {int(row[0]) for row in rows}

    def unfinished_ids(self, job_ids: Collection[int]) -> set[int]:
        """Those of ``job_ids`` still queued or running (one query, however many)."""
        if not job_ids:
            return set()
        rows = self._db.connection().execute(
            "SELECT id FROM jobs WHERE state IN ('queued', 'running') AND id IN "
            "(SELECT value FROM json_each(?))", (json.dumps(sorted(int(i) for i in job_ids)),))
        return {int(row[0]) for row in rows}

    # -- adding ----------------------------------------------------------------

    def enqueue(self, generator_id: str, params: dict[str, Any], *, seed: int | None,
                seed_count: int = 1, inputs: dict[str, int] | None = None, model: dict[str, Any] | None = None,
                device: str = "auto", plugin_version: str = "", batch: str = "",
                retry_of: int | None = None, rerun_of: int | None = None) -> Job:
        """Queue a job at the end of the queue and return it.

        ``seed`` is the first seed and ``seed_count`` how many consecutive seeds
        (one output each) the job makes; ``None`` is for a generator that uses
        no seed. Both follow the SDK's one rule (``check_seed``, ``check_count``).
        ``inputs`` maps input roles to asset ids, which must exist.
        """
        if not isinstance(generator_id, str) or not generator_id:
            raise ValueError(f"generator_id: {generator_id!r} is not a generator id; pass the "
                             "id of a registered generator, like 'image.text_to_image'")
        if seed is not None:
            if check_seed(seed) is None:
                raise ValueError("seed: -1 asks for a random seed; the engine draws it before queueing")
            check_count(seed_count, seed)
        elif seed_count != 1:
            raise ValueError(f"seed_count: {seed_count!r} needs a first seed; pass seed=")
        inputs = dict(inputs or {})
        for role, asset_id in inputs.items():
            if not isinstance(role, str) or isinstance(asset_id, bool) or \
                    not isinstance(asset_id, int):
                raise TypeError(f"inputs: {role!r}: {asset_id!r} is not role -> asset id; pass "
                                "a dict like {'init_image': 12}")
        values = dict(
            generator_id=generator_id, plugin_version=plugin_version,
            params=dump_json("params", params), seed=seed, inputs=json.dumps(inputs),
            model=None if model is None else dump_json("model", model), device=device,
            batch=batch, retry_of=retry_of, rerun_of=rerun_of, seed_count=seed_count)
        with self._db.transaction() as conn:
            for asset_id in (*inputs.values(), *([rerun_of] if rerun_of is not None else [])):
                if conn.execute("SELECT 1 FROM assets WHERE id = ?", (asset_id,)).fetchone() \
                        is None:
                    raise AssetNotFoundError(asset_id, self._project_path)
            if retry_of is not None:
                self._get(conn, retry_of)
            job = self._insert(conn, values)
        self._events.job_changed.emit(job)
        return job

    def _insert(self, conn: sqlite3.Connection, values: dict[str, Any]) -> Job:
        (position,) = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM jobs").fetchone()
        columns = ["state", "position", "created", *values]
        cursor = conn.execute(
            f"INSERT INTO jobs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            ("queued", position, time.time(), *values.values()))
        return self._get(conn, int(cursor.lastrowid or 0))

    def retry(self, job_id: int) -> Job:
        """Queue a new job copying a failed or cancelled one (``retry_of`` = its id).

        The old job stays, unchanged, as history.
        """
        with self._db.transaction() as conn:
            old = self._require(conn, job_id, "retry", ("failed", "cancelled"))
            job = self._insert(conn, dict(
                generator_id=old.generator_id, plugin_version=old.plugin_version,
                params=json.dumps(old.params, sort_keys=True), seed=old.seed,
                inputs=json.dumps(old.inputs),
                model=None if old.model is None else json.dumps(old.model, sort_keys=True),
                device=old.device, batch=old.batch, retry_of=old.id, rerun_of=old.rerun_of,
                seed_count=old.seed_count))
        self._events.job_changed.emit(job)
        return job

    # -- running (the engine's side) -------------------------------------------

    def claim_next(self, owner: str, scope: Collection[int] | None = None) -> Job | None:
        """Atomically take the first queued job (only ids in ``scope``, if given) and
        mark it running for ``owner``; ``None`` when there is none."""
        if not owner:
            raise ValueError("owner: '' names no engine; pass a unique id per engine, such "
                             "as 'host:pid:uuid'")
        if scope is not None and not scope:
            return None
        in_scope = "" if scope is None else "AND id IN (SELECT value FROM json_each(?))"
        params = () if scope is None else (json.dumps(sorted(scope)),)
        with self._db.transaction() as conn:
            row = conn.execute(f"SELECT id FROM jobs WHERE state = 'queued' {in_scope} "
                               "ORDER BY position, id LIMIT 1", params).fetchone()
            if row is None:
                return None
            now = time.time()
            conn.execute("UPDATE jobs SET state = 'running', started = ?, owner = ?, "
                         "heartbeat = ?, attempts = attempts + 1 WHERE id = ?",
                         (now, owner, now, row[0]))
            job = self._get(conn, row[0])
        self._events.job_changed.emit(job)
        return job

    def heartbeat(self, job_id: int, owner: str) -> bool:
        """Record that ``owner`` is still running the job; return True when it should stop.

        True means the user asked to cancel it, or the job is no longer running
        under this owner (it was recovered as an orphan or finished elsewhere).
        """
        with self._db.transaction() as conn:
            updated = conn.execute("UPDATE jobs SET heartbeat = ? WHERE id = ? AND owner = ? "
                                   "AND state = 'running'", (time.time(), job_id, owner))
            job = self._get(conn, job_id)
        return job.cancel_requested if updated.rowcount else True

    def finish(self, job_id: int, asset_ids: Sequence[int]) -> Job:
        """Mark a running job done, with the ids of the assets it made."""
        return self._change(job_id, "finish", ("running",), state="done",
                            finished=time.time(), asset_ids=json.dumps([int(i) for i in asset_ids]))

    def complete(self, conn: sqlite3.Connection, job_id: int, owner: str,
                 asset_ids: Sequence[int], *, cancelled: bool = False, note: str = "") -> Job:
        """End a job running under ``owner`` inside the caller's transaction (no event).

        Used by :meth:`Project.store_job_results`, which stores the assets in the
        same transaction and emits the events after the commit. Raises
        :class:`JobStateError` when the job is not running under ``owner`` (its
        lease was lost: another engine requeued or ran it).
        """
        job = self._require(conn, job_id, "finish", ("running",))
        if job.owner != owner:
            raise JobStateError(job_id, f"running under {job.owner!r}", "finish",
                                (f"running under {owner!r}",))
        sets: dict[str, Any] = dict(state="cancelled" if cancelled else "done",
                                    finished=time.time(),
                                    asset_ids=json.dumps([int(i) for i in asset_ids]))
        if cancelled:
            sets["error"] = str(note)
        return self._update(conn, job_id, sets)

    def fail(self, job_id: int, error: str, owner: str | None = None) -> Job:
        """Mark a running (or not yet started) job failed, with the reason for the user.

        With ``owner``, a running job must be running under that owner (an
        engine that lost its lease cannot end the job another engine now runs).
        """
        return self._change(job_id, "fail", ("queued", "running"), owner=owner, state="failed",
                            finished=time.time(), error=str(error))

    def mark_cancelled(self, job_id: int, error: str = "", asset_ids: Sequence[int] = (),
                       owner: str | None = None) -> Job:
        """Mark a running (or queued) job cancelled: its engine stopped it.

        ``asset_ids`` are partial results it kept (text streamed before the cancel);
        ``owner`` as for :meth:`fail`.
        """
        return self._change(job_id, "mark cancelled", ("queued", "running"), owner=owner,
                            state="cancelled", finished=time.time(), error=str(error),
                            asset_ids=json.dumps([int(i) for i in asset_ids]))

    def release(self, job_id: int, owner: str) -> Job:
        """Put a job this owner was running back in the queue, at its old place.

        Used when the app closes mid-job: the job runs again next time instead of
        being lost. Its attempt does not count.
        """
        with self._db.transaction() as conn:
            job = self._require(conn, job_id, "release", ("running",))
            if job.owner != owner:
                raise JobStateError(job_id, f"running under {job.owner!r}", "release",
                                    (f"running under {owner!r}",))
            job = self._update(conn, job_id, {"state": "queued", "owner": "", "heartbeat": None,
                                              "started": None, "attempts": max(0, job.attempts - 1),
                                              "cancel_requested": 0})
        self._events.job_changed.emit(job)
        return job

    # -- the user's side ---------------------------------------------------------

    def cancel(self, job_id: int) -> Job:
        """Cancel a job: a queued one at once; a running one by asking its engine
        (``cancel_requested``), which stops at its next heartbeat."""
        with self._db.transaction() as conn:
            job = self._require(conn, job_id, "cancel", ("queued", "running"))
            if job.state == "queued":
                sets: dict[str, Any] = dict(state="cancelled", finished=time.time(),
                                            error="cancelled before it started")
            else:
                sets = dict(cancel_requested=1)
            job = self._update(conn, job_id, sets)
        self._events.job_changed.emit(job)
        return job

    def move(self, job_id: int, index: int) -> builtins.list[Job]:
        """Put a queued job at ``index`` (0-based) among the queued jobs; return them in order.

        An index past the end puts the job last.
        """
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"index: {index!r} is not a queue position; use 0 for the front "
                             "or a larger whole number")
        with self._db.transaction() as conn:
            self._require(conn, job_id, "move", ("queued",))
            rows = conn.execute("SELECT id, position FROM jobs WHERE state = 'queued' "
                                "ORDER BY position, id").fetchall()
            order = [row[0] for row in rows if row[0] != job_id]
            order.insert(min(index, len(order)), job_id)
            moved = []
            # The queued jobs keep the same set of positions, handed out in the new order.
            for new_id, (old_id, position) in zip(order, rows, strict=True):
                if new_id != old_id:
                    conn.execute("UPDATE jobs SET position = ? WHERE id = ?", (position, new_id))
                    moved.append(new_id)
            queued = [self._get(conn, i) for i in order]
        for job in queued:
            if job.id in moved:
                self._events.job_changed.emit(job)
        return queued

    def recover_orphans(self, stale_after: float = 30.0) -> builtins.list[Job]:
        """Deal with running jobs whose engine is gone.

        A claim is a lease: the owning engine renews it with every heartbeat,
        and no other engine takes the job while it is fresh. It has lapsed when
        the heartbeat is older than ``stale_after`` seconds, or at once when the
        owner's process was on this machine and no longer exists (the owner id
        is ``host:pid:token``). A job claimed fewer than :data:`MAX_ATTEMPTS` times
        is queued again at its old position; one interrupted again is failed; one
        whose cancel was requested is marked cancelled. Returns the changed jobs.
        """
        now = time.time()
        changed = []
        with self._db.transaction() as conn:
            rows = conn.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall()
            lapsed = [job for job in map(job_from_row, rows)
                      if job.heartbeat is None or job.heartbeat < now - stale_after
                      or _owner_is_gone(job.owner)]
            for job in lapsed:
                if job.cancel_requested:
                    sets: dict[str, Any] = dict(state="cancelled", finished=now, error=(
                        "the process running it stopped after the cancel was requested"))
                elif job.attempts < MAX_ATTEMPTS:
                    sets = dict(state="queued", owner="", heartbeat=None, started=None)
                else:
                    sets = dict(state="failed", finished=now, error=INTERRUPTED_TWICE)
                changed.append(self._update(conn, job.id, sets))
        for job in changed:
            self._events.job_changed.emit(job)
        return changed

    # -- helpers ---------------------------------------------------------------

    def _require(self, conn: sqlite3.Connection, job_id: int, action: str,
                 allowed: Sequence[str]) -> Job:
        job = self._get(conn, job_id)
        if job.state not in allowed:
            raise JobStateError(job_id, job.state, action, allowed)
        return job

    def _update(self, conn: sqlite3.Connection, job_id: int, sets: dict[str, Any]) -> Job:
        assignments = ", ".join(f"{column} = ?" for column in sets)
        conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*sets.values(), job_id))
        return self._get(conn, job_id)

    def _change(self, job_id: int, action: str, allowed: Sequence[str],
                owner: str | None = None, **sets: Any) -> Job:
        with self._db.transaction() as conn:
            job = self._require(conn, job_id, action, allowed)
            if owner is not None and job.state == "running" and job.owner != owner:
                raise JobStateError(job_id, f"running under {job.owner!r}", action,
                                    (f"running under {owner!r}",))
            job = self._update(conn, job_id, sets)
        self._events.job_changed.emit(job)
        return job


def _owner_is_gone(owner: str) -> bool:
    """True when ``owner`` (``host:pid:token``) names a process on this machine that is gone.

    A process that exists may be another one that reused the pid; then the
    heartbeat's age decides, as for owners on other machines.
    """
    parts = owner.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return False
    if ":".join(parts[:-2]) != socket.gethostname():
        return False
    pid = int(parts[-2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


def _check_states(states: Sequence[str]) -> builtins.list[str]:
    if isinstance(states, str):
        states = [states]
    unknown = [s for s in states if s not in JOB_STATES]
    if unknown:
        raise ValueError(f"states: {unknown[0]!r} is not a job state; use any of "
                         f"{', '.join(JOB_STATES)}")
    return builtins.list(states)

