"""Questions views and front ends ask about the installed generators: which take an asset of
a kind, and which to offer first."""

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


def first_generator(generators: Iterable[GeneratorSpec], last_used: str = "") -> GeneratorSpec | None:
    """The generator to show when the app opens: the one used last, if still installed;
    else one a new user can run at once, preferring an image generator that needs no
    input asset, takes a prompt and has a model (with the built-in plugins: Text to image).
    """
    specs = list(generators)
    for spec in specs:
        if spec.id == last_used:
            return spec

    def rank(spec: GeneratorSpec) -> tuple[bool, bool, bool, bool, bool, str, str]:
        needs_input = any(item.required for item in spec.inputs)
        has_prompt = any(getattr(p, "role", "") == "prompt" for p in spec.params)
        # Among several such image generators (text to image, the GAN, the VAE), the one
        # named by the conventional id, not the first title in the alphabet.
        return (needs_input, spec.modality != "image", not has_prompt, spec.default_model is None,
                not spec.id.endswith(".text_to_image"), spec.title.lower(), spec.id)

    return min(specs, key=rank, default=None)
