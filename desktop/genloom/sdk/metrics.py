"""Metric specs: what a plugin says about each evaluation metric it offers (since API 1.3).

A metric measures assets that are already stored: one number per asset (``per_asset``)
and/or one number per set of assets (``per_set``, such as the diversity of a batch).
Both run in the worker process, inside an evaluation job, so they may load torch or a
model; they check ``context.cancelled`` between pieces of work when they are slow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.sdk.spec import MODALITIES

__all__ = ["MetricAsset", "MetricContext", "MetricSpec"]

_METRIC_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.-]*$")


@dataclass(frozen=True)
class MetricAsset:
    """An asset being measured: its verified file and what is known about it.

    ``prompt`` is the prompt it was made from (may be empty); ``params`` the
    parameters of its recipe (a code generator's ``tests``, an image's size...).
    """

    asset_id: int | None
    kind: str
    path: Path
    prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class MetricContext:
    """What a metric may use while it computes.

    ``device`` is the torch device to use; ``models`` maps a role (``"image_vae"``,
    ``"reference_text"``, ``"clip"``) to the folder of a model chosen for it (absent:
    none available); ``cache`` keeps loaded models between assets of one job (key it
    by your metric id); ``scratch`` is an empty folder for temporary files; ``assets``
    are all the assets of the evaluation (a per-asset metric may measure them in one
    batch on its first call and keep the answers in ``cache``).
    """

    device: str = "cpu"
    models: dict[str, Path] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    scratch: Path = Path(".")
    assets: Sequence[MetricAsset] = ()
    is_cancelled: Callable[[], bool] = lambda: False

    @property
    def cancelled(self) -> bool:
        """True once the user has cancelled the evaluation."""
        return bool(self.is_cancelled())


PerAsset = Callable[[MetricAsset, MetricContext], float | None]
PerSet = Callable[[Sequence[MetricAsset], MetricContext], float]


@dataclass(frozen=True)
class MetricSpec:
    """One metric.

    ``id`` is dotted and starts with the plugin's name (``"myplugin.contrast"``).
    ``modalities`` are the asset kinds it measures. ``description`` says what it
    measures; ``low``/``high`` its range (``None``: unbounded on that side);
    ``higher_is_better`` its direction (``None``: neither, such as loudness).
    ``per_asset`` returns one float per asset; ``per_set`` one float for a group of
    at least ``min_set`` assets. ``needs_model`` names a model role (see
    :class:`MetricContext`) without which the metric is not offered. ``suffixes``
    narrows it to files of those suffixes (``(".abc", ".mid")``; empty: any). Bump
    ``version`` when the numbers change meaning, so old stored values are not mixed
    with new ones.
    """

    id: str
    title: str
    modalities: tuple[str, ...]
    description: str
    low: float | None = 0.0
    high: float | None = None
    higher_is_better: bool | None = True
    per_asset: PerAsset | None = None
    per_set: PerSet | None = None
    min_set: int = 2
    needs_model: str = ""
    version: int = 1
    unit: str = ""
    suffixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _METRIC_ID.match(self.id):
            raise ValueError(f"metric id {self.id!r} is not dotted lower-case like 'myplugin.contrast'")
        bad = [m for m in self.modalities if m not in MODALITIES]
        if not self.modalities or bad:
            raise ValueError(f"metric {self.id!r}: modalities {list(self.modalities)} must be some of "
                             f"{', '.join(MODALITIES)}")
        if self.per_asset is None and self.per_set is None:
            raise ValueError(f"metric {self.id!r}: give per_asset, per_set or both")
        if self.min_set < 1 or self.version < 1:
            raise ValueError(f"metric {self.id!r}: min_set and version start at 1")

    def applies_to(self, kind: str, suffix: str) -> bool:
        """Whether the metric measures an asset of ``kind`` stored with ``suffix``."""
        return kind in self.modalities and (not self.suffixes or suffix.lower() in self.suffixes)

    @property
    def plugin(self) -> str:
        """The plugin name its id starts with."""
        return self.id.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        """Plain data about the metric (no functions)."""
        return {"id": self.id, "title": self.title, "modalities": list(self.modalities),
                "description": self.description, "low": self.low, "high": self.high,
                "higher_is_better": self.higher_is_better, "per_asset": self.per_asset is not None,
                "per_set": self.per_set is not None, "min_set": self.min_set,
                "needs_model": self.needs_model, "version": self.version, "unit": self.unit,
                "suffixes": list(self.suffixes)}
