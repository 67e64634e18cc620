"""A project's evaluations in its database: per-asset values and per-set results.

When an ``eval.metrics`` job is done, :class:`Evaluations` reads its JSON report (the
asset's verified file; everything in it is checked, and only the job's own input assets
get values) and records it in one transaction: a row in ``evaluations`` keyed by the
job, the values in ``metric_values`` and the group results in ``set_results``, each
keyed by metric id and version. Recording twice does nothing. Deleting an asset deletes
its values; deleting the report keeps the numbers.
"""

from __future__ import annotations

import json
import math
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.core.evaluation.compute import REPORT_FORMAT
from genloom.core.evaluation.sets import EVAL_GENERATOR
from genloom.core.project.per_project import PerProject
from genloom.sdk.errors import InputError

if TYPE_CHECKING:
    from genloom.core.project import Job, Project

__all__ = ["Evaluation", "Evaluations", "evaluations_of"]

#: The largest report read back (a report of 2,000 assets and 20 metrics is ~5 MB).
_REPORT_LIMIT = 64 * 1024 * 1024
_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Evaluation:
    """One recorded evaluation and its report data (``report``: the JSON the job wrote)."""

    id: int
    job_id: int
    report_asset_id: int | None
    set_key: str
    set_label: str
    group_by: str
    created: float
    report: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "job_id": self.job_id, "report_asset_id": self.report_asset_id,
                "set_key": self.set_key, "set_label": self.set_label, "group_by": self.group_by,
                "created": self.created, **{k: v for k, v in self.report.items() if k != "format"}}


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return str(value)[:_TEXT_LIMIT] if value else ""


class Evaluations:
    """The evaluations of ``project`` (thread-safe as the project is)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def record(self, job: Job) -> Evaluation | None:
        """Record a finished evaluation job's report (once); None for any other job."""
        if job.generator_id != EVAL_GENERATOR or job.state != "done" or not job.asset_ids:
            return None
        existing = self.for_job(job.id)
        if existing is not None:
            return existing
        asset = self.project.get_asset(job.asset_ids[0])
        path = self.project.verified_path(asset)
        if path.stat().st_size > _REPORT_LIMIT:
            raise InputError(f"evaluation report {asset.id} is larger than {_REPORT_LIMIT} bytes")
        report = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
            raise InputError(f"asset {asset.id} is not an evaluation report")
        allowed = set(job.inputs.values())
        metrics = _dict(report.get("metrics"))
        versions = {str(k): int(v.get("version", 1)) for k, v in metrics.items()
                    if isinstance(v, dict) and isinstance(v.get("version", 1), int)}
        rows = []
        for row in report.get("assets") or []:
            if not isinstance(row, dict) or row.get("asset_id") not in allowed:
                continue
            values, errors = _dict(row.get("values")), _dict(row.get("errors"))
            for metric_id, value in values.items():
                if metric_id in versions:
                    rows.append((row["asset_id"], metric_id, versions[metric_id], _float(value),
                                 _text(errors.get(metric_id))))
        groups = _dict(report.get("groups"))
        set_rows = []
        for group, entries in groups.items():
            if not isinstance(entries, dict):
                continue
            for metric_id, entry in entries.items():
                if metric_id in versions and isinstance(entry, dict):
                    count = entry.get("count")
                    set_rows.append((str(group)[:200], metric_id, versions[metric_id],
                                     _float(entry.get("value")), _float(entry.get("mean")),
                                     count if isinstance(count, int) and not isinstance(count, bool) else 0,
                                     _text(entry.get("error"))))
        selection, failures = _dict(report.get("set")), _dict(report.get("failures"))
        with self.project.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM evaluations WHERE job_id = ?", (job.id,)).fetchone():
                pass  # another thread recorded it first
            else:
                cur = conn.execute(
                    "INSERT INTO evaluations (job_id, report_asset_id, set_key, set_label, group_by, "
                    "created, failures) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (job.id, asset.id, _text(report.get("set_key")), _text(selection.get("label")),
                     _text(report.get("group_by")) or "none", time.time(),
                     json.dumps({str(k): _text(v) for k, v in failures.items()})))
                evaluation_id = int(cur.lastrowid or 0)
                conn.executemany(
                    "INSERT OR REPLACE INTO metric_values (evaluation_id, asset_id, metric_id, version, "
                    "value, error) VALUES (?, ?, ?, ?, ?, ?)",
                    [(evaluation_id, *r) for r in rows])
                conn.executemany(
                    "INSERT OR REPLACE INTO set_results (evaluation_id, group_name, metric_id, version, "
                    "value, mean, count, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(evaluation_id, *r) for r in set_rows])
        return self.for_job(job.id)

    def _from_row(self, row: Any, with_report: bool = True) -> Evaluation:
        report: dict[str, Any] = {}
        if with_report and row[2] is not None:
            try:
                path = self.project.verified_path(int(row[2]))
                loaded = json.loads(path.read_text(encoding="utf-8"))
                report = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError, LookupError):
                report = {}
        return Evaluation(int(row[0]), int(row[1]), row[2], row[3], row[4], row[5], float(row[6]),
                          report)

    _COLUMNS = "id, job_id, report_asset_id, set_key, set_label, group_by, created"

    def for_job(self, job_id: int) -> Evaluation | None:
        row = self.project.db.connection().execute(
            f"SELECT {self._COLUMNS} FROM evaluations WHERE job_id = ?", (job_id,)).fetchone()
        return self._from_row(row) if row else None

    def get(self, evaluation_id: int) -> Evaluation:
        row = self.project.db.connection().execute(
            f"SELECT {self._COLUMNS} FROM evaluations WHERE id = ?", (evaluation_id,)).fetchone()
        if row is None:
            raise InputError(f"there is no evaluation {evaluation_id} in this project")
        return self._from_row(row)

    def all(self, set_key: str | None = None, limit: int = 100) -> list[Evaluation]:
        """Recorded evaluations, newest first (of one set when ``set_key`` is given)."""
        where, params = ("WHERE set_key = ?", [set_key]) if set_key is not None else ("", [])
        rows = self.project.db.connection().execute(
            f"SELECT {self._COLUMNS} FROM evaluations {where} ORDER BY created DESC, id DESC LIMIT ?",
            (*params, int(limit))).fetchall()
        return [self._from_row(r, with_report=False) for r in rows]

    def asset_values(self, asset_id: int) -> dict[str, tuple[float | None, int, str]]:
        """The newest value of each metric measured on an asset: id -> (value, version, error)."""
        rows = self.project.db.connection().execute(
            "SELECT v.metric_id, v.value, v.version, v.error FROM metric_values v "
            "JOIN evaluations e ON e.id = v.evaluation_id WHERE v.asset_id = ? "
            "ORDER BY e.created, e.id", (asset_id,)).fetchall()
        return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}

    def set_results(self, evaluation_id: int) -> list[tuple[str, str, int, float | None, float | None, int, str]]:
        """(group, metric id, version, set value, mean of the asset values, count, error) rows."""
        return [tuple(r) for r in self.project.db.connection().execute(
            "SELECT group_name, metric_id, version, value, mean, count, error FROM set_results "
            "WHERE evaluation_id = ? ORDER BY group_name, metric_id", (evaluation_id,))]


def evaluations_of(project: Project) -> Evaluations:
    """The project's :class:`Evaluations`, one per open project; it records each evaluation
    job's report as the job finishes (in whichever process ran it)."""
    return _EVALUATIONS(project)


def _new_evaluations(project: Project) -> Evaluations:
    found = Evaluations(project)
    project.events.job_changed.connect(_listener(weakref.ref(found)))
    return found


_EVALUATIONS: PerProject[Evaluations] = PerProject(_new_evaluations)


def _listener(ref: weakref.ReferenceType[Evaluations]) -> Any:
    def on_job_changed(job: Job) -> None:
        evaluations = ref()
        if evaluations is not None and job.generator_id == EVAL_GENERATOR and job.state == "done":
            try:
                evaluations.record(job)
            except (OSError, ValueError, LookupError):
                pass  # the report was damaged or deleted: the numbers stay in the report asset only

    return on_job_changed
