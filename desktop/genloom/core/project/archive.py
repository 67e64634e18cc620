"""Project archives: one file with a project's database and asset files, and unpacking it safely.

An archive is a ZIP file (``.genloom-archive``) holding exactly:

- ``manifest.json``: format, version, the project's name and schema version, and
  every other member's name, size and sha256;
- ``genloom.db``: a consistent copy of the database (SQLite's backup API, so a
  project in use archives safely), with every recipe, tag, rating, note, lineage,
  board and job;
- ``assets/<2 hex>/<sha256><suffix>``: each asset file, checked against its hash
  as it is written.

An archive comes from anyone, so unpacking believes none of it: a member name
must be one of the three forms above, character for character (no ``..``, no
absolute path, no backslash, no drive, no other file), appear once (also when
case is ignored), be a regular file (no link, no device), be neither encrypted
nor compressed with anything but deflate; sizes are capped (each member, the
total, the count) and so is the compression ratio, and the bytes actually
inflated are counted against the declared size (a lying header stops at the
lie); every file's sha256 must match its name and the manifest. Everything is
unpacked into ``TARGET/.unarchive-<random>/`` and checked (the database opens as
a Genloom project, every asset row has its file) before it is moved into place;
a rejected archive leaves the target as it was (removed again if this call
created it). Nothing is written outside the target folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from genloom.core.project.errors import ProjectError
from genloom.core.project.files import fsync_dir
from genloom.core.project.safe_paths import checked_inside, derived_path
from genloom.sdk.errors import Remedy

if TYPE_CHECKING:
    from genloom.core.project.project import Project

FORMAT = "genloom-project-archive"
VERSION = 1
SUFFIX = ".genloom-archive"
MANIFEST, DATABASE = "manifest.json", "genloom.db"
_ASSET = re.compile(r"assets/([0-9a-f]{2})/([0-9a-f]{64})(\.[a-z0-9_-]{1,16})")
_FOLDER = re.compile(r"assets/(?:[0-9a-f]{2}/)?")
#: Suffixes whose content is already compressed: stored, not deflated again.
_STORED = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4", ".webm", ".mov", ".mkv", ".mp3", ".ogg",
           ".flac", ".m4a", ".avi"}
_CHUNK = 1 << 20


class ArchiveError(ProjectError):
    """An archive that is refused (or cannot be written); the message names the member and why."""


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may unpack to. The defaults fit any real project; tests make them small."""

    max_members: int = 1_000_000
    max_member_bytes: int = 64 * 1024**3
    max_total_bytes: int = 256 * 1024**3
    #: Inflated / compressed size of a member larger than ``ratio_floor_bytes``.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1024 * 1024
    max_manifest_bytes: int = 256 * 1024**2


# -- writing -----------------------------------------------------------------------------------


def archive_project(project: Project, dest: Path, *,
                    progress: Callable[[int, int], None] | None = None) -> Path:
    """Write ``project`` to the archive file ``dest`` (atomically: temp file, fsync, rename).

    Every asset file is hashed as it is written; a damaged one stops the archive
    with :class:`ArchiveError` naming it (``genloom project check`` finds them all).
    """
    dest = Path(dest).expanduser()
    if dest.is_dir():
        raise ArchiveError(f"{dest} is a folder; give the archive's file name, for example "
                           f"{dest / (project.name + SUFFIX)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".archive-", suffix=SUFFIX, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    snapshot = Path(tempfile.mkdtemp(prefix=".archive-db-", dir=project.path / "tmp")) / DATABASE
    try:
        _snapshot_database(project.db_path, snapshot)
        files = _asset_files(snapshot)
        members: list[dict[str, Any]] = []
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
            members.append(_add(archive, snapshot, DATABASE, zipfile.ZIP_DEFLATED, None))
            for index, (digest, suffix) in enumerate(files):
                name = derived_path(digest, suffix)
                method = zipfile.ZIP_STORED if suffix in _STORED else zipfile.ZIP_DEFLATED
                members.append(_add(archive, checked_inside(project.path, name), name, method, digest))
                if progress is not None:
                    progress(index + 1, len(files))
            manifest = {"format": FORMAT, "version": VERSION, "name": project.name,
                        "schema_version": _schema_version(snapshot), "created": time.time(),
                        "members": members}
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(snapshot.parent, ignore_errors=True)
    return dest


def _snapshot_database(source: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        out = sqlite3.connect(dest)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        finally:
            out.close()
    finally:
        src.close()


def _asset_files(database: Path) -> list[tuple[str, str]]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return sorted(set(connection.execute("SELECT hash, suffix FROM assets").fetchall()))
    finally:
        connection.close()


def _schema_version(database: Path) -> int:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def _add(archive: zipfile.ZipFile, path: Path, name: str, method: int, digest: str | None) -> dict[str, Any]:
    """Copy ``path`` into the archive as ``name``, hashing it; a hash other than ``digest`` stops."""
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = method
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    sha, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as src, archive.open(info, "w", force_zip64=True) as out:
            while chunk := src.read(_CHUNK):
                sha.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except FileNotFoundError:
        raise ArchiveError(f"{name} is missing from the project; check the project and archive "
                           "again", remedy=Remedy("check_project")) from None
    if digest is not None and sha.hexdigest() != digest:
        raise ArchiveError(f"{name} does not hold the content its name says (damaged); check the "
                           "project and archive again", remedy=Remedy("check_project"))
    return {"name": name, "size": size, "sha256": sha.hexdigest()}


# -- reading -----------------------------------------------------------------------------------


def unarchive(archive_path: Path, target: Path, *, limits: ArchiveLimits = ArchiveLimits()) -> Project:
    """Unpack the archive into the new project folder ``target`` and open it.

    ``target`` must not exist or be an empty folder. Raises :class:`ArchiveError`
    naming what was refused; then ``target`` is as it was before.
    """
    from genloom.core.project.project import Project

    archive_path, target = Path(archive_path).expanduser(), Path(target).expanduser()
    if not archive_path.is_file():
        raise ArchiveError(f"{archive_path} is not a file; give the archive to unpack")
    if target.is_symlink() or (target.exists() and (not target.is_dir() or any(target.iterdir()))):
        raise ArchiveError(f"{target} exists and is not an empty folder; give a new folder to unpack into")
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".unarchive-", dir=target))
    try:
        try:
            archive = zipfile.ZipFile(archive_path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveError(f"{archive_path} is not a Genloom archive (not a ZIP file: {exc})") from None
        with archive:
            manifest = _checked_members(archive, limits)
            _extract(archive, manifest, incoming)
        _check_project(incoming)
        for name in (DATABASE, "assets"):
            if (incoming / name).exists():
                os.rename(incoming / name, target / name)
        shutil.rmtree(incoming)
        fsync_dir(target)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        for name in (DATABASE, "assets"):  # only what this call moved in (the folder was empty)
            if (target / name).is_dir() and not (target / name).is_symlink():
                shutil.rmtree(target / name, ignore_errors=True)
            elif (target / name).exists():
                (target / name).unlink()
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return Project.open(target)


def _checked_members(archive: zipfile.ZipFile, limits: ArchiveLimits) -> dict[str, dict[str, Any]]:
    """Every member checked by name, kind and size; the manifest's entries by name."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveError(f"the archive has {len(infos):,} members, more than the {limits.max_members:,} "
                           "a project archive may have")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        folded = name.lower()
        if folded in seen:
            raise ArchiveError(f"the archive holds {name!r} twice; refused (which copy is meant?)")
        seen.add(folded)
        mode = info.external_attr >> 16
        if info.is_dir():
            if not _FOLDER.fullmatch(name):
                raise ArchiveError(f"the archive holds the folder {name!r}, which no project has; refused")
            continue
        if not (name in (MANIFEST, DATABASE) or _ASSET.fullmatch(name)):
            raise ArchiveError(f"the archive holds {name!r}, which is no part of a Genloom project "
                               "(a path outside it, or a file Genloom does not write); refused")
        match = _ASSET.fullmatch(name)
        if match and match.group(1) != match.group(2)[:2]:
            raise ArchiveError(f"the archive holds {name!r} in the wrong folder; refused")
        kind = stat.S_IFMT(mode)  # 0 when the writer recorded no Unix type (a plain file)
        if kind and kind != stat.S_IFREG:
            what = "symbolic link" if kind == stat.S_IFLNK else "special file"
            raise ArchiveError(f"{name!r} in the archive is a {what}, not a file; refused")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{name!r} in the archive is encrypted; refused")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError(f"{name!r} is compressed with method {info.compress_type}; a Genloom archive "
                               "uses stored or deflate only")
        if info.file_size > limits.max_member_bytes:
            raise ArchiveError(f"{name!r} would unpack to {info.file_size:,} bytes, more than "
                               f"{limits.max_member_bytes:,}; refused")
        if (info.file_size > limits.ratio_floor_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise ArchiveError(f"{name!r} would grow {info.file_size / max(info.compress_size, 1):,.0f} times "
                               f"when unpacked (more than {limits.max_ratio:.0f}): a zip bomb; refused")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(f"the archive would unpack to more than {limits.max_total_bytes:,} bytes; refused")
    if MANIFEST not in seen or DATABASE not in seen:
        raise ArchiveError("the archive has no manifest.json or no genloom.db: not a Genloom project archive")
    manifest = _manifest(archive, limits)
    listed = {m["name"]: m for m in manifest}
    files = {i.filename for i in infos if not i.is_dir() and i.filename != MANIFEST}
    if set(listed) != files:
        extra = sorted(files ^ set(listed))[:3]
        raise ArchiveError(f"the archive's manifest and its files differ ({', '.join(extra)}); refused")
    return listed


def _manifest(archive: zipfile.ZipFile, limits: ArchiveLimits) -> list[dict[str, Any]]:
    with archive.open(MANIFEST) as handle:
        raw = handle.read(limits.max_manifest_bytes + 1)
    if len(raw) > limits.max_manifest_bytes:
        raise ArchiveError("the archive's manifest is too large; refused")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ArchiveError("the archive's manifest.json is not JSON; refused") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError("manifest.json is not a Genloom project archive's; refused")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise ArchiveError(f"the archive is of format version {data.get('version')!r}, newer than this "
                           f"Genloom reads ({VERSION}); update Genloom")
    members = data.get("members")
    if not isinstance(members, list) or not all(
            isinstance(m, dict) and isinstance(m.get("name"), str) and isinstance(m.get("size"), int)
            and isinstance(m.get("sha256"), str) for m in members):
        raise ArchiveError("the archive's manifest does not list its files; refused")
    return members


def _extract(archive: zipfile.ZipFile, manifest: dict[str, dict[str, Any]], into: Path) -> None:
    """Unpack each listed member into ``into``, counting and hashing what is inflated."""
    for name, entry in manifest.items():
        info = archive.getinfo(name)
        if entry["size"] != info.file_size:
            raise ArchiveError(f"{name!r}: the manifest says {entry['size']:,} bytes, the archive "
                               f"{info.file_size:,}; refused")
        path = into.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        sha, written = hashlib.sha256(), 0
        with archive.open(info) as src, open(path, "xb") as out:
            while chunk := _read(src):
                written += len(chunk)
                if written > info.file_size:  # a header that lies about the size
                    raise ArchiveError(f"{name!r} unpacks to more than the {info.file_size:,} bytes its "
                                       "header says; refused")
                sha.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        digest = sha.hexdigest()
        match = _ASSET.fullmatch(name)
        if digest != entry["sha256"] or (match and digest != match.group(2)):
            raise ArchiveError(f"{name!r} does not hold the content its name and the manifest say "
                               "(a changed or damaged file); refused")


def _read(src: IO[bytes]) -> bytes:
    try:
        return src.read(_CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC error, a truncated member
        raise ArchiveError(f"the archive is damaged: {exc}") from None


def _check_project(folder: Path) -> None:
    """The unpacked folder must open as a Genloom project with a file for every asset row."""
    from genloom.core.project.project import Project

    try:
        project = Project.open(folder)
    except ProjectError as exc:
        raise ArchiveError(f"the archive's database is not a project this Genloom opens: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"the archive's genloom.db is damaged: {exc}") from None
    try:
        rows = project._db.connection().execute("SELECT id, hash, suffix FROM assets").fetchall()
        for asset_id, digest, suffix in rows:
            try:
                rel = derived_path(digest, suffix)
            except ValueError as exc:
                raise ArchiveError(f"asset {asset_id} in the archive's database is not valid ({exc}); refused") from None
            if not (folder / rel).is_file():
                raise ArchiveError(f"the archive lacks the file of asset {asset_id} ({rel}); refused")
    finally:
        project.close()
    for leftover in ("tmp", "quarantine"):  # made by opening; the real project makes its own
        shutil.rmtree(folder / leftover, ignore_errors=True)
    for side in (DATABASE + "-wal", DATABASE + "-shm"):
        (folder / side).unlink(missing_ok=True)
