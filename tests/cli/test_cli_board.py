"""`genloom board`, run as a real process: import, edit, undo, takes, generate, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.core.boards.test_script_import import FIVE_SHOTS


@pytest.fixture
def board_cli(genloom_home: Path, tmp_path: Path) -> Any:
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    project = tmp_path / "proj"

    def run(*args: object, code: int = 0) -> Any:
        argv = [sys.executable, "-m", "genloom", "board", *map(str, args), "--project", str(project)]
        result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        return result

    def data(*args: object) -> Any:
        return json.loads(run(*args, "--json").stdout)

    run.data = data  # type: ignore[attr-defined]
    run.project = project  # type: ignore[attr-defined]
    return run


def test_import_edit_undo_and_takes(board_cli: Any, tmp_path: Path) -> None:
    script = tmp_path / "kettle.fountain"
    script.write_text(FIVE_SHOTS)
    made = board_cli.data("import", script)
    assert made["name"] == "The Kettle" and made["shot_count"] == 5
    board = made["id"]
    assert [b["id"] for b in board_cli.data("list")] == [board]
    shot = board_cli.data("add-shot", board, "A clock", "--duration", "2.5", "--camera", "pan-left",
                          "--at", "1")
    assert (shot["number"], shot["duration"], shot["camera"]) == (1, 2.5, "pan-left")
    board_cli("move", shot["id"], 3)
    shots = board_cli.data("show", board)["shots"]
    assert [s["id"] for s in shots].index(shot["id"]) == 2
    assert board_cli.data("undo", board) == {"undone": "reorder shots"}
    assert board_cli.data("show", board)["shots"][0]["id"] == shot["id"]
    edited = board_cli.data("edit", shot["id"], "--dialogue", "Tick.", "--character", "CLOCK")
    assert (edited["dialogue"], edited["character"]) == ("Tick.", "CLOCK")
    out = board_cli("show", board).stdout
    assert "1. [" in out and "CLOCK: Tick." in out


def test_generate_takes_and_select(board_cli: Any) -> None:
    board = board_cli.data("new", "Sea", "--style", "image_generator=procedural.pattern",
                           "--style", "width=64", "--style", "height=64",
                           "--style", "seed_policy=per-shot")["id"]
    # a camera move: its motion clip, when the video plugin is installed, is the animatic's
    first = board_cli.data("add-shot", board, "waves", "--camera", "zoom-in")["id"]
    board_cli.data("add-shot", board, "rocks")
    result = board_cli.data("generate", board, "--track", "picture", "--shot", first)
    assert result["shots"][0]["takes"][0]["kind"] == "image"
    assert result["shots"][1]["takes"] == []
    board_cli("generate", board, "--track", "picture", "--shot", first, "--quiet")
    everything = board_cli.data("takes", first)
    takes = [t for t in everything if t["kind"] == "image"]
    assert [t["selected"] for t in takes] == [True, False]
    clips = [t for t in everything if t["kind"] == "video"]
    # with the video plugin's animatic installed, each keyframe is followed by its clip
    assert len(clips) in (0, 2) and not any(c["selected"] for c in clips)
    board_cli("style", board, "video_generator=none")
    board_cli("generate", board, "--track", "picture", "--shot", first, "--quiet")
    assert len(board_cli.data("takes", first)) == len(everything) + 1
    board_cli.data("select", takes[1]["id"])
    chosen = {t["id"]: t["selected"] for t in board_cli.data("takes", first)}
    assert (chosen[takes[0]["id"]], chosen[takes[1]["id"]]) == (False, True)
    removed = board_cli.data("takes", first, "--remove", takes[0]["id"])
    assert takes[0]["id"] not in [t["id"] for t in removed]


def test_errors_and_exit_codes(board_cli: Any, tmp_path: Path) -> None:
    board_cli("new", "x")
    assert "no board with id 99" in board_cli("show", 99, code=3).stderr
    assert "no shot with id 77" in board_cli("edit", 77, "--notes", "n", code=3).stderr
    bad = tmp_path / "bad.fountain"
    bad.write_text("INT. ROOM - DAY\n\nA door.\n/* never closed\n")
    err = board_cli("import", bad, code=2).stderr
    assert "bad.fountain:4: opens a boneyard comment" in err
    assert len(board_cli.data("list")) == 1  # nothing half-made
    shot = board_cli.data("add-shot", 1, "a")["id"]
    assert "duration: '-1' is out of range" in board_cli("edit", shot, "--duration", "-1",
                                                         code=2).stderr
    assert "seed_policy" in board_cli("style", 1, "seed_policy=sometimes", code=2).stderr


def test_export_formats(board_cli: Any, tmp_path: Path) -> None:
    import opentimelineio as otio

    script = tmp_path / "shots.txt"
    script.write_text("one\ntwo\n")
    board = board_cli.data("import", script)["id"]
    out = tmp_path / "out"
    out.mkdir()
    for fmt, name in (("otio", "shots.otio"), ("edl", "shots.edl"), ("fcp7", "shots.xml"),
                      ("fcpxml", "shots.fcpxml"), ("contact-sheet", "shots.png")):
        written = board_cli.data("export", board, out, "--format", fmt)
        assert Path(written["path"]) == out / name
    back = otio.adapters.read_from_file(str(out / "shots.otio"))
    assert [c.name for c in back.tracks[0].find_clips()] == ["S001 shot1 no take",
                                                             "S002 shot2 no take"]
    assert "does not exist" in board_cli("export", board, tmp_path / "no" / "x.otio",
                                         "--format", "otio", code=2).stderr


def test_cut_prints_the_cut_and_refuses_an_odd_size(board_cli: Any, tmp_path: Path) -> None:
    script = tmp_path / "two.txt"
    script.write_text("dawn\ndusk\n")
    board = board_cli.data("import", script)["id"]
    result = board_cli.data("cut", board, "--size", "96x64", "--fps", "8", "--slate", "1")
    (job,) = result["jobs"]
    assert job["state"] == "done" and job["generator"] == "board.draft_cut"
    (asset,) = job["assets"]
    assert asset["kind"] == "video" and Path(asset["path"]).is_file()
    assert board_cli.data("show", board)["cuts"] == [asset["id"]]
    assert "is not an even size" in board_cli("cut", board, "--size", "95x64", code=2).stderr
