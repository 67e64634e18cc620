"""Bringing outside files into a project as assets (CLI import, drag-and-drop into the app).

An imported file is untrusted: its name does not say what it is (a text file
named ``.png``), its size may be a lie (a sparse file of holes), an image may
be a decompression bomb, and an embedded recipe may be any JSON at all. Each
is checked here before anything is copied into the project.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.provenance import read_png_recipe
from genloom.core.recipe import RecipeError, checked_recipe
from genloom.sdk.errors import InputError

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project

KIND_BY_SUFFIX = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image", ".gif": "image", ".bmp": "image",
    ".wav": "audio", ".flac": "audio", ".mp3": "audio", ".ogg": "audio", ".m4a": "audio",
    ".mp4": "video", ".webm": "video", ".mov": "video", ".mkv": "video", ".avi": "video",
    ".txt": "text", ".md": "text",
    ".py": "code", ".js": "code", ".ts": "code", ".rs": "code", ".c": "code", ".cpp": "code",
    ".go": "code", ".java": "code", ".sh": "code", ".json": "code",
}

#: The Pillow formats each image suffix may hold.
IMAGE_FORMATS = {".png": {"PNG"}, ".jpg": {"JPEG", "MPO"}, ".jpeg": {"JPEG", "MPO"},
                 ".webp": {"WEBP"}, ".gif": {"GIF"}, ".bmp": {"BMP", "DIB"}}

#: An image with more pixels than this is refused (a decompression bomb expands to gigabytes).
MAX_IMAGE_PIXELS = 100_000_000

#: A file this large whose disk blocks cover less than half of it is mostly holes.
SPARSE_MIN_BYTES = 16 * 1024 * 1024

#: How much of a text or code file is read for search.
TEXT_INDEX_CHARS = 1_000_000


def kind_of(path: Path) -> str:
    """The asset kind of a file, by suffix; InputError naming the file if unknown."""
    kind = KIND_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: Genloom does not know what kind of asset a {path.suffix or 'suffix-less'} file is; "
            f"it imports {', '.join(sorted(KIND_BY_SUFFIX))}"
        )
    return kind


def import_file(project: Project, path: Path, tags: Sequence[str] = ()) -> Asset:
    """Copy ``path`` into ``project`` as a new asset (the original is left alone).

    A PNG's embedded Genloom recipe (or A1111 prompt) comes along, so an
    exported image re-imported elsewhere can be re-run. A recipe that is not
    usable (not an object, numbers out of range) is left out and the reason
    kept in the asset's metadata as ``recipe_ignored``; the picture is imported.
    Raises :class:`InputError` for a file whose content is not what its name
    says, an image too large to open safely, or a sparse file.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputError(f"{path} is not a file; give the files to import")
    kind = kind_of(path)
    suffix = path.suffix.lower()
    _refuse_sparse(path)
    if kind == "image":
        _check_image(path, suffix)
    metadata: dict[str, Any] = {"imported_from": str(path.resolve())}
    recipe, prompt = read_png_recipe(path) if suffix == ".png" else (None, "")
    if recipe is not None:
        try:
            recipe = checked_recipe(recipe, f"the recipe embedded in {path.name}")
        except RecipeError as exc:
            metadata["recipe_ignored"] = str(exc)
            recipe, prompt = None, ""
    text = ""
    if kind in ("text", "code"):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(TEXT_INDEX_CHARS)
    generator = ((recipe or {}).get("generator") or {}).get("id", "")
    return project.add_asset(path, kind=kind, suffix=suffix, recipe=recipe, prompt=prompt, text=text,
                             title=path.stem, tags=tags, generator_id=str(generator),
                             metadata=metadata)


def _refuse_sparse(path: Path) -> None:
    info = path.stat()
    blocks = getattr(info, "st_blocks", None)
    if blocks is not None and info.st_size >= SPARSE_MIN_BYTES and blocks * 512 < info.st_size // 2:
        raise InputError(f"{path} is a sparse file: {info.st_size / 1e9:.1f} GB long but only "
                         f"{blocks * 512 / 1e9:.2f} GB of it is on disk (mostly holes, not "
                         "media); it was not imported")


def _check_image(path: Path, suffix: str) -> None:
    """The file must really be an image of the format its suffix names, of a sane size."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                found, (width, height) = image.format, image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"{path} is an image too large to open safely ({exc}); it was not "
                         "imported") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{path} is not a {suffix[1:].upper()} image (Pillow cannot read it: "
                         f"{exc}); check the file, it was not imported") from None
    if found not in IMAGE_FORMATS.get(suffix, {found}):
        raise InputError(f"{path} is named {suffix} but holds a {found} image; rename it to "
                         "its real type and import it again")
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"{path} is {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS:,} "
                         "Genloom opens; scale it down first")
