"""A project's boards in its database, every edit undoable.

:class:`Boards` reads and edits the boards, shots and takes of one project. Each
edit runs in one write transaction together with its undo record (the inverse
operations, in ``board_undo``), so :meth:`Boards.undo` works across restarts and
processes; the last :data:`UNDO_DEPTH` edits of each board can be undone. Nothing
here deletes an asset: removing a take unlinks it, removing a shot hides it (undo
brings it back with its takes). When an asset is deleted, the database removes its
takes (``ON DELETE CASCADE``); an undo that would bring such a take back skips it.

Changes are announced by ``project.events.board_changed(board_id)`` after the commit
(also when a take job finishes: :func:`boards_of` listens to the project's jobs).
"""

from __future__ import annotations

import json
import sqlite3
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from genloom.core.boards.errors import (
    BoardError,
    BoardNotFoundError,
    ShotNotFoundError,
    TakeNotFoundError,
)
from genloom.core.boards.model import (
    DEFAULT_DURATION,
    Board,
    BoardStyle,
    Shot,
    Take,
    check_shot_values,
    track_for_kind,
)
from genloom.core.project.per_project import PerProject
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.project import Job, Project

__all__ = ["UNDO_DEPTH", "Boards", "boards_of"]

#: How many of a board's latest edits can be undone.
UNDO_DEPTH = 100
_NAME_LIMIT = 200
_SHOT_COLUMNS = ("id", "board_id", "position", "description", "duration", "camera", "dialogue",
                 "character", "notes", "scene", "removed")

Op = list[Any]


class Boards:
    """The boards of ``project``. Thread-safe as the project is (a connection per thread)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._db = project.db

    # -- boards ------------------------------------------------------------------

    def create(self, name: str, style: BoardStyle | Mapping[str, Any] | None = None) -> Board:
        """A new, empty board."""
        name = _check_name(name)
        style = style if isinstance(style, BoardStyle) else BoardStyle.from_dict(style or {})
        with self._db.transaction() as conn:
            board_id = self._insert_board(conn, name, style)
        self._announce(board_id)
        return self.get(board_id)

    def _insert_board(self, conn: sqlite3.Connection, name: str, style: BoardStyle) -> int:
        cur = conn.execute("INSERT INTO boards (name, created, style) VALUES (?, ?, ?)",
                           (name, time.time(), json.dumps(style.to_dict())))
        return int(cur.lastrowid or 0)

    def all(self) -> list[Board]:
        """Every board, oldest first."""
        rows = self._conn().execute(_BOARD_SELECT + " GROUP BY b.id ORDER BY b.id").fetchall()
        return [_board(row) for row in rows]

    def get(self, board_id: int) -> Board:
        row = self._conn().execute(_BOARD_SELECT + " WHERE b.id = ? GROUP BY b.id",
                                   (_row_id(board_id),)).fetchone()
        if row is None:
            raise BoardNotFoundError(board_id)
        return _board(row)

    def rename(self, board_id: int, name: str) -> Board:
        name = _check_name(name)
        board = self.get(board_id)
        with self._edit(board_id, "rename board") as ops:
            self._conn().execute("UPDATE boards SET name = ? WHERE id = ?", (name, board_id))
            ops.append(["board", board_id, {"name": board.name}])
        return self.get(board_id)

    def set_style(self, board_id: int, **changes: Any) -> Board:
        """Change some of the board's style settings (see :class:`BoardStyle`)."""
        board = self.get(board_id)
        style = board.style.changed(**changes)
        with self._edit(board_id, "change style") as ops:
            self._conn().execute("UPDATE boards SET style = ? WHERE id = ?",
                                 (json.dumps(style.to_dict()), board_id))
            ops.append(["board", board_id, {"style": board.style.to_dict()}])
        return self.get(board_id)

    def keep_seed(self, board_id: int, seed: int) -> None:
        """Record the seed the engine drew for a ``fixed`` board (not an edit to undo)."""
        style = self.get(board_id).style.changed(seed=seed)
        with self._db.transaction() as conn:
            conn.execute("UPDATE boards SET style = ? WHERE id = ?",
                         (json.dumps(style.to_dict()), board_id))

    def delete(self, board_id: int) -> None:
        """Delete the board, its shots, takes links and undo log; its assets stay."""
        self.get(board_id)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM boards WHERE id = ?", (board_id,))
        self._announce(board_id)

    # -- shots -------------------------------------------------------------------

    def shots(self, board_id: int) -> list[Shot]:
        """The board's shots in order, numbered from 1, each with its takes."""
        self.get(board_id)
        conn = self._conn()
        rows = conn.execute(f"SELECT {', '.join(_SHOT_COLUMNS)} FROM board_shots "
                            "WHERE board_id = ? AND removed = 0 ORDER BY position, id",
                            (board_id,)).fetchall()
        takes = self._takes_of(conn, [row[0] for row in rows])
        return [_shot(row, number, takes.get(row[0], ()))
                for number, row in enumerate(rows, start=1)]

    def shot(self, shot_id: int) -> Shot:
        """One shot (not removed), with its number on its board."""
        row = self._conn().execute(
            f"SELECT {', '.join(_SHOT_COLUMNS)} FROM board_shots WHERE id = ? AND removed = 0",
            (_row_id(shot_id),)).fetchone()
        if row is None:
            raise ShotNotFoundError(shot_id)
        for shot in self.shots(int(row[1])):
            if shot.id == shot_id:
                return shot
        raise ShotNotFoundError(shot_id)  # pragma: no cover - removed between the two reads

    def add_shot(self, board_id: int, *, index: int | None = None, **values: Any) -> Shot:
        """Add a shot (at ``index`` from 0, else at the end); ``values`` as in :data:`SHOT_FIELDS`."""
        (shot_id,) = self.add_shots(board_id, [values], index=index)
        return self.shot(shot_id)

    def add_shots(self, board_id: int, rows: Sequence[Mapping[str, Any]], *,
                  index: int | None = None, label: str = "") -> list[int]:
        """Add several shots in one transaction (one undo step); returns their ids."""
        checked = [check_shot_values({"duration": DEFAULT_DURATION, **row}) for row in rows]
        self.get(board_id)
        with self._edit(board_id, label or ("add shot" if len(rows) == 1 else
                                            f"add {len(rows)} shots")) as ops:
            return self._add_shots(self._conn(), board_id, checked, index, ops)

    def _add_shots(self, conn: sqlite3.Connection, board_id: int,
                   checked: Sequence[Mapping[str, Any]], index: int | None, ops: list[Op]) -> list[int]:
        visible = [int(r[0]) for r in conn.execute(
            "SELECT position FROM board_shots WHERE board_id = ? AND removed = 0 "
            "ORDER BY position, id", (board_id,))]
        top = conn.execute("SELECT max(position) FROM board_shots WHERE board_id = ?",
                           (board_id,)).fetchone()[0]
        if index is None or index >= len(visible):
            start = (int(top) + 1) if top is not None else 0
        else:
            if index < 0:
                raise ParameterError("index", index, "is negative", "give a place from 0")
            start = visible[index]
            ops.append(["positions", self._positions(conn, board_id)])
            conn.execute("UPDATE board_shots SET position = position + ? "
                         "WHERE board_id = ? AND position >= ?", (len(checked), board_id, start))
        ids = []
        for offset, values in enumerate(checked):
            names = ["board_id", "position", *values]
            cur = conn.execute(
                f"INSERT INTO board_shots ({', '.join(names)}) VALUES "
                f"({', '.join('?' * len(names))})", (board_id, start + offset, *values.values()))
            ids.append(int(cur.lastrowid or 0))
            ops.append(["shot", ids[-1], {"removed": 1}])
        return ids

    def store_script(self, rows: Sequence[Mapping[str, Any]], *, board_id: int | None,
                     name: str, label: str) -> tuple[int, list[int]]:
        """Shots of a parsed script into a new board (``board_id`` None, named ``name``) or
        appended to a board, all in one transaction; returns ``(board id, shot ids)``."""
        checked = [check_shot_values({"duration": DEFAULT_DURATION, **row}) for row in rows]
        if board_id is None:
            name = _check_name(name[:_NAME_LIMIT])
            with self._db.transaction() as conn:
                board_id = self._insert_board(conn, name, BoardStyle())
                ids = self._add_shots(conn, board_id, checked, None, [])  # a new board: no undo
            self._announce(board_id)
            return board_id, ids
        self.get(board_id)
        with self._edit(board_id, label) as ops:
            ids = self._add_shots(self._conn(), board_id, checked, None, ops)
        return board_id, ids

    def update_shot(self, shot_id: int, **values: Any) -> Shot:
        """Change some of a shot's fields."""
        checked = check_shot_values(values)
        shot = self.shot(shot_id)
        if not checked:
            return shot
        with self._edit(shot.board_id, f"edit shot {shot.number}") as ops:
            ops.append(["shot", shot_id, {name: getattr(shot, name) for name in checked}])
            self._set_shot(self._conn(), shot_id, checked)
        return self.shot(shot_id)

    def remove_shot(self, shot_id: int) -> None:
        """Take the shot off its board (undo brings it back, with its takes)."""
        shot = self.shot(shot_id)
        with self._edit(shot.board_id, f"remove shot {shot.number}") as ops:
            self._set_shot(self._conn(), shot_id, {"removed": 1})
            ops.append(["shot", shot_id, {"removed": 0}])

    def move_shot(self, shot_id: int, index: int) -> list[Shot]:
        """Move a shot to place ``index`` (from 0); returns the board's shots in the new order."""
        shot = self.shot(shot_id)
        order = [s.id for s in self.shots(shot.board_id) if s.id != shot_id]
        if not isinstance(index, int) or not 0 <= index <= len(order):
            raise ParameterError("index", index, "is not a place on the board",
                                 f"give 0 to {len(order)}")
        order.insert(index, shot_id)
        return self.reorder(shot.board_id, order)

    def reorder(self, board_id: int, shot_ids: Sequence[int]) -> list[Shot]:
        """Put the board's shots in the order of ``shot_ids`` (all of them, each once)."""
        current = self.shots(board_id)
        if sorted(shot_ids) != sorted(s.id for s in current):
            raise ParameterError("order", list(shot_ids), "is not the board's shots each once",
                                 f"give a permutation of {[s.id for s in current]}")
        if list(shot_ids) == [s.id for s in current]:
            return current
        with self._edit(board_id, "reorder shots") as ops:
            conn = self._conn()
            ops.append(["positions", self._positions(conn, board_id)])
            slots = sorted(int(r[0]) for r in conn.execute(
                "SELECT position FROM board_shots WHERE board_id = ? AND removed = 0", (board_id,)))
            if len(set(slots)) != len(slots):  # never happens from here; be safe with old data
                slots = list(range(max(slots, default=0) + 1, max(slots, default=0) + 1 + len(slots)))
            for shot_id, position in zip(shot_ids, slots, strict=True):
                conn.execute("UPDATE board_shots SET position = ? WHERE id = ?", (position, shot_id))
        return self.shots(board_id)

    # -- takes -------------------------------------------------------------------

    def takes(self, shot_id: int, track: str | None = None) -> list[Take]:
        """The shot's takes, oldest first (one track's with ``track``)."""
        self.shot(shot_id)
        found = self._takes_of(self._conn(), [shot_id]).get(shot_id, ())
        return [t for t in found if track is None or t.track == track]

    def take(self, take_id: int) -> Take:
        row = self._conn().execute(_TAKE_SELECT + " WHERE t.id = ?", (_row_id(take_id),)).fetchone()
        if row is None:
            raise TakeNotFoundError(take_id)
        return _take(row)

    def add_take(self, shot_id: int, asset_id: int, *, track: str | None = None,
                 select: bool = False) -> Take:
        """Link an existing asset to a shot's track (the kind's default track when not given).

        The first take of a track is selected; with ``select`` this one is.
        """
        shot = self.shot(shot_id)
        asset = self.project.get_asset(asset_id)
        track = track_for_kind(asset.kind, track)
        with self._edit(shot.board_id, f"add take to shot {shot.number}") as ops:
            conn = self._conn()
            existing = conn.execute("SELECT id FROM board_takes WHERE shot_id = ? AND track = ? "
                                    "AND asset_id = ?", (shot_id, track, asset_id)).fetchone()
            if existing is not None:
                take_id = int(existing[0])
            else:
                cur = conn.execute("INSERT INTO board_takes (shot_id, track, asset_id, created) "
                                   "VALUES (?, ?, ?, ?)", (shot_id, track, asset_id, time.time()))
                take_id = int(cur.lastrowid or 0)
                ops.append(["take_del", take_id])
            chosen = self._selected_id(conn, shot_id, track)
            if select or chosen is None:
                self._select(conn, shot_id, track, take_id, ops)
        return self.take(take_id)

    def remove_take(self, take_id: int) -> None:
        """Unlink a take from its shot (the asset stays). Another take of the track is
        not selected in its place: the user chooses."""
        take = self.take(take_id)
        shot = self.shot(take.shot_id)
        with self._edit(shot.board_id, f"remove take from shot {shot.number}") as ops:
            conn = self._conn()
            row = dict(zip(("id", "shot_id", "track", "asset_id", "selected", "created", "job_id"),
                           conn.execute("SELECT id, shot_id, track, asset_id, selected, created, "
                                        "job_id FROM board_takes WHERE id = ?", (take_id,)).fetchone(),
                           strict=True))
            conn.execute("DELETE FROM board_takes WHERE id = ?", (take_id,))
            ops.append(["take_add", row])

    def select_take(self, take_id: int) -> Take:
        """Make this take its track's selected one."""
        take = self.take(take_id)
        shot = self.shot(take.shot_id)
        if take.selected:
            return take
        with self._edit(shot.board_id, f"select take for shot {shot.number}") as ops:
            self._select(self._conn(), take.shot_id, take.track, take_id, ops)
        return self.take(take_id)

    def _select(self, conn: sqlite3.Connection, shot_id: int, track: str, take_id: int | None,
                ops: list[Op]) -> None:
        ops.append(["select", shot_id, track, self._selected_id(conn, shot_id, track)])
        conn.execute("UPDATE board_takes SET selected = 0 WHERE shot_id = ? AND track = ?",
                     (shot_id, track))
        if take_id is not None:
            conn.execute("UPDATE board_takes SET selected = 1 WHERE id = ?", (take_id,))

    @staticmethod
    def _selected_id(conn: sqlite3.Connection, shot_id: int, track: str) -> int | None:
        row = conn.execute("SELECT id FROM board_takes WHERE shot_id = ? AND track = ? AND "
                           "selected = 1", (shot_id, track)).fetchone()
        return None if row is None else int(row[0])

    def _takes_of(self, conn: sqlite3.Connection, shot_ids: Sequence[int]) -> dict[int, tuple[Take, ...]]:
        found: dict[int, list[Take]] = {}
        for start in range(0, len(shot_ids), 500):
            chunk = list(shot_ids[start:start + 500])
            rows = conn.execute(_TAKE_SELECT + f" WHERE t.shot_id IN ({','.join('?' * len(chunk))}) "
                                "ORDER BY t.id", chunk)
            for row in rows:
                take = _take(row)
                found.setdefault(take.shot_id, []).append(take)
        return {key: tuple(value) for key, value in found.items()}

    # -- jobs --------------------------------------------------------------------

    def link_job(self, job_id: int, board_id: int, shot_id: int | None, track: str,
                  follow_up: Mapping[str, Any] | None = None) -> None:
        """Record that ``job_id`` makes a take of ``track`` for ``shot_id`` (or the board's
        cut, track ``cut``). When it finishes, its assets attach as takes: a database
        trigger does it in the transaction that stores them, so no restart loses one (a job
        already done when linked attaches here). ``follow_up`` is a job to queue with the
        first result as input (see :func:`genloom.core.boards.takes.advance`)."""
        with self._db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO board_jobs (job_id, board_id, shot_id, track, "
                         "follow_up) VALUES (?, ?, ?, ?, ?)",
                         (job_id, board_id, shot_id, track,
                          json.dumps(dict(follow_up)) if follow_up else ""))
            # A no-op update of a finished job fires the attaching trigger for it.
            conn.execute("UPDATE jobs SET state = state WHERE id = ? AND state IN "
                         "('done', 'cancelled')", (job_id,))
        self._announce(board_id)

    def pending_follow_ups(self) -> list[tuple[int, int, int | None, dict[str, Any], list[int]]]:
        """Finished take jobs whose follow-up is not queued yet: ``(job id, board id, shot id,
        follow-up, the job's asset ids)``."""
        rows = self._conn().execute(
            "SELECT l.job_id, l.board_id, l.shot_id, l.follow_up, j.asset_ids FROM board_jobs l "
            "JOIN jobs j ON j.id = l.job_id WHERE l.follow_up != '' AND l.followed_by IS NULL "
            "AND j.state = 'done' ORDER BY l.job_id").fetchall()
        found = []
        for job_id, board_id, shot_id, follow_up, asset_ids in rows:
            try:
                data, ids = json.loads(follow_up), [int(i) for i in json.loads(asset_ids or "[]")]
            except (ValueError, TypeError):
                continue  # a damaged row: nothing to follow
            if isinstance(data, dict):
                found.append((int(job_id), int(board_id), shot_id, data, ids))
        return found

    def claim_follow_up(self, job_id: int) -> bool:
        """Take the follow-up of ``job_id`` to queue it (False: another caller has it)."""
        with self._db.transaction() as conn:
            cur = conn.execute("UPDATE board_jobs SET followed_by = 0 WHERE job_id = ? AND "
                               "followed_by IS NULL", (job_id,))
            return cur.rowcount == 1

    def mark_followed(self, job_id: int, followed_by: int) -> None:
        """The follow-up of ``job_id`` was queued as ``followed_by`` (0: it cannot be)."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE board_jobs SET followed_by = ? WHERE job_id = ?",
                         (followed_by, job_id))

    def board_of_job(self, job_id: int) -> tuple[int, int | None, str] | None:
        """``(board id, shot id, track)`` of a job made for a board, else None."""
        row = self._conn().execute("SELECT board_id, shot_id, track FROM board_jobs WHERE job_id = ?",
                                   (job_id,)).fetchone()
        return None if row is None else (int(row[0]), row[1], str(row[2]))

    def jobs(self, board_id: int, track: str | None = None) -> list[int]:
        """The ids of the jobs queued for the board (newest last)."""
        rows = self._conn().execute(
            "SELECT job_id FROM board_jobs WHERE board_id = ? AND (? IS NULL OR track = ?) "
            "ORDER BY job_id", (board_id, track, track))
        return [int(r[0]) for r in rows]

    def cuts(self, board_id: int) -> list[int]:
        """The asset ids of the board's finished draft cuts, newest last."""
        rows = self._conn().execute(
            "SELECT j.asset_ids FROM board_jobs l JOIN jobs j ON j.id = l.job_id "
            "WHERE l.board_id = ? AND l.track = 'cut' AND j.state = 'done' ORDER BY j.id",
            (board_id,))
        found: list[int] = []
        for (ids,) in rows:
            for asset_id in json.loads(ids or "[]"):
                if self._conn().execute("SELECT 1 FROM assets WHERE id = ?", (asset_id,)).fetchone():
                    found.append(int(asset_id))
        return found

    # -- undo --------------------------------------------------------------------

    def history(self, board_id: int) -> list[str]:
        """The labels of the edits that can be undone, newest first."""
        self.get(board_id)
        rows = self._conn().execute("SELECT label FROM board_undo WHERE board_id = ? "
                                    "ORDER BY id DESC", (board_id,))
        return [str(r[0]) for r in rows]

    def undo(self, board_id: int) -> str | None:
        """Undo the board's latest edit; returns its label, or None when there is none."""
        self.get(board_id)
        try:
            with self._db.transaction() as conn:
                row = conn.execute("SELECT id, label, ops FROM board_undo WHERE board_id = ? "
                                   "ORDER BY id DESC LIMIT 1", (board_id,)).fetchone()
                if row is None:
                    return None
                for op in reversed(json.loads(row[2])):
                    self._apply(conn, op)
                conn.execute("DELETE FROM board_undo WHERE id = ?", (row[0],))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError,
                sqlite3.IntegrityError) as exc:
            # A damaged (or crafted) record: nothing of it was applied; drop it so that the
            # edits before it can still be undone.
            with self._db.transaction() as conn:
                conn.execute("DELETE FROM board_undo WHERE id = ?", (row[0],))
            raise BoardError(f"board {board_id}'s last undo record ({row[1]!r}) is damaged "
                             f"({type(exc).__name__}: {exc}); nothing was changed and the "
                             "record was dropped, so undo works again for the edits before "
                             "it") from None
        self._announce(board_id)
        return str(row[1])

    def _apply(self, conn: sqlite3.Connection, op: Op) -> None:
        kind = op[0]
        if kind == "shot":
            self._set_shot(conn, int(op[1]), dict(op[2]))
        elif kind == "positions":
            for shot_id, position in op[1].items():
                conn.execute("UPDATE board_shots SET position = ? WHERE id = ?",
                             (int(position), int(shot_id)))
        elif kind == "take_del":
            conn.execute("DELETE FROM board_takes WHERE id = ?", (int(op[1]),))
        elif kind == "take_add":
            row = op[1]
            # The asset may have been deleted since: then the take cannot come back.
            if conn.execute("SELECT 1 FROM assets WHERE id = ?", (row["asset_id"],)).fetchone():
                if row["selected"]:
                    conn.execute("UPDATE board_takes SET selected = 0 WHERE shot_id = ? AND "
                                 "track = ?", (row["shot_id"], row["track"]))
                conn.execute("INSERT OR IGNORE INTO board_takes (id, shot_id, track, asset_id, "
                             "selected, created, job_id) VALUES (:id, :shot_id, :track, :asset_id, "
                             ":selected, :created, :job_id)", row)
        elif kind == "select":
            _, shot_id, track, take_id = op
            conn.execute("UPDATE board_takes SET selected = 0 WHERE shot_id = ? AND track = ?",
                         (shot_id, track))
            if take_id is not None:
                conn.execute("UPDATE board_takes SET selected = 1 WHERE id = ?", (take_id,))
        elif kind == "board":
            changes = dict(op[2])
            if "name" in changes:
                conn.execute("UPDATE boards SET name = ? WHERE id = ?", (changes["name"], op[1]))
            if "style" in changes:
                conn.execute("UPDATE boards SET style = ? WHERE id = ?",
                             (json.dumps(changes["style"]), op[1]))

    @contextmanager
    def _edit(self, board_id: int, label: str) -> Iterator[list[Op]]:
        """One undoable edit: the body appends inverse operations; they are stored with it."""
        ops: list[Op] = []
        with self._db.transaction() as conn:
            yield ops
            if ops:
                conn.execute("INSERT INTO board_undo (board_id, label, ops, created) "
                             "VALUES (?, ?, ?, ?)", (board_id, label, json.dumps(ops), time.time()))
                conn.execute("DELETE FROM board_undo WHERE board_id = ? AND id NOT IN (SELECT id "
                             "FROM board_undo WHERE board_id = ? ORDER BY id DESC LIMIT ?)",
                             (board_id, board_id, UNDO_DEPTH))
        self._announce(board_id)

    # -- helpers -----------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        return self._db.connection()

    @staticmethod
    def _set_shot(conn: sqlite3.Connection, shot_id: int, values: Mapping[str, Any]) -> None:
        names = [n for n in values if n in _SHOT_COLUMNS and n not in ("id", "board_id")]
        if names:
            conn.execute(f"UPDATE board_shots SET {', '.join(f'{n} = ?' for n in names)} "
                         "WHERE id = ?", (*(values[n] for n in names), shot_id))

    @staticmethod
    def _positions(conn: sqlite3.Connection, board_id: int) -> dict[str, int]:
        return {str(r[0]): int(r[1]) for r in conn.execute(
            "SELECT id, position FROM board_shots WHERE board_id = ?", (board_id,))}

    def _announce(self, board_id: int) -> None:
        self.project.events.board_changed.emit(board_id)


_BOARD_SELECT = """
    SELECT b.id, b.name, b.created, b.style, count(s.id), coalesce(sum(s.duration), 0)
      FROM boards b LEFT JOIN board_shots s ON s.board_id = b.id AND s.removed = 0
"""
_TAKE_SELECT = """
    SELECT t.id, t.shot_id, t.track, t.asset_id, a.kind, t.selected, t.created, t.job_id
      FROM board_takes t JOIN assets a ON a.id = t.asset_id
"""


def _board(row: sqlite3.Row) -> Board:
    try:
        style = BoardStyle.from_dict(json.loads(row[3]))
    except (ValueError, TypeError):
        style = BoardStyle()  # a damaged or foreign style: the defaults, never a crash
    return Board(int(row[0]), str(row[1]), float(row[2]), style, int(row[4]), float(row[5]))


def _shot(row: Sequence[Any], number: int, takes: Sequence[Take]) -> Shot:
    (shot_id, board_id, _position, description, duration, camera, dialogue, character, notes,
     scene, _removed) = row
    return Shot(int(shot_id), int(board_id), number, description, float(duration), camera,
                dialogue, character, notes, scene, tuple(takes))


def _take(row: Sequence[Any]) -> Take:
    return Take(int(row[0]), int(row[1]), str(row[2]), int(row[3]), str(row[4]), bool(row[5]),
                float(row[6]), None if row[7] is None else int(row[7]))


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ParameterError("name", name, "is not a board name", "give a non-empty name")
    if len(name) > _NAME_LIMIT:
        raise ParameterError("name", name[:40] + "...", f"is longer than {_NAME_LIMIT} characters",
                             "shorten it")
    return name.strip()


def _row_id(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return -1  # found nowhere: the caller's "not found" error names the value


def boards_of(project: Project) -> Boards:
    """The project's :class:`Boards`, one per open project.

    It also turns a finished take or cut job into ``board_changed`` for the board the
    job was made for (the takes themselves were attached by the database as the job's
    results were stored).
    """
    return _BOARDS(project)


def _new_boards(project: Project) -> Boards:
    boards = Boards(project)
    project.events.job_changed.connect(_job_listener(weakref.ref(boards)))
    return boards


_BOARDS: PerProject[Boards] = PerProject(_new_boards)


def _job_listener(ref: weakref.ReferenceType[Boards]) -> Any:
    def on_job_changed(job: Job) -> None:
        boards = ref()
        if boards is None or job.state not in ("done", "cancelled", "failed"):
            return
        link = boards.board_of_job(job.id)
        if link is not None:
            boards.project.events.board_changed.emit(link[0])

    return on_job_changed
