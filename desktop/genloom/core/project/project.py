"""The :class:`Project`: a folder with a database, content-addressed files and scratch space.

Layout::

    PROJECT/
      genloom.db         SQLite (WAL): assets, lineage, tags, search index, job queue
      assets/ab/ab...png  one file per distinct content, named by its sha256
      tmp/                scratch on the same filesystem (atomic writes, job folders)

An asset is stored file first: the bytes are written to ``tmp/``, fsynced and
renamed into ``assets/``, and only then is the row committed, so a crash never
leaves a row without its whole file (at worst an unused file, which
:meth:`Project.check` finds and ``repair`` removes).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.project import tags as tag_sql
from genloom.core.project.asset import (
    ASSET_SELECT,
    CARD_SELECT,
    Asset,
    AssetCard,
    assets_from_rows,
    cards_from_rows,
)
from genloom.core.project.asset_rows import (
    AssetRow,
    check_parents,
    delete_asset_row,
    dump_json,
    insert_asset_row,
    refresh_search_row,
)
from genloom.core.project.check import CheckReport, check_project
from genloom.core.project.database import GENLOOM_TABLES, Database, read_schema
from genloom.core.project.errors import (
    AssetNotFoundError,
    DamagedAssetError,
    DamagedProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    SchemaTooNewError,
)
from genloom.core.project.files import (
    WRITE_PREFIX,
    fsync_dir,
    hash_file,
    make_fan_out,
    normalise_suffix,
)
from genloom.core.project.incoming import Staged, stage
from genloom.core.project.job import Job
from genloom.core.project.jobs import JobQueue
from genloom.core.project.migrations import SCHEMA_VERSION, migrate
from genloom.core.project.project_events import ProjectEvents
from genloom.core.project.queries import AssetFilter, order_by
from genloom.core.project.safe_paths import checked_inside, derived_path
from genloom.core.project.scratch import clear_stale
from genloom.core.project.search_text import TEXT_KINDS, fts_query, read_text_file
from genloom.sdk import MODALITIES

if TYPE_CHECKING:
    from genloom.core.conversations.store import ConversationStore

__all__ = ["DB_NAME", "Project"]

#: The database file that makes a folder a project.
DB_NAME = "genloom.db"


class Project:
    """An open project. Use :meth:`create`, :meth:`open` or :meth:`open_or_create`.

    Safe to use from several threads (each gets its own database connection)
    and from several processes at once (SQLite locking; writes take the lock
    up front). Events are emitted on the thread that made the change.
    """

    def __init__(self, path: Path, *, _token: object = None) -> None:
        if _token is not _OPENING:
            raise TypeError("use Project.create(path), Project.open(path) or "
                            "Project.open_or_create(path) to get a Project")
        self.path = path
        self.db_path = path / DB_NAME
        self.events = ProjectEvents()
        self._db = Database(self.db_path)
        self.jobs = JobQueue(self._db, self.events, path)
        self.name = self._meta("name") or path.name
        self._conversations: ConversationStore | None = None

    @property
    def conversations(self) -> ConversationStore:
        """The project's conversations (made on first use; it settles answers as jobs end)."""
        if self._conversations is None:
            # Imported here: the conversations package builds on this one.
            from genloom.core.conversations.store import ConversationStore

            self._conversations = ConversationStore(self, self._db)
        return self._conversations

    # -- opening and closing ---------------------------------------------------

    @classmethod
    def create(cls, path: Path | str, name: str | None = None) -> Project:
        """Make a new project in ``path`` (created if needed) and open it.

        Raises :class:`ProjectExistsError` if ``path`` already holds a project,
        and :class:`DamagedProjectError` if it has no database but holds asset
        files (a project whose database was lost: a new one would disown them).
        """
        path = Path(path).expanduser().absolute()
        if (path / DB_NAME).exists():
            raise ProjectExistsError(path)
        if _holds_files(path / "assets"):
            raise DamagedProjectError(path, "genloom.db is missing but assets/ holds files")
        path.mkdir(parents=True, exist_ok=True)
        (path / "assets").mkdir(exist_ok=True)
        make_fan_out(path / "assets")
        (path / "tmp").mkdir(exist_ok=True)
        db = Database(path / DB_NAME)
        try:
            migrate(db.connection(), path)
            with db.transaction() as conn:
                conn.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                                 [("name", name or path.name), ("created", repr(time.time()))])
        finally:
            db.close()
        fsync_dir(path)
        return cls(path, _token=_OPENING)

    @classmethod
    def open(cls, path: Path | str) -> Project:
        """Open an existing project, migrating an older schema to this version's.

        Raises :class:`ProjectNotFoundError` if ``path`` has no ``genloom.db``,
        :class:`SchemaTooNewError` (leaving the file untouched) if a newer
        Genloom wrote it, and :class:`DamagedProjectError` (touching nothing)
        if the database is not a Genloom one, or is empty while ``assets/``
        holds files. Leftovers in ``tmp/`` of jobs that are not running are removed.
        """
        path = Path(path).expanduser().absolute()
        db_path = path / DB_NAME
        if not db_path.is_file():
            raise ProjectNotFoundError(path)
        found, tables = read_schema(db_path)
        if found > SCHEMA_VERSION:
            raise SchemaTooNewError(path, found, SCHEMA_VERSION)
        _refuse_damaged(path, found, tables)
        (path / "assets").mkdir(exist_ok=True)
        (path / "tmp").mkdir(exist_ok=True)
        db = Database(db_path)
        try:
            migrate(db.connection(), path)
        finally:
            db.close()
        project = cls(path, _token=_OPENING)
        clear_stale(path / "tmp", running=project.jobs.running_ids)
        return project

    @classmethod
    def open_or_create(cls, path: Path | str) -> Project:
        """Open the project at ``path``, creating it first if there is none."""
        path = Path(path).expanduser().absolute()
        if (path / DB_NAME).exists():
            return cls.open(path)
        try:
            return cls.create(path)
        except ProjectExistsError:  # another process created it just now
            return cls.open(path)

    def close(self) -> None:
        """Close the database connections of every thread. Closing twice is fine."""
        self._db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({str(self.path)!r}, name={self.name!r})"

    @property
    def db(self) -> Database:
        """The project's database, for core stores that keep their own tables in it
        (``genloom.core.boards``). Writes go through ``db.transaction()``."""
        return self._db

    def tmp_dir(self) -> Path:
        """The project's scratch folder, on the same filesystem as its assets.

        Opening the project removes the folders of jobs that are not running
        and other entries unchanged for an hour.
        """
        folder = checked_inside(self.path, "tmp")  # never a link to somewhere else
        if not folder.is_dir():  # one stat; mkdir(exist_ok=True) fails, catches and stats
            folder.mkdir(exist_ok=True)
        return folder

    def _meta(self, key: str) -> str | None:
        row = self._db.connection().execute("SELECT value FROM meta WHERE key = ?",
                                            (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- adding assets ---------------------------------------------------------

    def add_asset(self, source: bytes | Path, *, kind: str, suffix: str,
                  recipe: dict[str, Any] | None = None, parents: Sequence[int] = (),
                  tags: Sequence[str] = (), prompt: str = "", text: str = "", title: str = "",
                  generator_id: str = "", model_id: str = "", job_id: int | None = None,
                  metadata: dict[str, Any] | None = None, move: bool = False) -> Asset:
        """Store a file (given as bytes or a path) as a new asset and return it.

        ``kind`` is one of :data:`genloom.sdk.MODALITIES`; ``suffix`` the file
        extension (``".png"``). With ``move=True`` a path source is renamed into
        the store when it is on the same filesystem (else copied, then removed).
        ``parents`` are the ids of the assets it was made from. ``text`` is the
        full text of a text or code asset for search (read from the file when
        not given); ``prompt`` is the prompt that made it. Identical content is
        stored once, however many assets use it.
        """
        pending = self._stage(source, kind=kind, suffix=suffix, recipe=recipe, parents=parents,
                              tags=tags, prompt=prompt, text=text, title=title,
                              generator_id=generator_id, model_id=model_id, job_id=job_id,
                              metadata=metadata, move=move)
        try:
            with self._db.transaction() as conn:
                asset_id = self._insert(conn, pending)
        except BaseException:
            pending.staged.discard()
            raise
        pending.staged.finish()
        asset = self.get_asset(asset_id)
        self.events.asset_added.emit(asset)
        return asset

    def store_job_results(self, job_id: int, owner: str, outputs: Sequence[dict[str, Any]], *,
                          cancelled: bool = False, note: str = "") -> tuple[Job, list[Asset]]:
        """Store a job's outputs as assets and end the job, in one transaction.

        ``outputs`` are :meth:`add_asset` keyword arguments (with ``source``).
        The job must be running under ``owner`` (the engine holding its lease);
        it ends done, or with ``cancelled`` cancelled (partial results kept).
        Either everything is recorded or nothing: a crash or an error part-way
        leaves the job running (to be run again) and no asset of it, so a retry
        never duplicates what a job made. Raises :class:`JobStateError` when
        another engine holds the job (nothing is stored).
        """
        staged: list[_Pending] = []
        try:
            for output in outputs:
                staged.append(self._stage(**output))
            with self._db.transaction() as conn:
                asset_ids = [self._insert(conn, pending) for pending in staged]
                job = self.jobs.complete(conn, job_id, owner, asset_ids,
                                         cancelled=cancelled, note=note)
        except BaseException:
            for pending in staged:
                pending.staged.discard()
            raise
        for pending in staged:
            pending.staged.finish()
        assets = [self.get_asset(asset_id) for asset_id in asset_ids]
        for asset in assets:
            self.events.asset_added.emit(asset)
        self.events.job_changed.emit(job)
        return job, assets

    def _stage(self, source: bytes | Path, *, kind: str, suffix: str,
               recipe: dict[str, Any] | None = None, parents: Sequence[int] = (),
               tags: Sequence[str] = (), prompt: str = "", text: str = "", title: str = "",
               generator_id: str = "", model_id: str = "", job_id: int | None = None,
               metadata: dict[str, Any] | None = None, move: bool = False) -> _Pending:
        """Check the values and stage the file (outside any lock)."""
        if kind not in MODALITIES:
            raise ValueError(f"kind: {kind!r} is not an asset kind; use one of "
                             f"{', '.join(MODALITIES)}")
        suffix = normalise_suffix(suffix)
        recipe_json = dump_json("recipe", recipe)
        metadata_json = dump_json("metadata", metadata)
        parent_ids = tuple(int(p) for p in parents)
        tag_names = tuple(tag_sql.normalise_tags(tags))
        staged = stage(self.path, self.tmp_dir(), source, suffix, move=move)
        return _Pending(staged, dict(
            kind=kind, suffix=suffix, created=time.time(), title=title, prompt=prompt,
            text=text, recipe=recipe_json, metadata=metadata_json, generator_id=generator_id,
            model_id=model_id, job_id=job_id, parents=parent_ids, tags=tag_names))

    def _insert(self, conn: sqlite3.Connection, pending: _Pending) -> int:
        """Place the staged file and insert its rows (inside the caller's transaction)."""
        values = dict(pending.values)
        check_parents(conn, values["parents"])
        pending.staged.place()
        if values["kind"] in TEXT_KINDS and not values["text"]:
            values["text"] = read_text_file(pending.staged.target)
        return insert_asset_row(conn, AssetRow(hash=pending.staged.hash,
                                               size=pending.staged.size,
                                               path=pending.staged.rel_path, **values))

    # -- reading assets --------------------------------------------------------

    def get_asset(self, asset_id: int) -> Asset:
        """The asset with this id; :class:`AssetNotFoundError` if there is none."""
        if not _is_row_id(asset_id):  # e.g. a 40-digit id typed by hand: SQLite cannot bind it
            raise AssetNotFoundError(asset_id, self.path)
        found = self._assets(ASSET_SELECT + " WHERE a.id = ?", (asset_id,))
        if not found:
            raise AssetNotFoundError(asset_id, self.path)
        return found[0]

    def _assets(self, sql: str, params: Sequence[Any]) -> list[Asset]:
        """The assets of a query that selects :data:`ASSET_SELECT`'s columns, in order."""
        return assets_from_rows(self._rows(sql, params))

    def _rows(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        """The rows of a query as plain tuples (a sqlite3.Row per row is not needed here)."""
        cursor = self._db.connection().cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)

    def asset_path(self, asset: Asset | AssetCard | int) -> Path:
        """The absolute path of the asset's file, derived from its hash and suffix.

        The row's own ``path`` is not believed (a shared project may be
        crafted). Raises :class:`DamagedAssetError` when the row's hash or
        suffix is not one Genloom writes, and :class:`UnsafePathError` when a
        symbolic link lies on the way (``assets/`` linked elsewhere).
        """
        if not isinstance(asset, Asset | AssetCard):
            asset = self.get_asset(asset)
        try:
            rel = derived_path(asset.hash, asset.suffix)
        except ValueError as exc:
            stored = asset.path if isinstance(asset, Asset) else self.get_asset(asset.id).path
            raise DamagedAssetError(asset.id, stored, f"has a damaged row ({exc})") from None
        return checked_inside(self.path, rel)

    def verified_path(self, asset: Asset | int) -> Path:
        """:meth:`asset_path`, after checking the file still holds the asset's content.

        Reads the whole file (sha256). Raises :class:`DamagedAssetError` naming
        the asset when the file is missing or its content changed. Used before a
        file leaves the project (export) or feeds a job (an input).
        """
        if not isinstance(asset, Asset):
            asset = self.get_asset(asset)
        path = self.asset_path(asset)
        if not path.is_file():
            raise DamagedAssetError(asset.id, path, "is missing")
        found = hash_file(path)
        if found != (asset.hash, asset.size):
            raise DamagedAssetError(asset.id, path, "no longer holds the asset's content (its "
                                    "sha256 or size changed: the file was damaged or replaced)")
        return path

    def list_assets(self, where: AssetFilter | None = None, *, kind: str | None = None,
                    tag: str | None = None, min_rating: int | None = None,
                    generator_id: str | None = None, model_id: str | None = None,
                    search: str | None = None, order: str = "newest", limit: int = 200,
                    offset: int = 0) -> list[Asset]:
        """A page of assets matching every filter given, in ``order``
        (``"newest"``, ``"oldest"`` or ``"rating"``, best first).

        The filters come either as an :class:`AssetFilter` (``where``, as a view holds
        them) or as keywords, not both.
        """
        query = _asset_filter(where, kind=kind, tag=tag, min_rating=min_rating, generator_id=generator_id,
                              model_id=model_id, search=search, order=order)
        return self._assets(*_page(ASSET_SELECT, query, limit, offset))

    def list_cards(self, where: AssetFilter | None = None, *, limit: int = 200,
                   offset: int = 0) -> list[AssetCard]:
        """:meth:`list_assets`'s page as :class:`AssetCard` rows: what a gallery shows,
        read in about half the time of whole assets."""
        query = where if where is not None else AssetFilter()
        return cards_from_rows(self._rows(*_page(CARD_SELECT, query, limit, offset)))

    def count_assets(self, where: AssetFilter | None = None, *, kind: str | None = None,
                     tag: str | None = None, min_rating: int | None = None,
                     generator_id: str | None = None, model_id: str | None = None,
                     search: str | None = None) -> int:
        """How many assets match the filters (the same as :meth:`list_assets`)."""
        query = _asset_filter(where, kind=kind, tag=tag, min_rating=min_rating, generator_id=generator_id,
                              model_id=model_id, search=search)
        clause, params = query.where()
        row = self._db.connection().execute(f"SELECT count(*) FROM assets a {clause}", params).fetchone()
        return int(row[0])

    def search(self, query: str, limit: int = 200) -> list[Asset]:
        """Assets whose prompt, text, title, notes or tags contain every word of
        ``query`` (as a word or the start of one), best match first.

        Any string is a valid query: FTS5 operators and quotes are taken as text.
        """
        match = fts_query(query)
        if not match:
            return []
        # Two steps: the best ids from the index, then their rows by id, put in rank order
        # here. One joined query made SQLite sort the joined rows, every column of them,
        # by rank in a temporary b-tree.
        ids = [row[0] for row in self._db.connection().execute(
            "SELECT rowid FROM asset_search WHERE asset_search MATCH ? ORDER BY rank LIMIT ?",
            (match, int(limit)))]
        if not ids:
            return []
        found = {asset.id: asset for asset in self._assets(
            f"{ASSET_SELECT} JOIN json_each(?) j ON a.id = j.value",
            (json.dumps(ids),))}
        # An id without a row: deleted between the two reads, so not shown.
        return [found[asset_id] for asset_id in ids if asset_id in found]

    def parents(self, asset_id: int) -> list[Asset]:
        """The assets this one was made from, in the order they were given."""
        self.get_asset(asset_id)
        return self._assets(
            f"{ASSET_SELECT} JOIN asset_parents p ON p.parent_id = a.id "
            "WHERE p.child_id = ? ORDER BY p.position", (asset_id,))

    def children(self, asset_id: int) -> list[Asset]:
        """The assets made from this one, oldest first."""
        self.get_asset(asset_id)
        return self._assets(
            f"{ASSET_SELECT} JOIN asset_parents p ON p.child_id = a.id "
            "WHERE p.parent_id = ? ORDER BY a.created, a.id", (asset_id,))

    def all_tags(self) -> list[tuple[str, int]]:
        """Every tag in use and how many assets carry it, most used first."""
        return tag_sql.all_tags(self._db.connection())

    # -- changing assets -------------------------------------------------------

    def set_rating(self, asset_id: int, rating: int) -> Asset:
        """Rate the asset 1 to 5 stars, or 0 to clear the rating."""
        if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 5:
            raise ValueError(f"rating: {rating!r} is not a rating; use 0 (none) to 5 stars")
        return self._set_column(asset_id, "rating", rating)

    def set_notes(self, asset_id: int, notes: str) -> Asset:
        """Replace the asset's notes (searchable)."""
        return self._set_column(asset_id, "notes", str(notes))

    def set_title(self, asset_id: int, title: str) -> Asset:
        """Replace the asset's title (searchable)."""
        return self._set_column(asset_id, "title", str(title))

    def _set_column(self, asset_id: int, column: str, value: Any) -> Asset:
        with self._db.transaction() as conn:
            updated = conn.execute(f"UPDATE assets SET {column} = ? WHERE id = ?",
                                   (value, asset_id))
            if not updated.rowcount:
                raise AssetNotFoundError(asset_id, self.path)
            if column in ("title", "notes"):
                refresh_search_row(conn, asset_id)
        return self._changed(asset_id)

    def add_tags(self, asset_id: int, tags: Sequence[str]) -> Asset:
        """Tag the asset (tags are stripped and lower-cased; empty ones are refused)."""
        return self._retag(asset_id, tag_sql.normalise_tags(tags), tag_sql.attach_tags)

    def remove_tags(self, asset_id: int, tags: Sequence[str]) -> Asset:
        """Take tags off the asset; tags it does not have are ignored."""
        return self._retag(asset_id, tag_sql.normalise_tags(tags), tag_sql.detach_tags)

    def _retag(self, asset_id: int, names: list[str],
               change: Callable[[sqlite3.Connection, int, list[str]], object]) -> Asset:
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM assets WHERE id = ?", (asset_id,)).fetchone() is None:
                raise AssetNotFoundError(asset_id, self.path)
            change(conn, asset_id, names)
            refresh_search_row(conn, asset_id)
        return self._changed(asset_id)

    def _changed(self, asset_id: int) -> Asset:
        asset = self.get_asset(asset_id)
        self.events.asset_changed.emit(asset)
        return asset

    def delete_asset(self, asset_id: int) -> None:
        """Delete the asset: its row, lineage links, tags and search entry, and its
        file unless another asset has the same content."""
        unused: Path | None = None
        trash: Path | None = None
        try:
            with self._db.transaction() as conn:
                rel = delete_asset_row(conn, asset_id)
                # The path is derived from the row's hash and checked (no link on the
                # way); a crafted row names no file at all, so none is touched.
                unused = checked_inside(self.path, rel) if rel is not None else None
                if unused is not None and unused.is_file():
                    # Out of assets/ before the commit, under the write lock, so that
                    # no concurrent add starts relying on it; back if the commit fails.
                    trash = checked_inside(self.path, "tmp") / \
                        f"{WRITE_PREFIX}deleted-{unused.name}"
                    unused.replace(trash)
        except BaseException:
            if trash is not None and unused is not None:
                trash.replace(unused)
            raise
        if trash is not None:
            trash.unlink(missing_ok=True)
        self.events.asset_deleted.emit(asset_id)

    # -- maintenance -----------------------------------------------------------

    def check(self, repair: bool = False) -> CheckReport:
        """Compare files with rows (see :class:`CheckReport`); with ``repair=True``
        delete unused files and stale temp files, never a file an asset uses."""
        return check_project(self.path, self._db, repair=repair)


_OPENING = object()


@dataclass
class _Pending:
    """An asset staged for insertion: its file, ready to place, and its row's values."""

    staged: Staged
    values: dict[str, Any]


def _is_row_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _holds_files(folder: Path) -> bool:
    """True when ``folder`` (not followed if it is a link) has any file below it."""
    if folder.is_symlink():
        return True
    for _dirpath, _dirnames, filenames in os.walk(folder):
        if filenames:
            return True
    return False


def _refuse_damaged(path: Path, version: int, tables: frozenset[str]) -> None:
    """Raise :class:`DamagedProjectError` for a database that cannot be this project's."""
    if version == 0 and tables:
        raise DamagedProjectError(path, "genloom.db is a database of another program (its "
                                  f"tables: {', '.join(sorted(tables)[:8])})")
    if version == 0 and _holds_files(path / "assets"):
        raise DamagedProjectError(path, "genloom.db is empty but assets/ holds files")
    if version > 0 and not GENLOOM_TABLES <= tables:
        missing = ", ".join(sorted(GENLOOM_TABLES - tables))
        raise DamagedProjectError(path, f"genloom.db lacks Genloom's tables ({missing})")


def _asset_filter(where: AssetFilter | None, *, order: str = "newest", **keywords: Any) -> AssetFilter:
    """``where``, or the filter the keywords describe; both at once is a mistake."""
    if where is None:
        return AssetFilter(**keywords, order=order)
    given = sorted(name for name, value in keywords.items() if value is not None)
    if given or order != "newest":
        raise TypeError(f"list_assets: pass the filters as an AssetFilter or as keywords, not both "
                        f"(got where= and {', '.join(given) or 'order'}=)")
    return where


def _page(select: str, query: AssetFilter, limit: int, offset: int) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of one page of ``query``'s assets, read with ``select``."""
    if limit < 0 or offset < 0:
        raise ValueError(f"limit {limit} and offset {offset} must not be negative")
    clause, params = query.where()
    return (f"{select} {clause} ORDER BY {order_by(query.order)} LIMIT ? OFFSET ?",
            (*params, int(limit), int(offset)))
