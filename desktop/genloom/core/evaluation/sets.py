"""Which assets an evaluation measures (a set) and how it groups them.

A set is a tag, a search, a batch (the assets made by one submission, named by any of
them), a parent (a sweep or any asset: its children) or an explicit list of asset ids.
:class:`EvalSet` is its description, stored with the results as the key that finds them
again; :func:`resolve_set` lists its assets, never an earlier evaluation's report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project

__all__ = ["GROUP_BY", "MAX_SET", "SET_KINDS", "EvalSet", "group_of", "parse_group_by",
           "resolve_set"]

SET_KINDS = ("tag", "search", "batch", "parent", "ids")
#: How an evaluation may group a set: by generator, by model, or by a parameter's value.
GROUP_BY = ("none", "generator", "model", "param")
#: The most assets one evaluation measures.
MAX_SET = 2000
#: The generator id of evaluation jobs (their reports are never part of a set).
EVAL_GENERATOR = "eval.metrics"


@dataclass(frozen=True)
class EvalSet:
    """A set: its ``kind`` (:data:`SET_KINDS`) and ``value`` (a tag, a query, an asset id,
    or a list of ids)."""

    kind: str
    value: Any

    def __post_init__(self) -> None:
        if self.kind not in SET_KINDS:
            raise ParameterError("set", self.kind, "is not a kind of set",
                                 f"use one of {', '.join(SET_KINDS)}")
        if self.kind in ("tag", "search") and (not isinstance(self.value, str) or not self.value.strip()):
            raise ParameterError(self.kind, self.value, "is empty", f"give a {self.kind}")
        if self.kind in ("batch", "parent") and (isinstance(self.value, bool) or not isinstance(self.value, int)):
            raise ParameterError(self.kind, self.value, "is not an asset id", "give an asset's id")
        if self.kind == "ids":
            ids = self.value
            if (not isinstance(ids, (list, tuple)) or not ids
                    or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
                raise ParameterError("assets", ids, "is not a list of asset ids",
                                     "give one or more asset ids")
            object.__setattr__(self, "value", sorted(set(ids)))

    @property
    def key(self) -> str:
        """The set's stored key: stable JSON of kind and value."""
        return json.dumps({"kind": self.kind, "value": self.value}, sort_keys=True)

    @property
    def label(self) -> str:
        if self.kind == "ids":
            shown = ", ".join(str(i) for i in self.value[:6])
            return f"assets {shown}{', ...' if len(self.value) > 6 else ''}"
        return f"{self.kind} {self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "label": self.label}


def resolve_set(project: Project, selection: EvalSet) -> list[Asset]:
    """The set's assets, oldest first (at most :data:`MAX_SET`)."""
    from genloom.core.project import ProjectError

    if selection.kind == "tag":
        assets = project.list_assets(tag=selection.value, order="oldest", limit=MAX_SET + 1)
    elif selection.kind == "search":
        assets = sorted(project.search(selection.value, limit=MAX_SET + 1), key=lambda a: (a.created, a.id))
    elif selection.kind == "parent":
        assets = project.children(selection.value)
    elif selection.kind == "batch":
        anchor = project.get_asset(selection.value)
        batch = anchor.recipe.get("batch") if isinstance(anchor.recipe, dict) else None
        if not batch:
            assets = [anchor]
        else:
            rows = project.db.connection().execute(
                "SELECT id FROM assets WHERE json_extract(recipe, '$.batch') = ? "
                "ORDER BY created, id LIMIT ?", (str(batch), MAX_SET + 1)).fetchall()
            assets = [project.get_asset(int(row[0])) for row in rows]
    else:
        assets = []
        for asset_id in selection.value:
            try:
                assets.append(project.get_asset(asset_id))
            except (LookupError, ProjectError):
                raise ParameterError("assets", asset_id, "is not an asset of this project",
                                     "pick assets that exist in it") from None
    assets = [a for a in assets if a.generator_id != EVAL_GENERATOR]
    if len(assets) > MAX_SET:
        raise ParameterError("set", selection.label, f"has more than {MAX_SET} assets",
                             "narrow it down (a tag, a batch)")
    return assets


def parse_group_by(group_by: str | Sequence[str] | None) -> tuple[str, str]:
    """``(how, parameter)`` from ``"generator"``, ``"model"``, ``("param", NAME)`` or
    ``"param:NAME"``; ``("none", "")`` for none. NAME may list several parameters with
    commas (``"scheduler,steps"``): a group per combination of their values."""
    if group_by is None or group_by == "" or group_by == "none":
        return "none", ""
    if isinstance(group_by, str):
        how, _, name = group_by.partition(":")
    else:
        how, name = (list(group_by) + [""])[:2]
    if how not in GROUP_BY:
        raise ParameterError("group by", how, "is not a grouping",
                             "group by generator, model or param NAME")
    name = ",".join(n.strip() for n in name.split(",") if n.strip())
    if how == "param" and not name:
        raise ParameterError("group by", "param", "names no parameter",
                             "name the parameter, such as steps or scheduler")
    if how != "param" and name:
        raise ParameterError("group by", f"{how} {name}", "takes no parameter name",
                             "give a name only with param")
    return how, name


def group_of(asset: Asset, how: str, name: str = "") -> str:
    """The group an asset falls in (its generator, its model, or a parameter's value)."""
    if how == "generator":
        return asset.generator_id or "(imported)"
    if how == "model":
        return asset.model_id or "(no model)"
    if how == "param":
        params = asset.recipe.get("params") if isinstance(asset.recipe, dict) else None
        parts = []
        for one in name.split(","):
            value = params.get(one.strip()) if isinstance(params, dict) else None
            parts.append(f"{one.strip()}={value if value is not None else '(unset)'}")
        return ", ".join(parts)
    return "all"
