"""Schema migrations: a version 1 project opens in this version without losing anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from genloom.core.project import SCHEMA_VERSION, Project
from genloom.core.project.files import content_path, hash_bytes
from genloom.core.project.migrations import migrate, user_version


def _make_v1_project(root: Path) -> sqlite3.Connection:
    (root / "assets").mkdir(parents=True)
    conn = sqlite3.connect(root / "genloom.db", isolation_level=None)
    migrate(conn, root, target=1)
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                     [("name", "old one"), ("created", "1700000000.0")])
    return conn


def _add_v1_asset(conn: sqlite3.Connection, root: Path, data: bytes, kind: str, suffix: str,
                  prompt: str, tag: str) -> int:
    digest = hash_bytes(data)
    rel = content_path(digest, suffix)
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(data)
    cursor = conn.execute(
        "INSERT INTO assets (kind, hash, size, suffix, path, created, prompt, rating) "
        "VALUES (?, ?, ?, ?, ?, 1700000000.0, ?, 4)",
        (kind, digest, len(data), suffix, rel, prompt))
    asset_id = cursor.lastrowid
    conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag,))
    conn.execute("INSERT INTO asset_tags (asset_id, tag_id) SELECT ?, id FROM tags WHERE name = ?",
                 (asset_id, tag))
    return int(asset_id or 0)


def test_migration_one_alone_builds_a_version_1_schema(tmp_path: Path) -> None:
    conn = _make_v1_project(tmp_path)
    assert user_version(conn) == 1
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "assets" in tables and "jobs" not in tables and "asset_search" not in tables
    conn.close()


def test_version_1_project_migrates_and_its_assets_survive_and_are_searchable(
        tmp_path: Path) -> None:
    conn = _make_v1_project(tmp_path)
    image_id = _add_v1_asset(conn, tmp_path, b"\x89PNG fake", "image", ".png",
                             "a lighthouse at dusk", "coast")
    text_id = _add_v1_asset(conn, tmp_path, b"Once upon a midnight dreary", "text", ".txt",
                            "", "poems")
    conn.close()

    with Project.open(tmp_path) as project:
        assert user_version(project._db.connection()) == SCHEMA_VERSION
        image = project.get_asset(image_id)
        assert (image.prompt, image.rating, image.tags) == ("a lighthouse at dusk", 4, ("coast",))
        assert [a.id for a in project.search("lightho")] == [image_id]
        assert [a.id for a in project.search("midnight")] == [text_id]  # text read from file
        assert [a.id for a in project.search("coast")] == [image_id]  # tags indexed
        assert project.jobs.list() == []
        assert project.name == "old one"
        assert project.check().ok


def test_migration_is_atomic_a_failing_step_leaves_version_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genloom.core.project import migrations

    conn = _make_v1_project(tmp_path)

    def broken(conn: sqlite3.Connection, root: Path) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(migrations, "MIGRATIONS", (migrations.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError, match="disk on fire"):
        migrations.migrate(conn, tmp_path, target=2)
    assert user_version(conn) == 1
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    conn.close()


def test_migrating_a_crafted_project_never_reads_a_file_its_row_names(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2 passwordish")
    root = tmp_path / "shared"
    conn = _make_v1_project(root)
    asset_id = _add_v1_asset(conn, root, b"plain words", "text", ".txt", "p", "t")
    conn.execute("UPDATE assets SET path = ? WHERE id = ?", (str(secret), asset_id))
    conn.close()
    with Project.open(root) as project:
        assert project.search("hunter2") == []
        assert [a.id for a in project.search("plain")] == [asset_id]
