"""Bringing a new asset's bytes into the store: stage first, place under the write lock.

:func:`stage` does the slow part outside any lock: it hashes the content and,
unless the store already holds the same content, writes it to an fsynced temp
file in ``tmp/`` (or, for ``move=True`` on the same filesystem, uses the
caller's file as it is). :meth:`Staged.place` runs inside the write
transaction, just before the row is inserted: it renames the staged file into
``assets/`` (a metadata-only step). Because placing and deleting both happen
under the database write lock, a concurrent delete of the last row using the
same file can never remove a file that a new row is about to reference.

Content "already in the store" is believed only after its sha256 is checked:
a file damaged in place (same size, other bytes) is replaced by the good
content rather than shared by the new row. The target path is checked to have
no symbolic link on the way, so a crafted ``assets/`` cannot send a write
elsewhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genloom.core.project.errors import UnsafePathError
from genloom.core.project.files import (
    content_path,
    copy_hashing,
    fsync_file,
    hash_bytes,
    hash_file,
    place,
    write_temp,
)
from genloom.core.project.safe_paths import checked_inside

__all__ = ["Staged", "stage"]


@dataclass
class Staged:
    """Content ready to be placed at its content-addressed path."""

    root: Path
    tmp_dir: Path
    hash: str
    size: int
    suffix: str
    data: bytes | None = None        # the content, when the source was bytes
    source: Path | None = None       # the caller's file, when the source was a path
    move: bool = False               # the caller gives ``source`` up
    staged: Path | None = None       # an fsynced file to rename into place
    staged_is_temp: bool = False     # ``staged`` is our own temp (not the caller's file)

    @property
    def rel_path(self) -> str:
        """The project-relative POSIX path the content lives at."""
        return content_path(self.hash, self.suffix)

    @property
    def target(self) -> Path:
        """The absolute path the content lives at (checked: no link on the way)."""
        return checked_inside(self.root, self.rel_path)

    def place(self) -> None:
        """Make sure the content is at :attr:`target`. Call with the write lock held.

        When :func:`stage` found the content intact in the store, nothing is
        staged and only the size is looked at again (a concurrent delete may
        have taken it since); otherwise the staged file replaces whatever is there.
        """
        target = self.target
        if self.staged is None and _same_size(target, self.size):
            return
        if self.staged is None:  # a concurrent delete took the file after stage() saw it
            self._stage_now()
        assert self.staged is not None
        place(self.staged, target)
        self.staged = None

    def _stage_now(self) -> None:
        if self.data is not None:
            self.staged, _, _ = write_temp(self.tmp_dir, self.suffix, [self.data])
        else:
            assert self.source is not None
            self.staged, _, _ = copy_hashing(self.source, self.tmp_dir, self.suffix)
        self.staged_is_temp = True

    def finish(self) -> None:
        """After the row is committed: drop what is no longer needed."""
        if self.staged is not None and self.staged_is_temp:
            self.staged.unlink(missing_ok=True)  # the content was already in place
        if self.move and self.source is not None and self.source.exists() \
                and self.source != self.target:
            self.source.unlink()

    def discard(self) -> None:
        """After a failure: remove our own temp; the caller's file is left alone."""
        if self.staged is not None and self.staged_is_temp:
            self.staged.unlink(missing_ok=True)


def _same_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _intact(path: Path, digest: str, size: int) -> bool:
    """True when ``path`` holds exactly the content ``digest`` (size first: cheap)."""
    if not _same_size(path, size):
        return False
    if path.is_symlink() or not path.is_file():
        raise UnsafePathError(path, "it is not a regular file")
    return hash_file(path) == (digest, size)


def stage(root: Path, tmp_dir: Path, source: bytes | Path, suffix: str,
          move: bool = False) -> Staged:
    """Hash ``source`` and get it ready to place under ``root`` (see the module docstring)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        staged = Staged(root, tmp_dir, hash_bytes(data), len(data), suffix, data=data)
        if not _intact(staged.target, staged.hash, staged.size):
            staged._stage_now()
        return staged
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"source {source} is not a file; pass the path of an existing "
                                "file, or the bytes themselves")
    if move and _same_filesystem(source, tmp_dir):
        digest, size = hash_file(source)
        fsync_file(source)
        staged = Staged(root, tmp_dir, digest, size, suffix, source=source, move=True,
                        staged=source)
        if _intact(staged.target, digest, size):
            staged.staged = None  # finish() still removes the caller's file
        return staged
    temp, digest, size = copy_hashing(source, tmp_dir, suffix)
    staged = Staged(root, tmp_dir, digest, size, suffix, source=source, move=move,
                    staged=temp, staged_is_temp=True)
    if _intact(staged.target, digest, size):
        staged.discard()  # the store has this content intact: nothing to place
        staged.staged = None
    return staged


def _same_filesystem(a: Path, b: Path) -> bool:
    return os.stat(a).st_dev == os.stat(b).st_dev
