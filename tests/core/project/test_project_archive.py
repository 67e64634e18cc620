"""Project archives: a round trip keeps everything; each attack on unpacking is refused, writing nothing outside."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from genloom.core.project import Project
from genloom.core.project.archive import ArchiveError, ArchiveLimits, archive_project, unarchive


def snapshot(folder: Path) -> dict[str, int]:
    """Every path under ``folder`` with its size (folders as -1)."""
    return {str(p.relative_to(folder)): (p.lstat().st_size if not p.is_dir() else -1)
            for p in folder.rglob("*")}


@pytest.fixture
def made(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "original", name="Fox study")
    first = project.add_asset(b"\x89PNG fox pixels", kind="image", suffix=".png", prompt="a red fox",
                              recipe={"generator": {"id": "image.text_to_image"}, "seed": 3,
                                      "params": {"prompt": "a red fox", "steps": 4}})
    second = project.add_asset(b"a story about a fox", kind="text", suffix=".txt", parents=[first.id],
                               recipe={"generator": {"id": "text.complete"}, "seed": 9, "inputs": {}})
    project.add_asset(b"RIFF audio", kind="audio", suffix=".wav")
    project.add_tags(first.id, ["fox", "study"])
    project.set_rating(first.id, 4)
    project.set_rating(second.id, 2)
    project.set_notes(second.id, "keep the ending")
    return project


def state(project: Project) -> list[tuple]:
    return [(a.kind, a.hash, a.suffix, a.prompt, a.recipe, a.tags, a.rating, a.notes, a.title,
             [p.hash for p in project.parents(a.id)]) for a in project.list_assets(order="oldest")]


def test_a_round_trip_keeps_every_asset_recipe_tag_rating_note_and_lineage(made, tmp_path):
    archive = archive_project(made, tmp_path / "fox.genloom-archive")
    copy = unarchive(archive, tmp_path / "copy")
    assert copy.name == "Fox study"
    assert state(copy) == state(made)
    assert len(state(copy)) == 3
    report = copy.check()
    assert report.ok and report.assets_checked == 3  # every file intact, nothing extra
    assert sorted(p.name for p in (tmp_path / "copy").iterdir() if not p.name.startswith("genloom.db-")) == [
        "assets", "genloom.db", "tmp"]


def test_archiving_refuses_a_damaged_asset_file_and_leaves_no_archive(made, tmp_path):
    asset = made.list_assets(kind="image")[0]
    path = made.asset_path(asset)
    os.chmod(path, 0o644)
    path.write_bytes(b"something else")
    with pytest.raises(ArchiveError, match="does not hold the content its name says"):
        archive_project(made, tmp_path / "out" / "fox.genloom-archive")
    assert list((tmp_path / "out").iterdir()) == []


# -- hostile archives, built here ------------------------------------------------------------


def hostile(tmp_path: Path, files: dict[str, bytes], *, manifest: dict | None = None,
            extra: list[tuple[zipfile.ZipInfo, bytes]] = (), method: int = zipfile.ZIP_DEFLATED) -> Path:
    """An archive with ``files`` and a manifest listing them (their true sizes and hashes)."""
    path = tmp_path / "hostile.genloom-archive"
    members = [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files.items()]
    data = manifest or {"format": "genloom-project-archive", "version": 1, "name": "evil", "members": members}
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for info, content in extra:
            archive.writestr(info, content)
        archive.writestr("manifest.json", json.dumps(data))
    return path


@pytest.fixture
def real_db(made, tmp_path) -> bytes:
    """A genuine project database, to wrap in hostile archives."""
    archive = archive_project(made, tmp_path / "real.genloom-archive")
    with zipfile.ZipFile(archive) as zf:
        return zf.read("genloom.db")


def refused(tmp_path: Path, archive: Path, match: str, **kwargs) -> None:
    """Unpacking is refused with ``match``, the target is gone and nothing else was written."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    before = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("target")}
    with pytest.raises(ArchiveError, match=match):
        unarchive(archive, tmp_path / "target", **kwargs)
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("target")}
    assert after == before
    assert not (tmp_path / "target").exists()
    assert not (Path("/tmp") / "genloom-evil.txt").exists()


def test_path_traversal_is_refused(tmp_path, real_db):
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, "../outside/evil.txt": b"x"}),
            "no part of a Genloom project")
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, "assets/../../outside/evil.txt": b"x"}),
            "no part of a Genloom project")


def test_absolute_and_windows_paths_are_refused(tmp_path, real_db):
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, "/tmp/genloom-evil.txt": b"x"}),
            "no part of a Genloom project")
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, "assets\\..\\..\\evil.txt": b"x"}),
            "no part of a Genloom project")
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, "C:/evil.txt": b"x"}),
            "no part of a Genloom project")


def test_a_symbolic_link_member_is_refused(tmp_path, real_db):
    digest = hashlib.sha256(b"/etc/passwd").hexdigest()
    link = zipfile.ZipInfo(f"assets/{digest[:2]}/{digest}.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    manifest_members = [{"name": "genloom.db", "size": len(real_db), "sha256": hashlib.sha256(real_db).hexdigest()},
                        {"name": link.filename, "size": 11, "sha256": digest}]
    archive = hostile(tmp_path, {"genloom.db": real_db}, extra=[(link, b"/etc/passwd")],
                      manifest={"format": "genloom-project-archive", "version": 1, "members": manifest_members})
    refused(tmp_path, archive, "symbolic link")


def test_a_zip_bomb_is_refused_by_its_ratio_before_it_is_unpacked(tmp_path, real_db):
    zeros = b"\0" * (64 * 1024 * 1024)
    digest = hashlib.sha256(zeros).hexdigest()
    archive = hostile(tmp_path, {"genloom.db": real_db, f"assets/{digest[:2]}/{digest}.bin": zeros})
    assert archive.stat().st_size < 1024 * 1024
    refused(tmp_path, archive, "zip bomb")


def test_an_archive_larger_than_the_limit_is_refused(tmp_path, real_db):
    data = os.urandom(300_000)
    digest = hashlib.sha256(data).hexdigest()
    archive = hostile(tmp_path, {"genloom.db": real_db, f"assets/{digest[:2]}/{digest}.bin": data})
    refused(tmp_path, archive, "more than", limits=ArchiveLimits(max_total_bytes=len(real_db) + 100_000))


def test_a_header_that_understates_the_size_is_caught_while_inflating(tmp_path, real_db):
    data = b"A" * 500_000
    digest = hashlib.sha256(data).hexdigest()
    name = f"assets/{digest[:2]}/{digest}.bin"
    members = [{"name": "genloom.db", "size": len(real_db), "sha256": hashlib.sha256(real_db).hexdigest()},
               {"name": name, "size": 1000, "sha256": digest}]  # the manifest agrees with the lie
    archive = hostile(tmp_path, {"genloom.db": real_db, name: data},
                      manifest={"format": "genloom-project-archive", "version": 1, "members": members})
    # Rewrite the uncompressed size in the local and the central header to say 1000 bytes.
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        local = zf.getinfo(name).header_offset
    raw[local + 22:local + 26] = (1000).to_bytes(4, "little")
    index = 0
    while (index := raw.find(b"PK\x01\x02", index)) != -1:  # central directory entries
        name_length = int.from_bytes(raw[index + 28:index + 30], "little")
        if raw[index + 46:index + 46 + name_length] == name.encode():
            raw[index + 24:index + 28] = (1000).to_bytes(4, "little")
        index += 4
    archive.write_bytes(bytes(raw))
    refused(tmp_path, archive, "more than the 1,000 bytes|damaged")


def test_duplicate_names_are_refused(tmp_path, real_db):
    data = b"fox"
    digest = hashlib.sha256(data).hexdigest()
    name = f"assets/{digest[:2]}/{digest}.png"
    twin = zipfile.ZipInfo(name)
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = hostile(tmp_path, {"genloom.db": real_db, name: data}, extra=[(twin, b"wolf")])
    refused(tmp_path, archive, "twice")
    upper = f"assets/{digest[:2]}/{digest}.PNG"
    refused(tmp_path, hostile(tmp_path, {"genloom.db": real_db, name: data, upper: data}),
            "twice|no part of a Genloom project")


def test_a_file_whose_hash_does_not_match_its_name_is_refused(tmp_path, real_db):
    digest = hashlib.sha256(b"the real content").hexdigest()
    archive = hostile(tmp_path, {"genloom.db": real_db, f"assets/{digest[:2]}/{digest}.png": b"swapped content"})
    refused(tmp_path, archive, "does not hold the content")


def test_a_database_that_differs_from_the_manifest_is_refused(tmp_path, real_db):
    members = [{"name": "genloom.db", "size": len(real_db), "sha256": "0" * 64}]
    archive = hostile(tmp_path, {"genloom.db": real_db},
                      manifest={"format": "genloom-project-archive", "version": 1, "members": members})
    refused(tmp_path, archive, "does not hold the content")


def test_an_archive_missing_an_asset_file_leaves_no_partial_project(made, tmp_path):
    good = archive_project(made, tmp_path / "good.genloom-archive")
    with zipfile.ZipFile(good) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json" and not n.endswith(".wav")}
    refused(tmp_path, hostile(tmp_path, files), "lacks the file of asset")


def test_a_database_that_is_not_a_project_is_refused(tmp_path):
    refused(tmp_path, hostile(tmp_path, {"genloom.db": b"SQLite format 3\0" + b"\0" * 200}),
            "not a project|damaged")


def test_a_non_zip_and_a_non_empty_target_are_refused(tmp_path, made):
    junk = tmp_path / "junk.genloom-archive"
    junk.write_bytes(b"not a zip at all")
    refused(tmp_path, junk, "not a ZIP file")
    good = archive_project(made, tmp_path / "good.genloom-archive")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "mine.txt").write_text("keep me")
    with pytest.raises(ArchiveError, match="not an empty folder"):
        unarchive(good, occupied)
    assert [p.name for p in occupied.iterdir()] == ["mine.txt"]
