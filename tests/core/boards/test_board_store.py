"""Boards, shots and takes in a real project database: edits, undo across reopening,
takes whose assets are deleted, and the migration that makes the tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from genloom.core.boards import BoardNotFoundError, Boards, ShotNotFoundError, boards_of
from genloom.core.project import Project, migrations
from genloom.sdk.errors import ParameterError

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
       b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def _image(project: Project, n: int) -> int:
    return project.add_asset(PNG + bytes([n]), kind="image", suffix=".png").id


def _board_with_shots(boards: Boards, count: int = 3) -> tuple[int, list[int]]:
    board = boards.create("Pilot")
    ids = boards.add_shots(board.id, [{"description": f"shot {i}", "duration": 2 + i}
                                      for i in range(count)])
    return board.id, ids


def test_shots_are_numbered_in_order_with_their_fields(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, ids = _board_with_shots(boards)
    boards.update_shot(ids[1], camera="Zoom In", dialogue="Hello.", character="ANNA",
                       notes="wide lens")
    shots = boards.shots(board_id)
    assert [(s.number, s.description, s.duration) for s in shots] == [
        (1, "shot 0", 2.0), (2, "shot 1", 3.0), (3, "shot 2", 4.0)]
    assert (shots[1].camera, shots[1].dialogue, shots[1].character, shots[1].notes) == (
        "zoom-in", "Hello.", "ANNA", "wide lens")
    board = boards.get(board_id)
    assert (board.shot_count, board.duration) == (3, 9.0)


def test_bad_values_are_refused_with_the_fix(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, ids = _board_with_shots(boards, 1)
    with pytest.raises(ParameterError, match=r"duration: 0 is out of range; give 0.5 to 600"):
        boards.update_shot(ids[0], duration=0)
    with pytest.raises(ParameterError, match="camera: 'swirl' is not a camera move"):
        boards.add_shot(board_id, camera="swirl")
    with pytest.raises(ParameterError, match="name"):
        boards.create("  ")
    with pytest.raises(BoardNotFoundError):
        boards.shots(999)
    assert len(boards.shots(board_id)) == 1  # the refused shot was not added


def test_reorder_move_and_insert(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, (a, b, c) = _board_with_shots(boards)
    boards.move_shot(c, 0)
    assert [s.id for s in boards.shots(board_id)] == [c, a, b]
    d = boards.add_shot(board_id, index=1, description="inserted").id
    assert [s.id for s in boards.shots(board_id)] == [c, d, a, b]
    with pytest.raises(ParameterError, match="order"):
        boards.reorder(board_id, [a, b])


def test_undo_survives_reopening_the_project(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, (a, b, c) = _board_with_shots(boards)
    boards.update_shot(b, description="changed", duration=9)
    boards.reorder(board_id, [c, b, a])
    boards.remove_shot(a)
    path = genloom_project.path
    genloom_project.close()
    with Project.open(path) as project:
        boards = Boards(project)
        assert boards.history(board_id)[:3] == ["remove shot 3", "reorder shots", "edit shot 2"]
        assert boards.undo(board_id) == "remove shot 3"
        assert [s.id for s in boards.shots(board_id)] == [c, b, a]
        boards.undo(board_id)
        assert [s.id for s in boards.shots(board_id)] == [a, b, c]
        boards.undo(board_id)
        assert (boards.shot(b).description, boards.shot(b).duration) == ("shot 1", 3.0)
        boards.undo(board_id)  # the three added shots
        assert boards.shots(board_id) == []
        assert boards.undo(board_id) is None


def test_takes_select_one_per_track_and_undo(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, (a, _b, _c) = _board_with_shots(boards)
    first = boards.add_take(a, _image(genloom_project, 1))
    second = boards.add_take(a, _image(genloom_project, 2))
    voice = genloom_project.add_asset(b"RIFF0000WAVE", kind="audio", suffix=".wav").id
    voice_take = boards.add_take(a, voice)
    music_take = boards.add_take(a, voice, track="music")
    assert first.selected and not second.selected
    assert voice_take.track == "voice" and voice_take.selected and music_take.selected
    boards.select_take(second.id)
    shot = boards.shot(a)
    assert shot.selected("picture").id == second.id
    assert [t.id for t in shot.takes if t.selected] == [second.id, voice_take.id, music_take.id]
    boards.undo(board_id)
    assert boards.shot(a).selected("picture").id == first.id
    boards.remove_take(first.id)
    assert boards.shot(a).selected("picture") is None
    boards.undo(board_id)
    assert boards.shot(a).selected("picture").id == first.id
    with pytest.raises(ParameterError, match="'picture' does not take audio assets"):
        boards.add_take(a, voice, track="picture")


def test_removing_shots_and_takes_never_deletes_assets(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, (a, b, _c) = _board_with_shots(boards)
    asset = _image(genloom_project, 3)
    take = boards.add_take(a, asset)
    boards.remove_take(take.id)
    boards.remove_shot(b)
    boards.delete(board_id)
    assert genloom_project.get_asset(asset).id == asset
    assert genloom_project.asset_path(asset).is_file()


def test_deleting_an_asset_drops_its_takes_and_undo_skips_them(genloom_project: Project) -> None:
    boards = Boards(genloom_project)
    board_id, (a, _b, _c) = _board_with_shots(boards)
    asset = _image(genloom_project, 4)
    take = boards.add_take(a, asset)
    boards.remove_take(take.id)
    genloom_project.delete_asset(asset)
    assert boards.undo(board_id) == "remove take from shot 1"  # nothing to bring back
    assert boards.takes(a) == []
    kept = boards.add_take(a, _image(genloom_project, 5))
    genloom_project.delete_asset(kept.asset_id)
    assert boards.shot(a).takes == () and boards.shot(a).selected("picture") is None


def test_board_changed_is_announced(genloom_project: Project) -> None:
    seen: list[int] = []
    genloom_project.events.board_changed.connect(seen.append)
    boards = boards_of(genloom_project)
    assert boards_of(genloom_project) is boards
    board_id, ids = _board_with_shots(boards, 1)
    boards.update_shot(ids[0], notes="x")
    assert seen == [board_id, board_id, board_id]


def test_undo_keeps_the_latest_edits(genloom_project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from genloom.core.boards import store

    monkeypatch.setattr(store, "UNDO_DEPTH", 3)
    boards = Boards(genloom_project)
    board_id, (a,) = _board_with_shots(boards, 1)
    for n in range(5):
        boards.update_shot(a, notes=str(n))
    assert boards.history(board_id) == ["edit shot 1"] * 3


def test_unknown_shot(genloom_project: Project) -> None:
    with pytest.raises(ShotNotFoundError, match="no shot with id 77"):
        Boards(genloom_project).shot(77)


def test_migration_adds_board_tables_to_an_older_project(tmp_path: Path) -> None:
    index = migrations.MIGRATIONS.index(migrations._boards)
    db = tmp_path / "old" / "genloom.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db, isolation_level=None)
    migrations.migrate(conn, db.parent, target=index)
    conn.execute("INSERT INTO assets (kind, hash, size, suffix, path, created) "
                 "VALUES ('image', 'x', 1, '.png', 'p', 0)")
    conn.close()
    with Project.open(db.parent) as project:
        tables = {r[0] for r in project.db.connection().execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        assert {"boards", "board_shots", "board_takes", "board_jobs", "board_undo",
                "board_jobs_attach"} <= tables
        assert Boards(project).all() == []


def test_a_damaged_undo_record_changes_nothing_and_is_dropped(genloom_project: Project) -> None:
    from genloom.core.boards import BoardError

    boards = Boards(genloom_project)
    board_id, (a,) = _board_with_shots(boards, 1)
    boards.update_shot(a, notes="kept")
    with genloom_project.db.transaction() as conn:
        conn.execute("INSERT INTO board_undo (board_id, label, ops, created) VALUES "
                     "(?, 'crafted', ?, 0)", (board_id, '[["positions", 5]]'))
    with pytest.raises(BoardError, match="'crafted'.*is damaged"):
        boards.undo(board_id)
    assert boards.shot(a).notes == "kept"
    assert boards.undo(board_id) == "edit shot 1"
    assert boards.shot(a).notes == ""
