"""The signals a :class:`~genloom.core.project.Project` emits."""

from __future__ import annotations

from genloom.core.events import Signal

__all__ = ["ProjectEvents"]


class ProjectEvents:
    """The project's signals. Callbacks run on the thread that made the change.

    - ``asset_added(asset)``: a new :class:`Asset` was stored.
    - ``asset_changed(asset)``: an asset's rating, notes, title or tags changed;
      the argument is the asset as it is now.
    - ``asset_deleted(asset_id)``: the asset with this id was deleted.
    - ``job_changed(job)``: a job was queued, or changed state, position or
      cancel request; the argument is the :class:`Job` as it is now.
    - ``board_changed(board_id)``: a storyboard, its shots or takes changed
      (``genloom.core.boards``); the board may have been deleted.
    """

    def __init__(self) -> None:
        self.asset_added = Signal("asset_added")
        self.asset_changed = Signal("asset_changed")
        self.asset_deleted = Signal("asset_deleted")
        self.job_changed = Signal("job_changed")
        self.board_changed = Signal("board_changed")
