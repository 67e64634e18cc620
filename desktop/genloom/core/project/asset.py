"""The :class:`Asset` record and how it is read from the database."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ASSET_SELECT", "Asset", "asset_from_row"]

#: Separates tag names in the aggregated ``tags`` column (tags never hold it).
TAG_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Asset:
    """One stored output or import: a file plus what is known about it.

    ``path`` is relative to the project folder, in POSIX form
    (``assets/ab/ab12...ef.png``); :meth:`Project.asset_path` gives the absolute
    path. ``hash`` is the sha256 of the file and ``size`` its length in bytes.
    ``created`` is a Unix time. ``recipe`` is everything needed to make the
    asset again (generator, model, parameters, seed, inputs); ``metadata`` is
    free-form data from the generator (width, duration, ...). ``rating`` is 0
    (unrated) to 5. ``tags`` are lower-case and sorted.
    """

    id: int
    kind: str
    hash: str
    size: int
    path: str
    suffix: str
    created: float
    title: str = ""
    prompt: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    rating: int = 0
    notes: str = ""
    tags: tuple[str, ...] = ()
    generator_id: str = ""
    model_id: str = ""
    job_id: int | None = None


#: Selects every column :func:`asset_from_row` reads, from ``assets a``.
ASSET_SELECT = f"""
    SELECT a.id, a.kind, a.hash, a.size, a.path, a.suffix, a.created, a.title, a.prompt,
           a.recipe, a.metadata, a.rating, a.notes, a.generator_id, a.model_id, a.job_id,
           (SELECT group_concat(t.name, '{TAG_SEPARATOR}') FROM asset_tags x
              JOIN tags t ON t.id = x.tag_id WHERE x.asset_id = a.id) AS tags
      FROM assets a
"""


def _loads(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)  # most metadata is empty


def asset_from_row(row: sqlite3.Row) -> Asset:
    """The :class:`Asset` of a row selected with :data:`ASSET_SELECT`."""
    # By position, not by name: this runs for every row of every gallery page.
    (asset_id, kind, digest, size, path, suffix, created, title, prompt, recipe, metadata,
     rating, notes, generator_id, model_id, job_id, tags) = row
    return Asset(asset_id, kind, digest, size, path, suffix, created, title, prompt,
                 _loads(recipe), _loads(metadata), rating, notes,
                 tuple(sorted(tags.split(TAG_SEPARATOR))) if tags else (),
                 generator_id, model_id, job_id)
