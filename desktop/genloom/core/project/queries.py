"""Turning gallery filters into SQL: which assets, in which order.

Every filter and order is served by an index (see the schema in
:mod:`genloom.core.project.migrations`), so the first page of a large project
comes back in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genloom.core.project.search_text import fts_query
from genloom.core.project.tags import normalise_tags
from genloom.sdk import MODALITIES

__all__ = ["ORDERS", "AssetFilter", "order_by"]

#: The orders :meth:`Project.list_assets` accepts, and their SQL.
ORDERS: dict[str, str] = {
    "newest": "a.created DESC, a.id DESC",
    "oldest": "a.created ASC, a.id ASC",
    "rating": "a.rating DESC, a.created DESC, a.id DESC",
}


@dataclass(frozen=True)
class AssetFilter:
    """The filters of :meth:`Project.list_assets`, checked; ``None`` means "any"."""

    kind: str | None = None
    tag: str | None = None
    min_rating: int | None = None
    generator_id: str | None = None
    model_id: str | None = None
    search: str | None = None

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


def order_by(order: str) -> str:
    """The ORDER BY expression of a named order; :class:`ValueError` for an unknown name."""
    try:
        return ORDERS[order]
    except KeyError:
        raise ValueError(f"order: {order!r} is not an order; use one of "
                         f"{', '.join(ORDERS)}") from None
