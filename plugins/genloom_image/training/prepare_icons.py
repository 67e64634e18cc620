"""Build the 64x64 icon and emoji training set from Debian packages, offline.

Every image is a rendering of a *name* (the concept): an emoji's CLDR short name or an
icon's freedesktop name in words. Several sources render the same names, which is what
gives a generator's seeds their variety:

- emoji: Noto Color Emoji (the font's colour bitmaps), EmojiOne 2 (the PNGs shipped by
  ``ruby-gemojione``) and Symbola (a monochrome font, each glyph drawn in three colours);
  names, groups and subgroups from Unicode's ``emoji-test.txt``;
- icons: the Tango, Adwaita, Oxygen and Breeze themes (one file per theme and name: the
  PNG or SVG closest to 64 px and above; SVGs rendered with ``rsvg-convert``); symbolic
  (monochrome) icons drawn in two colours.

Each image is cropped to its drawing, centred on a white square with a 2 px margin and
downscaled with Lanczos. Captions come from the name and its category
("red heart emoji, heart"; "media playback start icon, actions"; monochrome renderings
add their colour and "line art"/"symbolic").

Augmentation is NOT baked into the file: ``flip_ok`` marks images whose meaning survives a
horizontal mirror (no text, arrows, flags, hands, clocks, directional names...), and
trainers apply flips there, a mild colour jitter and small shifts at training time
(``augment`` below does all three with a seeded generator).

    python prepare_icons.py --out /work/data/icons64.npz            # all sources
    python prepare_icons.py --out /tmp/t.npz --limit 20 --sources noto,tango

The archive holds ``images`` (N,64,64,3) uint8 on white, ``captions``, ``names``,
``sources`` (the Debian package), ``split`` ('train' or 'heldout': about 5% of the
names, all their renderings, chosen with ``--seed``), ``groups`` (emoji group or icon
context) and ``flip_ok``. The output is deterministic for a given set of installed
packages and seed; it is written atomically.

Install the sources with
``apt-get install --no-install-recommends fonts-noto-color-emoji unicode-data fonts-symbola
ruby-gemojione tango-icon-theme adwaita-icon-theme oxygen-icon-theme breeze-icon-theme
librsvg2-bin``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from prepare_emoji import read_emoji  # the emoji list, read as the v1 set reads it

NOTO = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
SYMBOLA = Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf")
EMOJIONE = Path("/usr/share/rubygems-integration/all/gems/gemojione-3.3.0/assets/png")
ICONS = Path("/usr/share/icons")

CONTEXTS = {"actions", "apps", "categories", "devices", "emblems", "emotes", "mimetypes", "places", "status",
            "legacy", "preferences", "applets"}
# Monochrome renderings are drawn in these colours (name, RGB); black always, others by name.
INKS = (("black", (20, 20, 20)), ("blue", (30, 90, 200)), ("red", (200, 40, 40)), ("green", (30, 140, 60)),
        ("purple", (120, 60, 170)), ("orange", (225, 120, 20)), ("teal", (20, 130, 140)))
# Words whose pictures change meaning when mirrored (text, direction, order, handedness).
NO_FLIP = re.compile(
    r"\b(left|right|arrow|next|previous|prev|forward|back|backward|undo|redo|rtl|ltr|start|end|seek|skip|"
    r"rewind|fast|indent|unindent|justify|align|text|font|format|bold|italic|underline|letter|letters|latin|"
    r"input|keycap|numbers?|symbol|symbols|clock|o.clock|thirty|flag|hand|hands|finger|fingers|thumbs|writing|"
    r"point|pointing|walking|running|facing|sign|abc|abcd|word|calendar|document|x-office|mail|sort|go|"
    r"media|playback|play|pause|record|eject|zoom|search|find|edit|paste|copy|cut|list|view|window|"
    r"pan|selection|object|rotate|flip|mirror|spell|accessories|application|x|digit|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|top|bottom|up|down|north|south|east|west|ok|sos|id|new|free|cool|vs|atm|"
    r"wc|up!|ng|dvd|cd|pdf|html|tex|java|python|script|terminal|code|source|chart|graph)\b",
    re.IGNORECASE,
)
NO_FLIP_GROUPS = {"Flags", "Symbols", "component"}


@dataclass(frozen=True)
class Source:
    """A Debian package that supplies renderings, with its licence for the card."""

    key: str
    package: str
    licence: str
    render: Callable[[int, int], Iterator[tuple[Image.Image, str, str, str, str]]]


@dataclass(frozen=True)
class Item:
    """One rendering: the picture (RGBA, any size) and its words."""

    image: Image.Image
    name: str
    caption: str
    group: str
    flip_ok: bool


def emoji_flip_ok(name: str, group: str, subgroup: str) -> bool:
    """Mirroring keeps the meaning: no flags, symbols, hands, arrows or directional names."""
    if group in NO_FLIP_GROUPS or subgroup.startswith(("hand", "arrow", "keycap", "alphanum")):
        return False
    return not NO_FLIP.search(name) and "person-activity" not in subgroup


def emoji_caption(name: str, subgroup: str, ink: str = "") -> str:
    """'red heart emoji, heart' (plus ', blue line art' for a monochrome rendering)."""
    caption = f"{name} emoji, {subgroup.replace('-', ' ')}"
    return f"{caption}, {ink} line art" if ink else caption


def caption_style(caption: str) -> str:
    """The monochrome style a caption ends with ("blue line art" from :func:`emoji_caption`,
    "black symbolic" from an icon theme's symbolic icons), or "" for a colour rendering."""
    last = caption.rpartition(", ")[2] if ", " in caption else ""
    return last if last.endswith((" line art", " symbolic")) else ""


def inks_for(name: str, count: int) -> list[tuple[str, tuple[int, int, int]]]:
    """Black plus ``count - 1`` other inks chosen by the name (stable across runs)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    others = rng.choice(np.arange(1, len(INKS)), size=count - 1, replace=False)
    return [INKS[0], *(INKS[int(i)] for i in others)]


def colourise(mask: Image.Image, rgb: tuple[int, int, int]) -> Image.Image:
    """An RGBA image of one ink whose alpha is ``mask`` (mode L)."""
    layer = Image.new("RGBA", mask.size, (*rgb, 0))
    layer.putalpha(mask)
    return layer


def noto_items(limit: int, seed: int) -> Iterator[Item]:
    """Noto Color Emoji: the font's 109 px colour bitmaps."""
    font = ImageFont.truetype(str(NOTO), 109)
    for chars, name, group, subgroup in read_emoji()[: limit or None]:
        canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
        ImageDraw.Draw(canvas).text((0, 0), chars, font=font, embedded_color=True)
        yield Item(canvas, name, emoji_caption(name, subgroup), group, emoji_flip_ok(name, group, subgroup))


def emoji_key(chars: str) -> str:
    """Code points without variation selectors, upper-case hex joined by '-' (EmojiOne's file names)."""
    return "-".join(f"{ord(c):04X}" for c in chars if c != "\ufe0f")


def emojione_items(limit: int, seed: int) -> Iterator[Item]:
    """EmojiOne 2 PNGs (64 px) from ruby-gemojione, matched to emoji-test names by code points."""
    by_key: dict[str, tuple[str, str, str]] = {}
    for chars, name, group, subgroup in read_emoji():
        by_key.setdefault(emoji_key(chars), (name, group, subgroup))
    files = sorted(p for p in EMOJIONE.glob("*.png") if p.stem.upper() in by_key)
    for path in files[: limit or None]:
        name, group, subgroup = by_key[path.stem.upper()]
        with Image.open(path) as im:
            yield Item(im.convert("RGBA"), name, emoji_caption(name, subgroup), group,
                       emoji_flip_ok(name, group, subgroup))


def symbola_items(limit: int, seed: int) -> Iterator[Item]:
    """Symbola's monochrome glyphs of single-code-point emoji, each in three inks."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(SYMBOLA), lazy=True).getBestCmap()
    font = ImageFont.truetype(str(SYMBOLA), 96)
    rows = [r for r in read_emoji() if len(emoji_key(r[0]).split("-")) == 1 and ord(r[0][0]) in cmap]
    for chars, name, group, subgroup in rows[: limit or None]:
        mask = Image.new("L", (192, 192), 0)
        ImageDraw.Draw(mask).text((16, 16), chars.replace("\ufe0f", ""), font=font, fill=255)
        if mask.getbbox() is None:
            continue
        for ink, rgb in inks_for(name, 3):
            yield Item(colourise(mask, rgb), name, emoji_caption(name, subgroup, ink), group,
                       emoji_flip_ok(name, group, subgroup))


def icon_files(theme: Path) -> dict[str, tuple[str, Path]]:
    """``name -> (context, file)``: per icon name the PNG/SVG closest to 64 px and above.

    Symbolic links are skipped (they alias one drawing under other names), and so are
    hi-dpi (``@2x``) folders, pixel-hinted sizes under 32 px when a larger one exists and
    right-to-left mirrors (``-rtl``). Adwaita's pre-rendered ``x-symbolic.symbolic.png``
    is one more file of the name ``x-symbolic`` (it was a name of its own, "x symbolic
    symbolic", taken for a colour icon: 621 of them, each also drawn from its SVG).
    """
    best: dict[str, tuple[tuple[int, int], str, Path]] = {}
    for path in sorted(theme.rglob("*")):
        if path.suffix not in (".png", ".svg") or path.is_symlink() or not path.is_file():
            continue
        parts = path.relative_to(theme).parts[:-1]
        context = next((p for p in parts if p in CONTEXTS), None)
        if context is None or any("@" in p for p in parts):
            continue
        size = 0
        for p in parts:
            if p == "scalable":
                size = 512
            elif m := re.fullmatch(r"(\d+)(x\d+)?", p):
                size = int(m.group(1))
        # Rank: a drawing of 64 px or more (SVGs scale) first, then the smallest such, else the largest.
        big = size >= 64 or path.suffix == ".svg" and size >= 32
        rank = (1, -size) if big else (0, size)
        name = path.stem.removesuffix(".symbolic")
        if name.endswith("-rtl"):
            continue
        if name not in best or rank > best[name][0]:
            best[name] = (rank, context, path)
    return {name: (context, path) for name, (_, context, path) in sorted(best.items())}


def load_icon(path: Path) -> Image.Image:
    """An icon file as RGBA; SVGs rendered at 128 px by rsvg-convert (librsvg2-bin)."""
    if path.suffix == ".svg":
        done = subprocess.run(["rsvg-convert", "-w", "128", "-h", "128", "--keep-aspect-ratio", str(path)],
                              capture_output=True, check=True, timeout=60)
        return Image.open(BytesIO(done.stdout)).convert("RGBA")
    with Image.open(path) as im:
        return im.convert("RGBA")


def icon_words(name: str) -> str:
    """'media-playback-start' -> 'media playback start'."""
    return re.sub(r"[-_.]+", " ", name.removesuffix("-symbolic")).strip()


def theme_items(theme_dir: str) -> Callable[[int, int], Iterator[Item]]:
    """The renderer of one icon theme (symbolic icons in two inks)."""

    def items(limit: int, seed: int) -> Iterator[Item]:
        for name, (context, path) in list(icon_files(ICONS / theme_dir).items())[: limit or None]:
            try:
                image = load_icon(path)
            except (subprocess.SubprocessError, OSError) as exc:
                print(f"skipped {path}: {exc}")
                continue
            words = icon_words(name)
            caption = f"{words} icon, {context}"
            flip_ok = context in ("places", "devices", "emblems", "categories") and not NO_FLIP.search(words)
            if name.endswith("-symbolic") or path.parent.name == "symbolic":
                mask = image.getchannel("A")
                for ink, rgb in inks_for(words, 2):
                    yield Item(colourise(mask, rgb), words, f"{caption}, {ink} symbolic", context, flip_ok)
            else:
                yield Item(image, words, caption, context, flip_ok)

    return items


SOURCES = (
    Source("noto", "fonts-noto-color-emoji", "Apache-2.0 (images); font files SIL OFL 1.1", noto_items),
    Source("emojione", "ruby-gemojione", "CC-BY-SA-4.0 (EmojiOne 2 artwork, Ranks.com Inc.)", emojione_items),
    Source("symbola", "fonts-symbola", "free for any use (George Douros)", symbola_items),
    Source("tango", "tango-icon-theme", "public domain", theme_items("Tango")),
    Source("adwaita", "adwaita-icon-theme", "CC-BY-SA-3.0 or LGPL-3 (GNOME Project)", theme_items("Adwaita")),
    Source("oxygen", "oxygen-icon-theme", "LGPL-3+ (KDE)", theme_items("oxygen")),
    Source("breeze", "breeze-icon-theme", "LGPL-3+ / LGPL-2.1+ (KDE)", theme_items("breeze")),
)


def square(image: Image.Image, size: int, margin: int = 2) -> np.ndarray | None:
    """Crop to the drawing, centre on white, downscale: ``size x size x 3`` uint8 (None if blank)."""
    box = image.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if box is None:
        return None
    glyph = image.crop(box)
    side = max(glyph.size)
    canvas = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    canvas.alpha_composite(glyph, ((side - glyph.width) // 2, (side - glyph.height) // 2))
    inner = canvas.convert("RGB").resize((size - 2 * margin,) * 2, Image.Resampling.LANCZOS)
    out = Image.new("RGB", (size, size), "white")
    out.paste(inner, (margin, margin))
    array = np.asarray(out, dtype=np.uint8)
    return None if array.min() > 235 else array  # nearly white: nothing left to learn from


def package_version(package: str) -> str:
    """The installed Debian version, or 'not installed'."""
    done = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "not installed"


def heldout_names(names: list[str], fraction: float, seed: int) -> set[str]:
    """About ``fraction`` of the distinct names, chosen by the seed (all their renderings go with them)."""
    unique = sorted(set(names))
    order = np.random.default_rng(seed).permutation(len(unique))
    count = max(1, round(fraction * len(unique))) if len(unique) > 1 else 0
    return {unique[i] for i in order[:count]}


def build(sources: list[Source], size: int, limit: int, seed: int, heldout: float) -> dict[str, np.ndarray]:
    """Render every source and return the archive's arrays (printing the SOURCES table)."""
    images: list[np.ndarray] = []
    rows: list[tuple[str, str, str, str, bool]] = []
    table = []
    for source in sources:
        version = package_version(source.package)
        if version == "not installed":
            raise SystemExit(f"{source.package} is not installed; install it with apt-get or leave "
                             f"'{source.key}' out of --sources")
        before = len(rows)
        for item in source.render(limit, seed):
            array = square(item.image, size)
            if array is None:
                continue
            images.append(array)
            rows.append((item.caption, item.name, source.package, item.group, item.flip_ok))
        names = {r[1] for r in rows[before:]}
        table.append((source.package, version, source.licence, len(rows) - before, len(names)))
        print(f"{source.key}: {len(rows) - before} images, {len(names)} names", flush=True)
    print("\nSOURCES\n| package | version | licence | images | names |\n|---|---|---|---|---|")
    for package, version, licence, n_images, n_names in table:
        print(f"| {package} | {version} | {licence} | {n_images} | {n_names} |")
    names = [r[1] for r in rows]
    held = heldout_names(names, heldout, seed)
    return {
        "images": np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8),
        "captions": np.array([r[0] for r in rows], dtype=str),
        "names": np.array(names, dtype=str),
        "sources": np.array([r[2] for r in rows], dtype=str),
        "groups": np.array([r[3] for r in rows], dtype=str),
        "flip_ok": np.array([r[4] for r in rows], dtype=bool),
        "split": np.array(["heldout" if n in held else "train" for n in names], dtype=str),
    }


def save(arrays: dict[str, np.ndarray], out: Path) -> None:
    """Write the .npz atomically (temp file in the same folder, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as f:
        np.savez_compressed(f, **arrays)
    os.replace(tmp, out)


def augment(images: np.ndarray, flip_ok: np.ndarray, rng: np.random.Generator, shift: int = 3,
            jitter: float = 0.12) -> np.ndarray:
    """Training-time augmentation of a uint8 batch (B,H,W,3): flips where allowed, ink jitter, shifts.

    The jitter scales each channel's distance from white by 1 +- ``jitter`` (white stays white,
    a red heart stays red); shifts move the picture by up to ``shift`` px over a white border.
    """
    out = np.empty_like(images)
    b, h, w, _ = images.shape
    flips = flip_ok & (rng.random(b) < 0.5)
    gains = 1.0 + rng.uniform(-jitter, jitter, size=(b, 1, 1, 3))
    moves = rng.integers(-shift, shift + 1, size=(b, 2))
    padded = np.pad(images, ((0, 0), (shift, shift), (shift, shift), (0, 0)), constant_values=255)
    for i in range(b):
        dy, dx = moves[i]
        crop = padded[i, shift + dy: shift + dy + h, shift + dx: shift + dx + w]
        out[i] = crop[:, ::-1] if flips[i] else crop
    ink = 255.0 - out.astype(np.float32)
    return np.clip(255.0 - ink * gains, 0, 255).astype(np.uint8)


def main() -> None:
    """Parse arguments, build and save the archive."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the .npz to write")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--limit", type=int, default=0, help="at most this many names per source (0: all)")
    parser.add_argument("--sources", default=",".join(s.key for s in SOURCES),
                        help=f"comma-separated, from {', '.join(s.key for s in SOURCES)}")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--heldout", type=float, default=0.05, help="fraction of names held out")
    args = parser.parse_args()
    keys = [k.strip() for k in args.sources.split(",") if k.strip()]
    known = {s.key: s for s in SOURCES}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise SystemExit(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    arrays = build([known[k] for k in keys], args.size, args.limit, args.seed, args.heldout)
    save(arrays, args.out)
    n_held = int((arrays["split"] == "heldout").sum())
    print(f"\nwrote {len(arrays['images'])} images of {len(set(arrays['names']))} names from "
          f"{len(set(arrays['sources']))} sources ({n_held} held out) to {args.out}")


if __name__ == "__main__":
    main()
