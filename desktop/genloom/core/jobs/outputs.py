"""Checking what a generator says it made before anything is stored.

The worker runs plugin code, so its ``done`` message is untrusted: an output
"path" could name a user's file elsewhere (which a move would take away) or a
symbolic link (which would be stored as a link to, say, ``/etc/hostname``).
Only regular files inside the job's own scratch folder, reached without a
link, are accepted; anything else fails the job and nothing is stored.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core.project.errors import UnsafePathError
from genloom.core.project.files import normalise_suffix
from genloom.core.project.safe_paths import checked_inside
from genloom.sdk import MODALITIES
from genloom.sdk.run import check_title

__all__ = ["CheckedOutput", "OutputRefused", "checked_outputs"]


class OutputRefused(Exception):
    """An output the engine will not store; the message says which and why."""


@dataclass(frozen=True)
class CheckedOutput:
    """One output that passed the checks: a regular file in the job's folder."""

    path: Path
    kind: str
    suffix: str
    metadata: dict[str, Any] = field(default_factory=dict)
    partial: bool = False
    text: str | None = None
    title: str = ""


def checked_outputs(outputs: object, job_folder: Path) -> list[CheckedOutput]:
    """The worker's ``outputs`` list, checked; :class:`OutputRefused` for the first bad one."""
    if outputs is None:
        return []
    if not isinstance(outputs, list):
        raise OutputRefused(f"outputs is {type(outputs).__name__}, not a list")
    return [_check(item, job_folder, index) for index, item in enumerate(outputs)]


def _check(item: object, job_folder: Path, index: int) -> CheckedOutput:
    if not isinstance(item, dict):
        raise OutputRefused(f"output {index} is {type(item).__name__}, not an output record")
    kind, suffix = item.get("kind"), item.get("suffix")
    if kind not in MODALITIES:
        raise OutputRefused(f"output {index} has kind {kind!r}; expected one of "
                            f"{', '.join(MODALITIES)}")
    try:
        suffix = normalise_suffix(str(suffix))
    except ValueError as exc:
        raise OutputRefused(f"output {index}: {exc}") from None
    path = Path(str(item.get("path", "")))
    rel = os.path.relpath(path, job_folder) if path.is_absolute() else ".."
    if rel.startswith(".."):
        raise OutputRefused(f"output {index} ({path}) is outside the job's folder "
                            f"{job_folder}; a generator writes its files in request.output_dir "
                            "(Genloom never moves a file from anywhere else)")
    try:
        checked = checked_inside(job_folder, Path(rel).as_posix())
    except UnsafePathError as exc:
        raise OutputRefused(f"output {index}: {exc}") from None
    try:
        mode = os.lstat(checked).st_mode
    except OSError:
        raise OutputRefused(f"output {index} ({path}) does not exist") from None
    if not stat.S_ISREG(mode):
        raise OutputRefused(f"output {index} ({path}) is not a regular file")
    metadata = item.get("metadata") or {}
    text = item.get("text")
    try:
        title = check_title(item.get("title", ""))
    except ValueError as exc:
        raise OutputRefused(f"output {index}: {exc}") from None
    return CheckedOutput(path=checked, kind=kind, suffix=suffix,
                         metadata=metadata if isinstance(metadata, dict) else {},
                         partial=bool(item.get("partial")),
                         text=text if isinstance(text, str) else None, title=title)
