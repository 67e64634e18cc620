"""What an earlier plugin discovery found, reused while nothing it depends on has changed.

Two things are slow to learn and rarely change: the ``genloom.plugins`` entry points
(``importlib.metadata`` reads the metadata of every installed distribution, hundreds of
files) and whether a plugin's code registers what its manifest declares (only importing
it tells). Both are kept in ``plugin-index.json`` in the data folder:

- the entry points, with the *environment stamp* they were read under: the interpreter
  and every distribution's metadata folder on ``sys.path`` with its modification time
  (installing, upgrading or removing a distribution adds, renames or rewrites one);
- each manifest as parsed, with the size and modification time of its file, so a listing
  does not parse TOML again for a file that has not changed (the rules that check it
  still run on every read: :func:`genloom.core.manifest.manifest_from_data`);
- for each plugin whose last load was clean (loaded, no warning, the generators the code
  registered exactly those its manifest declares), the *fingerprint* of what that load
  depended on: the environment stamp, the plugin API's own files, and the size and
  modification time of the plugin's code and manifest files and of its bundled models.

:func:`manifest_is_enough` is the one rule for when a listing may show a plugin's
generators from its manifest without importing it: a clean load of the same fingerprint.
A plugin that failed, warned, has no manifest or changed since is imported instead, so
a listing never shows what the code would not offer.

The file is a cache: unreadable or stale, it is ignored and written afresh (atomically:
a temp file renamed over it, so a reader never sees half of one).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["INDEX_FILE", "PluginIndex", "environment_stamp", "fingerprint_base", "manifest_is_enough",
           "plugin_fingerprint", "read_entry_points", "stat_of"]

INDEX_FILE = "plugin-index.json"
#: Bumped when the file's layout changes: an index of another format is ignored.
FORMAT = 1
#: Files of a plugin's own that its import depends on (its data files are its business).
_CODE_SUFFIXES = (".py", ".toml")


def environment_stamp() -> str:
    """A hash of the installed distributions: for each folder on ``sys.path`` that holds
    any, their ``*.dist-info`` / ``*.egg-info`` names and modification times.

    Installing, upgrading or removing a distribution adds, renames or rewrites one of those
    folders; other changes to a folder on the path (the current folder, when ``python -m``
    put it there) leave the stamp alone, and so does running from another folder.
    """
    parts = [sys.executable, sys.version]
    for entry in sys.path:
        try:
            names = sorted(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:  # a missing folder, or a zip file (its own time stands for it)
            try:
                parts.append(f"{entry} {os.stat(entry).st_mtime_ns}")
            except OSError:
                pass
            continue
        for name in names:
            try:
                parts.append(f"{entry} {name} {os.stat(os.path.join(entry or '.', name)).st_mtime_ns}")
            except OSError:
                continue
    return _digest(parts)


def _file_stats(root: Path) -> list[str]:
    """``path size mtime`` of ``root`` (a file) or of the code files under it (a folder)."""
    try:
        if not root.is_dir():
            info = root.stat()
            return [f"{root} {info.st_size} {info.st_mtime_ns}"]
    except OSError:
        return [f"{root} missing"]
    stats = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(_CODE_SUFFIXES):
                path = os.path.join(folder, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                stats.append(f"{path} {info.st_size} {info.st_mtime_ns}")
    return stats


def fingerprint_base(stamp: str | None = None) -> str:
    """The part of every plugin's fingerprint that is not its own: the installed
    distributions (:func:`environment_stamp`) and the plugin API's files."""
    from genloom import sdk

    parts = [stamp if stamp is not None else environment_stamp()]
    parts += _file_stats(Path(sdk.__file__).parent)
    return _digest(parts)


def plugin_fingerprint(base: str, code: Path, models: Iterable[Path] = ()) -> str:
    """What a load of the plugin whose code lies at ``code`` (its package folder or module
    file) depended on: ``base`` (:func:`fingerprint_base`), its code and manifest files and
    its bundled ``models`` (their presence and time). Any change gives another value."""
    parts = [base, *_file_stats(Path(code))]
    for model in models:
        try:
            parts.append(f"{model} {Path(model).stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{model} missing")
    return _digest(parts)


def manifest_is_enough(index: PluginIndex, name: str, fingerprint: str | None) -> bool:
    """Whether plugin ``name``'s manifest may stand for its code in a listing: its last
    load was clean and nothing it depended on has changed since (``fingerprint`` is None
    for a plugin without a manifest, which always needs its import)."""
    return fingerprint is not None and index.verdicts.get(name) == fingerprint


class PluginIndex:
    """The cached entry points and clean-load fingerprints, read from and written to ``file``."""

    def __init__(self, file: Path) -> None:
        self.file = Path(file)
        self.stamp = ""
        self.entry_points: list[dict[str, str]] | None = None
        self.verdicts: dict[str, str] = {}
        #: manifest file -> {"stat": "size mtime_ns", "data": its parsed TOML}
        self.manifests: dict[str, dict[str, Any]] = {}
        self._saved: dict[str, Any] = {}

    @classmethod
    def default(cls) -> PluginIndex:
        """The index in this machine's data folder (under ``GENLOOM_HOME`` when set)."""
        from genloom.core import paths

        return cls(paths.data_dir() / INDEX_FILE).read()

    def read(self) -> PluginIndex:
        """Load the file; a missing, damaged or other-format file leaves the index empty."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return self
        self._saved = data
        self.stamp = str(data.get("stamp", ""))
        eps = data.get("entry_points")
        if isinstance(eps, list) and all(isinstance(e, dict) for e in eps):
            self.entry_points = eps
        verdicts = data.get("verdicts")
        if isinstance(verdicts, dict):
            self.verdicts = {str(k): str(v) for k, v in verdicts.items()}
        manifests = data.get("manifests")
        if isinstance(manifests, dict):
            self.manifests = {str(k): v for k, v in manifests.items()
                              if isinstance(v, dict) and isinstance(v.get("data"), dict)}
        return self

    def manifest(self, file: Path) -> dict[str, Any] | None:
        """The parsed TOML of the manifest ``file`` kept by :meth:`remember_manifest`, while
        the file has the same size and modification time; else None (parse it)."""
        kept = self.manifests.get(str(file))
        if kept is None or kept.get("stat") != stat_of(file):
            return None
        return kept["data"]

    def remember_manifest(self, file: Path, stat: str | None, data: dict[str, Any]) -> None:
        """Keep ``data``, the parsed TOML of ``file`` whose :func:`stat_of` was ``stat`` before
        it was read; TOML that JSON cannot hold (dates) is not kept."""
        if stat is None:
            return
        try:
            json.dumps(data, allow_nan=False)
        except (TypeError, ValueError):
            return
        self.manifests[str(file)] = {"stat": stat, "data": data}

    def plugin_entry_points(self, group: str) -> list[dict[str, str]]:
        """The entry points of ``group`` as ``name``, ``value``, ``distribution``, ``version``,
        read from the installed distributions only when the environment changed."""
        stamp = environment_stamp()
        if self.entry_points is not None and self.stamp == stamp:
            return [dict(e) for e in self.entry_points]
        found = read_entry_points(group)
        if self.stamp != stamp:
            self.verdicts = {}  # fingerprints carry the stamp: none of them can match now
        self.stamp, self.entry_points = stamp, found
        return [dict(e) for e in found]

    def save(self) -> None:
        """Write the index atomically when it changed; a read-only data folder is no error
        (the index is only a shortcut)."""
        data = {"format": FORMAT, "stamp": self.stamp, "entry_points": self.entry_points,
                "verdicts": dict(sorted(self.verdicts.items())),
                "manifests": dict(sorted(self.manifests.items()))}
        if data == self._saved:
            return
        import tempfile  # only when it changed: a listing that changes nothing never needs it

        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".plugin-index-", dir=self.file.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
            os.replace(tmp, self.file)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            return
        self._saved = data


def read_entry_points(group: str) -> list[dict[str, str]]:
    """The installed entry points of ``group``, sorted by name, as ``name``, ``value``,
    ``distribution``, ``version`` (what the index keeps); reads every distribution's metadata."""
    from importlib.metadata import entry_points

    found = []
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        found.append({"name": ep.name, "value": ep.value,
                      "distribution": dist.name if dist is not None else "",
                      "version": dist.version if dist is not None else ""})
    return found


def stat_of(file: Path) -> str | None:
    """``"size mtime_ns"`` of ``file``, None when it cannot be read: what
    :meth:`PluginIndex.remember_manifest` wants as ``stat`` (take it before reading)."""
    try:
        info = os.stat(file)
    except OSError:
        return None
    return f"{info.st_size} {info.st_mtime_ns}"


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
