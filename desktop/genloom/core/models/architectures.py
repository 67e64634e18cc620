"""Model architectures Genloom recognises although no built-in plugin generates with them yet.

AnimateDiff motion adapters (video) folders are identified with their architecture and
the modality a plugin would need, and listed as ``unsupported``, "no installed plugin
uses it yet", rather than as unknown or as some other library's model. When a plugin
claims one through ``genloom_identify_model``, its match wins and this table is not
consulted. (VITS, once listed here, is claimed by the audio plugin's ``audio.speech``;
MusicGen by its ``audio.text_to_music``, ``genloom_audio.user_music``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["KNOWN_WITHOUT_PLUGIN", "KnownArchitecture", "known_architecture"]


@dataclass(frozen=True)
class KnownArchitecture:
    """An architecture as the library lists it: kind, readable name, modality, storage format."""

    kind: str
    architecture: str
    modality: str
    format: str
    description: str


#: ``(config key, value) -> architecture``: a diffusers ``_class_name`` or a transformers ``model_type``.
KNOWN_WITHOUT_PLUGIN: dict[tuple[str, str], KnownArchitecture] = {
    ("_class_name", "MotionAdapter"): KnownArchitecture(
        "motion-adapter", "AnimateDiff MotionAdapter", "video", "diffusers-model-folder",
        "an AnimateDiff motion adapter (adds motion to a Stable Diffusion model to make video)"),
}


def known_architecture(config: dict[str, Any]) -> KnownArchitecture | None:
    """The entry of :data:`KNOWN_WITHOUT_PLUGIN` a folder's ``config.json`` matches, or None."""
    for (key, value), known in KNOWN_WITHOUT_PLUGIN.items():
        if config.get(key) == value:
            return known
    return None
