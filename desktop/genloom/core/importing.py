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
    from genloom.core.models import ModelLibrary
    from genloom.core.project import Asset, Project
    from genloom.core.settings import Settings

KIND_BY_SUFFIX = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image", ".gif": "image", ".bmp": "image",
    ".wav": "audio", ".flac": "audio", ".mp3": "audio", ".ogg": "audio", ".m4a": "audio",
    ".mp4": "video", ".webm": "video", ".mov": "video", ".mkv": "video", ".avi": "video",
    ".mid": "audio", ".midi": "audio",
    ".txt": "text", ".md": "text", ".abc": "text",
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


def import_file(project: Project, path: Path, tags: Sequence[str] = (), *,
                library: ModelLibrary | None = None, settings: Settings | None = None) -> Asset:
    """Copy ``path`` into ``project`` as a new asset (the original is left alone).

    What the file says about how it was made comes along: its content
    credentials are checked (:func:`genloom.core.credentials.verify.verify_file`)
    and the verdict kept in the asset's metadata as ``credentials``; a recipe is
    read from, in this order, Genloom's PNG chunk, a valid C2PA manifest's
    ``org.genloom.recipe``, ComfyUI's ``prompt``/``workflow`` text and A1111's
    ``parameters`` (PNG text, or a JPEG/WebP EXIF user comment). A foreign
    recipe's model is looked up in ``library`` (by A1111's hash prefix, then by
    name); found, the recipe names it and the asset can be re-run, else
    ``recipe_model_missing`` says which model to add. A recipe that is not
    usable (not an object, numbers out of range) is left out and the reason kept
    as ``recipe_ignored``; the file is imported. Raises :class:`InputError` for a
    file whose content is not what its name says, an image too large to open
    safely, or a sparse file.
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
    credentials, signed_recipe = _credentials(path, settings)
    if credentials is not None:
        metadata["credentials"] = credentials
    recipe, prompt = _embedded_recipe(path, kind, signed_recipe)
    if recipe is not None:
        try:
            recipe = checked_recipe(recipe, f"the recipe embedded in {path.name}")
        except RecipeError as exc:
            metadata["recipe_ignored"] = str(exc)
            recipe, prompt = None, ""
    if recipe is not None and recipe.get("imported_from"):
        _match_model(recipe, library, metadata)
    text = ""
    if kind in ("text", "code"):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(TEXT_INDEX_CHARS)
    generator = ((recipe or {}).get("generator") or {}).get("id", "")
    return project.add_asset(path, kind=kind, suffix=suffix, recipe=recipe, prompt=prompt, text=text,
                             title=path.stem, tags=tags, generator_id=str(generator),
                             metadata=metadata)


def _credentials(path: Path, settings: Settings | None) -> tuple[dict[str, Any] | None, Any]:
    """(The file's content credentials as verify reads them, or None when it has none;
    the recipe of a valid manifest, or None)."""
    from genloom.core.credentials.verify import ABSENT, VALID, verify_file

    try:
        result = verify_file(path, settings)
    except Exception as exc:  # c2pa on a hostile file: the import goes on, the reason is kept
        return {"status": "unreadable", "problems": [f"{type(exc).__name__}: {exc}"[:500]]}, None
    if result.status == ABSENT and not result.watermark:
        return None, None
    data = result.to_dict()
    data.pop("path", None)
    data.pop("recipe", None)  # the recipe, if used, becomes the asset's own
    return data, result.recipe if result.status == VALID else None


def _embedded_recipe(path: Path, kind: str, signed_recipe: Any) -> tuple[dict[str, Any] | None, str]:
    """(recipe as found, prompt) from what the file carries; (None, "") when nothing."""
    from genloom.core import foreign_recipes

    text = embedded_text(path) if kind == "image" else {}
    recipe: Any = None
    if "genloom" in text:
        recipe, _ = read_png_recipe(path)
    if recipe is None:
        recipe = signed_recipe
    if recipe is None:
        recipe = foreign_recipes.from_comfyui(text.get("prompt"), text.get("workflow"))
    if recipe is None and "parameters" in text:
        recipe = foreign_recipes.from_a1111(text["parameters"])
    prompt = ""
    if isinstance(recipe, dict) and isinstance(recipe.get("params"), dict):
        prompt = str(recipe["params"].get("prompt", ""))
    elif "parameters" in text:
        prompt = text["parameters"].split("\nNegative prompt:")[0].split("\nSteps:")[0].strip()
    return recipe, prompt


def embedded_text(path: Path) -> dict[str, str]:
    """An image's text metadata: PNG text chunks, and a JPEG/WebP EXIF user comment as ``parameters``."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            text = {str(k): v for k, v in (getattr(image, "text", None) or {}).items() if isinstance(v, str)}
            comment = image.getexif().get_ifd(0x8769).get(0x9286)  # Exif.Photo.UserComment
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return {}
    if isinstance(comment, bytes) and "parameters" not in text:
        text["parameters"] = _user_comment(comment)
    elif isinstance(comment, str) and "parameters" not in text:
        text["parameters"] = comment.removeprefix("charset=Unicode ")
    return text


def _user_comment(raw: bytes) -> str:
    """EXIF UserComment: an 8-byte character code, then the text (A1111 writes UNICODE, UTF-16)."""
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        encoding = "utf-16-le" if body[:1] != b"\x00" else "utf-16-be"
        return body.decode(encoding, errors="replace").rstrip("\x00")
    return body.decode("utf-8", errors="replace").rstrip("\x00").removeprefix("charset=Unicode ")


def _match_model(recipe: dict[str, Any], library: ModelLibrary | None, metadata: dict[str, Any]) -> None:
    """Point a foreign recipe's model at the library's model, or say which one is missing."""
    from genloom.core.foreign_recipes import checkpoint_stem

    model = recipe.get("model")
    wanted: dict[str, Any] = model if isinstance(model, dict) else {}
    digest, title = str(wanted.get("hash", "")).lower(), str(wanted.get("title", ""))
    found = []
    if library is not None:
        models = library.models()
        if len(digest) >= 6:  # A1111's "Model hash" is the file's sha256, cut to 10 characters
            found = [m for m in models if m.hash.startswith(digest)]
        if not found and title:
            found = [m for m in models if title in (m.title, checkpoint_stem(m.title))]
    if len(found) == 1:
        ref = found[0].to_ref().to_dict()
        ref.pop("allow_pickle", None)
        recipe["model"] = ref
        metadata["recipe_rerunnable"] = True
        return
    label = wanted.get("title") or wanted.get("hash") or "not named"
    metadata["recipe_model_missing"] = (f"the model {label} ({recipe.get('imported_from')}) is not in the "
                                        "model library; add its folder (`genloom models add`) to re-run")


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
