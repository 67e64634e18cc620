"""Questions views and front ends ask about the installed generators: which take an asset of a kind."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from genloom.sdk.spec import GeneratorSpec


@dataclass(frozen=True)
class InputSlot:
    """A generator and the role under which it takes an asset (the key of its request's inputs)."""

    generator: GeneratorSpec
    role: str


def accepting(generators: Iterable[GeneratorSpec], kind: str, *, roles: Collection[str] = ()) -> list[InputSlot]:
    """The generators that take an asset of ``kind`` as an input, ordered by title.

    Each comes with the role of its first input of that kind. With ``roles``, only
    generators whose inputs include every one of those roles count (``{"image", "mask"}``
    finds the inpainting generators). The shell's "use as input", the storyboard and
    an API ask this rather than walking the specs themselves.
    """
    wanted = set(roles)
    found = []
    for spec in generators:
        if wanted - {item.role for item in spec.inputs}:
            continue
        role = next((item.role for item in spec.inputs if item.kind == kind), None)
        if role is not None:
            found.append(InputSlot(spec, role))
    return sorted(found, key=lambda slot: (slot.generator.title.lower(), slot.generator.id))
