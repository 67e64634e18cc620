"""The optional invisible watermark in an exported image's pixels (``invisible-watermark``).

A 48-bit mark, Genloom's, is spread over the image's frequency domain with
the DWT-DCT-SVD method (the one of the library's that survived a JPEG re-save
at quality 90 in our tests; plain DWT-DCT did not). Only images whose shorter
side is at least :data:`MIN_SIDE` pixels get it: smaller ones have too few
blocks to carry it reliably. It says "made with Genloom" to someone without
the credentials (they are lost when a site strips metadata); it carries no
recipe and proves nothing on its own, unlike the signed manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Genloom's mark: 48 bits with ones and zeros spread, so flat images do not decode to it.
MARK = bytes.fromhex("9a5cc3e1276b")
#: Bits that may differ between the decoded mark and ``MARK`` for it to count as found.
TOLERANCE_BITS = 4
#: The shorter side, in pixels, an image needs for a watermark.
MIN_SIDE = 256
METHOD = "dwtDctSvd"
#: Larger images are not decoded (verify stays quick; the mark is spread everywhere).
MAX_DETECT_PIXELS = 40_000_000


def available() -> bool:
    """Whether ``invisible-watermark`` is installed (setup.sh installs it; see pyproject.toml)."""
    import importlib.util

    return importlib.util.find_spec("imwatermark") is not None


def fits(width: int, height: int) -> bool:
    """Whether an image of this size gets (and can carry) the watermark."""
    return min(width, height) >= MIN_SIDE and available()


def embed(image: Any) -> Any:
    """A copy of the PIL ``image`` (RGB) with Genloom's mark in its pixels."""
    import cv2
    import numpy as np
    from imwatermark import WatermarkEncoder
    from PIL import Image

    encoder = WatermarkEncoder()
    encoder.set_watermark("bytes", MARK)
    bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    marked = encoder.encode(bgr, METHOD)
    return Image.fromarray(cv2.cvtColor(marked, cv2.COLOR_BGR2RGB))


def detect(image: Any) -> bool:
    """Whether the PIL ``image`` carries Genloom's mark."""
    import cv2
    import numpy as np
    from imwatermark import WatermarkDecoder

    decoder = WatermarkDecoder("bytes", len(MARK) * 8)
    bgr = cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)
    found = decoder.decode(bgr, METHOD)
    if not isinstance(found, (bytes, bytearray)) or len(found) != len(MARK):
        return False
    differing = sum(bin(a ^ b).count("1") for a, b in zip(found, MARK, strict=True))
    return differing <= TOLERANCE_BITS


def detect_file(path: Path) -> bool | None:
    """Whether the image file at ``path`` carries the mark; None if it is no image or too small."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if not fits(width, height) or width * height > MAX_DETECT_PIXELS:
                return None
            image.load()
            return detect(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
