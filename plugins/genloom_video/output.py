"""What every video generator shares: size checks and the clip's Output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import Output, ParameterError


def check_size(params: dict[str, Any], multiple: int = 8) -> None:
    """Width and height must be multiples of ``multiple`` (8 for every latent model; even for H.264)."""
    for name in ("width", "height"):
        value = params.get(name)
        if value and value % multiple:
            below = value // multiple * multiple
            options = " or ".join(str(v) for v in (below, below + multiple) if v > 0)
            raise ParameterError(name, value, f"is not a multiple of {multiple}", f"use {options}")


def clip_output(path: Path, info: Any, metadata: dict[str, Any]) -> Output:
    """The Output of a written clip: frames, fps, length and codec go into the recipe."""
    fields = info.to_dict()
    fields.update(metadata)
    return Output(kind="video", path=path, suffix=path.suffix, metadata=fields)
