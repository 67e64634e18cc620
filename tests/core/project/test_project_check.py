"""check(): rows against files, and what repair may remove."""

from __future__ import annotations

import os
import time
from pathlib import Path

from genloom.core.project import Project
from genloom.core.project.files import content_path, hash_bytes


def _old(path: Path, seconds: float = 3600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_healthy_project_checks_ok(project: Project) -> None:
    project.add_asset(b"a", kind="image", suffix=".png")
    project.add_asset(b"a", kind="image", suffix=".png")
    report = project.check()
    assert report.ok and report.assets_checked == 2
    assert "all files present and intact" in report.summary()


def test_check_finds_missing_and_damaged_files(project: Project) -> None:
    gone = project.add_asset(b"gone", kind="image", suffix=".png")
    damaged = project.add_asset(b"damaged", kind="image", suffix=".png")
    project.asset_path(gone).unlink()
    project.asset_path(damaged).write_bytes(b"DAMAGED")  # same size, other bytes
    report = project.check(repair=True)
    assert report.missing == (gone.id,)
    assert report.mismatched == (damaged.id,)
    assert report.removed == ()  # repair never touches a file a row uses
    assert project.asset_path(damaged).exists()
    assert "restore them from a backup" in report.summary()


def test_repair_removes_orphans_and_stale_temps_but_keeps_referenced_files(
        project: Project) -> None:
    kept = project.add_asset(b"kept", kind="image", suffix=".png")
    orphan_rel = content_path(hash_bytes(b"orphan"), ".png")  # a crash after rename
    orphan = project.path / orphan_rel
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"orphan")
    stale_temp = project.tmp_dir() / ".write-abc.png"
    stale_temp.write_bytes(b"half")
    _old(stale_temp)
    fresh_temp = project.tmp_dir() / ".write-now.png"  # maybe another process writing
    fresh_temp.write_bytes(b"half")
    job_dir = project.tmp_dir() / "job-3"
    job_dir.mkdir()

    found = project.check()
    assert found.orphans == (orphan_rel,)
    assert found.leftovers == ("tmp/.write-abc.png",)
    assert not found.ok and found.removed == ()
    assert "run the check with repair" in found.summary()
    assert found.to_dict()["orphans"] == [orphan_rel] and found.to_dict()["ok"] is False

    repaired = project.check(repair=True)
    assert sorted(repaired.removed) == sorted([orphan_rel, "tmp/.write-abc.png"])
    assert not orphan.exists() and not stale_temp.exists()
    assert fresh_temp.exists() and job_dir.exists()
    assert project.asset_path(kept).read_bytes() == b"kept"
    assert project.check().ok
