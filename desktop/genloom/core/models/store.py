"""Reading and writing the index's rows as library objects."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from genloom.core.models.entry import Location, ModelEntry, Root, pickle_files
from genloom.core.models.identify import Identification
from genloom.core.models.index import ModelIndex

__all__ = ["ModelStore"]


class ModelStore:
    """The queries the library and the scanner share."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index

    # -- per-file caches: what a file was found to be at a given size and mtime --------------
    # ``files`` holds content hashes, ``sniffs`` the format a file's first bytes showed
    # ("" = not a model); both are ``path -> (size, mtime_ns, value)``.

    def file_cache(self) -> dict[str, tuple[int, int, str]]:
        """``path -> (size, mtime_ns, hash)`` for every file hashed before."""
        return self._path_cache("files", "hash")

    def cache_files(self, tx: sqlite3.Connection, rows: Iterable[tuple[str, int, int, str]]) -> None:
        self._put_path_cache(tx, "files", "hash", rows)

    def sniff_cache(self) -> dict[str, tuple[int, int, str]]:
        """``path -> (size, mtime_ns, format)`` for every file sniffed before ("" = not a model)."""
        return self._path_cache("sniffs", "format")

    def cache_sniffs(self, tx: sqlite3.Connection, rows: Iterable[tuple[str, int, int, str]]) -> None:
        self._put_path_cache(tx, "sniffs", "format", rows)

    def _path_cache(self, table: str, column: str) -> dict[str, tuple[int, int, str]]:
        rows = self.index.connection().execute(f"SELECT path, size, mtime_ns, {column} FROM {table}")
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    @staticmethod
    def _put_path_cache(tx: sqlite3.Connection, table: str, column: str,
                        rows: Iterable[tuple[str, int, int, str]]) -> None:
        tx.executemany(f"INSERT INTO {table}(path, size, mtime_ns, {column}) VALUES (?, ?, ?, ?) "
                       f"ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, "
                       f"{column}=excluded.{column}", rows)

    # -- models --------------------------------------------------------------------

    def known_hashes(self) -> set[str]:
        return {r[0] for r in self.index.connection().execute("SELECT hash FROM models")}

    def insert_model(self, tx: sqlite3.Connection, model_hash: str, found: Identification, *, size: int,
                     title: str, generators: list[str]) -> None:
        now = time.time()
        tx.execute(
            "INSERT INTO models(hash, kind, architecture, format, licence, size, title, status, reason, "
            "plugins, generators, details, added, identified) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(hash) DO UPDATE SET kind=excluded.kind, architecture=excluded.architecture, "
            "format=excluded.format, licence=excluded.licence, size=excluded.size, status=excluded.status, "
            "reason=excluded.reason, plugins=excluded.plugins, generators=excluded.generators, "
            "details=excluded.details, identified=excluded.identified",
            (model_hash, found.kind, found.architecture, found.format, found.licence, size, title, found.status,
             found.reason, json.dumps(found.plugins), json.dumps(generators),
             json.dumps(found.details, default=str), now, now))

    def set_location(self, tx: sqlite3.Connection, path: str, model_hash: str, source: str, root: str,
                     title: str, is_dir: bool, seen: float) -> bool:
        """Record ``path`` as a present location of ``model_hash``; True when it is new or changed."""
        row = tx.execute("SELECT hash, missing FROM locations WHERE path = ?", (path,)).fetchone()
        tx.execute("INSERT INTO locations(path, hash, source, root, title, is_dir, missing, seen) "
                   "VALUES (?,?,?,?,?,?,0,?) "
                   "ON CONFLICT(path) DO UPDATE SET hash=excluded.hash, source=excluded.source, "
                   "root=excluded.root, title=excluded.title, is_dir=excluded.is_dir, missing=0, "
                   "seen=excluded.seen",
                   (path, model_hash, source, root, title, int(is_dir), seen))
        return row is None or row[0] != model_hash or bool(row[1])

    def mark_unseen_missing(self, tx: sqlite3.Connection, roots: list[str], since: float) -> list[str]:
        """Locations under ``roots`` that this scan did not see: mark them missing; return their hashes."""
        hashes: list[str] = []
        for root in roots:
            rows = tx.execute("SELECT path, hash FROM locations WHERE root = ? AND seen < ? AND missing = 0",
                              (root, since)).fetchall()
            tx.executemany("UPDATE locations SET missing = 1 WHERE path = ?", [(r[0],) for r in rows])
            hashes += [r[1] for r in rows]
        return hashes

    def drop_moved(self, tx: sqlite3.Connection) -> list[str]:
        """Forget missing locations of models that exist elsewhere (they moved); return those hashes."""
        rows = tx.execute(
            "SELECT DISTINCT l.hash FROM locations l WHERE l.missing = 1 AND EXISTS "
            "(SELECT 1 FROM locations p WHERE p.hash = l.hash AND p.missing = 0)").fetchall()
        tx.execute("DELETE FROM locations WHERE missing = 1 AND hash IN "
                   "(SELECT hash FROM locations WHERE missing = 0)")
        return [r[0] for r in rows]

    def drop_replaced(self, tx: sqlite3.Connection) -> list[str]:
        """Remove models no location holds any more (their files now hold other content); return their hashes.

        The user's permissions stay with the content hashes in ``consents``: should the old
        content come back, so does its permission.
        """
        rows = tx.execute("SELECT hash FROM models WHERE NOT EXISTS "
                          "(SELECT 1 FROM locations l WHERE l.hash = models.hash)").fetchall()
        tx.executemany("DELETE FROM models WHERE hash = ?", rows)
        return [r[0] for r in rows]

    def entries(self, where: str = "", params: tuple[Any, ...] = ()) -> list[ModelEntry]:
        conn = self.index.connection()
        models = conn.execute(f"SELECT * FROM models {where} ORDER BY title COLLATE NOCASE, hash",
                              params).fetchall()
        locations: dict[str, list[Location]] = {}
        # Present before missing; a bundled model or a Hub repo's name before a folder's.
        for row in conn.execute("SELECT * FROM locations ORDER BY missing, CASE source WHEN 'bundled' THEN 0 "
                                "WHEN 'hf-cache' THEN 1 ELSE 2 END, path"):
            locations.setdefault(row["hash"], []).append(
                Location(path=row["path"], source=row["source"], root=row["root"], title=row["title"],
                         is_dir=bool(row["is_dir"]), missing=bool(row["missing"]), seen=row["seen"]))
        allowed = self.consents()
        entries = [_entry(row, tuple(locations.get(row["hash"], ())), allowed) for row in models]
        return sorted(entries, key=lambda e: (e.title.lower(), e.hash))

    def update_model(self, model_hash: str, **values: Any) -> None:
        columns = ", ".join(f"{name} = ?" for name in values)
        with self.index.transaction() as tx:
            tx.execute(f"UPDATE models SET {columns} WHERE hash = ?",
                       (*[json.dumps(v) if isinstance(v, (list, dict)) else v for v in values.values()],
                        model_hash))

    # -- consents: pickle files the user allowed, by content hash -----------------------

    def consents(self) -> set[str]:
        """Content hashes of the pickle files the user allowed."""
        return {r[0] for r in self.index.connection().execute("SELECT hash FROM consents")}

    def set_consents(self, files: dict[str, str], allowed: bool) -> None:
        """Allow (or stop allowing) pickle files given as ``content hash -> a path it was seen at``."""
        with self.index.transaction() as tx:
            if allowed:
                tx.executemany("INSERT OR REPLACE INTO consents(hash, path, allowed) VALUES (?, ?, ?)",
                               [(h, p, time.time()) for h, p in files.items()])
            else:
                tx.executemany("DELETE FROM consents WHERE hash = ?", [(h,) for h in files])

    def forget(self, model_hash: str) -> list[str]:
        """Remove a model and its locations from the index; remember the paths as forgotten."""
        now = time.time()
        with self.index.transaction() as tx:
            paths = [r[0] for r in tx.execute("SELECT path FROM locations WHERE hash = ?", (model_hash,))]
            tx.executemany("INSERT OR REPLACE INTO forgotten(path, forgotten) VALUES (?, ?)",
                           [(p, now) for p in paths])
            tx.execute("DELETE FROM models WHERE hash = ?", (model_hash,))
        return paths

    def forgotten(self) -> set[str]:
        return {r[0] for r in self.index.connection().execute("SELECT path FROM forgotten")}

    def unforget_under(self, tx: sqlite3.Connection, path: str) -> None:
        tx.execute("DELETE FROM forgotten WHERE path = ? OR path LIKE ? ESCAPE '\\'",
                   (path, _like_prefix(path)))

    # -- roots -----------------------------------------------------------------------

    def roots(self) -> list[Root]:
        rows = self.index.connection().execute("SELECT * FROM roots ORDER BY path").fetchall()
        return [Root(path=r["path"], source=r["source"], layout=r["layout"], watch=bool(r["watch"]),
                     added=r["added"], exists=Path(r["path"]).exists()) for r in rows]

    def add_root(self, path: str, source: str, layout: str, watch: bool) -> None:
        with self.index.transaction() as tx:
            tx.execute("INSERT INTO roots(path, source, layout, watch, added) VALUES (?,?,?,?,?) "
                       "ON CONFLICT(path) DO UPDATE SET layout=excluded.layout, watch=excluded.watch",
                       (path, source, layout, int(watch), time.time()))
            self.unforget_under(tx, path)

    def remove_root(self, path: str) -> list[str]:
        """Stop scanning ``path``; forget the locations found through it. Returns affected hashes."""
        with self.index.transaction() as tx:
            hashes = [r[0] for r in tx.execute("SELECT DISTINCT hash FROM locations WHERE root = ?", (path,))]
            tx.execute("DELETE FROM locations WHERE root = ?", (path,))
            tx.execute("DELETE FROM roots WHERE path = ?", (path,))
            tx.execute("DELETE FROM models WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE l.hash = models.hash)")
        return hashes


def _like_prefix(path: str) -> str:
    escaped = path.rstrip("/\\").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "/%"


def _entry(row: sqlite3.Row, locations: tuple[Location, ...], consents: set[str]) -> ModelEntry:
    detected = row["kind"]
    user_kind = row["user_kind"]
    status, reason = row["status"], row["reason"]
    details = json.loads(row["details"])
    if user_kind and status in ("unknown", "unsupported"):
        status = "ok"
    pickles = pickle_files(details, detected, row["hash"])
    allowed = bool(pickles) and all(h in consents for h in pickles.values())
    if allowed and status == "refused":
        status, reason = "ok", "pickle allowed by you: opened only with torch.load(weights_only=True)"
    entry = ModelEntry(
        hash=row["hash"], kind=user_kind or detected,
        architecture=row["user_architecture"] or row["architecture"], format=row["format"],
        licence=row["licence"], size=row["size"], status=status, reason=reason,
        title=(locations[0].title if locations and locations[0].title else row["title"]),
        detected_kind=detected, user_kind=user_kind, allow_pickle=allowed,
        plugins=tuple(json.loads(row["plugins"])), generators=tuple(json.loads(row["generators"])),
        details=details, locations=locations, added=row["added"])
    if entry.missing:
        entry = replace(entry, status="missing",
                        reason=f"not found at {entry.path} in the last scan (moved, deleted or on a "
                               "disconnected drive); it comes back when found again")
    return entry
