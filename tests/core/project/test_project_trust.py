"""A project folder is untrusted: crafted rows, links and damaged files never lead
Genloom to read, write or delete outside it, or to lose what is in it."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from genloom.core.project import Project, ProjectError
from genloom.core.project.errors import DamagedAssetError, DamagedProjectError, UnsafePathError
from genloom.core.project.scratch import SCRATCH_MAX_AGE_S


def _set_row(project: Project, asset_id: int, **columns: object) -> None:
    """Edit a row behind Genloom's back, as someone crafting a shared project would."""
    with sqlite3.connect(project.db_path) as conn:
        for column, value in columns.items():
            conn.execute(f"UPDATE assets SET {column} = ? WHERE id = ?", (value, asset_id))


# -- finding 1: asset paths come from the hash, never from the row ------------------------

@pytest.mark.parametrize("crafted", ["../victim.txt", "ABSOLUTE"])
def test_deleting_an_asset_whose_row_names_an_outside_path_leaves_that_file(project, tmp_path,
                                                                              crafted):
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file")
    asset = project.add_asset(b"pixels", kind="image", suffix=".png")
    _set_row(project, asset.id, path=str(victim) if crafted == "ABSOLUTE" else crafted)
    project.delete_asset(asset.id)
    assert victim.read_text() == "the user's own file"
    assert not (project.path / asset.path).exists()  # its real file went, as asked


def test_a_row_with_a_crafted_hash_names_no_file(project, tmp_path):
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"keep me")
    asset = project.add_asset(b"pixels", kind="image", suffix=".png")
    _set_row(project, asset.id, hash="../../../victim")
    with pytest.raises(DamagedAssetError, match=f"asset {asset.id}.*damaged row"):
        project.asset_path(asset.id)
    project.delete_asset(asset.id)
    assert victim.read_bytes() == b"keep me"
    assert project.check().mismatched == ()  # the row is gone; nothing else was touched


def test_asset_path_is_derived_from_the_hash_and_suffix(project, tmp_path):
    asset = project.add_asset(b"pixels", kind="image", suffix=".png")
    _set_row(project, asset.id, path="/etc/hostname")
    path = project.asset_path(asset.id)
    assert path == project.path / "assets" / asset.hash[:2] / f"{asset.hash}.png"
    assert path.read_bytes() == b"pixels"


def test_repair_never_follows_an_assets_folder_linked_elsewhere(tmp_path):
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "holiday.jpg").write_bytes(b"precious")
    root = tmp_path / "shared"
    with Project.create(root) as project:
        project.add_asset(b"one", kind="text", suffix=".txt")
    os.rename(root / "assets", tmp_path / "old-assets")
    (root / "assets").symlink_to(elsewhere, target_is_directory=True)
    with Project.open(root) as project:
        with pytest.raises(UnsafePathError, match="symbolic link"):
            project.check(repair=True)
        with pytest.raises(UnsafePathError):
            project.add_asset(b"two", kind="text", suffix=".txt")
    assert (elsewhere / "holiday.jpg").read_bytes() == b"precious"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["holiday.jpg"]


def test_a_linked_hash_folder_is_neither_read_nor_deleted_through(project, tmp_path):
    asset = project.add_asset(b"pixels", kind="image", suffix=".png")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / f"{asset.hash}.png").write_bytes(b"pixels")
    folder = project.path / "assets" / asset.hash[:2]
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        project.asset_path(asset.id)
    with pytest.raises(UnsafePathError):
        project.delete_asset(asset.id)
    assert (elsewhere / f"{asset.hash}.png").exists()


# -- finding 2: an empty or foreign database is a damaged project, not a new one ----------

def _project_with_files(root: Path) -> list[Path]:
    with Project.create(root) as project:
        for n in range(3):
            project.add_asset(f"asset {n}".encode(), kind="text", suffix=".txt")
    return sorted(p for p in (root / "assets").rglob("*") if p.is_file())


def test_an_empty_database_with_asset_files_is_refused_and_nothing_is_touched(tmp_path):
    root = tmp_path / "p"
    files = _project_with_files(root)
    for extra in ("genloom.db-wal", "genloom.db-shm"):
        (root / extra).unlink(missing_ok=True)
    (root / "genloom.db").write_bytes(b"")
    with pytest.raises(DamagedProjectError, match="genloom.db is empty but assets/ holds files"):
        Project.open(root)
    assert (root / "genloom.db").stat().st_size == 0
    assert all(f.exists() for f in files)


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    with sqlite3.connect(root / "genloom.db") as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    before = (root / "genloom.db").read_bytes()
    with pytest.raises(DamagedProjectError, match="another program.*moz_places"):
        Project.open(root)
    assert (root / "genloom.db").read_bytes() == before


def test_a_missing_database_beside_asset_files_is_not_made_new(tmp_path):
    root = tmp_path / "p"
    files = _project_with_files(root)
    for name in ("genloom.db", "genloom.db-wal", "genloom.db-shm"):
        (root / name).unlink(missing_ok=True)
    with pytest.raises(DamagedProjectError, match="genloom.db is missing"):
        Project.open_or_create(root)
    assert not (root / "genloom.db").exists() and all(f.exists() for f in files)


def test_repair_refuses_when_the_database_knows_no_assets_but_files_exist(tmp_path):
    root = tmp_path / "p"
    files = _project_with_files(root)
    with Project.open(root) as project, sqlite3.connect(project.db_path) as conn:
        conn.execute("DELETE FROM asset_search")
        conn.execute("DELETE FROM assets")
    with Project.open(root) as project:
        report = project.check()
        assert len(report.orphans) == 3
        with pytest.raises(DamagedProjectError, match="knows no assets.*holds 3 files"):
            project.check(repair=True)
    assert all(f.exists() for f in files)


def test_repair_moves_unused_files_to_quarantine_instead_of_deleting(project):
    kept = project.add_asset(b"kept", kind="text", suffix=".txt")
    stray = project.path / "assets" / "ab" / "stray.bin"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"someone's file")
    report = project.check(repair=True)
    assert report.removed == ("assets/ab/stray.bin",)
    assert report.quarantine.startswith("quarantine/")
    assert (project.path / report.quarantine / "assets/ab/stray.bin").read_bytes() == b"someone's file"
    assert project.asset_path(kept).read_bytes() == b"kept"


# -- finding 7: opening a project keeps the scratch folder of a running job ------------------

def test_opening_a_project_keeps_a_running_jobs_old_scratch_folder(project):
    running = project.jobs.enqueue("gltest_basic.echo", {"prompt": "x"}, seed=1)
    project.jobs.claim_next("engine-a")
    finished = project.jobs.enqueue("gltest_basic.echo", {"prompt": "y"}, seed=1)
    project.jobs.fail(finished.id, "done with it")
    old = time.time() - 2 * SCRATCH_MAX_AGE_S
    live = project.tmp_dir() / f"job-{running.id}-aaaa"
    dead = project.tmp_dir() / f"job-{finished.id}-bbbb"
    for folder in (live, dead):
        folder.mkdir()
        (folder / "partial.png").write_bytes(b"x")
        for path in (folder / "partial.png", folder):
            os.utime(path, (old, old))
    Project.open(project.path).close()
    assert (live / "partial.png").exists()
    assert not dead.exists()


# -- finding 9: same-size damage is never trusted ----------------------------------------------

def _damage(project: Project, asset_id: int) -> Path:
    path = project.asset_path(asset_id)
    size = path.stat().st_size
    path.write_bytes(b"\0" * size)
    return path


def test_adding_content_whose_stored_file_was_damaged_restores_the_file(project):
    first = project.add_asset(b"the real content", kind="text", suffix=".txt")
    _damage(project, first.id)
    second = project.add_asset(b"the real content", kind="text", suffix=".txt")
    assert project.asset_path(second).read_bytes() == b"the real content"
    assert project.check().ok


def test_verified_path_reports_a_damaged_or_missing_file(project):
    asset = project.add_asset(b"the real content", kind="text", suffix=".txt")
    assert project.verified_path(asset.id).read_bytes() == b"the real content"
    path = _damage(project, asset.id)
    with pytest.raises(DamagedAssetError, match=f"asset {asset.id}.*no longer holds"):
        project.verified_path(asset.id)
    path.unlink()
    with pytest.raises(DamagedAssetError, match="is missing"):
        project.verified_path(asset.id)


def test_a_huge_id_is_not_found_rather_than_an_overflow(project):
    from genloom.core.project import AssetNotFoundError, JobNotFoundError

    with pytest.raises(AssetNotFoundError):
        project.get_asset(10**40)
    with pytest.raises(JobNotFoundError):
        project.jobs.get(10**40)


def test_every_project_error_here_is_a_project_error():
    for cls in (DamagedAssetError, DamagedProjectError, UnsafePathError):
        assert issubclass(cls, ProjectError)


# -- finding 4: a claim is a lease ----------------------------------------------------------------

def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_job_held_by_a_live_engine_is_never_taken_by_another(project):
    import socket

    job = project.jobs.enqueue("gltest_basic.echo", {"prompt": "x"}, seed=1)
    live = f"{socket.gethostname()}:{os.getppid()}:aaaa"
    project.jobs.claim_next(live)
    assert project.jobs.recover_orphans(stale_after=30) == []
    assert project.jobs.claim_next("another-engine") is None
    from genloom.core.project import JobStateError

    with pytest.raises(JobStateError, match="running under"):
        with project._db.transaction() as conn:
            project.jobs.complete(conn, job.id, "another-engine", [])
    with pytest.raises(JobStateError):
        project.jobs.fail(job.id, "not yours", owner="another-engine")
    assert project.jobs.get(job.id).state == "running"


def test_the_lease_of_an_engine_whose_process_is_gone_lapses_at_once(project):
    import socket

    job = project.jobs.enqueue("gltest_basic.echo", {"prompt": "x"}, seed=1)
    project.jobs.claim_next(f"{socket.gethostname()}:{_dead_pid()}:bbbb")
    (recovered,) = project.jobs.recover_orphans(stale_after=30)
    assert recovered.id == job.id and recovered.state == "queued"
