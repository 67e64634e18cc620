"""Finding model candidates in a folder tree, with one ``stat`` per file and no reads.

A candidate is either a model folder (a diffusers folder with
``model_index.json``; a transformers or PEFT folder with ``config.json`` /
``adapter_config.json`` next to weight files), taken whole and not entered
further, or a single file: one with a model suffix, or one with another
suffix (or none) whose first bytes are a model format's
(:mod:`genloom.core.models.sniff`). Files with a known non-model suffix
(images, text, code: the thousands of files in an app's install folder) are
counted and skipped without a ``stat``; other files shorter than
:data:`~genloom.core.models.sniff.MIN_SNIFF_BYTES` after a ``stat`` only.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from genloom.core.models.sniff import NON_MODEL_SUFFIXES, SniffCache
from genloom.sdk.formats import PICKLE_SUFFIXES

__all__ = ["MODEL_SUFFIXES", "Candidate", "FileStat", "WalkCounts", "candidate_for", "find_candidates"]

#: Suffixes of files that may be a model on their own.
MODEL_SUFFIXES = frozenset({".safetensors", ".sft", ".onnx", ".gguf", *PICKLE_SUFFIXES})

#: Weight files that make a folder with a config a model folder.
_FOLDER_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".onnx", ".msgpack", ".h5")
_FOLDER_MARKERS = ("model_index.json", "config.json", "adapter_config.json")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: What follows an ONNX file's name in the name of its external-data file (torch, Optimum).
_ONNX_DATA_SUFFIXES = frozenset({".data", "_data"})


@dataclass(frozen=True)
class FileStat:
    """One file of a candidate: where, how big, when changed.

    ``known_hash`` is the SHA-256 the file is said to have without reading
    it: a Hugging Face cache file is a link to a blob named by the SHA-256 of
    its content (for LFS files). The scanner trusts it only for a file it
    has not seen before, and never for a pickle file (see ``Scanner._hash``).
    """

    path: str
    relative: str
    size: int
    mtime_ns: int
    known_hash: str = ""


@dataclass
class Candidate:
    """A file or folder that may be a model.

    A single file's ``files`` hold the file and, for an ONNX model with external
    weights, its data files too.

    ``sniffed`` is the format read from a file's first bytes when its suffix
    does not name one (``"safetensors"``, ``"gguf"``...), else "".
    """

    path: Path
    is_dir: bool
    files: list[FileStat]
    hint: str = ""
    sniffed: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class WalkCounts:
    """What a walk saw besides the candidates."""

    files_seen: int = 0
    dirs_seen: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def find_candidates(root: Path, counts: WalkCounts, *, hint: str = "",
                    skip: frozenset[str] | set[str] = frozenset(), recursive: bool = True,
                    sniffs: SniffCache | None = None) -> Iterator[Candidate]:
    """Yield the candidates under ``root`` (a folder, or a single file).

    ``skip`` holds paths (as strings) the user forgot: they are not yielded.
    Links to folders are not followed (no loops); links to files are.
    ``recursive=False`` yields only the files directly in ``root`` (an app's
    models folder, whose sub-folders are scanned on their own). ``sniffs``
    caches what files without a model suffix turned out to be.
    """
    root = Path(root)
    sniffs = sniffs if sniffs is not None else SniffCache()
    if root.is_file():
        # Added by hand: listed whatever it holds, with its format when its bytes tell.
        one = _file_stat(str(root), root.name, counts)
        if one is not None and str(root) not in skip:
            sniffed = "" if root.suffix.lower() in MODEL_SUFFIXES else sniffs.format_of(one.path, one.size,
                                                                                      one.mtime_ns)
            files = [one, *_companions(root.parent, root.name, {p.name for p in _listdir(root.parent)}, counts)]
            yield Candidate(path=root, is_dir=False, files=files, hint=hint, sniffed=sniffed)
        return
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            counts.errors.append(f"cannot list {folder}: {exc.strerror or exc}")
            continue
        counts.dirs_seen += 1
        names = {e.name for e in entries}
        if recursive and _is_model_folder(names):
            if folder not in skip:
                files = list(_all_files(folder, counts))
                yield Candidate(path=Path(folder), is_dir=True, files=files, hint=hint)
            continue
        subfolders = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if recursive and not entry.name.startswith(".") and entry.name not in _SKIPPED_DIRS:
                    subfolders.append(entry.path)
                continue
            counts.files_seen += 1
            suffix = _suffix(entry.name)
            if suffix in NON_MODEL_SUFFIXES:
                counts.skipped += 1
                continue
            if entry.path in skip:
                continue
            one = _file_stat(entry.path, entry.name, counts, entry)
            if one is None:
                continue
            sniffed = ""
            if suffix not in MODEL_SUFFIXES:
                sniffed = sniffs.format_of(one.path, one.size, one.mtime_ns)
                if not sniffed:
                    counts.skipped += 1
                    continue
            files = [one, *_companions(Path(folder), entry.name, names, counts)] if suffix == ".onnx" else [one]
            yield Candidate(path=Path(entry.path), is_dir=False, files=files, hint=hint, sniffed=sniffed)
        stack.extend(sorted(subfolders, reverse=True))


def candidate_for(path: Path, counts: WalkCounts, hint: str = "") -> Candidate | None:
    """``path`` as one candidate whatever it holds: a file, or a whole folder (bundled models)."""
    path = Path(path)
    if path.is_dir():
        return Candidate(path=path, is_dir=True, files=list(_all_files(str(path), counts)), hint=hint)
    one = _file_stat(str(path), path.name, counts)
    return Candidate(path=path, is_dir=False, files=[one], hint=hint) if one is not None else None


def _companions(folder: Path, name: str, names: set[str], counts: WalkCounts) -> list[FileStat]:
    """The external-data files of an ONNX model (``model.onnx.data``, ``model.onnx_data``):
    its weights, which belong to its identity as much as the graph does."""
    if not name.lower().endswith(".onnx"):
        return []
    found = []
    for other in sorted(names):
        if other != name and other.startswith(name) and other[len(name):] in _ONNX_DATA_SUFFIXES:
            one = _file_stat(str(folder / other), other, counts)
            if one is not None:
                found.append(one)
    return found


def _listdir(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _is_model_folder(names: set[str]) -> bool:
    if "model_index.json" in names:
        return True
    if not any(marker in names for marker in _FOLDER_MARKERS):
        return False
    return any(name.endswith(_FOLDER_WEIGHTS) or name.endswith(".index.json") for name in names)


def _all_files(folder: str, counts: WalkCounts) -> Iterator[FileStat]:
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError as exc:
            counts.errors.append(f"cannot list {current}: {exc.strerror or exc}")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                continue
            counts.files_seen += 1
            one = _file_stat(entry.path, os.path.relpath(entry.path, folder).replace(os.sep, "/"), counts, entry)
            if one is not None:
                yield one


def _suffix(name: str) -> str:
    """``os.path.splitext(name)[1].lower()`` for a bare file name, without its cost per file."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _file_stat(path: str, relative: str, counts: WalkCounts, entry: os.DirEntry[str] | None = None) -> FileStat | None:
    """The file's size and mtime; ``entry`` (from ``scandir``) saves the link check (and on Windows the stat)."""
    try:
        # follows links: a cache link's size is its blob's
        info = entry.stat() if entry is not None else os.stat(path)
        is_link = entry.is_symlink() if entry is not None else os.path.islink(path)
    except OSError as exc:
        counts.errors.append(f"cannot read {path}: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    known = ""
    if is_link:
        target = os.path.basename(os.readlink(path))
        if _SHA256.fullmatch(target) and os.path.basename(os.path.dirname(os.path.realpath(path))) == "blobs":
            known = target
    return FileStat(path=path, relative=relative, size=info.st_size, mtime_ns=info.st_mtime_ns,
                    known_hash=known)
