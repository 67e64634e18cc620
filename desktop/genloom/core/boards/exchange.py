"""Boards out to editors: OpenTimelineIO, CMX 3600 EDL, FCP7 XML and FCPXML, with the
media copied beside, and contact sheets (PNG, PDF) for review meetings.

The timeline is :func:`.timeline.board_timeline`'s: a Picture track (each shot's
selected picture for its duration: a still for the whole shot, a clip up to its own
length and a gap after), a Voice track (each line at its shot's start) and a Music
track. Times are in frames at :data:`EXPORT_RATE`; each shot's frames are counted
from the board's start (``round(end) - round(start)``), so the total is within one
frame of the board's duration however many shots there are.

EDL keeps 8-character reel names only, so every clip's name carries its shot
number, shot id and take id (``S003 shot12 take40``), which the EDL writes as a
``FROM CLIP NAME`` comment; OTIO, FCP7 XML and FCPXML also get them as metadata
(``genloom``). An EDL is a picture edit list: it holds the Picture track alone.

Media files are copied into ``<name>_media/`` beside the exported file and named
by shot and take; the timeline points at them with relative paths, so the folder
can be moved as a whole. Files are written in a scratch folder beside the
destination and renamed into place: a failure leaves nothing behind, and an
existing export is replaced only when it is one of ours (its media folder holds
the :data:`MARKER` file).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.boards.timeline import Placed, Timeline
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    import opentimelineio as otio

__all__ = ["EXPORT_FORMATS", "EXPORT_RATE", "MARKER", "build_otio", "export_board",
           "export_contact_sheet"]

#: Export formats, the OTIO adapter that writes each (None: not a timeline) and the suffix.
EXPORT_FORMATS: dict[str, tuple[str | None, str]] = {
    "otio": ("otio_json", ".otio"), "edl": ("cmx_3600", ".edl"), "fcp7": ("fcp_xml", ".xml"),
    "fcpxml": ("fcpx_xml", ".fcpxml"), "contact-sheet": (None, ".png")}
#: Frames per second of exported timelines.
EXPORT_RATE = 24
#: The file that marks a media folder as written by a Genloom export.
MARKER = ".genloom-export"


def _frames(seconds: float) -> int:
    return int(round(seconds * EXPORT_RATE))


def _media_name(item: Placed, number: int) -> str:
    return f"S{number:03d}_{item.take.track}_take{item.take.id}{item.path.suffix}"


def clip_name(number: int, shot_id: int, take_id: int | None) -> str:
    """The name an exported clip carries: shot number, shot id and take id."""
    return f"S{number:03d} shot{shot_id} " + (f"take{take_id}" if take_id else "no take")


def build_otio(timeline: Timeline, media_dir: str = "media") -> otio.schema.Timeline:
    """The board as an OTIO timeline whose media paths are ``media_dir/<file>``."""
    import opentimelineio as otio

    def rt(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, EXPORT_RATE)

    def span(start: int, length: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(rt(start), rt(length))

    out = otio.schema.Timeline(name=timeline.board.name)
    out.global_start_time = rt(0)
    out.metadata["genloom"] = {"board": timeline.board.id, "board_name": timeline.board.name}

    def clip(item: Placed | None, shot_index: int, frames: int, track: str) -> otio.schema.Clip:
        shot = timeline.shots[shot_index]
        ref: Any
        if item is None:
            ref = otio.schema.MissingReference()
        else:
            media = _frames(item.media) if item.media is not None else max(frames, 1)
            ref = otio.schema.ExternalReference(
                target_url=f"{media_dir}/{_media_name(item, shot.number)}",
                available_range=span(0, max(media, frames)))
        made = otio.schema.Clip(name=clip_name(shot.number, shot.id, item.take.id if item else None),
                                media_reference=ref, source_range=span(0, frames))
        made.metadata["genloom"] = {
            "board": timeline.board.id, "shot_id": shot.id, "shot_number": shot.number,
            "track": track, "take_id": item.take.id if item else None,
            "asset_id": item.take.asset_id if item else None, "description": shot.description,
            "camera": shot.camera, "dialogue": shot.dialogue, "character": shot.character,
            "duration": shot.duration}
        made.metadata["cmx_3600"] = {"reel": f"S{shot.number:03d}"}
        return made

    picture = otio.schema.Track(name="Picture", kind=otio.schema.TrackKind.Video)
    for index, shot in enumerate(timeline.shots):
        start = _frames(timeline.starts[index])
        frames = _frames(timeline.starts[index] + shot.duration) - start
        item = timeline.pictures[index]
        playing = frames
        if item is not None and item.media is not None:
            playing = max(1, min(frames, _frames(item.media)))
        picture.append(clip(item, index, playing, "picture"))
        if playing < frames:
            picture.append(otio.schema.Gap(source_range=span(0, frames - playing)))
    out.tracks.append(picture)
    shot_index = {shot.id: i for i, shot in enumerate(timeline.shots)}
    for name, items in (("Voice", timeline.voices), ("Music", timeline.music)):
        if not items:
            continue
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Audio)
        at = 0
        for n, item in enumerate(items):
            start = _frames(item.start)
            end = _frames(item.start + item.length)
            if n + 1 < len(items):
                end = min(end, _frames(items[n + 1].start))
            if item.media is not None:
                end = min(end, start + _frames(item.media))
            if end <= start:
                continue
            if start > at:
                track.append(otio.schema.Gap(source_range=span(0, start - at)))
            track.append(clip(item, shot_index[item.take.shot_id], end - start, item.take.track))
            at = end
        out.tracks.append(track)
    return out


def export_board(timeline: Timeline, dest: Path, fmt: str) -> Path:
    """Write the board to ``dest`` as ``fmt`` (see :data:`EXPORT_FORMATS`) with its media
    beside it; returns the file written."""
    if fmt not in EXPORT_FORMATS:
        raise ParameterError("format", fmt, "is not an export format",
                             f"use one of {', '.join(EXPORT_FORMATS)}")
    adapter, suffix = EXPORT_FORMATS[fmt]
    dest = _destination(dest, timeline, suffix)
    if adapter is None:
        return export_contact_sheet(timeline, dest)
    import opentimelineio as otio

    media_dir = dest.parent / f"{dest.stem}_media"
    if media_dir.exists() and not (media_dir / MARKER).is_file():
        raise ParameterError("dest", str(dest), f"would write media into {media_dir}, which "
                             "exists and was not made by a Genloom export",
                             "choose another file name, or move that folder")
    with _scratch(dest) as scratch:
        media = scratch / media_dir.name
        media.mkdir()
        (media / MARKER).write_text("written by a Genloom board export; replaced by the next\n")
        numbers = {shot.id: shot.number for shot in timeline.shots}
        for item in [*(p for p in timeline.pictures if p), *timeline.voices, *timeline.music]:
            target = media / _media_name(item, numbers[item.take.shot_id])
            if not target.exists():
                shutil.copyfile(item.path, target)
        built = build_otio(timeline, media_dir.name)
        if fmt == "edl":
            built.tracks[:] = [built.tracks[0]]  # an EDL is the picture edit
        written = scratch / dest.name
        otio.adapters.write_to_file(built, str(written), adapter_name=adapter)
        _place(media, media_dir)
        os.replace(written, dest)
    return dest


def _destination(dest: Path, timeline: Timeline, suffix: str) -> Path:
    dest = Path(dest).expanduser()
    if dest.is_dir():
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in timeline.board.name)
        dest = dest / f"{safe.strip('_') or 'board'}{suffix}"
    if not dest.parent.is_dir():
        raise ParameterError("dest", str(dest), "is in a folder that does not exist",
                             "create the folder first, or give an existing one")
    return dest.absolute()


@contextmanager
def _scratch(dest: Path) -> Iterator[Path]:
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.stem}.", suffix=".part", dir=dest.parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _place(new: Path, target: Path) -> None:
    """Move the new media folder into place, replacing an earlier export's."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.replace(old)
    new.replace(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- contact sheets ---------------------------------------------------------------

_COLUMNS, _CELL_W, _FRAME_H, _TEXT_H, _PAD = 3, 420, 236, 150, 24


def export_contact_sheet(timeline: Timeline, dest: Path) -> Path:
    """A contact sheet: per shot its number, frame, duration and camera move, description
    and dialogue. ``.png``: one image; ``.pdf``: A4 landscape pages of 2 rows of 3."""
    suffix = dest.suffix.lower()
    if suffix not in (".png", ".pdf"):
        raise ParameterError("dest", str(dest), "is not a .png or .pdf file",
                             "name the contact sheet like board.png or board.pdf")
    cells = [_cell(timeline, i) for i in range(len(timeline.shots))]
    with _scratch(dest) as scratch:
        written = scratch / dest.name
        if suffix == ".png":
            _page(timeline, cells, 0, len(timeline.shots)).save(written, "PNG")
        else:
            per_page = _COLUMNS * 2
            pages = [_page(timeline, cells[i:i + per_page], i, len(timeline.shots), a4=True)
                     for i in range(0, max(1, len(cells)), per_page)]
            first, *rest = [p.convert("RGB") for p in pages]
            first.save(written, "PDF", save_all=True, append_images=rest, resolution=150.0)
        os.replace(written, dest)
    return dest


def _font(size: int, face: str = "Inter-Regular.otf") -> Any:
    from importlib.resources import files

    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(files("genloom.resources").joinpath("fonts").joinpath(face)), size)
    except OSError:
        return ImageFont.load_default()


def _cell(timeline: Timeline, index: int) -> Any:
    """One shot's cell: the frame (letterboxed), then number, timing, description, line."""
    from PIL import Image, ImageDraw

    from genloom.core.boards.media import picture_frame

    shot = timeline.shots[index]
    cell = Image.new("RGB", (_CELL_W, _FRAME_H + _TEXT_H), "white")
    draw = ImageDraw.Draw(cell)
    draw.rectangle((0, 0, _CELL_W - 1, _FRAME_H - 1), fill="#202020")
    item = timeline.pictures[index]
    if item is not None:
        frame = picture_frame(item.kind, item.path)
        scale = min(_CELL_W / frame.width, _FRAME_H / frame.height)
        frame = frame.resize((max(1, round(frame.width * scale)), max(1, round(frame.height * scale))),
                             Image.Resampling.LANCZOS)
        cell.paste(frame, ((_CELL_W - frame.width) // 2, (_FRAME_H - frame.height) // 2))
    else:
        draw.text((_CELL_W // 2, _FRAME_H // 2), "no picture take", fill="#aaaaaa",
                  font=_font(18), anchor="mm")
    y = _FRAME_H + 8
    draw.text((0, y), f"{shot.number}", fill="black", font=_font(22, "Inter-SemiBold.otf"))
    draw.text((_CELL_W, y + 4), f"{shot.duration:g} s  {shot.camera}", fill="#555555",
              font=_font(16), anchor="ra")
    y += 32
    for line in textwrap.wrap(shot.description, 46)[:3]:
        draw.text((0, y), line, fill="black", font=_font(16))
        y += 21
    if shot.dialogue:
        said = f"{shot.character}: {shot.dialogue}" if shot.character else shot.dialogue
        for line in textwrap.wrap(said, 48)[:2]:
            draw.text((0, y), line, fill="#1f4e99", font=_font(15, "Inter-Italic.otf"))
            y += 20
    return cell


def _page(timeline: Timeline, cells: list[Any], first: int, total: int, a4: bool = False) -> Any:
    from PIL import Image, ImageDraw

    rows = max(1, (len(cells) + _COLUMNS - 1) // _COLUMNS)
    width = _COLUMNS * _CELL_W + (_COLUMNS + 1) * _PAD
    header = 70
    height = header + rows * (_FRAME_H + _TEXT_H) + (rows + 1) * _PAD
    if a4:
        height = max(height, int(width * 210 / 297))
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    board = timeline.board
    minutes, seconds = divmod(timeline.duration, 60)
    draw.text((_PAD, 20), board.name, fill="black", font=_font(30, "Inter-SemiBold.otf"))
    info = (f"{total} shots, {int(minutes)}:{seconds:04.1f}"
            + (f"  (shots {first + 1}-{first + len(cells)})" if a4 else ""))
    draw.text((width - _PAD, 30), info, fill="#555555", font=_font(18), anchor="ra")
    for n, cell in enumerate(cells):
        row, column = divmod(n, _COLUMNS)
        x = _PAD + column * (_CELL_W + _PAD)
        y = header + _PAD + row * (_FRAME_H + _TEXT_H + _PAD)
        page.paste(cell, (x, y))
    return page
