"""One SQLite file used from many threads: a connection per thread, write transactions.

Both of Genloom's databases, a project's ``genloom.db`` and the machine-wide
model index, build on :class:`SQLiteFile`. Every thread gets its own connection
(SQLite connections must not be shared between threads that use them at the
same time); :meth:`SQLiteFile.close` closes all of them. Connections run in
autocommit mode, and writes go through :meth:`SQLiteFile.transaction`, which
takes the write lock up front with ``BEGIN IMMEDIATE`` so that a read-then-write
never fails half-way with "database is locked" and two processes never act on
the same row.

What differs between the two databases stays with them: how much a commit must
survive (``PRAGMA synchronous``), the schema and its migrations, and what use
after :meth:`SQLiteFile.close` does.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BUSY_TIMEOUT_S", "SQLiteFile"]

#: How long a writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_S = 10.0


class SQLiteFile:
    """Thread-local connections to one SQLite file (WAL, foreign keys), and write transactions.

    ``synchronous`` is the ``PRAGMA synchronous`` level of every connection:
    ``"FULL"`` when a commit must survive a power cut, ``"NORMAL"`` when losing
    the last commits to one is acceptable (WAL still keeps the file intact).
    """

    def __init__(self, path: Path, *, synchronous: str) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', not {synchronous!r}")
        self.path = path
        self._synchronous = synchronous
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
                error = self._closed_error()
                if error is not None:
                    raise error
            conn = self._open()
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def _closed_error(self) -> Exception | None:
        """What a thread that needs a connection after :meth:`close` gets.

        ``None`` (the default) opens a fresh connection as if the file had
        never been closed; a subclass returns the error to raise instead.
        """
        return None

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False only so that close() may close every thread's
        # connection; each connection is still used by the thread that opened it.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            # A damaged file fails here; do not leave the connection open behind the error.
            conn.close()
            raise
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): commit on success, roll back on error.

        Nested use joins the outer transaction, which alone commits (or rolls
        back, when an error leaves it).
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
        """Close every thread's connection (see :meth:`_closed_error` for later use)."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
