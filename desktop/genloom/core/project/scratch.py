"""The project's ``tmp/`` folder: scratch space, and what is safe to clear from it.

``tmp/`` is on the same filesystem as ``assets/`` so that finished files can be
renamed into place. Two kinds of things live there: ``.write-*`` files of asset
writes in progress, and per-job scratch folders of the job engine
(``job-<id>-<random>``). Either may belong to another process that is alive
right now. Write temps go after :data:`WRITE_TEMP_MAX_AGE_S` (a write takes
seconds, not minutes). A job's folder goes only when the queue says that job
is not running: age says nothing about a job, which may run for hours without
touching its folder. Anything else goes after :data:`SCRATCH_MAX_AGE_S` since
its newest change.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Collection
from pathlib import Path

from genloom.core.project.files import WRITE_PREFIX

__all__ = ["JOB_FOLDER", "SCRATCH_MAX_AGE_S", "WRITE_TEMP_MAX_AGE_S", "clear_stale",
           "job_folder_name", "newest_mtime", "stale_entries", "stale_write_temps"]

#: A ``.write-`` temp older than this is a leftover of a crashed write.
WRITE_TEMP_MAX_AGE_S = 10 * 60

#: Any other ``tmp/`` entry (not a write temp, not a job's folder) unchanged for this long goes.
SCRATCH_MAX_AGE_S = 60 * 60

#: The name of a job's scratch folder: ``job-<id>-<random>``.
JOB_FOLDER = re.compile(r"^job-(\d+)-")


def job_folder_name(job_id: int, token: str) -> str:
    """The name of job ``job_id``'s scratch folder (``token`` keeps two runs apart)."""
    return f"job-{int(job_id)}-{token}"


def newest_mtime(path: Path) -> float:
    """The newest modification time in ``path``: a file, or a folder and all it holds."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                try:
                    newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
                except OSError:
                    continue
    return newest


def _entries(tmp_dir: Path) -> list[Path]:
    try:
        return sorted(tmp_dir.iterdir())
    except FileNotFoundError:
        return []


def stale_write_temps(tmp_dir: Path, now: float | None = None) -> list[Path]:
    """``.write-`` files in ``tmp_dir`` old enough to be leftovers of a crashed write."""
    now = time.time() if now is None else now
    stale = []
    for entry in _entries(tmp_dir):
        try:
            if entry.name.startswith(WRITE_PREFIX) and \
                    now - entry.lstat().st_mtime > WRITE_TEMP_MAX_AGE_S:
                stale.append(entry)
        except OSError:
            continue
    return stale


def stale_entries(tmp_dir: Path, now: float | None = None,
                  running: Callable[[], Collection[int]] | None = None) -> list[Path]:
    """Every entry of ``tmp_dir`` that no live process can still be using.

    ``running`` returns the ids of the jobs the queue has running; it is called
    after the folder is listed, so a job claimed meanwhile keeps its folder.
    Without it no job folder is taken.
    """
    now = time.time() if now is None else now
    stale = stale_write_temps(tmp_dir, now)
    entries = _entries(tmp_dir)
    running_ids = set(running()) if running is not None else None
    for entry in entries:
        if entry.name.startswith(WRITE_PREFIX):
            continue
        job = JOB_FOLDER.match(entry.name)
        if job is not None:
            if running_ids is not None and int(job.group(1)) not in running_ids:
                stale.append(entry)
            continue
        try:
            if now - newest_mtime(entry) > SCRATCH_MAX_AGE_S:
                stale.append(entry)
        except OSError:
            continue
    return sorted(stale)


def remove_entry(path: Path) -> None:
    """Delete a file or a whole folder; an entry that is already gone is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def clear_stale(tmp_dir: Path, now: float | None = None,
                running: Callable[[], Collection[int]] | None = None) -> list[Path]:
    """Remove the stale entries of ``tmp_dir`` (see :func:`stale_entries`); return them."""
    if tmp_dir.is_symlink():
        return []  # never clear a folder somewhere else
    removed = stale_entries(tmp_dir, now, running)
    for entry in removed:
        remove_entry(entry)
    return removed
