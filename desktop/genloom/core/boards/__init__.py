"""Storyboards: boards of ordered shots, takes per track, script import, a draft cut and
exchange with editors. No Qt: the Storyboard view, the CLI and an API present these.

- :mod:`.model`: the records (:class:`Board`, :class:`Shot`, :class:`Take`,
  :class:`BoardStyle`) and the rules on their values (durations, camera moves, tracks).
- :mod:`.store`: :class:`Boards`, a project's boards in its database, with an undo log.
- :mod:`.script`: Fountain, plain-list and CSV import.
- :mod:`.takes`: queueing take jobs through the engine with the board's style.
- :mod:`.cut`: the draft-cut plan and its render job; :mod:`.render` renders it (worker).
- :mod:`.exchange`: OpenTimelineIO, EDL, FCP7 XML and FCPXML export; contact sheets.
"""

from __future__ import annotations

from genloom.core.boards.errors import (
    BoardError,
    BoardNotFoundError,
    ScriptError,
    ShotNotFoundError,
    TakeNotFoundError,
)
from genloom.core.boards.model import (
    CAMERA_MOVES,
    TRACKS,
    Board,
    BoardStyle,
    Shot,
    Take,
)
from genloom.core.boards.store import Boards, boards_of

__all__ = [
    "CAMERA_MOVES",
    "TRACKS",
    "Board",
    "BoardError",
    "BoardNotFoundError",
    "BoardStyle",
    "Boards",
    "ScriptError",
    "Shot",
    "ShotNotFoundError",
    "Take",
    "TakeNotFoundError",
    "boards_of",
]
