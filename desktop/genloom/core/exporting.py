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

Audio converts on the way: an audio asset exported to a ``.flac``, ``.ogg``, ``.mp3`` or
``.wav`` name other than its own is transcoded by :func:`genloom.sdk.audio.export_audio`
(title, software and the recipe in the container's tags), optionally loudness-normalised
to a target LUFS (``target_lufs``); the C2PA step then signs the converted file.
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
                ingredients: Sequence[Ingredient] = (), settings: Settings | None = None,
                target_lufs: float | None = None) -> Path:
    """Write ``source`` to the file ``dest`` with its provenance, atomically.

    An audio file is converted to the format ``dest``'s suffix names (and normalised to
    ``target_lufs`` when given): see :func:`transcodes`.

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
    convert = transcodes(kind, suffix, dest, target_lufs)
    if convert:
        suffix = dest.suffix.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        staged = work / ("staged" + suffix)
        if convert:
            _write_audio(source, staged, dest.stem, recipe, target_lufs)
        elif recipe and kind == "image" and suffix in IMAGE_FORMATS:
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


def transcodes(kind: str, suffix: str, dest: Path, target_lufs: float | None) -> bool:
    """True when an export converts the audio (another audio format, or a loudness
    target); ``ParameterError`` for a conversion Genloom does not make."""
    from genloom.sdk import ParameterError
    from genloom.sdk.audio import EXPORT_FORMATS

    wanted = dest.suffix.lower()
    if kind != "audio" or (wanted == suffix and target_lufs is None):
        return False
    if suffix not in EXPORT_FORMATS or wanted not in EXPORT_FORMATS:
        what = suffix if suffix not in EXPORT_FORMATS else wanted
        raise ParameterError("format", what or dest.name, "cannot be converted on export",
                             f"export a {suffix} asset under its own suffix, or convert "
                             f"between {', '.join(EXPORT_FORMATS)}")
    return True


def _write_audio(source: Path, staged: Path, title: str, recipe: dict[str, Any] | None,
                 target_lufs: float | None) -> None:
    from genloom import __version__
    from genloom.sdk.audio import export_audio

    comment = json.dumps(recipe, sort_keys=True, default=str)[:4000] if recipe else ""
    export_audio(source, staged, target_lufs=target_lufs, title=title,
                 software=f"Genloom {__version__}", comment=comment)


def export_asset(project: Project, asset: Asset, dest: Path, settings: Settings | None = None,
                 *, audio_format: str | None = None, target_lufs: float | None = None) -> Path:
    """Export ``asset`` to ``dest`` (a file, or a folder to write ``genloom-<id><suffix>`` in).

    ``audio_format`` (``"flac"``, ``"ogg"``, ``"mp3"``, ``"wav"``) converts an audio asset
    (a folder ``dest`` then gets that suffix); ``target_lufs`` loudness-normalises it.

    The asset's file is checked against its hash first (a damaged file is
    reported, never exported); its input assets still in the project and
    intact become the manifest's ingredients.
    """
    from genloom.core.project import ProjectError

    source = project.verified_path(asset)
    dest = Path(dest).expanduser()
    suffix = f".{audio_format.lower().lstrip('.')}" if audio_format else asset.suffix
    if dest.is_dir():
        dest = dest / f"genloom-{asset.id}{suffix}"
    elif audio_format and dest.suffix.lower() != suffix:
        dest = dest.with_name(dest.name + suffix)
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
                       settings=settings, target_lufs=target_lufs)


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
