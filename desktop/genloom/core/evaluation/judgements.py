"""Pairwise (and up to four-way) judgements: "I prefer this one", stored per project.

A judgement compares two to four assets of one kind; one is preferred, or it is a tie.
Each entry keeps, as it was when judged, what a leaderboard ranks: the asset's
generator, model and *setting* (the recipe parameters that differed between the
compared assets, :func:`settings_of`). So deleting an asset later only clears the
entry's ``asset_id``: the judgement and every leaderboard built from it stay the same.
Judgements never delete or change an asset.

:func:`check_comparable` is the one owner of "which assets can be compared"; the
compare view asks it before it opens.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genloom.core.events import Signal
from genloom.core.project.per_project import PerProject
from genloom.sdk.errors import GenloomError, Remedy

if TYPE_CHECKING:
    import sqlite3

    from genloom.core.project import Asset, Project

__all__ = ["MAX_COMPARED", "MIN_COMPARED", "Judgement", "JudgementEntry", "JudgementError", "JudgementEvents",
           "Judgements", "check_comparable", "judgements_of", "settings_of"]

MIN_COMPARED = 2
MAX_COMPARED = 4
_NOTE_LIMIT = 2000


class JudgementError(GenloomError, ValueError):
    """Assets that cannot be compared, or a preference that names none of them."""


@dataclass(frozen=True)
class JudgementEntry:
    """One compared asset as it was judged (``asset_id`` is None once it is deleted)."""

    position: int
    asset_id: int | None
    preferred: bool
    kind: str
    generator_id: str
    model_id: str
    setting: dict[str, Any] = field(default_factory=dict)

    @property
    def setting_label(self) -> str:
        """``steps=20, scheduler=ddim`` (empty when nothing differed)."""
        return ", ".join(f"{key}={_short(value)}" for key, value in sorted(self.setting.items()))


@dataclass(frozen=True)
class Judgement:
    """A comparison: its entries in the order shown, and which was preferred (or a tie)."""

    id: int
    created: float
    tie: bool
    note: str
    entries: tuple[JudgementEntry, ...]

    @property
    def preferred(self) -> JudgementEntry | None:
        return next((e for e in self.entries if e.preferred), None)


def check_comparable(assets: Sequence[Asset]) -> None:
    """Raise :class:`JudgementError` unless ``assets`` are two to four distinct assets of
    one kind."""
    ids = [a.id for a in assets]
    if len(set(ids)) != len(ids):
        raise JudgementError(f"assets {', '.join(map(str, ids))}: the same asset is listed twice; "
                             "compare different assets", remedy=Remedy("list_assets"))
    if not MIN_COMPARED <= len(assets) <= MAX_COMPARED:
        raise JudgementError(f"{len(assets)} assets selected: compare {MIN_COMPARED} to "
                             f"{MAX_COMPARED} assets at a time; select fewer or more")
    kinds = sorted({a.kind for a in assets})
    if len(kinds) > 1:
        raise JudgementError(f"the selection mixes kinds ({', '.join(kinds)}): compare assets of "
                             "one kind; select only images, only audio, ...")


def settings_of(assets: Sequence[Asset]) -> list[dict[str, Any]]:
    """For each asset, its recipe parameters whose values differ among ``assets``.

    That is what was being compared: two schedulers, three step counts. The seed is not
    a parameter (recipes keep it apart), so seeds never make a setting.
    """
    params = [dict((a.recipe or {}).get("params") or {}) for a in assets]
    keys = sorted({key for p in params for key in p})
    differing = [key for key in keys if len({_canonical(p.get(key)) for p in params}) > 1]
    return [{key: p.get(key) for key in differing} for p in params]


class JudgementEvents:
    """``changed(judgement_id)``: a judgement was recorded or deleted (on the thread that did it)."""

    def __init__(self) -> None:
        self.changed = Signal("judgements_changed")


class Judgements:
    """The judgements of one project (thread-safe as the project is)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._db = project.db
        self.events = JudgementEvents()

    def record(self, asset_ids: Sequence[int], preferred: int | None, note: str = "") -> Judgement:
        """Store a judgement of ``asset_ids``: ``preferred`` is one of them, or None for a tie."""
        assets = [self.project.get_asset(asset_id) for asset_id in asset_ids]
        check_comparable(assets)
        if preferred is not None and preferred not in asset_ids:
            raise JudgementError(f"preferred asset {preferred!r} is not among the compared "
                                 f"assets {', '.join(map(str, asset_ids))}; prefer one of them "
                                 "or call it a tie")
        if not isinstance(note, str) or len(note) > _NOTE_LIMIT:
            raise JudgementError(f"note: a text of at most {_NOTE_LIMIT} characters is needed; "
                                 "shorten it")
        settings = settings_of(assets)
        with self._db.transaction() as conn:
            cur = conn.execute("INSERT INTO judgements (created, tie, note) VALUES (?, ?, ?)",
                               (time.time(), int(preferred is None), note))
            judgement_id = int(cur.lastrowid or 0)
            for position, (asset, setting) in enumerate(zip(assets, settings, strict=True)):
                conn.execute(
                    "INSERT INTO judgement_entries (judgement_id, position, asset_id, preferred, "
                    "kind, generator_id, model_id, setting) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (judgement_id, position, asset.id, int(asset.id == preferred), asset.kind,
                     asset.generator_id, asset.model_id, _canonical(setting)))
        self.events.changed.emit(judgement_id)
        return self.get(judgement_id)

    def get(self, judgement_id: int) -> Judgement:
        found = self._select("WHERE j.id = ?", (judgement_id,))
        if not found:
            raise JudgementError(f"no judgement with id {judgement_id!r} in this project")
        return found[0]

    def all(self) -> list[Judgement]:
        """Every judgement, oldest first."""
        return self._select("", ())

    def of_asset(self, asset_id: int) -> list[Judgement]:
        """The judgements an asset took part in, oldest first."""
        return self._select("WHERE j.id IN (SELECT judgement_id FROM judgement_entries "
                            "WHERE asset_id = ?)", (asset_id,))

    def delete(self, judgement_id: int) -> None:
        """Forget a judgement (its assets stay)."""
        self.get(judgement_id)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM judgements WHERE id = ?", (judgement_id,))
        self.events.changed.emit(judgement_id)

    def _select(self, where: str, args: tuple[Any, ...]) -> list[Judgement]:
        conn: sqlite3.Connection = self._db.connection()
        rows = conn.execute(
            "SELECT j.id, j.created, j.tie, j.note, e.position, e.asset_id, e.preferred, e.kind, "
            "e.generator_id, e.model_id, e.setting FROM judgements j "
            f"JOIN judgement_entries e ON e.judgement_id = j.id {where} "
            "ORDER BY j.id, e.position", args).fetchall()
        judgements: dict[int, tuple[tuple[Any, ...], list[JudgementEntry]]] = {}
        for row in rows:
            head, entries = judgements.setdefault(int(row[0]), (tuple(row[:4]), []))
            entries.append(JudgementEntry(int(row[4]), None if row[5] is None else int(row[5]),
                                          bool(row[6]), str(row[7]), str(row[8]), str(row[9]),
                                          _setting(row[10])))
        return [Judgement(int(h[0]), float(h[1]), bool(h[2]), str(h[3]), tuple(entries))
                for h, entries in judgements.values()]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _setting(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}  # a damaged row ranks as "no setting" rather than breaking the board
    return value if isinstance(value, dict) else {}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


_JUDGEMENTS: PerProject[Judgements] = PerProject(Judgements)


def judgements_of(project: Project) -> Judgements:
    """The project's :class:`Judgements`, one per open project (so views share its signal)."""
    return _JUDGEMENTS(project)
