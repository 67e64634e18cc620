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

The index is a cache of what is on disk plus the user's few choices; it uses
WAL and ``synchronous=NORMAL`` (a power cut may lose the last scan's rows,
which the next scan finds again), and one connection per thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genloom.sdk.errors import GenloomError

__all__ = ["SCHEMA_VERSION", "ModelIndexError", "ModelIndex"]

#: The index schema version (``PRAGMA user_version``).
SCHEMA_VERSION = 1

BUSY_TIMEOUT_S = 10.0

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
"""


class ModelIndexError(GenloomError):
    """The model index file cannot be used (newer schema, damaged file)."""


class ModelIndex:
    """Thread-local connections to the index file, and write transactions."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._migrate()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            with self._lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested use joins the outer one."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

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
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
