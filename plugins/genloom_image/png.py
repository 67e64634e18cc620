"""PNG files that carry their recipe as the A1111-style ``parameters`` text chunk."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _field(value: Any) -> str:
    text = str(value)
    return '"' + text.replace('"', "'") + '"' if ("," in text or ":" in text) else text


def parameters_text(prompt: str, negative_prompt: str, fields: list[tuple[str, Any]]) -> str:
    """The ``parameters`` text AUTOMATIC1111, ComfyUI importers and galleries read:

    the prompt, an optional ``Negative prompt:`` line, then ``Label: value`` pairs
    (Steps, Sampler, CFG scale, Seed, Size, Model hash, ...) on one line.
    """
    lines = [prompt]
    if negative_prompt:
        lines.append(f"Negative prompt: {negative_prompt}")
    lines.append(", ".join(f"{label}: {_field(value)}" for label, value in fields if value not in (None, "")))
    return "\n".join(lines)


def save_png(image: Any, path: Path, parameters: str) -> Path:
    """Write ``image`` (PIL) to ``path`` as PNG with the ``parameters`` text chunk."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", parameters)
    image.save(path, format="PNG", pnginfo=info)
    return path
