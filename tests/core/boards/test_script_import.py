"""Fountain, plain-list and CSV scripts into boards; malformed scripts give line-numbered
errors and leave no board behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.core.boards import Boards, ScriptError
from genloom.core.boards.script import import_script, parse_fountain
from genloom.core.project import Project

FIVE_SHOTS = """\
Title: The Kettle
Author: A. Writer
Draft date: 1 May

INT. KITCHEN - NIGHT #1#

A kettle starts to whistle. The camera **pushes in**.

ANNA (V.O.)
(whispering)
It always starts like this.

BOB ^
Does it?

CUT TO:

EXT. GARDEN - DAY [[shot on a long lens]]

Rain on *leaves*.
/* an old scene
that was cut */
= the garden at dawn

.FLASHBACK

!ANNA AND BOB DANCE.

> THE END <
"""


def test_a_five_shot_fountain_script_becomes_a_board(genloom_project: Project, tmp_path: Path) -> None:
    script = tmp_path / "kettle.fountain"
    script.write_text(FIVE_SHOTS, encoding="utf-8")
    boards = Boards(genloom_project)
    board_id, ids = import_script(boards, script)
    board = boards.get(board_id)
    shots = boards.shots(board_id)
    assert board.name == "The Kettle" and len(ids) == 5 == board.shot_count
    assert [(s.number, s.description) for s in shots] == [
        (1, "A kettle starts to whistle. The camera pushes in."),
        (2, "INT. KITCHEN - NIGHT: Bob speaks"),
        (3, "Rain on leaves."),
        (4, "ANNA AND BOB DANCE."),
        (5, "THE END"),
    ]
    first, second, third = shots[0], shots[1], shots[2]
    assert (first.scene, first.camera, first.character, first.dialogue) == (
        "INT. KITCHEN - NIGHT", "zoom-in", "ANNA", "It always starts like this.")
    assert first.notes == "V.O., whispering"
    assert (second.character, second.dialogue, second.notes) == ("BOB", "Does it?", "CUT TO:")
    assert third.scene == "EXT. GARDEN - DAY"
    assert third.notes == "shot on a long lens\nthe garden at dawn"
    assert "old scene" not in " ".join(s.description + s.notes for s in shots)
    assert shots[3].scene == "FLASHBACK"


def test_one_shot_per_scene(genloom_project: Project) -> None:
    parsed = parse_fountain(FIVE_SHOTS, per="scene")
    assert [s["scene"] for s in parsed.shots] == ["INT. KITCHEN - NIGHT", "EXT. GARDEN - DAY",
                                                  "FLASHBACK"]
    assert parsed.shots[0]["dialogue"] == "ANNA: It always starts like this.\nBOB: Does it?"
    assert parsed.shots[0]["character"] == ""


def test_durations_follow_the_dialogue(genloom_project: Project) -> None:
    words = " ".join(["word"] * 25)
    parsed = parse_fountain(f"EXT. ROAD - DAY\n\nA car.\n\nANNA\n{words}\n")
    assert parsed.shots[0]["duration"] == 10.5  # 25 words at 2.5 a second, plus a breath


@pytest.mark.parametrize(("text", "line", "problem"), [
    ("INT. ROOM - DAY\n\nA door.\n/* never closed\n\nMore.\n", 4, "never closed with */"),
    ("EXT. SEA - DAY\n\nWaves. [[a note\nthat runs on\n", 3, "note [[ that is never closed"),
    ("INT. HALL - DAY\n\nANNA\n(shouting\nGet out!\n", 4, "not closed with ')'"),
    ("Title: X\nnot a key line\n\nINT. A - DAY\n\nB.\n", 2, "title page"),
    ("INT.\n\nSomething.\n", 1, "names no place"),
    ("INT. A - DAY\n\nBad \x07 bell.\n", 3, "control character 0x07"),
    ("\n\n", 2, "no shots"),
])
def test_malformed_fountain_gives_line_numbered_errors(genloom_project: Project, tmp_path: Path,
                                                       text: str, line: int, problem: str) -> None:
    script = tmp_path / "bad.fountain"
    script.write_text(text, encoding="utf-8")
    boards = Boards(genloom_project)
    with pytest.raises(ScriptError) as caught:
        import_script(boards, script)
    assert any(number == line and problem in message for number, message in caught.value.problems), \
        caught.value.problems
    assert f"bad.fountain:{line}:" in str(caught.value)
    assert boards.all() == []  # never a half-made board


def test_non_utf8_names_the_line(genloom_project: Project, tmp_path: Path) -> None:
    script = tmp_path / "latin.fountain"
    script.write_bytes(b"INT. CAFE - DAY\n\nCaf\xe9 au lait.\n")
    with pytest.raises(ScriptError, match=r"latin.fountain:3: is not UTF-8"):
        import_script(Boards(genloom_project), script)


def test_plain_list_one_shot_a_line(genloom_project: Project, tmp_path: Path) -> None:
    script = tmp_path / "shots.txt"
    script.write_text("# my shots\nA lighthouse at dusk\n\nWaves on the rocks\nA gull\n")
    boards = Boards(genloom_project)
    board_id, _ = import_script(boards, script)
    assert boards.get(board_id).name == "shots"
    assert [s.description for s in boards.shots(board_id)] == [
        "A lighthouse at dusk", "Waves on the rocks", "A gull"]


def test_csv_with_known_columns(genloom_project: Project, tmp_path: Path) -> None:
    script = tmp_path / "board.csv"
    script.write_text("Shot Number,Description,Duration,Camera Move,Voice-over,Character,Notes\n"
                      '1,"A road, at night",4s,zoom in,"Where now?",ANNA,handheld\n'
                      "2,Headlights,0:02.5,static,,,\n")
    boards = Boards(genloom_project)
    board_id, _ = import_script(boards, script)
    shots = boards.shots(board_id)
    assert [(s.description, s.duration, s.camera, s.dialogue, s.character, s.notes)
            for s in shots] == [("A road, at night", 4.0, "zoom-in", "Where now?", "ANNA", "handheld"),
                                ("Headlights", 2.5, "static", "", "", "")]


def test_csv_problems_name_their_rows(genloom_project: Project, tmp_path: Path) -> None:
    script = tmp_path / "bad.csv"
    script.write_text("description,duration,camera\nA,3,static\nB,forever,static\nC,2,swirl\n")
    boards = Boards(genloom_project)
    with pytest.raises(ScriptError) as caught:
        import_script(boards, script)
    assert [line for line, _ in caught.value.problems] == [3, 4]
    assert "duration: 'forever' is not a number" in caught.value.problems[0][1]
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("description,lens\nA,35mm\n")
    with pytest.raises(ScriptError, match=r"unknown.csv:1: column 'lens' is not a shot field"):
        import_script(boards, unknown)
    assert boards.all() == []


def test_appending_to_a_board_is_one_undo_step(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board = boards.create("Existing")
    boards.add_shot(board.id, description="first")
    import_script(boards, text="two\nthree\n", fmt="list", board_id=board.id)
    assert [s.description for s in boards.shots(board.id)] == ["first", "two", "three"]
    assert boards.undo(board.id) == "import script"
    assert [s.description for s in boards.shots(board.id)] == ["first"]
