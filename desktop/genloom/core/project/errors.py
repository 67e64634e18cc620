"""Errors of the project store, each a message for the user.

Every message names the project or the item, shows the offending value and
says what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from genloom.sdk.errors import GenloomError, Remedy

__all__ = [
    "AssetNotFoundError",
    "DamagedAssetError",
    "DamagedProjectError",
    "JobNotFoundError",
    "JobStateError",
    "ProjectError",
    "ProjectExistsError",
    "ProjectNotFoundError",
    "SchemaTooNewError",
    "UnsafePathError",
]


class ProjectError(GenloomError):
    """Base class of the project store's errors."""


class ProjectNotFoundError(ProjectError):
    """The folder is not a Genloom project: it has no ``genloom.db``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            problem = f"no Genloom project at {path}: the folder does not exist"
        elif not path.is_dir():
            problem = f"no Genloom project at {path}: it is a file, not a project folder"
        else:
            problem = f"no Genloom project at {path}: the folder has no genloom.db"
        super().__init__(f"{problem}; open the folder that holds genloom.db instead",
                         remedy=Remedy("create_project", str(path)))


class ProjectExistsError(ProjectError):
    """A project already exists where a new one was to be created."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"a Genloom project already exists at {path} (it has a genloom.db). "
                         "Open it instead, or choose an empty folder for the new project.")


class SchemaTooNewError(ProjectError):
    """The database was written by a newer Genloom; it is left untouched."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        self.path = path
        self.found = found
        self.supported = supported
        super().__init__(f"project {path} was saved by a newer Genloom (schema {found}; "
                         f"this version reads up to {supported}). Update Genloom to open it.")


class DamagedProjectError(ProjectError):
    """The project's database is empty, foreign or unreadable while the folder holds assets.

    Opening it would treat every asset file as unused, so it is refused and
    nothing is touched.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"project {path} is damaged: {problem}. Nothing was changed; restore "
                         "genloom.db from a backup (the files under assets/ were not touched), "
                         "or copy the files elsewhere and start a new project.")


class UnsafePathError(ProjectError):
    """A path in the project leads outside it (a symbolic link, a crafted row)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = path
        super().__init__(f"refusing to use {path}: {problem}. Genloom reads, writes and deletes "
                         "only real files inside the project folder; replace the link with the "
                         "folder itself.", remedy=Remedy("check_project"))


class DamagedAssetError(ProjectError):
    """An asset's file no longer holds the content its row names (or its row is crafted)."""

    def __init__(self, asset_id: int, path: Path | str, problem: str) -> None:
        self.asset_id = asset_id
        self.path = path
        super().__init__(f"asset {asset_id}'s file {path} {problem}. Restore the file from a "
                         "backup, or delete the asset.", remedy=Remedy("check_project"))


class AssetNotFoundError(ProjectError, LookupError):
    """No asset has the given id."""

    def __init__(self, asset_id: int, path: Path | None = None) -> None:
        self.asset_id = asset_id
        where = f" in project {path}" if path is not None else ""
        super().__init__(f"no asset with id {asset_id!r}{where}: it was deleted or never existed",
                         remedy=Remedy("list_assets"))


class JobNotFoundError(ProjectError, LookupError):
    """No job has the given id."""

    def __init__(self, job_id: int, path: Path | None = None) -> None:
        self.job_id = job_id
        where = f" in project {path}" if path is not None else ""
        super().__init__(f"no job with id {job_id!r}{where}", remedy=Remedy("list_jobs"))


class JobStateError(ProjectError):
    """An action that the job's current state does not allow."""

    def __init__(self, job_id: int, state: str, action: str, allowed: Sequence[str]) -> None:
        self.job_id = job_id
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        super().__init__(f"cannot {action} job {job_id}: it is {state}; only "
                         f"{' or '.join(self.allowed)} jobs can be {_past(action)}")


def _past(action: str) -> str:
    irregular = {"retry": "retried", "move": "moved", "cancel": "cancelled",
                 "finish": "finished", "fail": "failed", "mark cancelled": "marked cancelled",
                 "release": "released"}
    return irregular.get(action, action + "ed")
