"""Scripts into boards: Fountain screenplays, plain lists (one shot a line) and CSV.

Parsing is all done before anything is written: a script with problems raises
:class:`ScriptError` listing each problem with its line number, and no board or
shot is made. :func:`import_script` then makes the board and its shots in one
transaction (one undo step when added to an existing board).

Fountain (https://fountain.io, the plain-text screenplay format) as read here: a
title page (``Key: value`` lines, indented continuation lines) up to the first
blank line; scene headings (``INT.``, ``EXT.``, ``EST.``, ``INT./EXT.``, ``I/E``, or
forced with ``.``); action (forced with ``!``); a character (an upper-case line, or
forced with ``@``; an extension such as ``(V.O.)`` and the dual-dialogue ``^``
allowed) followed by dialogue lines and ``(parentheticals)``; transitions (an
upper-case line ending in ``TO:``, or forced with ``>``); centred text ``>...<``;
notes ``[[...]]`` and the boneyard ``/* ... */`` (both may span lines); sections
``#``, synopses ``=``, page breaks ``===`` and lyrics ``~``. Emphasis markers
(``*``, ``**``, ``_``) are taken off.

Shots: ``per="action"`` (the default) makes a shot of each action block; the
dialogue that follows goes on it as its voice-over line with the character's name,
and a further speech before the next action gets a shot of its own. ``per="scene"``
makes one shot per scene. Notes and synopses go into the shot's notes, a
transition into the notes of the shot before it. Durations are estimated from the
words (speech at 2.5 words a second), never below the default.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genloom.core.boards.errors import ScriptError
from genloom.core.boards.model import (
    CAMERA_MOVES,
    DEFAULT_DURATION,
    MAX_DURATION,
    check_shot_values,
)
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.boards.store import Boards

__all__ = ["CSV_COLUMNS", "FORMATS", "MAX_SCRIPT_BYTES", "ParsedScript", "format_for",
           "import_script", "parse_csv", "parse_fountain", "parse_list", "parse_script",
           "read_script"]

#: Script formats :func:`parse_script` reads, and the suffixes that pick each.
FORMATS = {"fountain": (".fountain", ".spmd"), "list": (".txt", ".list", ".md"), "csv": (".csv",)}
#: The largest script read (a feature screenplay is ~200 kB).
MAX_SCRIPT_BYTES = 5_000_000
#: CSV header names and the shot field each one fills.
CSV_COLUMNS = {
    "description": "description", "prompt": "description", "action": "description",
    "shot": "description", "duration": "duration", "seconds": "duration",
    "camera": "camera", "camera move": "camera", "move": "camera",
    "dialogue": "dialogue", "voice-over": "dialogue", "voiceover": "dialogue", "vo": "dialogue",
    "line": "dialogue", "character": "character", "speaker": "character", "notes": "notes",
    "note": "notes", "scene": "scene", "number": "", "#": "", "shot number": "",
}
_LINE_LIMIT = 10_000
_WORDS_PER_SECOND = 2.5


@dataclass
class ParsedScript:
    """Shots (dicts of shot fields) and the title page, ready to store."""

    shots: list[dict[str, Any]]
    title: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.title.get("title", "").strip()


# -- reading -----------------------------------------------------------------


def read_script(path: Path) -> str:
    """The text of a script file (UTF-8, a BOM allowed); a ScriptError names a bad line."""
    if not path.is_file():
        raise ParameterError("script", str(path), "is not a file", "give the path of a script")
    size = path.stat().st_size
    if size > MAX_SCRIPT_BYTES:
        raise ParameterError("script", str(path), f"is {size} bytes, more than a script "
                             f"({MAX_SCRIPT_BYTES} at most)", "split it, or check the file")
    return decode_script(path.read_bytes(), path.name)


def decode_script(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ScriptError(source, [(line, f"is not UTF-8 text (byte {data[exc.start]:#04x}); "
                                          "save the script as UTF-8")]) from None


def parse_script(text: str, fmt: str, *, source: str = "script", per: str = "action") -> ParsedScript:
    """Parse ``text`` as ``fmt`` (``fountain``, ``list`` or ``csv``)."""
    if fmt == "fountain":
        return parse_fountain(text, source=source, per=per)
    if fmt == "list":
        return parse_list(text, source=source)
    if fmt == "csv":
        return parse_csv(text, source=source)
    raise ParameterError("format", fmt, "is not a script format", f"use {', '.join(FORMATS)}")


def format_for(path: Path) -> str:
    """The script format a file's suffix names (Fountain for an unknown one)."""
    suffix = path.suffix.lower()
    for fmt, suffixes in FORMATS.items():
        if suffix in suffixes:
            return fmt
    return "fountain"


def _check_lines(lines: list[str], problems: list[tuple[int, str]]) -> None:
    for number, line in enumerate(lines, start=1):
        if len(line) > _LINE_LIMIT:
            problems.append((number, f"is {len(line)} characters long (at most {_LINE_LIMIT})"))
        bad = next((c for c in line if ord(c) < 32 and c not in "\t\r"), None)
        if bad is not None:
            problems.append((number, f"holds the control character {ord(bad):#04x}; a script is "
                                     "plain text"))


# -- plain list ----------------------------------------------------------------


def parse_list(text: str, *, source: str = "list") -> ParsedScript:
    """One shot a line; blank lines and lines starting with ``#`` are skipped."""
    lines = text.splitlines()
    problems: list[tuple[int, str]] = []
    _check_lines(lines, problems)
    shots = [{"description": _plain(line.strip()), "duration": DEFAULT_DURATION}
             for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not shots and not problems:
        problems.append((max(1, len(lines)), "no shots: the list has no lines of text"))
    if problems:
        raise ScriptError(source, problems)
    return ParsedScript(shots)


# -- CSV ---------------------------------------------------------------------------


def parse_csv(text: str, *, source: str = "csv") -> ParsedScript:
    """A header row naming columns (see :data:`CSV_COLUMNS`), then one shot a row."""
    problems: list[tuple[int, str]] = []
    _check_lines(text.splitlines(), problems)
    if problems:
        raise ScriptError(source, problems)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise ScriptError(source, [(1, "is empty; the first row names the columns, e.g. "
                                       "description,duration,camera,dialogue,character")]) from None
    except csv.Error as exc:
        raise ScriptError(source, [(reader.line_num, f"is not CSV ({exc})")]) from None
    columns: list[str] = []
    for name in header:
        key = name.strip().lower()
        if key not in CSV_COLUMNS:
            problems.append((1, f"column {name!r} is not a shot field; name columns "
                                f"{', '.join(sorted(k for k, v in CSV_COLUMNS.items() if v))}"))
        columns.append(CSV_COLUMNS.get(key, ""))
    if "description" not in columns and not problems:
        problems.append((1, "has no description column (or prompt, action, shot); every shot "
                            "needs one"))
    if problems:
        raise ScriptError(source, problems)
    shots = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                problems.append((line, f"has {len(row)} cells but the header names "
                                       f"{len(columns)} columns"))
                continue
            values: dict[str, Any] = {}
            for column, cell in zip(columns, row, strict=False):
                if column and cell.strip():
                    values[column] = _duration(cell) if column == "duration" else cell.strip()
            try:
                shots.append(check_shot_values({"duration": DEFAULT_DURATION, **values}))
            except ParameterError as exc:
                problems.append((line, str(exc)))
    except csv.Error as exc:
        problems.append((reader.line_num, f"is not CSV ({exc})"))
    if not shots and not problems:
        problems.append((max(1, reader.line_num), "no shots: there are no rows under the header"))
    if problems:
        raise ScriptError(source, problems)
    return ParsedScript(shots)


def _duration(cell: str) -> Any:
    """``4``, ``4s``, ``4.5 sec``, ``0:04`` or ``00:00:04`` as seconds (else the cell, to
    be refused with the field's message)."""
    text = cell.strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds)?", text)
    if match:
        return float(match.group(1))
    match = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)", text)
    if match:
        return int(match.group(1) or 0) * 3600 + int(match.group(2)) * 60 + float(match.group(3))
    return cell.strip()


# -- Fountain -------------------------------------------------------------------

_SCENE = re.compile(r"^(INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[\.\s]", re.IGNORECASE)
_TRANSITION = re.compile(r"^[A-Z0-9 .'\-]+TO:$")
_CHARACTER = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")
_EXTENSION = re.compile(r"\s*\(([^)]*)\)\s*$")
_SCENE_NUMBER = re.compile(r"\s*#[\w.\-]+#\s*$")
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z ]*):(.*)$")
_EMPHASIS = re.compile(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1")
_CAMERA_WORDS = (
    (re.compile(r"\b(push(es)? in|zoom(s)? in|dolly in|moves? closer)\b", re.I), "zoom-in"),
    (re.compile(r"\b(pull(s)? (back|out)|zoom(s)? out|dolly out)\b", re.I), "zoom-out"),
    (re.compile(r"\bpan(s)? (to the )?left\b", re.I), "pan-left"),
    (re.compile(r"\bpan(s)? (to the )?right\b", re.I), "pan-right"),
    (re.compile(r"\btilt(s)? up\b", re.I), "tilt-up"),
    (re.compile(r"\btilt(s)? down\b", re.I), "tilt-down"),
)
assert all(move in CAMERA_MOVES for _, move in _CAMERA_WORDS)


def _plain(text: str) -> str:
    """Text without Fountain emphasis markers and escapes."""
    text = _EMPHASIS.sub(lambda m: m.group(2), text)
    return text.replace("\\*", "*").replace("\\_", "_")


def _strip_comments(lines: list[str], problems: list[tuple[int, str]]) -> tuple[list[str], list[tuple[int, str]]]:
    """Lines without the boneyard and notes; the notes with the line they were on."""
    out: list[str] = []
    notes: list[tuple[int, str]] = []
    in_bone = 0  # the line where an open /* started
    in_note = 0
    note_text: list[str] = []
    for number, line in enumerate(lines, start=1):
        kept = ""
        i = 0
        while i < len(line):
            if in_bone:
                end = line.find("*/", i)
                if end < 0:
                    i = len(line)
                    break
                in_bone, i = 0, end + 2
            elif in_note:
                end = line.find("]]", i)
                if end < 0:
                    note_text.append(line[i:])
                    i = len(line)
                    break
                note_text.append(line[i:end])
                notes.append((in_note, " ".join(t.strip() for t in note_text if t.strip())))
                in_note, note_text, i = 0, [], end + 2
            else:
                bone, note = line.find("/*", i), line.find("[[", i)
                starts = [p for p in (bone, note) if p >= 0]
                if not starts:
                    kept += line[i:]
                    break
                first = min(starts)
                kept += line[i:first]
                if first == bone:
                    in_bone = number
                else:
                    in_note = number
                i = first + 2
        # A line that held only a note or boneyard is not a blank line of the script.
        out.append(kept if kept.strip() or not line.strip() else "\x00")
    if in_bone:
        problems.append((in_bone, "opens a boneyard comment /* that is never closed with */"))
    if in_note:
        problems.append((in_note, "opens a note [[ that is never closed with ]]"))
    return out, notes


def _title_page(lines: list[str], problems: list[tuple[int, str]]) -> tuple[dict[str, str], int]:
    """The title page's keys (lower case) and the index of the first line after it."""
    if not lines or not _TITLE_KEY.match(lines[0]) or _SCENE.match(lines[0]):
        return {}, 0
    title: dict[str, str] = {}
    key = ""
    for index, line in enumerate(lines):
        if not line.strip():
            return title, index + 1
        match = _TITLE_KEY.match(line)
        if match and not line.startswith((" ", "\t")):
            key = match.group(1).strip().lower()
            title[key] = match.group(2).strip()
        elif key and line.startswith((" ", "\t")):
            title[key] = (title[key] + "\n" + line.strip()).strip()
        else:
            problems.append((index + 1, "is in the title page but is neither 'Key: value' nor an "
                                        "indented continuation; end the title page with a blank line"))
    return title, len(lines)


@dataclass
class _Builder:
    per: str
    shots: list[dict[str, Any]] = field(default_factory=list)
    scene: str = ""
    current: dict[str, Any] | None = None
    scene_shot: dict[str, Any] | None = None
    pending_notes: list[str] = field(default_factory=list)

    def new_shot(self, description: str) -> dict[str, Any]:
        shot: dict[str, Any] = {"description": description, "scene": self.scene, "dialogue": "",
                                "character": "", "notes": "", "camera": "static"}
        if self.pending_notes:
            shot["notes"] = "\n".join(self.pending_notes)
            self.pending_notes = []
        self.shots.append(shot)
        return shot

    def heading(self, text: str) -> None:
        self.scene = text
        self.current = None
        self.scene_shot = None

    def action(self, text: str) -> None:
        if self.per == "scene":
            shot = self._scene_shot()
            shot["description"] = (shot["description"] + " " + text).strip()
            return
        self.current = self.new_shot(text)
        for pattern, move in _CAMERA_WORDS:
            if pattern.search(text):
                self.current["camera"] = move
                break

    def _scene_shot(self) -> dict[str, Any]:
        if self.scene_shot is None:
            self.scene_shot = self.new_shot("")
        return self.scene_shot

    def dialogue(self, character: str, extension: str, lines: list[str], parentheticals: list[str]) -> None:
        speech = " ".join(lines).strip()
        if self.per == "scene":
            shot = self._scene_shot()
            shot["dialogue"] = (shot["dialogue"] + "\n" + f"{character}: {speech}").strip()
            speakers = {line.split(":", 1)[0] for line in shot["dialogue"].splitlines()}
            shot["character"] = character if speakers == {character} else ""
            extra = ", ".join([*([extension] if extension else []), *parentheticals])
            if extra:
                self.note(f"{character}: {extra}", shot)
            return
        current = self.current
        if current is None or current["dialogue"]:
            where = f"{self.scene}: " if self.scene else ""
            current = self.current = self.new_shot(f"{where}{character.title()} speaks")
        shot = current
        shot["dialogue"], shot["character"] = speech, character
        extra = ", ".join([*([extension] if extension else []), *parentheticals])
        if extra:
            self.note(extra, shot)

    def note(self, text: str, shot: dict[str, Any] | None = None) -> None:
        shot = shot or (self.scene_shot if self.per == "scene" else self.current)
        if shot is None:
            self.pending_notes.append(text)
        else:
            shot["notes"] = (shot["notes"] + "\n" + text).strip()

    def transition(self, text: str) -> None:
        target = self.shots[-1] if self.shots else None
        if target is None:
            self.pending_notes.append(text)
        else:
            target["notes"] = (target["notes"] + "\n" + text).strip()


def parse_fountain(text: str, *, source: str = "script.fountain", per: str = "action") -> ParsedScript:
    """A Fountain screenplay as shots (see the module's description)."""
    if per not in ("action", "scene"):
        raise ParameterError("per", per, "is not a way to cut a script into shots",
                             "use action (a shot per action block) or scene")
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    problems: list[tuple[int, str]] = []
    _check_lines(raw, problems)
    lines, notes = _strip_comments(raw, problems)
    title, start = _title_page(lines, problems)
    note_at = {line: note for line, note in notes}
    build = _Builder(per)
    index = start
    note_lines = sorted(note_at)

    def flush_notes(upto: int) -> None:
        while note_lines and note_lines[0] <= upto:
            build.note(note_at[note_lines.pop(0)])

    def blank(i: int) -> bool:
        return i < 0 or i >= len(lines) or not lines[i].strip()

    while index < len(lines):
        line = lines[index]
        number = index + 1
        flush_notes(number - 1)  # notes on the lines before, once those lines made their shots
        stripped = line.strip()
        if not stripped or line == "\x00":
            index += 1
            continue
        before_blank = index == start or blank(index - 1) or lines[index - 1] == "\x00"
        if stripped.startswith("===") and set(stripped) == {"="}:
            index += 1  # page break
        elif stripped.startswith("#"):
            index += 1  # section
        elif stripped.startswith("=") and not stripped.startswith("=="):
            build.note(_plain(stripped[1:].strip()))  # synopsis
            index += 1
        elif (stripped.startswith(".") and not stripped.startswith("..")) or (
                before_blank and _SCENE.match(stripped)):
            heading = _SCENE_NUMBER.sub("", stripped.lstrip(".")).strip()
            if not _SCENE.sub("", heading + " ", count=1).strip(" .-/"):
                problems.append((number, f"scene heading {stripped!r} names no place; write it "
                                         "like 'INT. KITCHEN - NIGHT'"))
            build.heading(_plain(heading.upper() if _SCENE.match(heading) else heading))
            index += 1
        elif stripped.startswith(">") and stripped.endswith("<"):
            build.action(_plain(stripped[1:-1].strip()))  # centred text
            index += 1
        elif stripped.startswith(">") or (before_blank and _TRANSITION.match(stripped)
                                          and blank(index + 1)):
            build.transition(_plain(stripped.lstrip(">").strip()))
            index += 1
        elif not stripped.startswith("!") and before_blank and not blank(index + 1) and (
                stripped.startswith("@") or _CHARACTER.match(stripped)):
            index = _read_dialogue(lines, index, build, problems)
        else:
            block = []
            while index < len(lines) and lines[index].strip() and lines[index] != "\x00":
                piece = lines[index].strip()
                block.append(piece[1:] if piece.startswith(("!", "~")) else piece)
                index += 1
            build.action(_plain(" ".join(block)))
    flush_notes(len(lines) + 1)
    if not build.shots and not problems:
        problems.append((max(1, len(text.splitlines())), "no shots: the script has no action or "
                                                          "dialogue"))
    shots = []
    for shot in build.shots:
        shot.setdefault("description", "")
        if not shot["description"]:
            shot["description"] = shot["scene"] or "(no description)"
        shot["duration"] = estimate_duration(shot["description"], shot["dialogue"])
        try:
            shots.append(check_shot_values(shot))
        except ParameterError as exc:  # pragma: no cover - the parser only makes valid values
            problems.append((1, str(exc)))
    if problems:
        raise ScriptError(source, sorted(problems))
    return ParsedScript(shots, title)


def _read_dialogue(lines: list[str], index: int, build: _Builder,
                   problems: list[tuple[int, str]]) -> int:
    head = lines[index].strip().lstrip("@").rstrip("^").strip()
    head = _SCENE_NUMBER.sub("", head)
    extension = ""
    match = _EXTENSION.search(head)
    if match:
        extension, head = match.group(1).strip(), head[:match.start()].strip()
    speech: list[str] = []
    parentheticals: list[str] = []
    index += 1
    while index < len(lines) and lines[index].strip() and lines[index] != "\x00":
        piece = lines[index].strip()
        if piece.startswith("("):
            if not piece.endswith(")"):
                problems.append((index + 1, f"parenthetical {piece!r} is not closed with ')'"))
            parentheticals.append(piece.strip("()").strip())
        else:
            speech.append(_plain(piece))
        index += 1
    if not speech:
        problems.append((index, f"{head} has a parenthetical but no line to say"))
    build.dialogue(head, extension, speech, parentheticals)
    return index


def estimate_duration(description: str, dialogue: str) -> float:
    """A shot's length from its words: the speech at 2.5 words a second plus a breath,
    and a beat per ~12 words of action; never below the default, rounded to 0.5 s."""
    spoken = len(re.findall(r"\w+", dialogue)) / _WORDS_PER_SECOND + (0.5 if dialogue else 0)
    seen = len(re.findall(r"\w+", description)) / 4.0
    seconds = max(DEFAULT_DURATION, spoken, min(seen, 8.0))
    return min(MAX_DURATION, round(seconds * 2) / 2)


def import_script(boards: Boards, path: Path | None = None, *, text: str | None = None,
                  fmt: str | None = None, per: str = "action", board_id: int | None = None,
                  name: str | None = None) -> tuple[int, list[int]]:
    """Parse a script (a file, or ``text``) and store it: a new board (named ``name``, else
    the title page's title, else the file's name) or, with ``board_id``, shots appended to
    that board as one undo step. Returns ``(board id, shot ids)``. Everything is parsed
    first and stored in one transaction: a problem leaves the project as it was.
    """
    if (path is None) == (text is None):
        raise ValueError("import_script: give a path or text, not both")
    source = path.name if path is not None else "script"
    if path is not None:
        text = read_script(path)
        fmt = fmt or format_for(path)
    assert text is not None
    parsed = parse_script(text, fmt or "fountain", source=source, per=per)
    board_name = name or parsed.name or (path.stem if path is not None else "Imported script")
    return boards.store_script(parsed.shots, board_id=board_id, name=board_name,
                               label=f"import {source}")
