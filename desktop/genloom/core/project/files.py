"""Content-addressed files, written atomically.

An asset file lives at ``assets/<first 2 hex>/<sha256><suffix>``. Bytes are
first written to a ``tmp/.write-*`` file in the project (same filesystem),
flushed and fsynced, and only then renamed into place, and the folder is
fsynced, so a crash leaves either the whole file or none at ``assets/``. A
``.write-`` file left behind by a crash is garbage by name.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "CHUNK_SIZE",
    "WRITE_PREFIX",
    "content_path",
    "copy_hashing",
    "fsync_dir",
    "fsync_file",
    "hash_bytes",
    "hash_file",
    "make_fan_out",
    "normalise_suffix",
    "place",
    "write_temp",
]

#: Read and hash files in chunks of this many bytes.
CHUNK_SIZE = 1024 * 1024

#: Name prefix of the temporary files of asset writes in ``tmp/``.
WRITE_PREFIX = ".write-"

_SUFFIX = re.compile(r"^(\.[a-z0-9_-]{1,16}){1,2}$")


def normalise_suffix(suffix: str) -> str:
    """``suffix`` lower-cased and checked: a dot and up to 16 letters, digits, ``_`` or ``-``."""
    lowered = suffix.lower()
    if not _SUFFIX.match(lowered):
        raise ValueError(f"suffix {suffix!r} is not a file extension; pass one like '.png' or "
                         "'.txt' (a dot, then 1 to 16 letters, digits, '_' or '-')")
    return lowered


def content_path(digest: str, suffix: str) -> str:
    """The project-relative POSIX path of the file with this sha256 and suffix."""
    return f"assets/{digest[:2]}/{digest}{suffix}"


def hash_bytes(data: bytes) -> str:
    """The sha256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            yield chunk


def hash_file(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and the size of the file at ``path``, read 1 MiB at a time."""
    digest = hashlib.sha256()
    size = 0
    for chunk in _chunks(path):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def fsync_file(path: Path) -> None:
    """Flush a file's data to disk (for a file written by someone else, before a rename)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable. A no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows: a folder cannot be opened; NTFS journals the rename
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_temp(tmp_dir: Path, suffix: str, chunks: Iterable[bytes]) -> tuple[Path, str, int]:
    """Write ``chunks`` to a new ``.write-`` file in ``tmp_dir``, fsynced.

    Returns the file, its sha256 and its size. On any error the file is removed.
    """
    temp = tmp_dir / f"{WRITE_PREFIX}{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(temp, "xb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp, digest.hexdigest(), size


def copy_hashing(source: Path, tmp_dir: Path, suffix: str) -> tuple[Path, str, int]:
    """Copy ``source`` to a new fsynced ``.write-`` file, hashing it in the same pass."""
    return write_temp(tmp_dir, suffix, _chunks(source))


def make_fan_out(assets: Path) -> None:
    """Create the 256 ``assets/<2 hex>/`` folders of a new project, made durable at once.

    Otherwise the first asset in each folder pays a second folder fsync (the new
    folder's entry in ``assets/``) on top of its own: a quarter of the first 1,000
    adds. :func:`place` still creates a missing one (older projects, a removed folder).
    """
    for index in range(256):
        (assets / f"{index:02x}").mkdir(exist_ok=True)
    fsync_dir(assets)


def place(staged: Path, target: Path) -> None:
    """Rename the fsynced file ``staged`` to ``target`` and make the rename durable."""
    folder = target.parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        fsync_dir(folder.parent)
    os.replace(staged, target)
    fsync_dir(folder)

