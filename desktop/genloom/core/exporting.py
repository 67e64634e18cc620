"""Exporting an asset: its file, with its provenance, written atomically to where the user said.

An export of an asset Genloom made (one with a recipe) carries, in order of
writing (each step changes the file, so the signature comes last and nothing
is written after it):

1. an invisible watermark in an image's pixels (:mod:`.credentials.watermark`,
   images of at least 256 px a side);
2. metadata in the container: for PNG the ``parameters`` text, the ``genloom``
   JSON recipe and XMP; for JPEG and WebP XMP and the ``parameters`` text as EXIF
   user comment (:mod:`.credentials.xmp`); for code and Markdown a one-line comment
   (:mod:`.provenance` writes all of this text);
3. a signed C2PA manifest (:mod:`.credentials`): embedded in PNG, JPEG, WebP, WAV,
   MP3, FLAC, MP4 and the other formats C2PA embeds in; a sidecar ``NAME.c2pa``
   beside any other file.

Each step has a setting (``Settings.provenance_*``), all on by default. A file
without a recipe (an import) is copied byte for byte: Genloom does not claim
to have made it, and its own credentials, if it has any, stay intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.credentials.manifest import Ingredient
from genloom.core.provenance import (
    header_line,
    parameters_text,
    source_type,
    with_header,
    xmp_packet,
)

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project
    from genloom.core.settings import Settings

#: Image formats whose exports carry metadata and the watermark (others are copied, then signed).
IMAGE_FORMATS = (".png", ".jpg", ".jpeg", ".webp")


def export_file(source: Path, dest: Path, *, kind: str, suffix: str, recipe: dict[str, Any] | None,
                prompt: str = "", metadata: dict[str, Any] | None = None,
                ingredients: Sequence[Ingredient] = (), settings: Settings | None = None) -> Path:
    """Write ``source`` to the file ``dest`` with its provenance, atomically.

    ``ingredients`` are the input assets' files (they go into the manifest);
    ``settings`` chooses which provenance is written (default: all of it).
    ``dest`` must name the file: choosing a name inside a folder is the
    caller's (:func:`export_asset`). A sidecar manifest is written as
    ``dest.name + ".c2pa"``. Nothing is left behind when a step fails.
    """
    from genloom.core.settings import Settings

    if dest.is_dir():
        raise IsADirectoryError(f"cannot export to {dest}: it is a folder. Give the path of the "
                                f"file to write, for example {dest / ('genloom-export' + suffix)}")
    settings = settings or Settings()
    suffix = suffix.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        staged = work / ("staged" + suffix)
        if recipe and kind == "image" and suffix in IMAGE_FORMATS:
            _write_image(source, staged, recipe, prompt, metadata or {}, settings)
        elif recipe and kind in ("text", "code") and settings.provenance_text_header:
            sidecar = settings.provenance_c2pa and settings.provenance_sidecar
            staged.write_bytes(with_header(source.read_bytes(),
                                           header_line(suffix, recipe, dest.name, sidecar=sidecar)))
        else:
            shutil.copyfile(source, staged)
        final, sidecar_file = staged, None
        if recipe and settings.provenance_c2pa:
            final, sidecar_file = _sign(staged, work, suffix, dest.name, recipe, ingredients, settings)
        _fsync(final)
        if sidecar_file is not None:
            _fsync(sidecar_file)
            os.replace(sidecar_file, dest.with_name(dest.name + ".c2pa"))
        os.replace(final, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def export_asset(project: Project, asset: Asset, dest: Path, settings: Settings | None = None) -> Path:
    """Export ``asset`` to ``dest`` (a file, or a folder to write ``genloom-<id><suffix>`` in).

    The asset's file is checked against its hash first (a damaged file is
    reported, never exported); its input assets still in the project and
    intact become the manifest's ingredients.
    """
    from genloom.core.project import ProjectError

    source = project.verified_path(asset)
    dest = Path(dest).expanduser()
    if dest.is_dir():
        dest = dest / f"genloom-{asset.id}{asset.suffix}"
    ingredients = []
    for role, input_id in (asset.recipe.get("inputs") or {}).items():
        try:
            parent = project.get_asset(int(input_id))
            ingredients.append(Ingredient(project.verified_path(parent),
                                          parent.title or f"asset {parent.id}{parent.suffix}", str(role)))
        except (ProjectError, TypeError, ValueError):
            continue  # deleted or damaged since: the manifest still says it was an edit
    return export_file(source, dest, kind=asset.kind, suffix=asset.suffix, recipe=asset.recipe,
                       prompt=asset.prompt, metadata=asset.metadata, ingredients=ingredients,
                       settings=settings)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sign(staged: Path, work: Path, suffix: str, name: str, recipe: dict[str, Any],
          ingredients: Sequence[Ingredient], settings: Settings) -> tuple[Path, Path | None]:
    from genloom import __version__
    from genloom.core.credentials import keys, manifest, signing

    definition = manifest.definition(title=name, recipe=recipe, ingredients=list(ingredients),
                                     version=__version__)
    identity = keys.signing_identity(settings)
    if signing.embeds(suffix):
        signed = work / ("signed" + suffix)
        signing.sign_into(staged, signed, definition=definition, ingredients=ingredients, identity=identity)
        return signed, None
    if not settings.provenance_sidecar:
        return staged, None
    sidecar = work / "sidecar.c2pa"
    sidecar.write_bytes(signing.sidecar_manifest(staged, definition=definition, ingredients=ingredients,
                                                 identity=identity))
    return staged, sidecar


def _write_image(source: Path, dest: Path, recipe: dict[str, Any], prompt: str, metadata: dict[str, Any],
                 settings: Settings) -> None:
    """Watermark (pixels), then the container's metadata: both before any signature."""
    from PIL import Image, PngImagePlugin

    from genloom import __version__
    from genloom.core.credentials import watermark, xmp

    parameters = str(metadata.get("parameters") or parameters_text(recipe, prompt))
    tool = f"Genloom {__version__}"
    suffix = dest.suffix.lower()
    with Image.open(source) as image:
        image.load()
        marked = settings.provenance_watermark and watermark.fits(*image.size)
        pixels = watermark.embed(image) if marked else image
        if marked and (image.mode in ("RGBA", "LA") or "transparency" in image.info):
            pixels.putalpha(image.convert("RGBA").getchannel("A"))
        if suffix == ".png":
            info = PngImagePlugin.PngInfo()
            info.add_text("parameters", parameters)
            info.add_itxt("genloom", json.dumps(recipe, sort_keys=True, default=str))
            if settings.provenance_xmp:
                info.add_itxt("XML:com.adobe.xmp", xmp_packet(recipe, tool))
            pixels.save(dest, format="PNG", pnginfo=info)
            return
        if marked and suffix == ".webp":
            pixels.save(dest, format="WEBP", lossless=True)
        elif marked:
            pixels.convert("RGB").save(dest, format="JPEG", quality=95)
        else:
            shutil.copyfile(source, dest)
    if settings.provenance_xmp:
        xmp.write(dest, source_type=source_type(recipe), tool=tool, parameters=parameters)
