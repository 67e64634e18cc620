"""The :class:`Asset` record and how it is read from the database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["ASSET_SELECT", "CARD_SELECT", "Asset", "AssetCard", "asset_from_row",
           "assets_from_rows", "cards_from_rows"]

#: Separates tag names in the assets' ``tag_list`` column (tags never hold it: control
#: characters are refused by :func:`genloom.core.project.tags.normalise_tags`).
TAG_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Asset:
    """One stored output or import: a file plus what is known about it.

    ``path`` is relative to the project folder, in POSIX form
    (``assets/ab/ab12...ef.png``); :meth:`Project.asset_path` gives the absolute
    path. ``hash`` is the sha256 of the file and ``size`` its length in bytes.
    ``created`` is a Unix time. ``recipe`` is everything needed to make the
    asset again (generator, model, parameters, seed, inputs); ``metadata`` is
    free-form data from the generator (width, duration, ...). ``rating`` is 0
    (unrated) to 5. ``tags`` are lower-case and sorted.

    An asset read from the store parses its ``recipe`` and ``metadata`` JSON on
    first access (a gallery page of 200 rarely looks at either); the values are
    the same as if they had been parsed at once.
    """

    id: int
    kind: str
    hash: str
    size: int
    path: str
    suffix: str
    created: float
    title: str = ""
    prompt: str = ""
    recipe: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    rating: int = 0
    notes: str = ""
    tags: tuple[str, ...] = ()
    generator_id: str = ""
    model_id: str = ""
    job_id: int | None = None

    def __getattr__(self, name: str) -> Any:
        # Reached only for an attribute the instance lacks: the recipe or metadata of an
        # asset read by _StoredAsset, whose JSON text waits under "_recipe"/"_metadata".
        raw_key = _LAZY_JSON.get(name)
        if raw_key is not None:
            found = self.__dict__
            if raw_key in found:
                value = found[name] = _loads(found[raw_key])
                return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


#: The JSON fields parsed on first access, and where their text waits until then.
_LAZY_JSON = {"recipe": "_recipe", "metadata": "_metadata"}


def _loads(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)  # most metadata is empty


class _StoredAsset:
    """Builds an :class:`Asset` from a row, fast: a gallery page makes 200 of them.

    The frozen dataclass's ``__init__`` sets each of 17 fields through
    ``object.__setattr__`` and the JSON fields would be parsed at once; that was
    most of the time a listing took. This plain class takes the row with ordinary
    (fast) attribute stores, then becomes an :class:`Asset` (same instance layout:
    a ``__dict__``, no slots), frozen from then on like any other.
    """

    def __init__(self, row: tuple[Any, ...]) -> None:
        (self.id, self.kind, self.hash, self.size, self.path, self.suffix, self.created,
         self.title, self.prompt, self._recipe, self._metadata, self.rating, self.notes,
         self.generator_id, self.model_id, self.job_id, tags) = row
        # Stored sorted (see the tag_list triggers in migrations.py), so only split here.
        self.tags = tuple(tags.split(TAG_SEPARATOR)) if tags else ()


#: Selects every column :func:`asset_from_row` reads, from ``assets a``. The tags come
#: from the row's own ``tag_list`` copy, kept in step with ``asset_tags`` by triggers,
#: instead of a subquery over ``asset_tags`` for every row.
ASSET_SELECT = """
    SELECT a.id, a.kind, a.hash, a.size, a.path, a.suffix, a.created, a.title, a.prompt,
           a.recipe, a.metadata, a.rating, a.notes, a.generator_id, a.model_id, a.job_id,
           a.tag_list
      FROM assets a
"""


def asset_from_row(row: Iterable[Any]) -> Asset:
    """The :class:`Asset` of a row selected with :data:`ASSET_SELECT`."""
    built: Any = _StoredAsset(tuple(row))
    _setattr(built, "__class__", Asset)
    return built


def assets_from_rows(rows: Iterable[tuple[Any, ...]]) -> list[Asset]:
    """The :class:`Asset` of every row selected with :data:`ASSET_SELECT`, in order."""
    built = [_StoredAsset(row) for row in rows]
    for asset in built:
        _setattr(asset, "__class__", Asset)
    return built  # type: ignore[return-value]


_setattr = object.__setattr__  # Asset's own __setattr__ refuses (frozen)


class AssetCard(NamedTuple):
    """What a gallery cell shows of an asset, read without the rest of its row.

    A page of 200 cards reads 9 columns where a page of :class:`Asset` reads 17
    (size, path, recipe, metadata, notes, generator, model, job): the first page of a
    large project came back 2.8x slower than a plain six-column table's, most of it
    SQLite handing over columns a cell never paints. A view holds cards and asks
    :meth:`Project.get_asset` for the whole asset when it needs more (a selection, a
    tooltip, a copy). :attr:`tags` and the filter's sort keys work on a card
    as on an asset; :meth:`Project.asset_path` takes either.
    """

    id: int
    kind: str
    hash: str
    suffix: str
    created: float
    title: str
    prompt: str
    rating: int
    tag_list: str  # the row's tag names joined by TAG_SEPARATOR (stored sorted)

    @property
    def tags(self) -> tuple[str, ...]:
        """The asset's tags, lower-case and sorted (as :attr:`Asset.tags`)."""
        return tuple(self.tag_list.split(TAG_SEPARATOR)) if self.tag_list else ()

    @classmethod
    def of(cls, asset: Asset) -> AssetCard:
        """The card of a whole asset (one that came by a project event, say)."""
        return cls(asset.id, asset.kind, asset.hash, asset.suffix, asset.created, asset.title,
                   asset.prompt, asset.rating, TAG_SEPARATOR.join(asset.tags))


#: Selects the columns of an :class:`AssetCard`, in its fields' order, from ``assets a``.
CARD_SELECT = """
    SELECT a.id, a.kind, a.hash, a.suffix, a.created, a.title, a.prompt, a.rating, a.tag_list
      FROM assets a
"""


def cards_from_rows(rows: Iterable[tuple[Any, ...]]) -> list[AssetCard]:
    """The :class:`AssetCard` of every row selected with :data:`CARD_SELECT`, in order."""
    new = tuple.__new__  # a row already holds the fields in order: no per-field call
    return [new(AssetCard, row) for row in rows]
