"""ABC header text: the one place that spells tune types, keys, modes, meters and tempi.

The bundled music model was trained on documents whose header is built by these
functions from each tune's metadata (``training/abc_corpus.py``); the ``audio.music``
generator builds its prompt with the same functions from its parameters. Pure text
handling: no music21, cheap to import.
"""

from __future__ import annotations

import re
from fractions import Fraction

# Tune types as the model knows them, with the meter and tempo a player expects.
TUNE_TYPES: dict[str, tuple[str, int]] = {
    "reel": ("4/4", 200),
    "jig": ("6/8", 180),
    "slip jig": ("9/8", 180),
    "hornpipe": ("4/4", 160),
    "strathspey": ("4/4", 120),
    "polka": ("2/4", 180),
    "march": ("2/4", 110),
    "waltz": ("3/4", 150),
    "air": ("3/4", 80),
    "clog": ("4/4", 160),
    "fling": ("4/4", 140),
    "slide": ("12/8", 200),
    "schottische": ("4/4", 130),
    "minuet": ("3/4", 110),
}
_TYPE_ALIASES = {
    "double jig": "jig", "single jig": "jig", "slipjig": "slip jig", "hop jig": "slip jig",
    "highland fling": "fling", "quickstep": "march", "quick step": "march",
    "walkaround": "march", "set dance": "hornpipe", "song": "air", "lament": "air",
    "slow air": "air", "menuet": "minuet",
}
# Mode -> ABC key suffix.
MODES: dict[str, str] = {
    "major": "", "minor": "m", "dorian": "dor", "mixolydian": "mix", "lydian": "lyd",
    "phrygian": "phr", "locrian": "loc",
}
_MODE_WORDS = {
    "": "", "maj": "", "major": "", "ion": "", "ionian": "", "m": "m", "min": "m",
    "minor": "m", "aeo": "m", "aeolian": "m", "dor": "dor", "dorian": "dor",
    "mix": "mix", "mixolydian": "mix", "lyd": "lyd", "lydian": "lyd", "phr": "phr",
    "phrygian": "phr", "loc": "loc", "locrian": "loc",
}
TONICS = ("C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B")
METERS = ("2/4", "3/4", "4/4", "2/2", "3/8", "6/8", "9/8", "12/8")


def normalise_key(value: str) -> str | None:
    """ABC's ``K:`` value as ``<tonic><mode suffix>`` (``G``, ``Em``, ``Ador``), or None."""
    match = re.match(r"\s*([A-Ga-g])([#b]?)\s*([A-Za-z]*)", value)
    if not match:
        return None
    tonic = match.group(1).upper() + match.group(2)
    mode = _MODE_WORDS.get(match.group(3).lower())
    if mode is None:
        return None
    return tonic + mode


def key_field(key: str, mode: str) -> str:
    """``K:`` value for a tonic and a mode name from :data:`MODES`."""
    return key + MODES[mode]


def normalise_meter(value: str) -> str | None:
    """``M:`` as a plain fraction (``C`` is 4/4, ``C|`` is 2/2), or None when not one."""
    value = value.strip()
    if value == "C":
        return "4/4"
    if value == "C|":
        return "2/2"
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", value)
    if not match or int(match.group(2)) not in (2, 4, 8, 16) or int(match.group(1)) == 0:
        return None
    return value


def unit_length(meter: str) -> str:
    """ABC's default unit note length for a meter (1/16 below 3/4, else 1/8)."""
    return "1/16" if Fraction(meter) < Fraction(3, 4) else "1/8"


def normalise_tempo(value: str, unit: str) -> int | None:
    """``Q:`` as quarter notes per minute, or None when the field gives no number."""
    value = re.sub(r'"[^"]*"', "", value).strip()
    match = re.search(r"(?:(\d+)/(\d+)\s*=\s*)?(\d+)", value)
    if not match:
        return None
    beat = Fraction(int(match.group(1)), int(match.group(2))) if match.group(1) \
        else Fraction(unit)
    if beat == 0:
        return None
    per_minute = int(match.group(3)) * beat / Fraction(1, 4)
    bpm = round(float(per_minute))
    return bpm if 20 <= bpm <= 400 else None


def normalise_tune_type(rhythm: str, title: str) -> str:
    """The tune type from ``R:`` or, failing that, the title's words; '' when unknown."""
    for text in (rhythm, title):
        words = re.sub(r"[^a-z ]", " ", text.lower())
        words = " " + re.sub(r"\s+", " ", words).strip() + " "
        for alias, name in _TYPE_ALIASES.items():
            if f" {alias} " in words:
                return name
        for name in sorted(TUNE_TYPES, key=len, reverse=True):
            if f" {name} " in words or f" {name}s " in words:
                return name
    return ""


def build_header(*, tune_type: str, meter: str, tempo: int | None, key: str) -> str:
    """The header the model continues, exactly as in training (``key`` is a ``K:`` value)."""
    header = f"R:{tune_type}\n" if tune_type else ""
    unit = unit_length(meter)
    header += f"M:{meter}\nL:{unit}\n"
    if tempo:
        header += f"Q:1/4={tempo}\n"
    return header + f"K:{key}\n"


def as_tune(document: str, title: str = "Genloom tune") -> str:
    """A complete ABC file (``X:`` and ``T:`` first) from a header-and-body document."""
    return f"X:1\nT:{title}\n{document.rstrip()}\n"
