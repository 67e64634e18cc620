"""The provenance text Genloom writes into files, and reads back from them.

- ``parameters``: the A1111-style line format (prompt, ``Negative prompt:``, then
  ``Steps: 20, Sampler: ..., Seed: 1, ...``) that AUTOMATIC1111, ComfyUI importers
  and many galleries read;
- ``genloom``: the full JSON recipe (a PNG iTXt chunk);
- XMP with IPTC ``DigitalSourceType``: ``trainedAlgorithmicMedia``, or
  ``compositeWithTrainedAlgorithmicMedia`` for an output made from an input asset;
- the one-line header comment of exported code and Markdown.

Writing a file with all of it, and signing it, is :mod:`genloom.core.exporting`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from genloom.core.credentials.manifest import COMPOSITE, TRAINED, model_summary

IPTC_TRAINED = TRAINED

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


#: Line comments by suffix, for the one-line header of exported code and Markdown.
_COMMENTS = {".py": ("# ", ""), ".sh": ("# ", ""), ".rs": ("// ", ""), ".js": ("// ", ""),
             ".ts": ("// ", ""), ".c": ("// ", ""), ".cpp": ("// ", ""), ".go": ("// ", ""),
             ".java": ("// ", ""), ".md": ("<!-- ", " -->")}
#: A Python encoding declaration (PEP 263), which must stay on line 1 or 2.
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def source_type(recipe: dict[str, Any]) -> str:
    """The IPTC digital source type of an output: composite when made from an input asset."""
    return COMPOSITE if recipe.get("inputs") else TRAINED


def xmp_packet(recipe: dict[str, Any], tool: str) -> str:
    """The XMP packet of an exported PNG (its ``XML:com.adobe.xmp`` iTXt chunk)."""
    return _XMP.format(source=source_type(recipe), tool=tool)


def header_line(suffix: str, recipe: dict[str, Any], name: str, *, sidecar: bool) -> str:
    """The comment put at the top of an exported code or Markdown file, or "" for other suffixes."""
    from genloom import __version__

    if suffix.lower() not in _COMMENTS:
        return ""
    opening, closing = _COMMENTS[suffix.lower()]
    model = model_summary(recipe).get("name", "unknown")
    text = f"Made with Genloom {__version__} by the generative model {model}"
    if sidecar:
        text += f"; content credentials in {name}.c2pa"
    return f"{opening}{text}{closing}\n"


def with_header(data: bytes, header: str) -> bytes:
    """``data`` with ``header`` inserted after a shebang and an encoding line (they must stay first)."""
    lines = data.splitlines(keepends=True)
    keep = 1 if lines and lines[0].startswith(b"#!") else 0
    if len(lines) > keep and _CODING.match(lines[keep].decode("latin-1")):
        keep += 1
    return b"".join(lines[:keep]) + header.encode("utf-8") + b"".join(lines[keep:])


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
