"""Recipes written into exported files and read back on import.

PNG gets three text chunks: ``parameters`` (the line format AUTOMATIC1111,
ComfyUI importers and many galleries read), ``genloom`` (the full JSON recipe)
and XMP with IPTC ``DigitalSourceType`` = ``trainedAlgorithmicMedia``, which
marks the image as made by a generative model. Other formats are copied as
they are (their container tags come with the audio and video plugins).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

IPTC_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    Iptc4xmpExt:DigitalSourceType="{source}"
    xmp:CreatorTool="{tool}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def parameters_text(recipe: dict[str, Any], prompt: str = "") -> str:
    """The A1111-style ``parameters`` text for a recipe."""
    params = dict(recipe.get("params") or {})
    prompt = params.pop("prompt", prompt) or prompt
    lines = [str(prompt)]
    negative = params.pop("negative_prompt", "")
    if negative:
        lines.append(f"Negative prompt: {negative}")
    fields: list[tuple[str, Any]] = []
    names = {"steps": "Steps", "scheduler": "Sampler", "sampler": "Sampler",
             "guidance_scale": "CFG scale", "strength": "Denoising strength"}
    for key, label in names.items():
        if key in params:
            fields.append((label, params.pop(key)))
    fields.append(("Seed", recipe.get("seed")))
    if "width" in params and "height" in params:
        fields.append(("Size", f"{params.pop('width')}x{params.pop('height')}"))
    model = recipe.get("model") or {}
    if model.get("hash"):
        fields.append(("Model hash", model["hash"][:10]))
    if model.get("title") or model.get("id"):
        fields.append(("Model", model.get("title") or model.get("id")))
    for key, value in sorted(params.items()):
        if isinstance(value, (int, float, str, bool)) and "\n" not in str(value):
            fields.append((key.replace("_", " ").capitalize(), value))
    generator = (recipe.get("generator") or {}).get("id", "")
    fields.append(("Version", f"Genloom {recipe.get('genloom_version', '')} {generator}".strip()))
    lines.append(", ".join(f"{label}: {_field(value)}" for label, value in fields))
    return "\n".join(lines)


def _field(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if "," in text or ":" in text else text


def export_file(source: Path, dest: Path, *, kind: str, suffix: str, recipe: dict[str, Any] | None,
                prompt: str = "", metadata: dict[str, Any] | None = None) -> Path:
    """Write ``source`` to the file ``dest``, atomically.

    PNGs carry the recipe; other files are copied byte for byte. ``dest`` must
    name the file: choosing a name inside a folder is the caller's (the CLI's
    ``genloom assets export ID FOLDER`` writes ``genloom-<id><suffix>``).
    """
    if dest.is_dir():
        raise IsADirectoryError(f"cannot export to {dest}: it is a folder. Give the path of the "
                                f"file to write, for example {dest / ('genloom-export' + suffix)}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".export-", suffix=suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if suffix.lower() == ".png" and recipe:
            _write_png(source, tmp, recipe, prompt, metadata or {})
        else:
            shutil.copyfile(source, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _write_png(source: Path, dest: Path, recipe: dict[str, Any], prompt: str, metadata: dict[str, Any]) -> None:
    from PIL import Image, PngImagePlugin

    from genloom import __version__

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", metadata.get("parameters") or parameters_text(recipe, prompt))
    info.add_itxt("genloom", json.dumps(recipe, sort_keys=True, default=str))
    info.add_itxt("XML:com.adobe.xmp", _XMP.format(source=IPTC_TRAINED, tool=f"Genloom {__version__}"))
    with Image.open(source) as image:
        image.save(dest, format="PNG", pnginfo=info)


def read_png_recipe(path: Path) -> tuple[dict[str, Any] | None, str]:
    """(Genloom recipe or None, prompt) from a PNG's text chunks.

    Reads Genloom's own chunk when present, else the first line of an
    A1111-style ``parameters`` text as the prompt. The recipe is returned as
    found (any JSON value): the caller checks it (``recipe.checked_recipe``).
    """
    from PIL import Image

    try:
        with Image.open(path) as image:
            text = dict(getattr(image, "text", {}) or {})
    except (OSError, Image.DecompressionBombError, ValueError):
        return None, ""
    recipe = None
    if "genloom" in text:
        try:
            recipe = json.loads(text["genloom"])
        except (ValueError, RecursionError):  # not JSON, or nested to crash the parser
            recipe = None
    prompt = ""
    if isinstance(recipe, dict) and isinstance(recipe.get("params"), dict):
        prompt = str(recipe["params"].get("prompt", ""))
    elif "parameters" in text:
        prompt = text["parameters"].split("\nNegative prompt:")[0].split("\nSteps:")[0].strip()
    return recipe, prompt
