"""Bringing outside files into a project as assets (CLI import, drag-and-drop into the app)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.core.provenance import read_png_recipe
from genloom.sdk.errors import InputError

KIND_BY_SUFFIX = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image", ".gif": "image", ".bmp": "image",
    ".wav": "audio", ".flac": "audio", ".mp3": "audio", ".ogg": "audio", ".m4a": "audio",
    ".mp4": "video", ".webm": "video", ".mov": "video", ".mkv": "video", ".avi": "video",
    ".txt": "text", ".md": "text",
    ".py": "code", ".js": "code", ".ts": "code", ".rs": "code", ".c": "code", ".cpp": "code",
    ".go": "code", ".java": "code", ".sh": "code", ".json": "code",
}


def kind_of(path: Path) -> str:
    """The asset kind of a file, by suffix; InputError naming the file if unknown."""
    kind = KIND_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: Genloom does not know what kind of asset a {path.suffix or 'suffix-less'} file is; "
            f"it imports {', '.join(sorted(KIND_BY_SUFFIX))}"
        )
    return kind


def import_file(project: Any, path: Path, tags: Sequence[str] = ()) -> Any:
    """Copy ``path`` into ``project`` as a new asset (the original is left alone).

    A PNG's embedded Genloom recipe (or A1111 prompt) comes along, so an
    exported image re-imported elsewhere can be re-run.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path} is not a file; give the files to import")
    kind = kind_of(path)
    suffix = path.suffix.lower()
    recipe, prompt = read_png_recipe(path) if suffix == ".png" else (None, "")
    text = path.read_text(encoding="utf-8", errors="replace")[:1_000_000] if kind in ("text", "code") else ""
    generator = ((recipe or {}).get("generator") or {}).get("id", "")
    return project.add_asset(path, kind=kind, suffix=suffix, recipe=recipe, prompt=prompt, text=text,
                             title=path.stem, tags=tags, generator_id=generator,
                             metadata={"imported_from": str(path.resolve())})
