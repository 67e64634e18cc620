"""Checking a project's files against its database, and repairing what is safe to repair.

Problems it finds:

- *missing*: a row whose file is gone (nothing can repair that but a backup);
- *mismatched*: a row whose file has another size or sha256 (damaged on disk);
- *orphans*: files under ``assets/`` that no row uses, e.g. after a crash between
  the rename of a new file and the insert of its row;
- *leftovers*: stale ``.write-`` temp files in ``tmp/`` from crashed writes.

Repair moves orphans to ``quarantine/<time>/`` in the project (a person can
look at them, and delete the folder) and deletes stale write temps; it never
touches a file a row uses. Orphans are listed and moved while holding the
database write lock, because new files are renamed into ``assets/`` under that
lock: a file being added by another process right now is never mistaken for an
orphan.

Repair refuses, touching nothing, when it cannot prove files unused: a
database that knows no assets at all while ``assets/`` holds files is a
damaged project (a lost or replaced ``genloom.db``), not a clean-up job. The
paths of rows are derived from their hash and suffix, never read from the row,
and a symbolic link on the way (``assets/`` linked to another folder) stops the
check before anything is read or moved.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from genloom.core.project.database import Database
from genloom.core.project.errors import DamagedProjectError, UnsafePathError
from genloom.core.project.files import fsync_dir, hash_file
from genloom.core.project.safe_paths import checked_inside, derived_path
from genloom.core.project.scratch import stale_write_temps

__all__ = ["CheckReport", "check_project"]


@dataclass(frozen=True)
class CheckReport:
    """What :meth:`Project.check` found (and, with ``repair=True``, removed).

    ``missing`` and ``mismatched`` are asset ids; ``orphans`` and ``leftovers``
    are project-relative POSIX paths; ``removed`` lists the paths repaired
    (orphans moved to ``quarantine``, the project-relative folder they went
    to, and leftovers deleted).
    """

    assets_checked: int
    missing: tuple[int, ...] = ()
    mismatched: tuple[int, ...] = ()
    orphans: tuple[str, ...] = ()
    leftovers: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    quarantine: str = ""

    @property
    def ok(self) -> bool:
        """True when every row has its intact file and nothing needs cleaning."""
        return not (self.missing or self.mismatched or self.orphans or self.leftovers)

    def to_dict(self) -> dict[str, object]:
        """The report as JSON-ready data, with ``ok`` and the one-line ``summary``."""
        return {"ok": self.ok, "summary": self.summary(), "assets_checked": self.assets_checked,
                "missing": list(self.missing), "mismatched": list(self.mismatched),
                "orphans": list(self.orphans), "leftovers": list(self.leftovers),
                "removed": list(self.removed), "quarantine": self.quarantine}

    def summary(self) -> str:
        """One line for the user."""
        if self.ok:
            return f"{self.assets_checked} assets checked; all files present and intact"
        parts = [f"{self.assets_checked} assets checked"]
        if self.missing:
            parts.append(f"{len(self.missing)} with a missing file (ids {_ids(self.missing)}; "
                         "restore them from a backup or delete the assets)")
        if self.mismatched:
            parts.append(f"{len(self.mismatched)} with a damaged file (ids "
                         f"{_ids(self.mismatched)}; restore them from a backup)")
        if self.orphans:
            parts.append(f"{len(self.orphans)} unused files under assets/")
        if self.leftovers:
            parts.append(f"{len(self.leftovers)} leftover temp files in tmp/")
        if (self.orphans or self.leftovers) and not self.removed:
            parts.append("run the check with repair to delete the unused and leftover files")
        elif self.removed:
            where = f" (unused files moved to {self.quarantine}/)" if self.quarantine else ""
            parts.append(f"{len(self.removed)} files cleaned up{where}")
        return "; ".join(parts)


def _ids(ids: tuple[int, ...], shown: int = 10) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (", ..." if len(ids) > shown else "")


def _files_under(folder: Path, root: Path) -> set[str]:
    found: set[str] = set()
    # os.walk does not follow links to folders below ``folder``; ``folder`` itself
    # was checked not to be one.
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            found.add(Path(dirpath, name).relative_to(root).as_posix())
    return found


def _row_path(digest: str, suffix: str) -> str | None:
    try:
        return derived_path(digest, suffix)
    except ValueError:
        return None


def check_project(root: Path, db: Database, repair: bool = False) -> CheckReport:
    """Compare ``root/assets`` with the rows of ``db``; see the module docstring."""
    checked_inside(root, "assets")  # a link here would take the walk and the moves elsewhere
    checked_inside(root, "tmp")
    conn = db.connection()
    rows = conn.execute("SELECT id, hash, suffix, size FROM assets ORDER BY id").fetchall()
    missing: list[int] = []
    mismatched: list[int] = []
    verified: dict[str, bool] = {}  # rows that share a file share the verdict
    for asset_id, digest, suffix, size in rows:
        rel = _row_path(digest, suffix)
        if rel is None:  # a crafted or damaged row: it names no file Genloom would write
            mismatched.append(asset_id)
            continue
        if rel not in verified:
            try:
                path = checked_inside(root, rel)
            except UnsafePathError:
                verified[rel] = False
                mismatched.append(asset_id)
                continue
            if not path.is_file():
                verified[rel] = False
                missing.append(asset_id)
                continue
            verified[rel] = hash_file(path) == (digest, size)
        elif not (root / rel).is_file():
            missing.append(asset_id)
            continue
        if not verified[rel]:
            mismatched.append(asset_id)
    removed: list[str] = []
    quarantine = ""
    with db.transaction() as locked:
        used = {p for p in (_row_path(d, s) for d, s in locked.execute(
            "SELECT DISTINCT hash, suffix FROM assets")) if p is not None}
        orphans = sorted(_files_under(root / "assets", root) - used)
        if repair and orphans:
            if not used:
                raise DamagedProjectError(root, f"its database knows no assets, but assets/ "
                                          f"holds {len(orphans)} files, so repair cannot tell "
                                          "which are unused")
            quarantine = f"quarantine/{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
            for rel in orphans:
                target = root / quarantine / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    (root / rel).replace(target)
                except FileNotFoundError:
                    continue
                removed.append(rel)
            for folder in {(root / rel).parent for rel in orphans}:
                fsync_dir(folder)
    leftovers = [p.relative_to(root).as_posix() for p in stale_write_temps(root / "tmp")]
    if repair:
        for rel in leftovers:
            (root / rel).unlink(missing_ok=True)
            removed.append(rel)
    return CheckReport(assets_checked=len(rows), missing=tuple(missing),
                       mismatched=tuple(mismatched), orphans=tuple(orphans),
                       leftovers=tuple(leftovers), removed=tuple(removed),
                       quarantine=quarantine)
