"""Computing metrics over a grouped set: the work of an evaluation job, as a plain function.

:func:`compute` runs every chosen metric on every asset it applies to, then every set
metric on each group (and on the whole set when there are groups). A metric that raises
fails only itself, for that asset or group: the error is kept beside the numbers and the
other metrics go on. Cancelling stops between two pieces of work.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from genloom.sdk.errors import CancelledError
from genloom.sdk.metrics import MetricAsset, MetricContext, MetricSpec

__all__ = ["ALL_GROUP", "REPORT_FORMAT", "compute"]

#: The group name of the whole set.
ALL_GROUP = "all"
REPORT_FORMAT = "genloom-evaluation"
_ERROR_LIMIT = 2000


def _error(exc: BaseException) -> str:
    """One readable line for the table, then the last frames for a bug report."""
    last = traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:]
    return f"{type(exc).__name__}: {exc}\n{''.join(last)}"[:_ERROR_LIMIT]


def _number(value: Any, metric: MetricSpec) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "item"):
        raise TypeError(f"metric {metric.id} returned {type(value).__name__}; it must return a "
                        "number or None")
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(f"metric {metric.id} returned {number}")
    return number


def compute(assets: Sequence[MetricAsset], groups: Mapping[int, str], metrics: Sequence[MetricSpec],
            context: MetricContext,
            progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Measure ``assets`` (``groups``: index -> group name) with ``metrics``; the report data."""
    report = progress or (lambda step, total, message: None)
    context.assets = tuple(assets)
    names = sorted(set(groups.values())) or [ALL_GROUP]
    group_names = names if names == [ALL_GROUP] else [*names, ALL_GROUP]
    members = {g: [i for i in range(len(assets)) if g == ALL_GROUP or groups.get(i, ALL_GROUP) == g]
               for g in group_names}
    # Asset by asset, so a metric family can keep one decoded file between its metrics.
    asset_jobs = [(m, i) for i, a in enumerate(assets) for m in metrics
                  if m.per_asset is not None and m.applies_to(a.kind, a.path.suffix)]
    set_jobs = []
    for metric in metrics:
        if metric.per_set is None:
            continue
        for group in group_names:
            chosen = [i for i in members[group] if metric.applies_to(assets[i].kind, assets[i].path.suffix)]
            if len(chosen) >= metric.min_set:
                set_jobs.append((metric, group, chosen))
    total = len(asset_jobs) + len(set_jobs)
    rows: list[dict[str, Any]] = [{"asset_id": a.asset_id, "kind": a.kind, "group": groups.get(i, ALL_GROUP),
                                   "values": {}, "errors": {}} for i, a in enumerate(assets)]
    failures: dict[str, str] = {}
    step = 0

    def check_cancel() -> None:
        if context.cancelled:
            raise CancelledError("the evaluation was cancelled")

    for metric, index in asset_jobs:
        check_cancel()
        assert metric.per_asset is not None
        try:
            rows[index]["values"][metric.id] = _number(metric.per_asset(assets[index], context), metric)
        except CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's metric may raise anything
            rows[index]["values"][metric.id] = None
            rows[index]["errors"][metric.id] = _error(exc)
            failures.setdefault(metric.id, _error(exc))
        step += 1
        report(step, total, f"{metric.title}: asset {assets[index].asset_id}")
    summaries: dict[str, dict[str, dict[str, Any]]] = {g: {} for g in group_names}
    for metric in metrics:
        for group in group_names:
            values = [rows[i]["values"].get(metric.id) for i in members[group]]
            numbers = [v for v in values if v is not None]
            if metric.per_asset is not None and numbers:
                summaries[group][metric.id] = {"mean": sum(numbers) / len(numbers),
                                               "min": min(numbers), "max": max(numbers),
                                               "count": len(numbers), "value": None, "error": ""}
    for metric, group, chosen in set_jobs:
        check_cancel()
        assert metric.per_set is not None
        entry = summaries[group].setdefault(metric.id, {"mean": None, "min": None, "max": None,
                                                        "count": len(chosen), "value": None,
                                                        "error": ""})
        try:
            entry["value"] = _number(metric.per_set([assets[i] for i in chosen], context), metric)
        except CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's metric may raise anything
            entry["error"] = _error(exc)
            failures.setdefault(metric.id, _error(exc))
        entry["count"] = max(entry["count"], len(chosen))
        step += 1
        report(step, total, f"{metric.title}: {group}")
    return {"format": REPORT_FORMAT, "version": 1,
            "metrics": {m.id: m.to_dict() for m in metrics},
            "assets": rows, "groups": summaries, "group_order": group_names, "failures": failures}
