"""The SQLite connection: WAL, foreign keys, one connection per thread.

Every thread gets its own connection (SQLite connections must not be shared
between threads that use them at the same time); :meth:`Database.close` closes
all of them. Connections run in autocommit mode, and writes go through
:meth:`Database.transaction`, which takes the write lock up front with
``BEGIN IMMEDIATE`` so that a read-then-write never fails half-way with
"database is locked" and two processes never act on the same row.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genloom.core.project.errors import ProjectError

__all__ = ["BUSY_TIMEOUT_S", "Database", "read_user_version"]

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_S = 10.0


def read_user_version(db_path: Path) -> int:
    """The schema version of ``db_path``, read without writing to the file.

    Opened read-only and with no pragmas that change the file, so a database
    from a newer Genloom can be inspected and left byte-for-byte untouched.
    """
    uri = db_path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise ProjectError(f"cannot open {db_path}: {exc}. Check that the file is readable.") from exc
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ProjectError(f"{db_path} is not a readable Genloom database ({exc}). Restore it "
                           "from a backup, or create a new project elsewhere.") from exc
    finally:
        conn.close()


class Database:
    """Thread-local connections to one SQLite file, and write transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise ProjectError(f"the project database {self.path} is closed; "
                                   "open the project again to use it")
            conn = self._open()
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's
        # connection; each connection is still used by the thread that opened it.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed asset row or queued job survives a power cut, not only
        # a crash of the process. It costs one fsync per write transaction.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): commit on success, roll back on error.

        Nested use joins the outer transaction, which alone commits.
        """
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
        """Close every thread's connection; later use raises :class:`ProjectError`."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
