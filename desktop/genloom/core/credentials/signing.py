"""Signing a C2PA manifest into a file (or beside it, as a sidecar)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.core.credentials.keys import SigningIdentity
from genloom.core.credentials.manifest import (
    EMBEDDABLE,
    Ingredient,
    ingredient_definition,
    mime_type,
)

#: What c2pa is told while signing: offline, no thumbnail (the file is its own preview).
_BUILD_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_trust": False},
    "builder": {"thumbnail": {"enabled": False}},
}


class SigningError(RuntimeError):
    """c2pa refused to sign; the message names the file and c2pa's reason."""


def embeds(suffix: str) -> bool:
    """Whether a file with ``suffix`` carries its manifest inside (else a sidecar ``.c2pa``)."""
    return suffix.lower() in EMBEDDABLE


def sign_into(source: Path, dest: Path, *, definition: dict[str, Any],
              ingredients: Sequence[Ingredient], identity: SigningIdentity) -> None:
    """Write ``source`` to ``dest`` with the manifest embedded (``dest`` must not be ``source``)."""
    builder, signer = _builder(definition, ingredients, identity)
    try:
        with open(source, "rb") as src, open(dest, "w+b") as dst:
            builder.sign(signer, mime_type(source.suffix), src, dst)
    except Exception as exc:
        raise SigningError(f"cannot sign {dest.name}: {exc}") from exc
    finally:
        builder.close()
        signer.close()


def sidecar_manifest(source: Path, *, definition: dict[str, Any],
                     ingredients: Sequence[Ingredient], identity: SigningIdentity) -> bytes:
    """A manifest store for ``source`` that lives beside it (the file itself is not changed)."""
    import io

    builder, signer = _builder(definition, ingredients, identity)
    try:
        builder.set_no_embed()
        with open(source, "rb") as src:
            return bytes(builder.sign(signer, mime_type(source.suffix), src, io.BytesIO()))
    except Exception as exc:
        raise SigningError(f"cannot sign a sidecar manifest for {source.name}: {exc}") from exc
    finally:
        builder.close()
        signer.close()


def _builder(definition: dict[str, Any], ingredients: Sequence[Ingredient],
             identity: SigningIdentity) -> tuple[Any, Any]:
    import c2pa

    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(identity.algorithm, identity.chain_pem.encode(),
                                                       identity.key_pem.encode(), None))
    builder = c2pa.Builder(definition, context=c2pa.Context.from_dict(_BUILD_SETTINGS))
    try:
        for index, ingredient in enumerate(ingredients):
            with open(ingredient.path, "rb") as handle:
                builder.add_ingredient(ingredient_definition(index, ingredient),
                                       mime_type(ingredient.path.suffix), handle)
    except BaseException:
        builder.close()
        signer.close()
        raise
    return builder, signer
