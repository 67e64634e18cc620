"""XMP (and the A1111 ``parameters`` text) in JPEG and WebP exports, written with pyexiv2.

PNG gets the same XMP as an iTXt chunk from Pillow (``genloom.core.provenance``).
Always written before the C2PA manifest is signed: the manifest's hash covers
the file, so metadata written after it would make the file read as tampered.
"""

from __future__ import annotations

from pathlib import Path


def write(path: Path, *, source_type: str, tool: str, parameters: str) -> None:
    """Set ``Iptc4xmpExt:DigitalSourceType``, the creator tool and the EXIF user comment."""
    import pyexiv2

    with pyexiv2.Image(str(path)) as image:
        image.modify_xmp({"Xmp.iptcExt.DigitalSourceType": source_type, "Xmp.xmp.CreatorTool": tool})
        if parameters:
            image.modify_exif({"Exif.Photo.UserComment": "charset=Unicode " + parameters})
