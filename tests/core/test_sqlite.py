"""The shared SQLite helper: per-thread connections, pragmas and write transactions, on a real file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from genloom.core.models.index import ModelIndex
from genloom.core.project.database import Database
from genloom.core.project.errors import ProjectError
from genloom.core.sqlite import BUSY_TIMEOUT_S, SQLiteFile


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteFile]:
    opened = SQLiteFile(tmp_path / "t.sqlite", synchronous="FULL")
    opened.connection().execute("CREATE TABLE t (x INTEGER)")
    yield opened
    opened.close()


def _rows(path: Path) -> list[int]:
    """What another connection (as another process would) sees committed."""
    other = sqlite3.connect(path)
    try:
        return [x for (x,) in other.execute("SELECT x FROM t ORDER BY x")]
    finally:
        other.close()


def test_a_transaction_commits_when_its_block_ends(db):
    with db.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    assert _rows(db.path) == [1]


def test_an_error_rolls_the_transaction_back_and_is_raised(db):
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
    assert _rows(db.path) == []
    assert not db.connection().in_transaction


def test_a_nested_transaction_joins_the_outer_one_which_alone_commits(db):
    with db.transaction() as outer:
        outer.execute("INSERT INTO t VALUES (1)")
        with db.transaction() as inner:
            assert inner is outer
            inner.execute("INSERT INTO t VALUES (2)")
        assert outer.in_transaction
        assert _rows(db.path) == []
    assert _rows(db.path) == [1, 2]


def test_an_error_in_a_nested_transaction_rolls_back_the_outer_one_too(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as outer:
            outer.execute("INSERT INTO t VALUES (1)")
            with db.transaction() as inner:
                inner.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("inner failed")
    assert _rows(db.path) == []


def test_a_transaction_takes_the_write_lock_at_once(db):
    other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    try:
        with db.transaction():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_each_thread_gets_its_own_connection_and_keeps_it(db):
    mine = db.connection()
    assert db.connection() is mine
    theirs: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: theirs.append(db.connection()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine


def test_close_closes_every_threads_connection(db):
    theirs: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: theirs.append(db.connection()))
    thread.start()
    thread.join()
    mine = db.connection()
    db.close()
    for conn in (mine, theirs[0]):
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            conn.execute("SELECT 1")


def test_connections_use_wal_foreign_keys_rows_by_name_and_the_busy_timeout(db):
    conn = db.connection()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(BUSY_TIMEOUT_S * 1000)
    assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1


def test_synchronous_must_be_full_or_normal(tmp_path):
    with pytest.raises(ValueError, match="'OFF'"):
        SQLiteFile(tmp_path / "t.sqlite", synchronous="OFF")


def test_the_project_database_is_full_sync_and_refuses_use_after_close(tmp_path):
    db = Database(tmp_path / "genloom.db")
    assert db.connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.close()
    with pytest.raises(ProjectError, match="is closed; open the project again"):
        db.connection()


def test_the_model_index_is_normal_sync_and_reopens_after_close(tmp_path):
    index = ModelIndex(tmp_path / "models.sqlite")
    assert index.connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    index.close()
    assert index.connection().execute("SELECT COUNT(*) FROM models").fetchone()[0] == 0
    index.close()
