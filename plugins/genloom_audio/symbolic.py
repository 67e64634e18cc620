"""Symbolic music: ABC parsing and checks, ABC to MIDI, MIDI to ABC, bar-length checks.

music21 and mido are imported inside the functions that use them. Everything that reads
a user's ABC or MIDI raises ``ParameterError`` naming the input when it cannot be read.
"""

from __future__ import annotations

import copy
import io
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from genloom.sdk import ParameterError
from genloom_audio.abc_text import normalise_key, normalise_meter, unit_length

#: ABC bar lines: ``|``, ``||``, ``|]``, ``[|``, ``|:``, ``:|``, ``::``, ``:|:``.
BAR_LINE = re.compile(r":*\|+[:\]]*\d?|\[\|[:]*|::")
MAX_ABC_CHARS = 20_000
MAX_MIDI_BYTES = 2_000_000
MAX_MIDI_NOTES = 4000


@dataclass(frozen=True)
class AbcTune:
    """An ABC document split into its header fields and body."""

    header: str
    body: str
    key: str
    meter: str
    unit: str

    @property
    def document(self) -> str:
        return self.header + self.body


def count_bars(body: str) -> int:
    """How many bar lines the body has (a repeat sign or double bar counts once)."""
    return len(BAR_LINE.findall(re.sub(r'"[^"]*"', "", body)))


def split_abc(text: str, param: str) -> AbcTune:
    """A user's ABC tune as header fields (``M:``, ``L:``, ``K:``...) and body.

    Only the first tune of a file is read. ``ParameterError`` when there is no ``K:``
    line, no body or a key or meter ABC does not define.
    """
    if len(text) > MAX_ABC_CHARS:
        raise ParameterError(param, f"{len(text)} characters", "is too long to continue",
                             f"give a tune under {MAX_ABC_CHARS} characters")
    fields: dict[str, str] = {}
    body: list[str] = []
    in_body = False
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not in_body:
            match = re.match(r"^([A-Za-z]):\s*(.*)$", stripped)
            if match and match.group(1) not in fields:
                fields[match.group(1)] = match.group(2).split("%", 1)[0].strip()
            if match and match.group(1) == "K":
                in_body = True
            continue
        if stripped.startswith("X:"):
            break  # the next tune
        if stripped and not stripped.startswith("%") \
                and not re.match(r"^[A-Za-z]:", stripped):
            body.append(stripped.split("%", 1)[0].rstrip())
    if "K" not in fields:
        raise ParameterError(param, text[:40], "is not an ABC tune: it has no K: (key) line",
                             "give an ABC tune with a header such as 'M:6/8', 'L:1/8', 'K:G' "
                             "and a body")
    key = normalise_key(fields["K"])
    meter = normalise_meter(fields.get("M", "4/4"))
    if key is None:
        raise ParameterError(param, f"K:{fields['K']}", "is not a key ABC defines",
                             "use a key such as 'K:G', 'K:Em', 'K:Ador' or 'K:Dmix'")
    if meter is None:
        raise ParameterError(param, f"M:{fields.get('M')}", "is not a meter",
                             "use a meter such as 'M:4/4', 'M:6/8' or 'M:C'")
    unit = fields.get("L", "") or unit_length(meter)
    if not re.fullmatch(r"1/\d{1,2}", unit):
        raise ParameterError(param, f"L:{unit}", "is not a unit note length",
                             "use 'L:1/8' or 'L:1/16'")
    text_body = "\n".join(b for b in body if b).strip()
    if not text_body:
        raise ParameterError(param, text[:40], "has a header but no notes",
                             "give at least one bar of the tune after the K: line")
    header = ""
    if fields.get("R"):
        header += f"R:{fields['R']}\n"
    header += f"M:{meter}\nL:{unit}\n"
    if fields.get("Q"):
        header += f"Q:{fields['Q']}\n"
    header += f"K:{key}\n"
    return AbcTune(header, text_body + "\n", key, meter, unit)


def parse_abc(text: str, param: str = "abc") -> Any:
    """A music21 score of an ABC tune, or ``ParameterError`` when music21 cannot read it
    or it has no notes."""
    from music21 import converter

    try:
        score = converter.parse(text, format="abc", forceSource=True)
    except Exception as exc:  # music21 raises many kinds for malformed ABC
        raise ParameterError(param, text[:40], f"is not ABC music21 can read ({exc})",
                             "check the tune in an ABC editor") from exc
    if not list(score.recurse().notes):
        raise ParameterError(param, text[:40], "has no notes music21 can read",
                             "check the tune in an ABC editor")
    return score


def bars_consistent(score: Any) -> bool:
    """True when every bar between the first and the last lasts as long as its meter
    says, allowing a pickup bar and the short bar that completes it at a section end."""
    measures = list(score.parts[0].getElementsByClass("Measure")) if score.parts else \
        list(score.getElementsByClass("Measure"))
    if len(measures) < 2:
        return False
    inner = measures[1:-1]
    pending = Fraction(0)
    for measure in inner:
        meter = measure.getContextByClass("TimeSignature")
        full = Fraction(meter.barDuration.quarterLength) if meter is not None else Fraction(4)
        length = Fraction(measure.duration.quarterLength)
        if length == full and pending == 0:
            continue
        pending += length
        if pending == full:
            pending = Fraction(0)
        elif pending > full:
            return False
    return pending == 0


def score_to_midi(score: Any, program: int, tempo: int | None) -> bytes:
    """Standard MIDI file bytes of a score, with ``program`` on every part and
    ``tempo`` (quarter notes per minute) where the score names none."""
    from music21 import bar
    from music21 import midi as m21midi
    from music21 import tempo as m21tempo

    score = copy.deepcopy(score)  # music21 changes the score it converts
    # An irregular bar makes music21's ABC reader put a meter change on it, and two equal
    # meter changes break its MIDI writer; MIDI players need only the first.
    first = True
    for measure in score.recurse().getElementsByClass("Measure"):
        for meter in list(measure.getElementsByClass("TimeSignature")):
            if not first:
                measure.remove(meter)
            first = False
    if tempo and not list(score.recurse().getElementsByClass("MetronomeMark")):
        target = score.parts[0] if score.parts else score
        first = target.getElementsByClass("Measure").first() or target
        first.insert(0, m21tempo.MetronomeMark(number=tempo))
    try:
        raw = m21midi.translate.streamToMidiFile(score).writestr()
    except Exception:  # music21's repeat expander refuses unbalanced repeats
        for measure in score.recurse().getElementsByClass("Measure"):
            if isinstance(measure.leftBarline, bar.Repeat):
                measure.leftBarline = None
            if isinstance(measure.rightBarline, bar.Repeat):
                measure.rightBarline = None
        raw = m21midi.translate.streamToMidiFile(score).writestr()
    return with_program(raw, program)


def with_program(data: bytes, program: int) -> bytes:
    """The MIDI file with every melodic channel (not channel 10, drums) set to ``program``."""
    import mido

    midi = mido.MidiFile(file=io.BytesIO(data))
    for track in midi.tracks:
        for index, msg in enumerate(track):
            if msg.type == "program_change" and msg.channel != 9:
                track[index] = msg.copy(program=program)
        channels = {m.channel for m in track
                    if m.type == "note_on" and m.channel != 9}
        for offset, channel in enumerate(sorted(channels)):
            track.insert(offset, mido.Message("program_change", channel=channel,
                                              program=program, time=0))
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def read_midi(data: bytes, param: str) -> Any:
    """A mido MidiFile from bytes, or ``ParameterError`` for what is not a MIDI file."""
    import mido

    if len(data) > MAX_MIDI_BYTES:
        raise ParameterError(param, f"{len(data)} bytes", "is too large for a MIDI tune",
                             f"give a MIDI file under {MAX_MIDI_BYTES // 1_000_000} MB")
    if not data.startswith(b"MThd"):
        raise ParameterError(param, data[:8], "is not a Standard MIDI File (no MThd header)",
                             "give a .mid file exported by a notation program or a DAW")
    try:
        return mido.MidiFile(file=io.BytesIO(data))
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError...
        raise ParameterError(param, data[:8], f"is not a MIDI file mido can read ({exc})",
                             "re-export the file as a Standard MIDI File") from exc


def midi_to_abc(data: bytes, param: str) -> AbcTune:
    """The melody of a MIDI file (its highest note at any time, quantised to sixteenths)
    as an ABC tune in the key music21's analysis finds, for the model to continue."""
    from music21 import converter

    read_midi(data, param)  # a clear error for what is not MIDI at all
    try:
        score = converter.parse(data, format="midi", quantizePost=True,
                                quarterLengthDivisors=(4, 3))
    except Exception as exc:
        raise ParameterError(param, "MIDI", f"has no music music21 can read ({exc})",
                             "give a MIDI file with notes") from exc
    chords_and_notes = list(score.flatten().notes)
    if not chords_and_notes:
        raise ParameterError(param, "MIDI", "has no notes", "give a MIDI file with a melody")
    if len(chords_and_notes) > MAX_MIDI_NOTES:
        raise ParameterError(param, f"{len(chords_and_notes)} notes", "is too long to continue",
                             f"give a melody of at most {MAX_MIDI_NOTES} notes")
    meter_obj = score.flatten().getElementsByClass("TimeSignature").first()
    meter = normalise_meter(meter_obj.ratioString if meter_obj is not None else "4/4") or "4/4"
    analysed = score.analyze("key")
    key = normalise_key(analysed.tonic.name.replace("-", "b") +
                        ("m" if analysed.mode == "minor" else "")) or "C"
    unit = Fraction(unit_length(meter))
    body = _melody_abc(chords_and_notes, analysed, unit, Fraction(meter_obj.barDuration
                       .quarterLength if meter_obj is not None else 4) / 4)
    header = f"M:{meter}\nL:{unit}\nK:{key}\n"
    return AbcTune(header, body, key, meter, str(unit))


def rebar(document: str, score: Any) -> str:
    """The tune ``document`` (header and body) with its bar lines placed by its meter.

    The notes keep their pitches, lengths and order as music21 read them (repeats are
    written out once, as in the text); bar lines fall every full bar, a note across one is
    tied, and a short first bar stays a pickup. Accidentals are respelled for the key.
    """
    from music21 import key as m21key

    tune = split_abc(document, "generated tune")
    measures = list(score.parts[0].getElementsByClass("Measure")) if score.parts else \
        list(score.getElementsByClass("Measure"))
    bar = Fraction(tune.meter)  # whole notes a bar
    pickup = Fraction(measures[0].duration.quarterLength) / 4 if measures else Fraction(0)
    start = bar - pickup if 0 < pickup < bar else Fraction(0)
    tonic, mode = _key_parts(tune.key)
    items = list(score.flatten().notes)
    body = _melody_abc(items, m21key.Key(tonic, mode), Fraction(tune.unit), bar, start)
    return tune.header + body


def _key_parts(key: str) -> tuple[str, str]:
    """music21's (tonic, mode) for an ABC key such as ``G``, ``Em`` or ``Ador``."""
    match = re.match(r"([A-G][#b]?)(.*)", key)
    tonic, suffix = (match.group(1), match.group(2)) if match else ("C", "")
    modes = {"": "major", "m": "minor", "dor": "dorian", "mix": "mixolydian",
             "lyd": "lydian", "phr": "phrygian", "loc": "locrian"}
    return tonic.replace("b", "-") if len(tonic) > 1 else tonic, modes.get(suffix, "major")


def _melody_abc(items: list[Any], key: Any, unit: Fraction, bar: Fraction,
                start: Fraction = Fraction(0)) -> str:
    """ABC text of the top line of ``items`` (notes and chords with offsets); ``start``
    is where in the first bar the first note falls (a pickup)."""
    starts: dict[Fraction, tuple[int, Fraction]] = {}
    for item in items:
        pitch = max(p.midi for p in item.pitches)
        offset = Fraction(item.offset).limit_denominator(12) / 4  # whole notes
        length = Fraction(item.duration.quarterLength).limit_denominator(12) / 4
        if offset not in starts or pitch > starts[offset][0]:
            starts[offset] = (pitch, length)
    signature = {p.name[0]: (1 if "#" in p.name else -1) for p in key.alteredPitches}
    speller = _Speller(signature, flats=key.sharps < 0)
    events = sorted(starts.items())
    out: list[str] = []
    position = Fraction(start)
    events = [(offset + start, value) for offset, value in events]
    for index, (offset, (pitch, length)) in enumerate(events):
        if offset > position:
            out.extend(_timed(lambda: "z", offset - position, unit, bar, position, speller))
            position = offset
        end = events[index + 1][0] if index + 1 < len(events) else offset + length
        length = min(length, end - offset) or unit
        out.extend(_timed(lambda p=pitch: speller.note(p), length, unit, bar, position,
                          speller))
        position += length
    text = "".join(out).rstrip("|")
    return text + "|]\n"


class _Speller:
    """ABC note names for MIDI pitches under a key signature, with ABC's rule that an
    accidental holds to the end of its bar."""

    SHARP_NAMES = ((0, "C"), (1, "C"), (0, "D"), (1, "D"), (0, "E"), (0, "F"), (1, "F"),
                   (0, "G"), (1, "G"), (0, "A"), (1, "A"), (0, "B"))
    FLAT_NAMES = ((0, "C"), (-1, "D"), (0, "D"), (-1, "E"), (0, "E"), (0, "F"), (-1, "G"),
                  (0, "G"), (-1, "A"), (0, "A"), (-1, "B"), (0, "B"))

    def __init__(self, signature: dict[str, int], flats: bool) -> None:
        self.signature = signature
        self.flats = flats
        self.bar: dict[tuple[str, int], int] = {}

    def new_bar(self) -> None:
        self.bar = {}

    def note(self, midi: int) -> str:
        pc, octave = midi % 12, midi // 12 - 1
        # prefer the key's own spelling of the pitch class
        letter, alter = None, 0
        for name, alt in self.signature.items():
            natural = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[name]
            if (natural + alt) % 12 == pc:
                letter, alter = name, alt
        if letter is None:
            alter, letter = (self.FLAT_NAMES if self.flats else self.SHARP_NAMES)[pc]
        if letter == "B" and alter == 1 or letter == "C" and alter == -1:
            octave += 1 if letter == "C" else -1  # B# and Cb cross the octave
        current = self.bar.get((letter, octave), self.signature.get(letter, 0))
        mark = "" if alter == current else {1: "^", -1: "_", 0: "="}[alter]
        self.bar[(letter, octave)] = alter
        if octave >= 5:
            return mark + letter.lower() + "'" * (octave - 5)
        return mark + letter + "," * (4 - octave)


def _timed(symbol: Any, length: Fraction, unit: Fraction, bar: Fraction,
           position: Fraction, speller: _Speller) -> list[str]:
    """The note ``symbol()`` spells lasting ``length``, split at bar lines (tied across)."""
    pieces: list[str] = []
    while length > 0:
        room = bar - position % bar
        part = min(length, room)
        multiple = part / unit
        count = f"{multiple.numerator}" if multiple.denominator == 1 else \
            f"{multiple.numerator}/{multiple.denominator}"
        name = symbol()
        pieces.append(name + ("" if count == "1" else count))
        length -= part
        position += part
        if length > 0 and name != "z":
            pieces.append("-")
        if position % bar == 0:
            pieces.append("|")
            speller.new_bar()
    return pieces
