"""The model index: one SQLite file in the user's data folder.

Tables:

- ``files``: the hash cache, one row per file path with the size and mtime
  the hash was computed for. A file whose size and mtime are unchanged is
  never read again.
- ``models``: one row per content hash (a file's SHA-256, or for a folder the
  SHA-256 of its files' paths and hashes), with what identification found and
  what the user set by hand (type, pickle permission).
- ``locations``: where each model was seen; ``missing`` when a scan no longer
  finds it there.
- ``roots``: the folders the user added (and how to scan them).
- ``forgotten``: paths the user removed from the library, so a rescan of their
  folder does not bring them back.
- ``sniffs``: what a file without a model suffix turned out to be from its
  first bytes (a format, or "" for not a model), with the size and mtime it
  was read at, so an unchanged file is read only once (schema 2).
- ``consents``: the pickle files the user allowed, by content hash (the
  SHA-256 of the file), so a permission follows the content wherever and
  however the file is named, and a changed file is no longer allowed (schema 3;
  the ``models.allow_pickle`` column of schema 2 is carried over and no longer read).

The index is a cache of what is on disk plus the user's few choices; it uses
WAL and ``synchronous=NORMAL`` (a power cut may lose the last scan's rows,
which the next scan finds again), and one connection per thread
(:class:`genloom.core.sqlite.SQLiteFile`, shared with the project database).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from genloom.core.sqlite import SQLiteFile
from genloom.sdk.errors import GenloomError

__all__ = ["SCHEMA_VERSION", "ModelIndexError", "ModelIndex"]

#: The index schema version (``PRAGMA user_version``). 2 added ``sniffs``, 3 ``consents``.
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT '',
    architecture TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    licence TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'unknown',
    reason TEXT NOT NULL DEFAULT '',
    user_kind TEXT NOT NULL DEFAULT '',
    user_architecture TEXT NOT NULL DEFAULT '',
    allow_pickle INTEGER NOT NULL DEFAULT 0,
    plugins TEXT NOT NULL DEFAULT '[]',
    generators TEXT NOT NULL DEFAULT '[]',
    details TEXT NOT NULL DEFAULT '{}',
    added REAL NOT NULL,
    identified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS locations (
    path TEXT PRIMARY KEY,
    hash TEXT NOT NULL REFERENCES models(hash) ON DELETE CASCADE,
    source TEXT NOT NULL,
    root TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    is_dir INTEGER NOT NULL,
    missing INTEGER NOT NULL DEFAULT 0,
    seen REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS locations_hash ON locations(hash);
CREATE INDEX IF NOT EXISTS locations_root ON locations(root);
CREATE TABLE IF NOT EXISTS roots (
    path TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    layout TEXT NOT NULL DEFAULT 'folder',
    watch INTEGER NOT NULL DEFAULT 0,
    added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS forgotten (
    path TEXT PRIMARY KEY,
    forgotten REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sniffs (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    format TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS consents (
    hash TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    allowed REAL NOT NULL
);
"""


class ModelIndexError(GenloomError):
    """The model index file cannot be used (newer schema, damaged file)."""


class ModelIndex(SQLiteFile):
    """The index file: thread-local connections and write transactions, migrated on open.

    ``synchronous = NORMAL`` (see the module docstring). A connection asked
    for after :meth:`close` is opened afresh.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(Path(path), synchronous="NORMAL")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    def _migrate(self) -> None:
        try:
            conn = self.connection()
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise ModelIndexError(
                f"the model index {self.path} is damaged ({exc}). It holds only what scans found "
                "and can be rebuilt: delete it and run `genloom models scan`; folders you added "
                "will need to be added again."
            ) from exc
        if version > SCHEMA_VERSION:
            raise ModelIndexError(
                f"the model index {self.path} has schema version {version}, newer than this "
                f"Genloom's {SCHEMA_VERSION}; update Genloom, or point GENLOOM_HOME elsewhere"
            )
        if version < SCHEMA_VERSION:
            # Statement by statement: executescript() would commit half-way.
            with self.transaction() as tx:
                for statement in _statements(_SCHEMA):
                    tx.execute(statement)
                if 0 < version < 3:
                    # Permissions given before schema 3 were a column on the model's row.
                    tx.execute("INSERT OR IGNORE INTO consents(hash, path, allowed) "
                               "SELECT m.hash, COALESCE((SELECT l.path FROM locations l WHERE l.hash = m.hash "
                               "LIMIT 1), ''), m.identified FROM models m WHERE m.allow_pickle = 1")
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
