"""Framing of the messages between the engine and its worker process.

A frame is two little-endian uint32 lengths, a UTF-8 JSON header and an
optional binary payload (a preview image). JSON keeps the worker from ever
unpickling anything; the payload keeps images out of base64.
"""

from __future__ import annotations

import json
import struct
import threading
from typing import IO, Any

_LENGTHS = struct.Struct("<II")
#: A header larger than this is a protocol error, not a message.
MAX_HEADER = 64 * 1024 * 1024


class ProtocolError(Exception):
    """The other side sent something that is not a frame."""


class FrameWriter:
    """Writes frames to a binary stream; safe to share between threads."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any], payload: bytes | None = None) -> None:
        header = json.dumps(message, separators=(",", ":"), default=_json_default).encode("utf-8")
        payload = payload or b""
        with self._lock:
            self._stream.write(_LENGTHS.pack(len(header), len(payload)))
            self._stream.write(header)
            if payload:
                self._stream.write(payload)
            self._stream.flush()


def read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes | None]:
    """Read one frame; EOFError when the stream ends (the other side has gone)."""
    head = _read_exact(stream, _LENGTHS.size)
    header_len, payload_len = _LENGTHS.unpack(head)
    if header_len > MAX_HEADER:
        raise ProtocolError(f"frame header of {header_len} bytes is too large")
    try:
        message = json.loads(_read_exact(stream, header_len))
    except ValueError as exc:
        raise ProtocolError(f"frame header is not JSON: {exc}") from exc
    payload = _read_exact(stream, payload_len) if payload_len else None
    return message, payload


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _json_default(value: Any) -> Any:
    """Plugins put all sorts of things in metadata; keep what JSON can say."""
    from pathlib import PurePath

    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return value.item()
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    return repr(value)
