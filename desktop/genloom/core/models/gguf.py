"""Reading the ``general.*`` metadata of a GGUF file (llama.cpp's format).

Only the header is read: the magic, the version, and key/value pairs until
the general keys are found (they come first in files written by llama.cpp's
tools). Lengths are bounded so a damaged file cannot make this read much.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, BinaryIO

from genloom.sdk.formats import GGUF_MAGIC, ModelFormatError

__all__ = ["read_gguf_metadata"]

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_MAX_STRING = 1 << 20
_MAX_KEYS = 256


def read_gguf_metadata(path: Path, wanted: tuple[str, ...] = ("general.architecture", "general.name",
                                                              "general.license", "general.size_label",
                                                              "general.file_type")) -> dict[str, Any]:
    """The ``wanted`` metadata values present in the GGUF file at ``path``.

    :raises ModelFormatError: the file is not GGUF or its header is damaged.
    """
    path = Path(path)
    found: dict[str, Any] = {}
    with open(path, "rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise ModelFormatError(f"{path} is not a GGUF file (it does not start with 'GGUF')")
        version = _unpack(handle, "<I", path)
        if version < 2:
            raise ModelFormatError(f"{path} is GGUF version {version}; only versions 2 and later are read")
        _unpack(handle, "<Q", path)  # tensor count
        kv_count = _unpack(handle, "<Q", path)
        found["gguf.version"] = version
        for _ in range(min(kv_count, _MAX_KEYS)):
            key = _string(handle, path)
            kind = _unpack(handle, "<I", path)
            if key in wanted:
                found[key] = _value(handle, kind, path)
            else:
                _skip(handle, kind, path)
            if all(k in found for k in wanted) or key.startswith("tokenizer."):
                break
    return found


def _unpack(handle: BinaryIO, fmt: str, path: Path) -> Any:
    size = struct.calcsize(fmt)
    raw = handle.read(size)
    if len(raw) != size:
        raise ModelFormatError(f"{path}: the GGUF header ends early; the file is truncated")
    return struct.unpack(fmt, raw)[0]


def _string(handle: BinaryIO, path: Path) -> str:
    length = _unpack(handle, "<Q", path)
    if length > _MAX_STRING:
        raise ModelFormatError(f"{path}: a GGUF header string claims {length} bytes; the file is damaged")
    return handle.read(length).decode("utf-8", errors="replace")


def _value(handle: BinaryIO, kind: int, path: Path) -> Any:
    if kind in _SCALARS:
        return _unpack(handle, _SCALARS[kind], path)
    if kind == _STRING:
        return _string(handle, path)
    _skip(handle, kind, path)
    return None


def _skip(handle: BinaryIO, kind: int, path: Path) -> None:
    if kind in _SCALARS:
        handle.seek(struct.calcsize(_SCALARS[kind]), 1)
    elif kind == _STRING:
        handle.seek(_unpack(handle, "<Q", path), 1)
    elif kind == _ARRAY:
        item = _unpack(handle, "<I", path)
        count = _unpack(handle, "<Q", path)
        if item in _SCALARS:
            handle.seek(struct.calcsize(_SCALARS[item]) * count, 1)
        elif item == _STRING:
            for _ in range(count):
                handle.seek(_unpack(handle, "<Q", path), 1)
        else:
            raise ModelFormatError(f"{path}: GGUF array of type {item} cannot be skipped; the file is damaged")
    else:
        raise ModelFormatError(f"{path}: unknown GGUF value type {kind}; the file is damaged or newer")
