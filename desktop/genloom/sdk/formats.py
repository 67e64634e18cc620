"""Model file formats: reading them safely, refusing the unsafe ones.

Plugins use these to recognise and load model files without ever running code
hidden in a file:

- :func:`read_safetensors_header` reads only the JSON header of a
  ``.safetensors`` file (tensor names, dtypes, shapes, metadata) in pure
  Python; no weights are read.
- Pickle-based files (``.ckpt``, ``.pt``, ``.pth``, ``.bin``, ``.pkl``) can run
  arbitrary code when unpickled. :func:`refuse_pickle` stops them unless the
  user allowed that one file (``genloom models allow-pickle MODEL``), and
  :func:`safe_torch_load` is then the only way to open them: ``torch.load``
  with ``weights_only=True``, which unpickles tensors and plain containers
  only and refuses everything else.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

from genloom.sdk.errors import GenloomError

__all__ = [
    "GGUF_MAGIC",
    "load_state_dict",
    "PICKLE_SUFFIXES",
    "SAFETENSORS_MAX_HEADER",
    "ModelFormatError",
    "PickleRefusedError",
    "is_gguf_file",
    "is_pickle_file",
    "read_safetensors_header",
    "refuse_pickle",
    "safe_torch_load",
]

#: File suffixes of pickle-based model formats (PyTorch, old checkpoints, joblib/pickle dumps).
PICKLE_SUFFIXES: tuple[str, ...] = (".ckpt", ".pt", ".pth", ".bin", ".pkl", ".pickle")

#: The largest safetensors header accepted (the safetensors library uses the same limit).
SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024

#: The first four bytes of a GGUF file (llama.cpp's format).
GGUF_MAGIC = b"GGUF"

_SAFETENSORS_DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
                       "F4": 1, "F6_E2M3": 1, "F6_E3M2": 1,
                       "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                       "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
                       "C64": 8}


class ModelFormatError(GenloomError, ValueError):
    """A model file that is not what its name says (truncated, corrupt, wrong format)."""


class PickleRefusedError(GenloomError):
    """A pickle-based model file that the user has not allowed.

    ``path`` is the refused file. The message explains the risk and the
    command that allows this one file.
    """

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(message)


#: A model folder's JSON config larger than this is not read (a tokenizer.json is a few MB).
MAX_CONFIG_BYTES = 16 * 1024 * 1024


def read_json_config(path: Path | str, max_bytes: int = MAX_CONFIG_BYTES) -> dict[str, Any] | None:
    """A model folder's JSON object file (``config.json``, ``model_index.json``...), or None.

    None when the file is missing, unreadable, larger than ``max_bytes``, not JSON or not
    an object: identification then simply does not recognise the folder. The files come
    from folders the user points at, so nothing about them is trusted.
    """
    path = Path(path)
    try:
        if path.stat().st_size > max_bytes:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_safetensors_header(path: Path | str) -> dict[str, Any]:
    """The JSON header of a ``.safetensors`` file, without reading any weights.

    The format is an 8-byte little-endian header length ``N``, then ``N``
    bytes of JSON (an object mapping tensor names to ``{"dtype", "shape",
    "data_offsets"}``, plus an optional ``"__metadata__"`` of strings), then
    the tensor data. Sizes and offsets are checked against the file size.

    :raises ModelFormatError: naming the file and what is wrong with it.
    :raises OSError: when the file cannot be read at all.
    """
    path = Path(path)
    size = os.path.getsize(path)
    if size < 8:
        raise ModelFormatError(
            f"{path} is not a safetensors file: it is {size} bytes long, shorter than the "
            "8-byte header length; the file is truncated or in another format"
        )
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        if length > SAFETENSORS_MAX_HEADER:
            raise ModelFormatError(
                f"{path} is not a valid safetensors file: its header claims {length} bytes, "
                f"more than the {SAFETENSORS_MAX_HEADER}-byte limit; the file is corrupt or in another format"
            )
        if 8 + length > size:
            raise ModelFormatError(
                f"{path} is not a valid safetensors file: its header claims {length} bytes but the "
                f"file has only {size - 8} after the length; the file is truncated (re-download it)"
            )
        raw = handle.read(length)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFormatError(f"{path} is not a valid safetensors file: its header is not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise ModelFormatError(
            f"{path} is not a valid safetensors file: its header is a JSON {type(header).__name__}, "
            "not an object of tensors"
        )
    _check_tensor_entries(path, header, data_size=size - 8 - length)
    return header


def _check_tensor_entries(path: Path, header: dict[str, Any], data_size: int) -> None:
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        raise ModelFormatError(f"{path}: safetensors __metadata__ is a {type(metadata).__name__}, not an object")
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise ModelFormatError(
                f"{path}: safetensors entry {name!r} is {entry!r}; expected an object with "
                "dtype, shape and data_offsets"
            )
        offsets = entry["data_offsets"]
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= data_size):
            raise ModelFormatError(
                f"{path}: tensor {name!r} has data_offsets {offsets!r} outside the file's "
                f"{data_size} bytes of tensor data; the file is truncated or corrupt"
            )
        shape = entry["shape"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ModelFormatError(f"{path}: tensor {name!r} has shape {shape!r}; expected a list of sizes")
        item = _SAFETENSORS_DTYPES.get(entry["dtype"])
        if item is not None and entry["dtype"] not in ("F4", "F6_E2M3", "F6_E3M2"):
            count = 1
            for dim in shape:
                count *= dim
            if count * item != offsets[1] - offsets[0]:
                raise ModelFormatError(
                    f"{path}: tensor {name!r} ({entry['dtype']} {shape}) needs {count * item} bytes "
                    f"but its data_offsets span {offsets[1] - offsets[0]}; the file is corrupt"
                )


def is_gguf_file(path: Path | str) -> bool:
    """True when the file starts with the GGUF magic bytes."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False


def is_pickle_file(path: Path | str) -> bool:
    """True when ``path`` is (or looks like) a pickle-based file.

    A file with one of :data:`PICKLE_SUFFIXES` counts as pickle whatever it
    holds; a file with another suffix counts when its first bytes are a pickle
    protocol header or it is a zip archive holding a PyTorch ``data.pkl``.
    Nothing is unpickled to decide.
    """
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            start = handle.read(4)
    except OSError:
        return False
    if len(start) >= 2 and start[0] == 0x80 and 2 <= start[1] <= 5:
        return True
    if start[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                return any(name.endswith("data.pkl") for name in archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
    return False


def refuse_pickle(path: Path | str, allowed: bool) -> None:
    """Raise :class:`PickleRefusedError` for a pickle file the user has not allowed.

    Does nothing for a file that is not pickle-based, or when ``allowed`` is
    true (the user opted in for this file; load it with :func:`safe_torch_load`).
    """
    if allowed or not is_pickle_file(path):
        return
    path = Path(path)
    raise PickleRefusedError(
        path,
        f"{path} is a pickle-based file ({path.suffix or 'no suffix'}), which Genloom does not load "
        "by default: unpickling can run any code hidden in the file. Prefer a .safetensors "
        "version of this model. If you trust where this file came from, allow this one file with "
        f"`genloom models allow-pickle {path}`; it will then be opened only with "
        "torch.load(weights_only=True), which refuses anything but tensors.",
    )


def safe_torch_load(path: Path | str) -> Any:
    """Open a pickle-based PyTorch file with ``torch.load(weights_only=True)`` on the CPU.

    Call :func:`refuse_pickle` first. Only tensors and plain containers are
    unpickled; a file that asks for anything else (a class, a function call)
    is refused with :class:`PickleRefusedError`, and nothing in it runs.
    """
    import pickle

    import torch

    path = Path(path)
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        raise PickleRefusedError(
            path,
            f"{path} holds more than plain tensors, so it was not loaded (weights-only loading "
            f"refused it: {_unpickling_reason(exc)}). Nothing in the file was run. Use a "
            ".safetensors version of this model instead.",
        ) from exc


def _unpickling_reason(exc: BaseException) -> str:
    """The line of torch's weights-only error that says what was refused.

    torch's message starts with advice to retry with ``weights_only=False``,
    exactly what must not be done with an untrusted file, so only the line
    naming the refused object is kept.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "GLOBAL" in line or "Unsupported" in line or "unsupported" in line:
            return line
    return lines[-1] if lines else type(exc).__name__


def load_state_dict(ref: Any) -> dict[str, Any]:
    """The tensors of a single-file model (a :class:`~genloom.sdk.ModelRef`) as CPU tensors.

    safetensors opens directly; a pickle-based file is refused unless the user allowed
    it (``ref.allow_pickle``, set by the worker from the model library), and even then
    goes only through :func:`safe_torch_load`. Imports safetensors/torch when called.
    Since API version 1.2.

    :raises PickleRefusedError: a pickle file the user has not allowed, or an allowed
        one that holds more than tensors.
    :raises ModelFormatError: a file that is neither safetensors nor pickle.
    """
    path = Path(ref.path)
    if path.suffix.lower() in (".safetensors", ".sft"):
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    if is_pickle_file(path):
        refuse_pickle(path, ref.allow_pickle)
        loaded = safe_torch_load(path)
        if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
            loaded = loaded["state_dict"]
        return dict(loaded)
    raise ModelFormatError(
        f"{path} is not a single-file checkpoint Genloom opens as tensors (use .safetensors); "
        f"its model kind is {ref.kind or 'unknown'}"
    )
