"""Render the named emoji of Noto Color Emoji into a small training set.

Reads names and groups from Unicode's ``emoji-test.txt`` (Debian ``unicode-data``),
renders every fully-qualified emoji with Pillow at the font's bitmap size (109 px,
``embedded_color=True``), composites it on white, centres it on a square canvas and
downscales it with Lanczos. Writes one ``.npz`` file (uint8 images, names, groups).

    python prepare_emoji.py --out /work/ckpt/image/emoji32.npz --size 32

Sources (install with ``apt-get install fonts-noto-color-emoji unicode-data``):
images from Noto Color Emoji (Apache-2.0), font files under the SIL OFL 1.1.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
EMOJI_TEST = Path("/usr/share/unicode/emoji/emoji-test.txt")
LINE = re.compile(r"^([0-9A-F ]+);\s*fully-qualified\s*#\s*\S+\s+E[\d.]+\s+(.+)$")


def read_emoji(path: Path = EMOJI_TEST) -> list[tuple[str, str, str, str]]:
    """Return ``(characters, name, group, subgroup)`` for every fully-qualified emoji."""
    rows: list[tuple[str, str, str, str]] = []
    group = subgroup = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("# group:"):
            group = raw.split(":", 1)[1].strip()
        elif raw.startswith("# subgroup:"):
            subgroup = raw.split(":", 1)[1].strip()
        elif m := LINE.match(raw):
            chars = "".join(chr(int(cp, 16)) for cp in m.group(1).split())
            rows.append((chars, m.group(2).strip(), group, subgroup))
    return rows


def render(chars: str, font: ImageFont.FreeTypeFont, size: int) -> np.ndarray:
    """Render one emoji on white and return a ``size x size x 3`` uint8 array."""
    canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((0, 0), chars, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None:
        raise ValueError(f"the font has no glyph for {chars!r}")
    glyph = canvas.crop(box)
    side = max(glyph.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    square.alpha_composite(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    small = square.convert("RGB").resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.uint8)


def main() -> None:
    """Parse arguments, render every emoji and save the archive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    font = ImageFont.truetype(str(FONT), 109)
    rows = read_emoji()
    images = np.stack([render(chars, font, args.size) for chars, *_ in rows])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        images=images,
        names=np.array([r[1] for r in rows]),
        groups=np.array([r[2] for r in rows]),
        subgroups=np.array([r[3] for r in rows]),
    )
    print(f"wrote {len(rows)} emoji at {args.size}x{args.size} to {args.out}")


if __name__ == "__main__":
    main()
