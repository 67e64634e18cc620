"""Writing asset rows: the asset, its lineage, its tags and its search entry, together.

These run inside the caller's write transaction, so an asset is either fully
recorded (row, parents, tags, search row) or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from genloom.core.project.errors import AssetNotFoundError
from genloom.core.project.safe_paths import derived_path
from genloom.core.project.search_text import search_row
from genloom.core.project.tags import attach_tags, drop_unused_tags, tag_names

__all__ = ["AssetRow", "check_parents", "delete_asset_row", "dump_json", "insert_asset_row",
           "refresh_search_row"]


@dataclass(frozen=True)
class AssetRow:
    """The values of a new asset row (its file is already in place)."""

    kind: str
    hash: str
    size: int
    suffix: str
    path: str
    created: float
    title: str = ""
    prompt: str = ""
    text: str = ""
    recipe: str = "{}"      # JSON, from dump_json()
    metadata: str = "{}"    # JSON, from dump_json()
    generator_id: str = ""
    model_id: str = ""
    job_id: int | None = None
    parents: Sequence[int] = ()
    tags: Sequence[str] = ()


def dump_json(name: str, value: dict[str, Any] | None) -> str:
    """``value`` as canonical JSON; :class:`ValueError` naming ``name`` if it cannot be."""
    if value is None:
        return "{}"
    if not isinstance(value, dict):
        raise TypeError(f"{name}: expected a dict, got {type(value).__name__} {value!r:.60}")
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be stored as JSON ({exc}); use only dicts, lists, "
                         "strings, finite numbers, booleans and None") from exc


def check_parents(conn: sqlite3.Connection, parents: Sequence[int]) -> None:
    """Raise :class:`AssetNotFoundError` naming the first parent id that does not exist."""
    for parent in parents:
        if conn.execute("SELECT 1 FROM assets WHERE id = ?", (parent,)).fetchone() is None:
            raise AssetNotFoundError(parent)


def insert_asset_row(conn: sqlite3.Connection, row: AssetRow) -> int:
    """Insert the asset with its parents, tags (normalised) and search row; return its id.

    The file must already be in place and the parents checked (:func:`check_parents`).
    """
    cursor = conn.execute(
        "INSERT INTO assets (kind, hash, size, suffix, path, created, title, prompt, recipe, "
        "metadata, generator_id, model_id, job_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (row.kind, row.hash, row.size, row.suffix, row.path, row.created, row.title, row.prompt,
         row.recipe, row.metadata, row.generator_id,
         row.model_id, row.job_id))
    asset_id = int(cursor.lastrowid or 0)
    conn.executemany("INSERT OR IGNORE INTO asset_parents (child_id, parent_id, position) "
                     "VALUES (?,?,?)",
                     [(asset_id, parent, index) for index, parent in enumerate(row.parents)])
    attach_tags(conn, asset_id, row.tags)
    conn.execute(
        "INSERT INTO asset_search (rowid, prompt, text, title, notes, tags) VALUES (?,?,?,?,?,?)",
        search_row(asset_id, prompt=row.prompt, text=row.text, title=row.title, notes="",
                   tags=row.tags))
    return asset_id


def refresh_search_row(conn: sqlite3.Connection, asset_id: int) -> None:
    """Copy the asset's current title, notes and tags into its search row."""
    found = conn.execute("SELECT title, notes FROM assets WHERE id = ?", (asset_id,)).fetchone()
    if found is None:
        raise AssetNotFoundError(asset_id)
    conn.execute("UPDATE asset_search SET title = ?, notes = ?, tags = ? WHERE rowid = ?",
                 (found[0], found[1], " ".join(tag_names(conn, asset_id)), asset_id))


def delete_asset_row(conn: sqlite3.Connection, asset_id: int) -> str | None:
    """Delete the asset's row, lineage links, tags and search row.

    Returns the project-relative path of its file, derived from the row's hash
    and suffix, when no other row has that content any more (the caller removes
    it), else ``None``; also ``None`` for a row whose hash or suffix is not one
    Genloom writes (a crafted row names no file to delete).
    """
    found = conn.execute("SELECT hash, suffix FROM assets WHERE id = ?", (asset_id,)).fetchone()
    if found is None:
        raise AssetNotFoundError(asset_id)
    digest, suffix = found
    conn.execute("DELETE FROM asset_search WHERE rowid = ?", (asset_id,))
    # asset_parents and asset_tags rows go by ON DELETE CASCADE.
    conn.execute("DELETE FROM assets WHERE id = ?", (asset_id,))
    drop_unused_tags(conn)
    try:
        path = derived_path(digest, suffix)
    except ValueError:
        return None
    still_used = conn.execute("SELECT 1 FROM assets WHERE hash = ? AND suffix = ? LIMIT 1",
                              (digest, suffix)).fetchone()
    return None if still_used else path
