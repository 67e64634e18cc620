"""Model licences: what a licence identifier means for the person using the model.

The library records a model's licence as its card (``license:`` in README.md's
front matter), its GGUF metadata or its safetensors header
(``modelspec.license``, ``license``) states it. :func:`classify` says whether
that licence restricts use (what may be made with the model, by whom, or for
what purpose): such a model is flagged before its first use (the app asks, the
CLI says so once), and every recipe and content credential names the licence.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from genloom.core.settings import Settings

#: Licences (Hugging Face identifiers, lower case) that restrict use, and how.
RESTRICTED: dict[str, str] = {
    "creativeml-openrail-m": "use-based restrictions (no harmful, deceptive or illegal uses); "
                             "outputs must not be passed off as human-made where the law requires",
    "openrail": "use-based restrictions (RAIL): a list of uses the licence forbids",
    "openrail++": "use-based restrictions (RAIL): a list of uses the licence forbids",
    "bigscience-openrail-m": "use-based restrictions (RAIL): a list of uses the licence forbids",
    "bigcode-openrail-m": "use-based restrictions (RAIL): a list of uses the licence forbids",
    "bigscience-bloom-rail-1.0": "use-based restrictions (RAIL): a list of uses the licence forbids",
    "llama2": "Meta's community licence: an acceptable use policy, and a separate licence above "
              "700 million monthly users",
    "llama3": "Meta's community licence: an acceptable use policy, attribution, and a separate "
              "licence above 700 million monthly users",
    "llama3.1": "Meta's community licence: an acceptable use policy and attribution",
    "llama3.2": "Meta's community licence: an acceptable use policy and attribution",
    "gemma": "Google's Gemma terms: a prohibited use policy",
    "deepfloyd-if-license": "research use only",
    "flux-1-dev-non-commercial-license": "non-commercial use only",
    "stabilityai-ai-community": "commercial use only below an annual revenue limit",
    "cc-by-nc-2.0": "non-commercial use only", "cc-by-nc-3.0": "non-commercial use only",
    "cc-by-nc-4.0": "non-commercial use only", "cc-by-nc-sa-2.0": "non-commercial use only",
    "cc-by-nc-sa-3.0": "non-commercial use only", "cc-by-nc-sa-4.0": "non-commercial use only",
    "cc-by-nc-nd-3.0": "non-commercial use only, no derivatives",
    "cc-by-nc-nd-4.0": "non-commercial use only, no derivatives",
    "cc-by-nd-4.0": "no derivatives",
}
#: Words that mark a licence text Genloom does not know as restricting use.
_RESTRICTIVE_WORDS = ("non-commercial", "noncommercial", "-nc-", "research only", "research-only", "rail")


@dataclass(frozen=True)
class LicenceInfo:
    """A licence as the library shows it: its identifier and what it restricts."""

    licence: str
    restricted: bool
    summary: str

    @property
    def label(self) -> str:
        """The licence with a mark when it restricts use (the model list's column)."""
        if not self.licence:
            return "not stated"
        return f"{self.licence} (restricted)" if self.restricted else self.licence


def classify(licence: str) -> LicenceInfo:
    """What ``licence`` (an identifier such as ``apache-2.0`` or ``creativeml-openrail-m``) restricts."""
    text = (licence or "").strip()
    key = text.lower()
    if not key:
        return LicenceInfo("", False, "no licence stated: check the model's source before sharing what "
                                      "you make with it")
    if key in RESTRICTED:
        return LicenceInfo(text, True, RESTRICTED[key])
    if any(word in key for word in _RESTRICTIVE_WORDS):
        return LicenceInfo(text, True, "the licence's name says it restricts use; read it before use")
    return LicenceInfo(text, False, "no use restrictions known to Genloom")


def notice(model: Mapping[str, Any] | None, settings: Settings) -> str | None:
    """The words to show before a model with a restrictive licence is used the first time, else None."""
    if not isinstance(model, dict):
        return None
    info = classify(str(model.get("licence") or ""))
    digest = str(model.get("hash") or "")
    if not info.restricted or not digest or digest in settings.acknowledged_licences:
        return None
    name = model.get("title") or model.get("id") or digest[:12]
    return (f"the model {name} is under the licence {info.licence}, which restricts its use: "
            f"{info.summary}. Read the licence before you publish what it makes; the licence is "
            "named in each recipe and in the content credentials of every export")


def acknowledge(model: Mapping[str, Any], settings: Settings) -> None:
    """Remember that the user has seen the notice for this model (by content hash) and save."""
    digest = str(model.get("hash") or "")
    if digest and digest not in settings.acknowledged_licences:
        settings.acknowledged_licences.append(digest)
        settings.save()


def licence_from_safetensors(path: Path) -> str:
    """The licence in a safetensors file's header metadata (``modelspec.license`` or ``license``), or ""."""
    try:
        with open(path, "rb") as handle:
            size = struct.unpack("<Q", handle.read(8))[0]
            if size > 16 * 1024 * 1024:
                return ""
            header = json.loads(handle.read(size))
    except (OSError, struct.error, ValueError, RecursionError):
        return ""
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(meta, dict):
        return ""
    for key in ("modelspec.license", "license", "licence"):
        if isinstance(meta.get(key), str) and meta[key].strip():
            return meta[key].strip()[:200]
    return ""
