"""A board's timeline: its shots in order with their selected takes, placed in time.

One owner for where each shot starts, how long a take plays and which media a cut
or an export uses; :mod:`.render` and :mod:`.exchange` both read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.boards.media import media_duration

if TYPE_CHECKING:
    from genloom.core.boards.model import Board, Shot, Take
    from genloom.core.boards.store import Boards

__all__ = ["Placed", "Timeline", "board_timeline"]


@dataclass(frozen=True)
class Placed:
    """A selected take placed on the timeline: ``start`` on the board, ``length`` it plays
    for (seconds), ``media`` its file's own length (None for a still)."""

    take: Take
    kind: str
    path: Path
    start: float
    length: float
    media: float | None


@dataclass
class Timeline:
    board: Board
    shots: list[Shot]
    starts: list[float]
    pictures: list[Placed | None] = field(default_factory=list)
    voices: list[Placed] = field(default_factory=list)
    music: list[Placed] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.shots)

    @property
    def takes(self) -> list[Take]:
        """Every take the cut uses, in timeline order (picture, voice, music)."""
        placed = [p for p in self.pictures if p is not None] + self.voices + self.music
        return [p.take for p in sorted(placed, key=lambda p: (p.start, _ORDER[p.take.track]))]

    def to_dict(self) -> dict[str, Any]:
        def item(p: Placed) -> dict[str, Any]:
            return {"take": p.take.id, "asset": p.take.asset_id, "shot": p.take.shot_id,
                    "kind": p.kind, "start": p.start, "length": p.length, "media": p.media}

        return {"board": self.board.id, "duration": self.duration,
                "shots": [{"id": s.id, "number": s.number, "start": t, "duration": s.duration,
                           "camera": s.camera, "description": s.description,
                           "dialogue": s.dialogue, "character": s.character}
                          for s, t in zip(self.shots, self.starts, strict=True)],
                "pictures": [item(p) if p else None for p in self.pictures],
                "voices": [item(p) for p in self.voices], "music": [item(p) for p in self.music]}


_ORDER = {"picture": 0, "voice": 1, "music": 2}


def board_timeline(boards: Boards, board_id: int) -> Timeline:
    """The board's shots with their selected takes, each file checked against its hash.

    A voice take plays from its shot's start for its own length (cut at the board's
    end); a music take from its shot's start until the next shot with a selected music
    take, or the end (looped by the cut). A picture plays for its shot's duration.
    """
    project = boards.project
    board = boards.get(board_id)
    shots = boards.shots(board_id)
    starts: list[float] = []
    at = 0.0
    for shot in shots:
        starts.append(round(at, 6))
        at += shot.duration
    end = at
    timeline = Timeline(board, shots, starts)

    def place(take: Take, start: float, length: float) -> Placed:
        asset = project.get_asset(take.asset_id)
        path = project.verified_path(asset)
        return Placed(take, asset.kind, path, start, length, media_duration(asset, path))

    music_starts = [(i, s.selected("music")) for i, s in enumerate(shots) if s.selected("music")]
    for index, shot in enumerate(shots):
        picture = shot.selected("picture")
        timeline.pictures.append(place(picture, starts[index], shot.duration) if picture else None)
        voice = shot.selected("voice")
        if voice is not None:
            placed = place(voice, starts[index], 0.0)
            length = min(placed.media or 0.0, end - starts[index])
            timeline.voices.append(Placed(voice, placed.kind, placed.path, placed.start, length,
                                          placed.media))
    for n, (index, take) in enumerate(music_starts):
        assert take is not None
        until = starts[music_starts[n + 1][0]] if n + 1 < len(music_starts) else end
        timeline.music.append(place(take, starts[index], until - starts[index]))
    return timeline
