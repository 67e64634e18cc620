"""Errors of the storyboards, each a message for the user naming the item and the fix."""

from __future__ import annotations

from collections.abc import Sequence

from genloom.core.project.errors import ProjectError

__all__ = ["BoardError", "BoardNotFoundError", "ScriptError", "ShotNotFoundError",
           "TakeNotFoundError"]


class BoardError(ProjectError):
    """Base class of the storyboards' errors."""


class BoardNotFoundError(BoardError, LookupError):
    """No board has the given id."""

    def __init__(self, board_id: object) -> None:
        self.board_id = board_id
        super().__init__(f"no board with id {board_id!r} in this project; list the boards "
                         "with `genloom board list`")


class ShotNotFoundError(BoardError, LookupError):
    """No shot has the given id (or it was removed)."""

    def __init__(self, shot_id: object) -> None:
        self.shot_id = shot_id
        super().__init__(f"no shot with id {shot_id!r} in this project (removed, or never "
                         "there); see a board's shots with `genloom board show BOARD`")


class TakeNotFoundError(BoardError, LookupError):
    """No take has the given id (its asset may have been deleted)."""

    def __init__(self, take_id: object) -> None:
        self.take_id = take_id
        super().__init__(f"no take with id {take_id!r} in this project (removed, or its asset "
                         "was deleted); list a shot's takes with `genloom board takes SHOT`")


class ScriptError(BoardError, ValueError):
    """A script (Fountain, list, CSV) that cannot be imported; nothing was made.

    ``problems`` holds ``(line number, message)`` pairs, line numbers from 1.
    """

    def __init__(self, source: str, problems: Sequence[tuple[int, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "\n".join(f"  {source}:{line}: {message}" for line, message in self.problems[:20])
        more = len(self.problems) - 20
        extra = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{source} cannot be imported ({len(self.problems)} problem"
                         f"{'s' if len(self.problems) != 1 else ''}); no board was made. Fix "
                         f"these lines and import again:\n{shown}{extra}")
