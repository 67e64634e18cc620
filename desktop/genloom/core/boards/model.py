"""The storyboard records and the one place their value rules live.

A board is an ordered list of shots; a shot's number is its place in that order
(1, 2, ...), so reordering renumbers. A take is an existing asset linked to one of a
shot's tracks (:data:`TRACKS`); one take per track is selected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from genloom.sdk.errors import ParameterError
from genloom.sdk.spec import check_seed

__all__ = [
    "CAMERA_MOVES",
    "DEFAULT_DURATION",
    "MAX_DURATION",
    "MIN_DURATION",
    "SEED_POLICIES",
    "SHOT_FIELDS",
    "TRACKS",
    "TRACK_KINDS",
    "Board",
    "BoardStyle",
    "Shot",
    "Take",
    "check_shot_values",
    "track_for_kind",
]

#: A shot's tracks, in the order a cut stacks them.
TRACKS = ("picture", "voice", "music")
#: Which asset kinds each track takes.
TRACK_KINDS: dict[str, tuple[str, ...]] = {
    "picture": ("image", "video"), "voice": ("audio",), "music": ("audio",)}
#: Camera moves a still is animated with in the cut (and asked of a video generator).
CAMERA_MOVES = ("static", "pan-left", "pan-right", "tilt-up", "tilt-down", "zoom-in", "zoom-out")
#: Shot durations, in seconds.
MIN_DURATION, MAX_DURATION, DEFAULT_DURATION = 0.5, 600.0, 3.0
#: ``fixed``: one seed for every shot (a consistent look); ``per-shot``: a new seed each.
SEED_POLICIES = ("fixed", "per-shot")
#: The fields of a shot a user edits.
SHOT_FIELDS = ("description", "duration", "camera", "dialogue", "character", "notes", "scene")
_TEXT_LIMIT = 20_000


@dataclass(frozen=True)
class BoardStyle:
    """Board-wide settings for generating takes.

    ``style_suffix`` is appended to every shot's prompt; ``negative_prompt`` goes
    to generators that take one. ``image_generator``/``video_generator``/
    ``voice_generator``/``music_generator`` are generator ids ('' = the default the board picks from
    what is installed; ``video_generator`` ``none``: keyframes without motion clips),
    ``*_model`` model names ('' = the generator's default).
    ``seed_policy`` with ``seed``: ``fixed`` passes ``seed`` (or one drawn once
    and kept) to every shot; ``per-shot`` lets the engine draw one per job.
    """

    style_suffix: str = ""
    negative_prompt: str = ""
    image_generator: str = ""
    image_model: str = ""
    video_generator: str = ""
    video_model: str = ""
    voice_generator: str = ""
    voice_model: str = ""
    music_generator: str = ""
    music_model: str = ""
    seed_policy: str = "fixed"
    seed: int | None = None
    width: int = 0
    height: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoardStyle:
        """A style from stored or user data; unknown keys are refused with the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParameterError("style", unknown[0], "is not a board style setting",
                                 f"use one of {', '.join(sorted(known))}")
        return cls().changed(**dict(data))

    def changed(self, **changes: Any) -> BoardStyle:
        """A copy with ``changes``, each checked."""
        for name, value in changes.items():
            if name == "seed_policy" and value not in SEED_POLICIES:
                raise ParameterError("seed_policy", value, "is not a seed policy",
                                     f"use {' or '.join(SEED_POLICIES)}")
            elif name == "seed":
                changes[name] = check_seed(value)
            elif name in ("width", "height"):
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 8192:
                    raise ParameterError(name, value, "is not a size in pixels",
                                         "give a whole number from 0 (the generator's default) "
                                         "to 8192")
            elif name in {f.name for f in fields(self)} and not isinstance(value, str):
                raise ParameterError(name, value, "is not text", "give it as a string")
        return replace(self, **changes)


@dataclass(frozen=True)
class Board:
    """A storyboard: a name, its style and (through :class:`Boards`) its shots."""

    id: int
    name: str
    created: float
    style: BoardStyle = field(default_factory=BoardStyle)
    shot_count: int = 0
    duration: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created": self.created,
                "style": self.style.to_dict(), "shot_count": self.shot_count,
                "duration": round(self.duration, 3)}


@dataclass(frozen=True)
class Take:
    """An asset linked to a shot's track; ``selected`` is the one the cut uses."""

    id: int
    shot_id: int
    track: str
    asset_id: int
    kind: str
    selected: bool
    created: float
    job_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shot:
    """One shot: ``number`` is its place on the board (from 1)."""

    id: int
    board_id: int
    number: int
    description: str = ""
    duration: float = DEFAULT_DURATION
    camera: str = "static"
    dialogue: str = ""
    character: str = ""
    notes: str = ""
    scene: str = ""
    takes: tuple[Take, ...] = ()

    def selected(self, track: str) -> Take | None:
        """The selected take of ``track``, if any."""
        return next((t for t in self.takes if t.track == track and t.selected), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["takes"] = [t.to_dict() for t in self.takes]
        return data


def check_shot_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (some of :data:`SHOT_FIELDS`) checked and normalised; raises ParameterError."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name not in SHOT_FIELDS:
            raise ParameterError(name, value, "is not a shot field",
                                 f"use one of {', '.join(SHOT_FIELDS)}")
        if name == "duration":
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                raise ParameterError("duration", value, "is not a number of seconds",
                                     "give it like 3 or 2.5") from None
            if not math.isfinite(seconds) or not MIN_DURATION <= seconds <= MAX_DURATION:
                raise ParameterError("duration", value, "is out of range",
                                     f"give {MIN_DURATION:g} to {MAX_DURATION:g} seconds")
            checked[name] = round(seconds, 3)
        elif name == "camera":
            move = str(value).strip().lower().replace("_", "-").replace(" ", "-")
            if move not in CAMERA_MOVES:
                raise ParameterError("camera", value, "is not a camera move",
                                     f"use one of {', '.join(CAMERA_MOVES)}")
            checked[name] = move
        else:
            if not isinstance(value, str):
                raise ParameterError(name, value, "is not text", "give it as a string")
            if len(value) > _TEXT_LIMIT:
                raise ParameterError(name, f"{value[:30]}...", f"is longer than {_TEXT_LIMIT} "
                                     "characters", "shorten it")
            checked[name] = value.strip()
    return checked


def track_for_kind(kind: str, track: str | None) -> str:
    """The track an asset of ``kind`` goes on: ``track`` checked, or the kind's default."""
    if track is None:
        track = "picture" if kind in TRACK_KINDS["picture"] else "voice"
    if track not in TRACKS:
        raise ParameterError("track", track, "is not a track", f"use one of {', '.join(TRACKS)}")
    if kind not in TRACK_KINDS[track]:
        raise ParameterError("track", track, f"does not take {kind} assets",
                             f"the {track} track takes {' or '.join(TRACK_KINDS[track])} assets")
    return track
