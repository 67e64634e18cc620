"""Resolving a model reference, however it is named, to one library model.

The engine (at submit), the worker (at load) and the CLI all resolve models here,
so a bundled id, a library id or hash, a title, a file or a folder path all lead to
the same model with its content hash and the user's consent for its pickle weights,
and a model the library refuses is refused once, at submit, with the library's reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from genloom.core.models.entry import ModelEntry
from genloom.core.models.library import ModelLibrary, ModelNotFoundError
from genloom.sdk.errors import InputError
from genloom.sdk.models import ModelRef

__all__ = ["ModelRefusedError", "ResolvedModel", "resolve_model"]

#: Statuses with which a model is not handed to a generator.
REFUSED_STATUSES = ("refused", "missing")


class ModelRefusedError(InputError):
    """The library knows the model and will not load it (refused, or its files are missing)."""


@dataclass(frozen=True)
class ResolvedModel:
    """A model reference resolved by the library.

    ``ref`` is what a job records: the library's path and the content hash (never a path
    or permission taken from the reference). ``entry`` is the library's model, or None for
    a reference that names no file (a plugin's own model id). ``allow_pickle`` is the
    user's consent for the model's pickle weights as the library holds it.
    """

    ref: ModelRef
    entry: ModelEntry | None

    @property
    def allow_pickle(self) -> bool:
        return bool(self.entry is not None and self.entry.allow_pickle)

    @property
    def status(self) -> str:
        return self.entry.status if self.entry is not None else "ok"

    def check_usable(self) -> ResolvedModel:
        """Raise :class:`ModelRefusedError` with the library's reason when the model will not load."""
        entry = self.entry
        if entry is not None and entry.status in REFUSED_STATUSES:
            raise ModelRefusedError(f"model {entry.title} ({entry.id}) cannot be used: {entry.reason}")
        return self


def resolve_model(reference: str | ModelRef | Mapping[str, Any], library: ModelLibrary, *,
                  adopt: bool = True) -> ResolvedModel:
    """The library's model for ``reference``.

    A string is a bundled model id (the library indexes the plugins' bundled models on
    first use), a library id or hash (prefix), an exact title, or
    the path of a file or folder (added to the library and scanned when it is not in
    it yet: only the index is written). A :class:`ModelRef` or its dict (a recipe's) is
    found by its content hash first, then by its id and path like a string. A reference
    that names no file and that the library does not know (a plugin's own model id) is
    returned as it is. ``adopt=False`` (the worker, whose library has no plugins to
    identify with) only looks up what the library already holds.

    :raises ModelNotFoundError: a string the library cannot place, with close matches.
    """
    if isinstance(reference, Mapping):
        reference = ModelRef.from_dict(dict(reference))
    if isinstance(reference, ModelRef):
        return _resolve_ref(reference, library, adopt)
    entry = _find(str(reference), library, adopt)
    return ResolvedModel(_ref_of(entry), entry)


def _resolve_ref(ref: ModelRef, library: ModelLibrary, adopt: bool) -> ResolvedModel:
    if ref.hash:
        try:
            entry = library.get(ref.hash)
            return ResolvedModel(_ref_of(entry), entry)
        except ModelNotFoundError:
            pass
    for name in (ref.id, ref.path):
        if not name:
            continue
        try:
            entry = _find(name, library, adopt)
        except ModelNotFoundError:
            continue
        return ResolvedModel(_ref_of(entry), entry)
    if ref.path:
        raise ModelNotFoundError(f"model {ref.id or ref.path!r}: {ref.path} does not exist and the library "
                                 "has no model with its hash; rescan the model library or choose another model")
    # No file named: the id means something to a plugin only. Nothing to hash or consent.
    return ResolvedModel(replace(ref, allow_pickle=False), None)


def _find(name: str, library: ModelLibrary, adopt: bool) -> ModelEntry:
    try:
        return library.get(name)
    except ModelNotFoundError:
        if not adopt:
            raise
    path = Path(name).expanduser()
    if path.exists():
        try:
            return library.adopt(path)
        except ModelNotFoundError:
            raise ModelNotFoundError(
                f"{path} holds no model the library recognises as one (a folder of several models "
                "is added with `genloom models add`; then name one of them)") from None
    return library.get(name)  # raises, with close matches


def _ref_of(entry: ModelEntry) -> ModelRef:
    return entry.to_ref()
