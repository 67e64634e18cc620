"""Exports read back by OpenTimelineIO give the shots' order and durations; the media
travel beside them under relative paths; contact sheets show every shot."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from genloom.core.boards.exchange import EXPORT_RATE, MARKER, export_board
from genloom.core.boards.timeline import board_timeline
from genloom.core.project import Project
from genloom.sdk.errors import ParameterError
from tests.core.boards.media_helpers import storyboard


def _shot_lengths(track: otio.schema.Track) -> list[tuple[str, int]]:
    """(clip name, frames the shot lasts) for a picture track: a clip and the gap after it."""
    found: list[tuple[str, int]] = []
    for item in track:
        frames = int(item.duration().rescaled_to(EXPORT_RATE).value)
        if isinstance(item, otio.schema.Gap):
            name, before = found[-1]
            found[-1] = (name, before + frames)
        else:
            found.append((item.name, frames))
    return found


@pytest.mark.parametrize(("fmt", "suffix"), [("otio", ".otio"), ("edl", ".edl"),
                                             ("fcp7", ".xml"), ("fcpxml", ".fcpxml")])
def test_exports_read_back_with_the_same_order_and_durations(
        genloom_project: Project, tmp_path: Path, fmt: str, suffix: str) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=5)
    timeline = board_timeline(boards, board_id)
    out = tmp_path / "out"
    out.mkdir()
    written = export_board(timeline, out / f"cut{suffix}", fmt)
    back = otio.adapters.read_from_file(str(written))
    video = [t for t in back.tracks if t.kind == otio.schema.TrackKind.Video][0]
    shots = boards.shots(board_id)
    expected = [(f"S{s.number:03d} shot{s.id} take{s.selected('picture').id}",
                 round((t + s.duration) * EXPORT_RATE) - round(t * EXPORT_RATE))
                for s, t in zip(shots, timeline.starts, strict=True)]
    assert _shot_lengths(video) == expected
    total = video.duration().rescaled_to(EXPORT_RATE).value
    assert abs(total - timeline.duration * EXPORT_RATE) <= 1
    media = out / "cut_media"
    assert (media / MARKER).is_file()
    clips = list(video.find_clips())
    for clip in clips:
        url = clip.media_reference.target_url
        assert not Path(url).is_absolute() and url.startswith("cut_media/")
        assert (out / url).is_file()
    if fmt != "edl":  # an EDL is the picture edit alone
        audio = [t for t in back.tracks if t.kind == otio.schema.TrackKind.Audio]
        assert len(audio) == 2
        names = [c.name for c in audio[0].find_clips()]
        assert names == [f"S{s.number:03d} shot{s.id} take{s.selected('voice').id}"
                         for s in shots if s.selected("voice")]
    if fmt == "otio":
        meta = clips[0].metadata["genloom"]
        assert (meta["shot_id"], meta["take_id"]) == (shots[0].id, shots[0].selected("picture").id)
    if fmt == "edl":
        text = written.read_text()
        assert "* FROM CLIP NAME:  S001 shot" in text and " S001 " in text


def test_export_again_replaces_its_media_but_never_a_foreign_folder(
        genloom_project: Project, tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path)
    timeline = board_timeline(boards, board_id)
    out = tmp_path / "again"
    out.mkdir()
    export_board(timeline, out / "cut.otio", "otio")
    export_board(timeline, out / "cut.otio", "otio")
    assert sorted(p.name for p in out.iterdir()) == ["cut.otio", "cut_media"]
    (out / "mine_media").mkdir()
    (out / "mine_media" / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match="was not made by a Genloom export"):
        export_board(timeline, out / "mine.otio", "otio")
    assert (out / "mine_media" / "keep.txt").read_text() == "mine"
    assert not (out / "mine.otio").exists()


def test_contact_sheets_png_and_pdf(genloom_project: Project, tmp_path: Path) -> None:
    from PIL import Image

    boards, board_id = storyboard(genloom_project, tmp_path, shots=7)
    timeline = board_timeline(boards, board_id)
    sheet = export_board(timeline, tmp_path / "sheet.png", "contact-sheet")
    with Image.open(sheet) as image:
        assert image.width > 1000 and image.height > 3 * 300  # three rows of cells
        # the first cell's frame is the first shot's still, scaled up (not black)
        assert image.convert("RGB").getpixel((300, 150)) != (32, 32, 32)
    pdf = export_board(timeline, tmp_path / "sheet.pdf", "contact-sheet")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") \
        + data.count(b"/Type /Page>") + data.count(b"/Type/Page") >= 1
    with pytest.raises(ParameterError, match="not an export format"):
        export_board(timeline, tmp_path / "x.mov", "mov")
