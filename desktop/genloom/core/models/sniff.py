"""Telling a model file by its first bytes when its name does not say what it is.

A renamed download (``model.safetensors.bak``), a file saved without a suffix
or with an app's own (``.lora``, ``.part``) is still a model the user will
look for. A file whose suffix is neither a model's nor a known non-model
one (:data:`NON_MODEL_SUFFIXES`) and that is at least :data:`MIN_SNIFF_BYTES`
long has its start read once, and is a candidate when it is:

- safetensors: an 8-byte little-endian header length that fits in the file,
  followed by a JSON object (read in full: a header is a few KB to a few MB);
- GGUF: the magic ``GGUF`` and a version from 1 to 255;
- ONNX: a ``ModelProto`` starting with ``ir_version`` (field 1, a varint of
  1 to 127) followed by one of the next fields (producer, domain, model
  version, doc string, graph), as every ONNX writer orders them;
- a PyTorch zip (``torch.save``): a zip whose first entry is
  ``<name>/data.pkl`` (its local header names it; nothing is unzipped);
- a legacy PyTorch pickle: the pickled magic number ``torch.save`` writes first.

Pickles are recognised by those bytes only and never opened further. Other
pickles (a bare protocol header says little) and other formats are not
models here. Results are cached by path, size and mtime in the index, so an
unchanged file is read only once.
"""

from __future__ import annotations

import json
import struct
from typing import BinaryIO

from genloom.sdk.formats import GGUF_MAGIC

__all__ = ["FORMAT_SUFFIX", "MIN_SNIFF_BYTES", "NON_MODEL_SUFFIXES", "SniffCache", "sniff_model_format"]

#: Files shorter than this are not read: no weight file is this small, but
#: configs, notes, lock files and markers (``put_loras_here``) are.
MIN_SNIFF_BYTES = 1024

#: Suffixes of files that are never a model on their own, skipped without a ``stat``.
NON_MODEL_SUFFIXES = frozenset({
    # images, video, audio
    ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".ico", ".svg", ".heic", ".avif",
    ".psd", ".mp4", ".webm", ".mkv", ".mov", ".avi", ".mp3", ".wav", ".flac", ".ogg", ".m4a",
    # text, documents, configuration, data
    ".txt", ".md", ".rst", ".html", ".htm", ".pdf", ".csv", ".tsv", ".log", ".json", ".jsonl", ".yaml",
    ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".lock", ".civitai", ".info",
    ".db", ".sqlite", ".sqlite3", ".db-wal", ".db-shm", ".db-journal", ".sqlite-wal", ".sqlite-shm",
    ".sqlite-journal",
    # code and build output
    ".py", ".pyc", ".pyi", ".pyd", ".ipynb", ".js", ".mjs", ".ts", ".css", ".c", ".h", ".cpp", ".hpp",
    ".cu", ".rs", ".go", ".java", ".sh", ".bat", ".ps1", ".cmd", ".so", ".dll", ".dylib", ".exe", ".o",
    # archives (a model inside one is not usable in place)
    ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".whl",
})

#: The suffix a file in each sniffed format would normally have.
FORMAT_SUFFIX = {"safetensors": ".safetensors", "gguf": ".gguf", "onnx": ".onnx",
                 "torch-zip": ".pt", "torch-legacy": ".pt"}

_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024
# pickle protocol 2, LONG1 of 10 bytes: torch.serialization's MAGIC_NUMBER
_TORCH_LEGACY = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
# ModelProto tags after ir_version: producer_name (2), producer_version (3),
# domain (4), model_version (5, varint), doc_string (6), graph (7)
_ONNX_NEXT_TAGS = frozenset({0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A})


def sniff_model_format(path: str, size: int) -> str:
    """The model format of the file at ``path`` from its first bytes, or "" when it is not one.

    ``size`` is the file's size (from the walk's ``stat``). Returns
    ``"safetensors"``, ``"gguf"``, ``"onnx"``, ``"torch-zip"`` or
    ``"torch-legacy"``. A file that cannot be read is not a model (""); the
    walk reports unreadable files elsewhere.
    """
    if size < MIN_SNIFF_BYTES:
        return ""
    try:
        with open(path, "rb") as handle:
            return _sniff(handle, size)
    except OSError:
        return ""


def _sniff(handle: BinaryIO, size: int) -> str:
    start = handle.read(64)
    if len(start) < 8:
        return ""
    (length,) = struct.unpack("<Q", start[:8])
    if 2 <= length <= min(_SAFETENSORS_MAX_HEADER, size - 8) and start[8:9] == b"{":
        handle.seek(8)
        return "safetensors" if _json_object(handle.read(length)) else ""
    if start[:4] == GGUF_MAGIC and 1 <= struct.unpack("<I", start[4:8])[0] <= 255:
        return "gguf"
    if start[0] == 0x08 and 1 <= start[1] <= 127 and start[2] in _ONNX_NEXT_TAGS:
        return "onnx"
    if start.startswith(_TORCH_LEGACY):
        return "torch-legacy"
    if start[:4] == b"PK\x03\x04" and len(start) >= 30:
        name_length = struct.unpack("<H", start[26:28])[0]
        handle.seek(30)
        name = handle.read(name_length)
        if len(name) == name_length and name.endswith(b"/data.pkl") and name.count(b"/") == 1:
            return "torch-zip"
    return ""


def _json_object(raw: bytes) -> bool:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(header, dict) and all(isinstance(v, dict) for v in header.values())


class SniffCache:
    """Sniff results by path, size and mtime: an unchanged file is read only once.

    ``known`` is loaded from the index (``path -> (size, mtime_ns, format)``);
    ``new`` collects the rows to write back; ``reads`` counts files actually read.
    """

    def __init__(self, known: dict[str, tuple[int, int, str]] | None = None) -> None:
        self.known = dict(known or {})
        self.new: list[tuple[str, int, int, str]] = []
        self.reads = 0

    def format_of(self, path: str, size: int, mtime_ns: int) -> str:
        """:func:`sniff_model_format` of the file, from the cache when its size and mtime are unchanged."""
        if size < MIN_SNIFF_BYTES:
            return ""  # decided by the stat alone; nothing to remember
        cached = self.known.get(path)
        if cached is not None and cached[0] == size and cached[1] == mtime_ns:
            return cached[2]
        found = sniff_model_format(path, size)
        self.reads += 1
        self.known[path] = (size, mtime_ns, found)
        self.new.append((path, size, mtime_ns, found))
        return found
