"""Creating, opening and closing projects."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from genloom.core.project import (
    SCHEMA_VERSION,
    Project,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    SchemaTooNewError,
)
from genloom.sdk.errors import Remedy


def test_create_makes_the_folder_layout_and_a_wal_database(project_dir: Path) -> None:
    with Project.create(project_dir, name="Storyboards") as project:
        assert project.name == "Storyboards"
        assert project.db_path == project_dir / "genloom.db"
    assert (project_dir / "assets").is_dir()
    assert (project_dir / "tmp").is_dir()
    conn = sqlite3.connect(project_dir / "genloom.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_create_names_the_project_after_its_folder_by_default(tmp_path: Path) -> None:
    with Project.create(tmp_path / "holiday-shoot") as project:
        assert project.name == "holiday-shoot"


def test_create_refuses_a_folder_that_already_holds_a_project(project: Project) -> None:
    with pytest.raises(ProjectExistsError, match="already exists"):
        Project.create(project.path)


def test_reopened_project_keeps_its_assets_and_name(project: Project) -> None:
    asset = project.add_asset(b"kept", kind="text", suffix=".txt")
    project.close()
    with Project.open(project.path) as again:
        assert again.name == "Test project"
        assert again.get_asset(asset.id) == asset


def test_open_of_a_folder_without_a_database_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError) as raised:
        Project.open(tmp_path)
    message = str(raised.value)
    assert "has no genloom.db" in message
    assert raised.value.remedy == Remedy("create_project", str(tmp_path))  # each front end says how
    assert "genloom project new" not in message  # the app has no command line


def test_open_of_a_missing_folder_says_it_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFoundError, match="does not exist"):
        Project.open(tmp_path / "nowhere")


def test_open_or_create_creates_then_opens(tmp_path: Path) -> None:
    with Project.open_or_create(tmp_path / "p") as created:
        asset = created.add_asset(b"x", kind="text", suffix=".txt")
    with Project.open_or_create(tmp_path / "p") as opened:
        assert opened.get_asset(asset.id).hash == asset.hash


def test_newer_schema_is_refused_and_the_database_left_untouched(project: Project) -> None:
    project.close()
    conn = sqlite3.connect(project.db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = project.db_path.read_bytes()
    with pytest.raises(SchemaTooNewError) as raised:
        Project.open(project.path)
    assert str(raised.value) == (
        f"project {project.path} was saved by a newer Genloom (schema {SCHEMA_VERSION + 1}; this version reads "
        f"up to {SCHEMA_VERSION}). Update Genloom to open it.")
    assert project.db_path.read_bytes() == before


def test_a_closed_project_refuses_further_use(project: Project) -> None:
    project.close()
    with pytest.raises(ProjectError, match="is closed"):
        project.list_assets()


def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    (tmp_path / "genloom.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ProjectError, match="genloom.db is not a readable database"):
        Project.open(tmp_path)


def test_project_cannot_be_constructed_directly(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Project.open"):
        Project(tmp_path)


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_open_removes_stale_temps_but_keeps_fresh_ones_and_live_job_folders(
        project: Project) -> None:
    tmp = project.tmp_dir()
    stale_write = tmp / ".write-crashed.png"
    fresh_write = tmp / ".write-in-progress.png"
    old_job = tmp / "job-1"
    live_job = tmp / "job-2"
    for path in (stale_write, fresh_write):
        path.write_bytes(b"partial")
    for folder in (old_job, live_job):
        folder.mkdir()
        (folder / "out.png").write_bytes(b"x")
    _age(stale_write, 11 * 60)
    _age(old_job / "out.png", 2 * 3600)
    _age(old_job, 2 * 3600)
    _age(live_job, 2 * 3600)  # the folder is old, but a file in it changed just now
    project.close()
    with Project.open(project.path):
        assert not stale_write.exists()
        assert fresh_write.exists()
        assert not old_job.exists()
        assert (live_job / "out.png").exists()
