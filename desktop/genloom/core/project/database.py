"""The project database: WAL, ``synchronous=FULL``, foreign keys, one connection per thread.

The connection handling and write transactions (``BEGIN IMMEDIATE``) are
:class:`genloom.core.sqlite.SQLiteFile`'s, shared with the model index; this
module adds what is the project's own: the durability level, the error after
close, and reading the schema version without touching the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from genloom.core.project.errors import DamagedProjectError, ProjectError
from genloom.core.sqlite import BUSY_TIMEOUT_S, SQLiteFile

__all__ = ["BUSY_TIMEOUT_S", "GENLOOM_TABLES", "Database", "read_schema"]

#: Tables every Genloom project database has from schema version 1 on.
GENLOOM_TABLES = frozenset({"meta", "assets", "asset_parents", "tags", "asset_tags"})


def read_schema(db_path: Path) -> tuple[int, frozenset[str]]:
    """The schema version and table names of ``db_path``, read without writing to it.

    An empty (0-byte) file reads as version 0 with no tables. Raises
    :class:`DamagedProjectError` for a file that is not an SQLite database.
    """
    if db_path.stat().st_size == 0:
        return 0, frozenset()
    uri = db_path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise ProjectError(f"cannot open {db_path}: {exc}. Check that the file is readable.") from exc
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = frozenset(row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"))
    except sqlite3.DatabaseError as exc:
        raise DamagedProjectError(db_path.parent, f"genloom.db is not a readable database "
                                  f"({exc})") from exc
    finally:
        conn.close()
    return version, tables


class Database(SQLiteFile):
    """A project's ``genloom.db``: thread-local connections and write transactions.

    ``synchronous = FULL``: a committed asset row or queued job survives a power
    cut, not only a crash of the process. It costs one fsync per write
    transaction. After :meth:`close`, use raises :class:`ProjectError`.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, synchronous="FULL")

    def _closed_error(self) -> Exception:
        return ProjectError(f"the project database {self.path} is closed; "
                            "open the project again to use it")
