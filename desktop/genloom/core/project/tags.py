"""Tags: normalised names, and attaching them to assets."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable, Sequence

__all__ = ["MAX_TAG_LENGTH", "all_tags", "attach_tags", "detach_tags", "drop_unused_tags",
           "normalise_tags", "tag_names"]

#: The longest tag accepted, in characters.
MAX_TAG_LENGTH = 100


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """``tags`` stripped and lower-cased, duplicates dropped, order kept.

    Raises :class:`ValueError` for a tag that is not a string, is empty once
    stripped, is longer than :data:`MAX_TAG_LENGTH` or holds control characters.
    """
    if isinstance(tags, str):
        raise TypeError(f"tags: expected a list of tags, got the string {tags!r}; "
                        f"pass [{tags!r}] for one tag")
    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"tag {tag!r} is a {type(tag).__name__}, not a string")
        name = tag.strip().lower()
        if not name:
            raise ValueError(f"tag {tag!r} is empty; give each tag at least one visible character")
        if len(name) > MAX_TAG_LENGTH:
            raise ValueError(f"tag {name[:40]!r}... is {len(name)} characters long; "
                             f"keep tags to {MAX_TAG_LENGTH} characters")
        if any(unicodedata.category(ch) == "Cc" for ch in name):
            raise ValueError(f"tag {tag!r} holds control characters; use plain text")
        if name not in names:
            names.append(name)
    return names


def attach_tags(conn: sqlite3.Connection, asset_id: int, names: Sequence[str]) -> None:
    """Give the asset these (already normalised) tags; ones it has are kept."""
    for name in names:
        conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
        conn.execute("INSERT OR IGNORE INTO asset_tags (asset_id, tag_id) "
                     "SELECT ?, id FROM tags WHERE name = ?", (asset_id, name))


def detach_tags(conn: sqlite3.Connection, asset_id: int, names: Sequence[str]) -> None:
    """Take these (already normalised) tags off the asset, and drop tags no asset uses."""
    for name in names:
        conn.execute("DELETE FROM asset_tags WHERE asset_id = ? AND tag_id = "
                     "(SELECT id FROM tags WHERE name = ?)", (asset_id, name))
    drop_unused_tags(conn)


def drop_unused_tags(conn: sqlite3.Connection) -> None:
    """Delete tag names that no asset carries any more."""
    conn.execute("DELETE FROM tags WHERE NOT EXISTS "
                 "(SELECT 1 FROM asset_tags x WHERE x.tag_id = tags.id)")


def tag_names(conn: sqlite3.Connection, asset_id: int) -> list[str]:
    """The asset's tags, sorted."""
    rows = conn.execute("SELECT t.name FROM asset_tags x JOIN tags t ON t.id = x.tag_id "
                        "WHERE x.asset_id = ? ORDER BY t.name", (asset_id,))
    return [row[0] for row in rows]


def all_tags(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every tag in use with how many assets carry it, most used first, then by name."""
    rows = conn.execute("SELECT t.name, count(*) AS n FROM tags t JOIN asset_tags x "
                        "ON x.tag_id = t.id GROUP BY t.id ORDER BY n DESC, t.name")
    return [(row[0], row[1]) for row in rows]
