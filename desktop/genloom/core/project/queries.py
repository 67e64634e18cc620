"""The asset filter: which assets a listing shows and in which order, as SQL and as a Python test.

Every filter and order is served by an index (see the schema in
:mod:`genloom.core.project.migrations`), so the first page of a large project
comes back in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genloom.core.project.search_text import fts_query
from genloom.core.project.tags import normalise_tags
from genloom.sdk import MODALITIES

if TYPE_CHECKING:
    from genloom.core.project.asset import Asset, AssetCard

__all__ = ["ORDERS", "AssetFilter", "order_by"]


@dataclass(frozen=True)
class _Order:
    """One order of the asset list: its SQL and the same order as a Python sort key."""

    sql: str
    key: Callable[[Asset | AssetCard], tuple[float, ...]]


# Each order once, as SQL and as the key of a view that places a new asset among loaded
# ones without asking the store again; tests/core/project/test_project_listing.py holds
# them to the same result.
_ORDERS: dict[str, _Order] = {
    "newest": _Order("a.created DESC, a.id DESC", lambda a: (-a.created, -a.id)),
    "oldest": _Order("a.created ASC, a.id ASC", lambda a: (a.created, a.id)),
    "rating": _Order("a.rating DESC, a.created DESC, a.id DESC", lambda a: (-a.rating, -a.created, -a.id)),
}

#: The orders :meth:`Project.list_assets` accepts, and their SQL.
ORDERS: dict[str, str] = {name: order.sql for name, order in _ORDERS.items()}


@dataclass(frozen=True)
class AssetFilter:
    """Which assets a listing shows, and in which order; ``None`` means "any".

    The one definition of the gallery's filters: the store turns it into SQL
    (:meth:`where`, :func:`order_by`), and a view that already holds a page asks it
    whether a changed asset still belongs (:meth:`matches`) and where it goes
    (:meth:`sort_key`).
    """

    kind: str | None = None
    tag: str | None = None
    min_rating: int | None = None
    generator_id: str | None = None
    model_id: str | None = None
    search: str | None = None
    order: str = "newest"

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in MODALITIES:
            raise ValueError(f"kind: {self.kind!r} is not an asset kind; use one of "
                             f"{', '.join(MODALITIES)}")
        if self.min_rating is not None and (
                isinstance(self.min_rating, bool) or not isinstance(self.min_rating, int)
                or not 0 <= self.min_rating <= 5):
            raise ValueError(f"min_rating: {self.min_rating!r} is not a rating; use 0 to 5")
        if self.tag is not None:
            object.__setattr__(self, "tag", normalise_tags([self.tag])[0])
        order_by(self.order)  # an unknown order is refused here, not at the first query

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (with ``WHERE``, or "") over ``assets a``, and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("kind", "generator_id", "model_id"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"a.{column} = ?")
                params.append(value)
        if self.min_rating is not None:
            clauses.append("a.rating >= ?")
            params.append(self.min_rating)
        if self.tag is not None:
            clauses.append("a.id IN (SELECT x.asset_id FROM asset_tags x JOIN tags t "
                           "ON t.id = x.tag_id WHERE t.name = ?)")
            params.append(self.tag)
        if self.search is not None and self.search.strip():
            match = fts_query(self.search)
            if match:
                clauses.append("a.id IN (SELECT rowid FROM asset_search WHERE asset_search MATCH ?)")
                params.append(match)
            else:  # punctuation only: no word can match
                clauses.append("0")
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params

    def matches(self, asset: Asset) -> bool | None:
        """Whether ``asset`` passes the filters, as :meth:`where` decides; ``None`` when only
        the store can tell (a search query is answered by the full-text index)."""
        if self.kind is not None and asset.kind != self.kind:
            return False
        if self.generator_id is not None and asset.generator_id != self.generator_id:
            return False
        if self.model_id is not None and asset.model_id != self.model_id:
            return False
        if self.min_rating is not None and asset.rating < self.min_rating:
            return False
        if self.tag is not None and self.tag not in asset.tags:
            return False
        if self.search is not None and self.search.strip():
            return None if fts_query(self.search) else False
        return True

    def sort_key(self, asset: Asset | AssetCard) -> tuple[float, ...]:
        """``asset``'s ascending key in this filter's order (the store's ORDER BY)."""
        return _ORDERS[self.order].key(asset)


def order_by(order: str) -> str:
    """The ORDER BY expression of a named order; :class:`ValueError` for an unknown name."""
    try:
        return ORDERS[order]
    except KeyError:
        raise ValueError(f"order: {order!r} is not an order; use one of "
                         f"{', '.join(ORDERS)}") from None
