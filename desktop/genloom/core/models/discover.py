"""Model folders of other apps already on this machine, found without the user looking.

The first-run page and ``genloom doctor`` offer them for the model library; nothing is
added until the user says so. Only a handful of conventional install places are looked
at (no disk crawl), and each candidate must be recognised by
:func:`genloom.core.models.layouts.detect_layout` as the app it claims to be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genloom.core.models.hfcache import hf_cache_dir
from genloom.core.models.layouts import detect_layout

__all__ = ["FoundFolder", "candidate_places", "find_model_folders"]


@dataclass(frozen=True)
class FoundFolder:
    path: Path
    label: str  # "ComfyUI", "AUTOMATIC1111", "InvokeAI", "Hugging Face cache"


def candidate_places(home: Path | None = None) -> list[Path]:
    """Where ComfyUI (also ComfyUI Desktop), AUTOMATIC1111/Forge and InvokeAI install by default."""
    home = Path.home() if home is None else home
    places = [home / name for name in ("ComfyUI", "comfyui", "stable-diffusion-webui",
                                       "stable-diffusion-webui-forge", "invokeai")]
    places += [home / "Documents" / "ComfyUI", home / "Documents" / "stable-diffusion-webui"]
    if os.environ.get("INVOKEAI_ROOT"):
        places.insert(0, Path(os.environ["INVOKEAI_ROOT"]).expanduser())
    return places


def find_model_folders(home: Path | None = None) -> list[FoundFolder]:
    """The recognised app folders among :func:`candidate_places`, then the Hugging Face cache."""
    found: list[FoundFolder] = []
    seen: set[Path] = set()
    for place in candidate_places(home):
        try:
            if not place.is_dir() or place.resolve() in seen:
                continue
            layout = detect_layout(place)
        except OSError:
            continue
        if layout.name in ("comfyui", "a1111", "invokeai"):
            seen.add(place.resolve())
            found.append(FoundFolder(place, layout.title))
    cache = hf_cache_dir()
    try:
        if cache.is_dir() and any(cache.glob("models--*")):
            found.append(FoundFolder(cache, "Hugging Face cache"))
    except OSError:
        pass
    return found
