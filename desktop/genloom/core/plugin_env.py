"""What is installed in Genloom's Python environment, and snapshots of it.

A snapshot is the list of installed distributions (name, version, and where an
installed-from-a-file one came from), written to Genloom's data folder before each
plugin install or uninstall, so :mod:`genloom.core.plugin_install` can put the
environment back as it was. Reading the environment uses :mod:`importlib.metadata`
only: nothing is imported from the distributions themselves.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core import paths
from genloom.sdk.errors import GenloomError

#: Distributions Genloom's own working depends on: a plugin install may not change them.
#: Names are canonical (PEP 503); absent ones are simply not pinned.
PINNED = ("genloom", "torch", "torchvision", "torchaudio", "diffusers", "transformers",
          "onnxruntime", "onnxruntime-gpu", "pyside6", "pyside6-essentials", "pyside6-addons",
          "shiboken6", "pluggy", "numpy")

#: Pairs of distributions that install the same import package: with one installed, a
#: plugin that pulls in the other would overwrite its files (the GPU build of ONNX Runtime
#: by the CPU one; headless OpenCV by the GUI build, whose Qt clashes with PySide6's).
EXCLUSIVE = (("onnxruntime", "onnxruntime-gpu"), ("opencv-python", "opencv-python-headless"),
             ("opencv-contrib-python", "opencv-python-headless"))

SNAPSHOT_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9]{3,9}-[a-z]+$")


class SnapshotNotFoundError(GenloomError, LookupError):
    """No snapshot with this id was recorded."""


def canonical(name: str) -> str:
    """The PEP 503 normal form of a distribution name (``PySide6_Essentials`` -> ``pyside6-essentials``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Installed:
    """One installed distribution."""

    name: str
    version: str
    #: Where it was installed from when that was a file or folder (pip's direct_url.json);
    #: "" for an index install.
    source: str = ""
    #: The folder holding its metadata (the site-packages it lives in).
    location: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "source": self.source,
                "location": self.location}


def installed() -> dict[str, Installed]:
    """Every distribution this interpreter sees, by canonical name.

    Where a name is installed twice, the first on ``sys.path`` wins, as it does for imports.
    """
    import importlib
    from importlib.metadata import distributions

    importlib.invalidate_caches()  # pip may have just changed the environment
    found: dict[str, Installed] = {}
    for dist in distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if not name:
            continue
        key = canonical(name)
        if key in found:
            continue
        # PathDistribution keeps its metadata folder private; it is only shown, never trusted.
        meta = getattr(dist, "_path", None)
        found[key] = Installed(name=name, version=dist.version, source=_direct_source(dist),
                               location=str(Path(meta).parent) if meta else "")
    return found


def _direct_source(dist: Any) -> str:
    """The file URL a distribution was installed from, if pip recorded one."""
    try:
        text = dist.read_text("direct_url.json")
        data = json.loads(text) if text else {}
    except (OSError, ValueError):
        return ""
    url = data.get("url", "") if isinstance(data, dict) else ""
    return url if isinstance(url, str) and url.startswith("file://") else ""


def plugin_distributions() -> dict[str, str]:
    """Installed plugins from the ``genloom.plugins`` entry point group: plugin name -> distribution."""
    from importlib.metadata import entry_points

    from genloom.core.plugins import ENTRY_POINT_GROUP

    result: dict[str, str] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        result.setdefault(ep.name, dist.metadata["Name"] if dist is not None else "")
    return result


def constraints_text(current: dict[str, Installed] | None = None) -> str:
    """A pip constraints file holding every pinned distribution at its installed version.

    The version is exact, local part included (``torch==2.4.1+cu121``), so pip keeps
    the build of torch that is installed rather than a different one of the same number.
    """
    current = installed() if current is None else current
    lines = ["# Genloom's core libraries, pinned while a plugin installs (genloom.core.plugin_env)"]
    for key in PINNED:
        if key in current:
            lines.append(f"{current[key].name}=={current[key].version}")
    return "\n".join(lines) + "\n"


@dataclass
class Snapshot:
    """The environment as it was before a change."""

    id: str
    created: float
    reason: str
    kind: str  # "install", "uninstall" or "rollback"
    python: str
    distributions: dict[str, Installed]
    #: pip options the change used to find packages (--find-links, --index-url...), so a
    #: rollback finds the same files again.
    pip_options: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created": self.created, "reason": self.reason, "kind": self.kind,
                "python": self.python, "pip_options": list(self.pip_options),
                "distributions": {k: v.to_dict() for k, v in sorted(self.distributions.items())}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        dists = {k: Installed(**{f: str(v.get(f, "")) for f in ("name", "version", "source", "location")})
                 for k, v in data["distributions"].items()}
        return cls(id=str(data["id"]), created=float(data["created"]), reason=str(data["reason"]),
                   kind=str(data["kind"]), python=str(data["python"]), distributions=dists,
                   pip_options=[str(o) for o in data.get("pip_options", [])])


def snapshots_dir() -> Path:
    """Where snapshots are kept: one JSON file each, in Genloom's data folder."""
    return paths.data_dir() / "plugin-env" / "snapshots"


def take_snapshot(reason: str, kind: str, pip_options: list[str] | None = None) -> Snapshot:
    """Record the environment now, atomically, and return the snapshot."""
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now))
    ident = f"{stamp}-{int((now % 1) * 1000):03d}{os.getpid() % 1000000:06d}-{kind}"
    snapshot = Snapshot(id=ident, created=now, reason=reason, kind=kind, python=sys.executable,
                        distributions=installed(), pip_options=list(pip_options or []))
    folder = snapshots_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(snapshot.to_dict(), handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / f"{ident}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return snapshot


def discard_snapshot(snapshot: Snapshot) -> None:
    """Forget a snapshot (of a change that was undone at once)."""
    if SNAPSHOT_ID.match(snapshot.id):
        (snapshots_dir() / f"{snapshot.id}.json").unlink(missing_ok=True)


def list_snapshots() -> list[Snapshot]:
    """Every snapshot of this interpreter's environment, oldest first; unreadable ones are skipped."""
    folder = snapshots_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.json"):
        if not SNAPSHOT_ID.match(path.stem):
            continue
        try:
            snapshot = Snapshot.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if snapshot.id == path.stem and snapshot.python == sys.executable:
            found.append(snapshot)
    return sorted(found, key=lambda s: (s.created, s.id))


def find_snapshot(ident: str | None) -> Snapshot:
    """The snapshot ``ident``, or without one the latest taken before an install or uninstall."""
    snapshots = list_snapshots()
    if ident is None:
        changes = [s for s in snapshots if s.kind != "rollback"]
        if not changes:
            raise SnapshotNotFoundError("no plugin has been installed or uninstalled in this "
                                        "environment yet, so there is nothing to roll back to")
        return changes[-1]
    for snapshot in snapshots:
        if snapshot.id == ident:
            return snapshot
    known = ", ".join(s.id for s in snapshots[-5:]) or "none yet"
    raise SnapshotNotFoundError(f"no environment snapshot called {ident!r}; the latest are: {known}")


@dataclass(frozen=True)
class Changes:
    """How one environment differs from another, by canonical name."""

    added: dict[str, Installed]
    removed: dict[str, Installed]
    changed: dict[str, tuple[Installed, Installed]]  # name -> (before, after)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> list[str]:
        lines = [f"added {d.name} {d.version}" for d in self.added.values()]
        lines += [f"removed {d.name} {d.version}" for d in self.removed.values()]
        lines += [f"changed {a.name} {a.version} -> {b.version}" for a, b in self.changed.values()]
        return lines


def compare(before: dict[str, Installed], after: dict[str, Installed]) -> Changes:
    added = {k: v for k, v in after.items() if k not in before}
    removed = {k: v for k, v in before.items() if k not in after}
    changed = {k: (before[k], after[k]) for k in before.keys() & after.keys()
               if before[k].version != after[k].version}
    return Changes(added=added, removed=removed, changed=changed)
