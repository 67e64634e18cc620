"""Paths inside a project, derived from content and checked, never taken from data.

A project folder may come from someone else (an archive, a network share, a
colleague's drive), so its database rows are not believed about where files
are: an asset's file is always ``assets/<2 hex>/<sha256><suffix>``, computed
from the row's hash and suffix after both are checked, and every folder on the
way from the project root to the file must be a real folder, not a symbolic
link that would lead a read, write or delete somewhere else.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from genloom.core.project.errors import UnsafePathError
from genloom.core.project.files import content_path, normalise_suffix

__all__ = ["checked_inside", "derived_path", "is_sha256"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def is_sha256(digest: object) -> bool:
    """True for a lower-case hex sha256 digest (64 characters)."""
    return isinstance(digest, str) and bool(_SHA256.match(digest))


def derived_path(digest: str, suffix: str) -> str:
    """The project-relative path of the content ``digest`` + ``suffix``.

    Raises :class:`ValueError` naming the value when either is not what
    Genloom writes (a crafted row such as ``hash = '../../x'``).
    """
    if not is_sha256(digest):
        raise ValueError(f"hash {digest!r:.80} is not a sha256 digest")
    return content_path(digest, normalise_suffix(str(suffix)))


def checked_inside(root: Path, rel: str) -> Path:
    """``root / rel``, after checking that nothing below ``root`` on the way is a link.

    ``rel`` must be a relative POSIX path without ``..``. Each component that
    exists is ``lstat``-ed: a symbolic link (or a file where a folder should
    be) raises :class:`UnsafePathError`; the last component, when it exists,
    must be a regular file or a folder. Components that do not exist yet are
    fine (a file about to be written). ``root`` itself may be reached through a
    link: that is where the user chose to keep the project.
    """
    parts = rel.split("/")
    if rel.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise UnsafePathError(rel, "it is not a plain path inside the project")
    # Joined as strings, not Paths: this runs several times for every asset added, and
    # building a Path per component cost more than the lstat calls themselves.
    current = os.fspath(root)
    last = len(parts) - 1
    for index, part in enumerate(parts):
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            break
        except OSError as exc:
            raise UnsafePathError(Path(current), f"it cannot be examined ({exc.strerror})") from None
        if stat.S_ISLNK(mode):
            raise UnsafePathError(Path(current), f"it is a symbolic link to {_target(current)}")
        if index < last and not stat.S_ISDIR(mode):
            raise UnsafePathError(Path(current), "it should be a folder but is not")
        if index == last and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafePathError(Path(current), "it is not a regular file (a device, pipe or socket)")
    return root.joinpath(*parts)


def _target(link: str) -> str:
    try:
        return os.readlink(link)
    except OSError:
        return "somewhere else"
