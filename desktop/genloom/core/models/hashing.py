"""Content hashes of model files and folders, read in chunks with progress.

A file's hash is its SHA-256, the same value ``sha256sum`` prints and the
Hugging Face Hub shows for LFS files. A folder's hash is the SHA-256 of its
files' relative paths and hashes, so the same model folder has the same hash
wherever it lies.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from genloom.sdk.errors import CancelledError

__all__ = ["CHUNK_SIZE", "folder_hash", "hash_file"]

#: Bytes read per chunk: large enough for full disk throughput, small enough
#: that progress and cancellation are checked several times a second.
CHUNK_SIZE = 4 * 1024 * 1024


def hash_file(path: Path, progress: Callable[[int], None] | None = None,
              cancel: threading.Event | None = None) -> str:
    """The SHA-256 of ``path`` as hex, read in :data:`CHUNK_SIZE` chunks.

    ``progress(n)`` is called with the bytes read since the last call;
    ``cancel`` (when set) stops the read with :class:`CancelledError`.
    hashlib releases the GIL while hashing, so other threads keep running.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"hashing {path} was cancelled")
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
            if progress is not None:
                progress(count)
    return digest.hexdigest()


def folder_hash(entries: Iterable[tuple[str, str]]) -> str:
    """The hash of a folder from ``(relative path, file hash)`` pairs (any order)."""
    digest = hashlib.sha256(b"genloom-folder-v1\n")
    for relative, file_hash in sorted(entries):
        digest.update(f"{relative}\0{file_hash}\n".encode())
    return digest.hexdigest()
