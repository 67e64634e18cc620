"""The project's ``tmp/`` folder: scratch space, and what is safe to clear from it.

``tmp/`` is on the same filesystem as ``assets/`` so that finished files can be
renamed into place. Two kinds of things live there: ``.write-*`` files of asset
writes in progress, and per-job scratch folders of the job engine. Either may
belong to another process that is alive right now, so only old entries go:
write temps after :data:`WRITE_TEMP_MAX_AGE_S` (a write takes seconds, not
minutes) and anything else after :data:`SCRATCH_MAX_AGE_S` since its newest
change.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from genloom.core.project.files import WRITE_PREFIX

__all__ = ["SCRATCH_MAX_AGE_S", "WRITE_TEMP_MAX_AGE_S", "clear_stale", "newest_mtime",
           "stale_entries", "stale_write_temps"]

#: A ``.write-`` temp older than this is a leftover of a crashed write.
WRITE_TEMP_MAX_AGE_S = 10 * 60

#: Any other ``tmp/`` entry unchanged for this long is a leftover of a dead job.
SCRATCH_MAX_AGE_S = 60 * 60


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


def stale_entries(tmp_dir: Path, now: float | None = None) -> list[Path]:
    """Every entry of ``tmp_dir`` that no live process can still be using."""
    now = time.time() if now is None else now
    stale = stale_write_temps(tmp_dir, now)
    for entry in _entries(tmp_dir):
        try:
            if not entry.name.startswith(WRITE_PREFIX) and \
                    now - newest_mtime(entry) > SCRATCH_MAX_AGE_S:
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


def clear_stale(tmp_dir: Path, now: float | None = None) -> list[Path]:
    """Remove the stale entries of ``tmp_dir``; return what was removed."""
    removed = stale_entries(tmp_dir, now)
    for entry in removed:
        remove_entry(entry)
    return removed
