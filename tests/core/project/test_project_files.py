"""Storing asset files: content addressed, atomic, deduplicated."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from genloom.core.project import Project


def test_asset_file_lives_at_its_content_address_with_the_right_hash(project: Project) -> None:
    data = b"\x89PNG not really" * 1000
    asset = project.add_asset(data, kind="image", suffix=".PNG")
    digest = hashlib.sha256(data).hexdigest()
    assert asset.hash == digest
    assert asset.size == len(data)
    assert asset.suffix == ".png"
    assert asset.path == f"assets/{digest[:2]}/{digest}.png"
    assert project.asset_path(asset) == project.path / asset.path
    assert project.asset_path(asset.id).read_bytes() == data


def test_same_content_twice_shares_one_file_but_makes_two_assets(project: Project) -> None:
    first = project.add_asset(b"same bytes", kind="text", suffix=".txt", title="one")
    second = project.add_asset(b"same bytes", kind="text", suffix=".txt", title="two")
    assert first.id != second.id
    assert first.path == second.path
    files = [p for p in (project.path / "assets").rglob("*") if p.is_file()]
    assert files == [project.asset_path(first)]


def test_a_large_file_is_hashed_in_chunks_correctly(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    data = bytes(range(256)) * (3 * 4096 + 7)  # about 3 MiB, not a multiple of the chunk
    source.write_bytes(data)
    asset = project.add_asset(source, kind="video", suffix=".mp4")
    assert asset.hash == hashlib.sha256(data).hexdigest()
    assert source.exists()  # copied, not moved
    assert project.asset_path(asset).read_bytes() == data


def test_move_renames_a_file_from_tmp_into_the_store(project: Project) -> None:
    handed_over = project.tmp_dir() / "job-7" / "out.wav"
    handed_over.parent.mkdir()
    handed_over.write_bytes(b"RIFF audio")
    inode = handed_over.stat().st_ino
    asset = project.add_asset(handed_over, kind="audio", suffix=".wav", move=True)
    assert not handed_over.exists()
    assert project.asset_path(asset).stat().st_ino == inode  # renamed, not copied


def test_move_of_content_already_stored_removes_the_handed_over_file(project: Project) -> None:
    project.add_asset(b"dup", kind="text", suffix=".txt")
    handed_over = project.tmp_dir() / "out.txt"
    handed_over.write_bytes(b"dup")
    project.add_asset(handed_over, kind="text", suffix=".txt", move=True)
    assert not handed_over.exists()


def test_no_write_temp_is_left_behind_after_adding(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    source.write_bytes(b"image")
    project.add_asset(source, kind="image", suffix=".png")
    project.add_asset(b"image", kind="image", suffix=".png")
    project.add_asset(b"other", kind="image", suffix=".png")
    assert list(project.tmp_dir().iterdir()) == []


def test_unknown_kind_is_refused_naming_it_and_the_kinds(project: Project) -> None:
    with pytest.raises(ValueError, match=r"kind: 'picture' is not an asset kind; use one of text"):
        project.add_asset(b"x", kind="picture", suffix=".png")


@pytest.mark.parametrize("suffix", ["png", ".", "../x", ".a/b", ""])
def test_a_suffix_that_is_not_an_extension_is_refused(project: Project, suffix: str) -> None:
    with pytest.raises(ValueError, match="is not a file extension"):
        project.add_asset(b"x", kind="image", suffix=suffix)


def test_a_failed_add_leaves_no_file_and_no_row(project: Project) -> None:
    with pytest.raises(ValueError, match="recipe"):
        project.add_asset(b"x", kind="text", suffix=".txt", recipe={"bad": float("nan")})
    assert project.count_assets() == 0
    assert project.check().ok
    assert list(project.tmp_dir().iterdir()) == []


def test_a_missing_source_file_is_reported(project: Project, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a file"):
        project.add_asset(tmp_path / "gone.png", kind="image", suffix=".png")
