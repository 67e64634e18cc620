"""Real media for the storyboard tests: stills, a clip, speech-like tones and a music bed."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from genloom.core.boards import Boards
from genloom.core.project import Project


def png(colour: tuple[int, int, int], size: tuple[int, int] = (96, 64)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).rectangle((size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2),
                                    fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def wav(seconds: float, freq: float, rate: int = 22050, level: float = 0.5) -> bytes:
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    buffer = io.BytesIO()
    soundfile.write(buffer, (level * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate,
                    format="WAV")
    return buffer.getvalue()


def clip(project: Project, seconds: float, tmp_path: Any) -> int:
    from genloom.sdk.video import write_video

    frames = [np.full((48, 64, 3), (i * 20) % 255, np.uint8) for i in range(int(seconds * 8))]
    path = tmp_path / "clip.mp4"
    write_video(path, frames, 8)
    return project.add_asset(path, kind="video", suffix=".mp4").id


def storyboard(project: Project, tmp_path: Any, shots: int = 4) -> tuple[Boards, int]:
    """A board of ``shots`` shots: stills (the second a clip), a voice line on the first and
    third, and a music bed from the first."""
    boards = Boards(project)
    board = boards.create("Harbour at dawn")
    moves = ["zoom-in", "static", "pan-left", "zoom-out", "tilt-up", "pan-right"]
    ids = boards.add_shots(board.id, [
        {"description": f"shot {i}: the harbour", "duration": 1.0 + 0.5 * (i % 3),
         "camera": moves[i % len(moves)], "dialogue": "Morning." if i % 2 == 0 else "",
         "character": "ANNA" if i % 2 == 0 else ""} for i in range(shots)])
    for i, shot_id in enumerate(ids):
        if i == 1:
            boards.add_take(shot_id, clip(project, 0.75, tmp_path))
        else:
            picture = project.add_asset(png((40 * i % 255, 90, 160)), kind="image", suffix=".png")
            boards.add_take(shot_id, picture.id)
        if i % 2 == 0:
            voice = project.add_asset(wav(0.6, 300 + 20 * i), kind="audio", suffix=".wav")
            boards.add_take(shot_id, voice.id)
    music = project.add_asset(wav(1.5, 110, level=0.3), kind="audio", suffix=".wav")
    boards.add_take(ids[0], music.id, track="music")
    return boards, board.id
