"""Exporting a file: atomic, a text file unchanged (its credentials beside it), only to a file path."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.core.exporting import export_file


def test_a_text_file_is_exported_unchanged_with_its_sidecar_and_no_temp_file(tmp_path: Path):
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello\x00world")
    written = export_file(source, tmp_path / "sub" / "b.txt", kind="text", suffix=".txt", recipe={"seed": 1})
    assert written == tmp_path / "sub" / "b.txt"
    assert written.read_bytes() == b"hello\x00world"
    # No temp file left; the credentials are in a sidecar, the text is untouched.
    assert sorted(p.name for p in written.parent.iterdir()) == ["b.txt", "b.txt.c2pa"]


def test_a_folder_destination_is_refused_with_the_fix(tmp_path: Path):
    source = tmp_path / "a.txt"
    source.write_text("x")
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder. Give the path of the file"):
        export_file(source, folder, kind="text", suffix=".txt", recipe=None)
    assert list(folder.iterdir()) == []
