"""Reading music21's ABC folk-tune collections into Genloom's training documents.

A plain helper for the training and evaluation scripts (not part of the plugin package).
Every document is itself a small, valid ABC tune without its ``X:``/``T:`` lines: a
header built from the tune's own metadata, then the cleaned tune body::

    R:reel
    M:4/4
    L:1/8
    Q:1/4=112
    K:Ador
    |:EAAG A2Bd|eaag ageg|...

``R:`` (the tune type) and ``Q:`` (the tempo, as quarter notes per minute) appear only
where the source says them; ``K:`` carries key and mode in ABC's own spelling (``G``,
``Em``, ``Ador``, ``Dmix``). The plugin builds the same header from its parameters
(``genloom_audio.abc_text``), so the model continues exactly what it was trained on.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the plugins folder: genloom_audio.abc_text

from genloom_audio.abc_text import (  # noqa: E402
    normalise_key,
    normalise_meter,
    normalise_tempo,
    normalise_tune_type,
    unit_length,
)

# Collection -> what its licence allows, as stated in the music21 package. Only
# collections whose terms allow training and redistributing a model are read.
COLLECTIONS: dict[str, str] = {
    "ryansMammoth": (
        "Ryan's Mammoth Collection (Boston, 1883; public domain), ABC transcriptions "
        "contributed to the Ryan's Mammoth project and distributed in music21's corpus "
        "under the corpus terms (corpus/license.txt: public domain or used by permission); "
        "no further restriction stated in the package"),
    "oneills1850": (
        "O'Neill's Music of Ireland, 1850 melodies (Chicago, 1903; public domain), ABC by "
        "Norbert Paap, distributed in music21's corpus under the corpus terms; no further "
        "restriction stated in the package"),
    "airdsAirs": (
        "Aird's Selection of Scotch, English, Irish and Foreign Airs (Glasgow, 1778-1803; "
        "public domain), ABC by Jack Campin, distributed in music21's corpus under the "
        "corpus terms; no further restriction stated in the package"),
    "miscFolk": (
        "Colonial and Civil War American fife music and Bruce and Stokoe's Northumbrian "
        "Minstrelsy (1882; public domain), ABC by Jack Campin, distributed in music21's "
        "corpus under the corpus terms; no further restriction stated in the package"),
    "nottingham-dataset": (
        "two tunes from the Nottingham Music Database (traditional tunes), distributed in "
        "music21's corpus under the corpus terms; no further restriction stated"),
}
EXCLUDED: dict[str, str] = {
    "essenFolksong": (
        "its license.txt grants permission for non-commercial distribution and use only, "
        "which a model shipped in Genloom cannot honour; not read"),
}
MAX_BODY_CHARS = 1400
MIN_BODY_CHARS = 40


@dataclass(frozen=True)
class Tune:
    collection: str
    title: str
    header: str
    body: str

    @property
    def document(self) -> str:
        return self.header + self.body


_FIELD = re.compile(r"^([A-Za-z]):\s*(.*)$")
_KEEP_INLINE = re.compile(r"\[([KML]):[^\]]*\]")
_ANY_INLINE = re.compile(r"\[[A-Za-z]:[^\]]*\]")


def split_tunes(text: str) -> list[list[str]]:
    """The tunes of an ABC file, each as its lines, starting at its ``X:`` line."""
    tunes: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("X:"):
            current = [line]
            tunes.append(current)
        elif current is not None:
            if not line.strip():
                current = None
            else:
                current.append(line)
    return tunes


def clean_body_line(line: str) -> str:
    """One body line without what the model need not learn: chord symbols and
    annotations, decorations, grace notes, bowings, comments and line continuations."""
    line = line.split("%", 1)[0]
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0).replace(" ", ""))
        return f"\x00{len(kept) - 1}\x00"

    line = _KEEP_INLINE.sub(keep, line)
    line = _ANY_INLINE.sub("", line)
    line = re.sub(r'"[^"]*"', "", line)
    line = re.sub(r"![^!]*!|\+[^+\s]*\+", "", line)
    line = re.sub(r"\{[^}]*\}", "", line)
    line = re.sub(r"[HIJLMOPQRSTUVWYhijklmnopqrstuvwy~.`\\]", "", line)
    line = line.replace("x", "z")
    line = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], line)
    return re.sub(r"\s+", " ", line).strip()


def parse_tune(lines: list[str], collection: str) -> Tune | None:
    """A training tune from one ABC tune's lines, or None when it is not usable
    (several voices, no key, odd meter, too short or too long)."""
    fields: dict[str, str] = {}
    titles: list[str] = []
    body_lines: list[str] = []
    in_body = False
    for raw in lines:
        line = raw.rstrip()
        if line.startswith("%"):
            continue
        match = _FIELD.match(line)
        if not in_body:
            if not match:
                continue
            name, value = match.group(1), match.group(2).split("%", 1)[0].strip()
            if name == "V":
                return None
            if name == "T":
                titles.append(value)
            elif name not in fields:
                fields[name] = value
            if name == "K":
                in_body = True
            continue
        if match and match.group(1) in "KML" and not line.startswith("|"):
            name, value = match.group(1), match.group(2).split("%", 1)[0].strip()
            body_lines.append(f"[{name}:{value}]")
            continue
        if match:
            if match.group(1) == "V":
                return None
            continue  # words, notes, parts: not music
        cleaned = clean_body_line(line)
        if cleaned:
            body_lines.append(cleaned)
    key = normalise_key(fields.get("K", ""))
    meter = normalise_meter(fields.get("M", "4/4"))
    if key is None or meter is None:
        return None
    title = titles[0] if titles else ""
    unit = fields.get("L", "").strip() or unit_length(meter)
    if not re.fullmatch(r"1/\d+", unit):
        return None
    body = "\n".join(body_lines).strip() + "\n"
    if "V:" in body or not MIN_BODY_CHARS <= len(body) <= MAX_BODY_CHARS:
        return None
    header = ""
    tune_type = normalise_tune_type(fields.get("R", ""), title)
    if tune_type:
        header += f"R:{tune_type}\n"
    header += f"M:{meter}\nL:{unit}\n"
    tempo = normalise_tempo(fields.get("Q", ""), unit)
    if tempo:
        header += f"Q:1/4={tempo}\n"
    header += f"K:{key}\n"
    return Tune(collection, title, header, body)


def read_collections(root: Path) -> dict[str, list[Tune]]:
    """Every usable tune of the allowed collections under music21's corpus ``root``."""
    out: dict[str, list[Tune]] = {}
    for collection in COLLECTIONS:
        tunes: list[Tune] = []
        for path in sorted((root / collection).glob("*.abc")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r"copyright|licen[cs]e|all rights reserved", text, re.I):
                continue  # a file with terms of its own: left out rather than judged here
            for lines in split_tunes(text):
                tune = parse_tune(lines, collection)
                if tune is not None:
                    tunes.append(tune)
        out[collection] = tunes
    return out
