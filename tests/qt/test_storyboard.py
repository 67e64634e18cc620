"""The Storyboard view, a real widget offscreen over a real project: reorder by drag,
take selection, editing in place, undo, export, and the view following core's changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt

from genloom._qt.storyboard import StoryboardView
from genloom.core.boards import boards_of
from genloom.core.project import Project
from tests.core.boards.media_helpers import png, storyboard


def _view(qtbot: Any, project: Project) -> StoryboardView:
    view = StoryboardView(project, lambda: None)
    qtbot.addWidget(view)
    view.resize(1100, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


def _drag(qtbot: Any, view: StoryboardView, source: Any, target: QPoint) -> None:
    """Press on a card's frame, move in steps to ``target`` (grid coordinates), release."""
    grid = view.grid
    start = source.frame.rect().center()
    qtbot.mousePress(source.frame, Qt.MouseButton.LeftButton, pos=start)
    begin = grid.mapFromGlobal(source.frame.mapToGlobal(start))
    for n in range(1, 6):
        step = begin + (target - begin) * n / 5
        qtbot.mouseMove(grid, step)
    qtbot.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=target)


def test_dragging_a_card_reorders_the_board(qtbot: Any, genloom_project: Project,
                                            tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=4)
    view = _view(qtbot, genloom_project)
    before = [s.id for s in boards.shots(board_id)]
    assert [c.shot.id for c in view.grid.cards] == before
    first, last = view.grid.cards[0], view.grid.cards[-1]
    # drop the first card just after the last one
    target = last.geometry().center() + QPoint(last.width() // 2 + 4, 0)
    _drag(qtbot, view, first, target)
    after = before[1:] + before[:1]
    qtbot.waitUntil(lambda: [c.shot.id for c in view.grid.cards] == after)
    assert [s.id for s in boards.shots(board_id)] == after
    assert [c.shot.number for c in view.grid.cards] == [1, 2, 3, 4]
    # and back to the front, by dropping on the left half of the first card
    moved = view.grid.cards[-1]
    _drag(qtbot, view, moved, view.grid.cards[0].geometry().center() - QPoint(40, 0))
    qtbot.waitUntil(lambda: [s.id for s in boards.shots(board_id)] == before)
    # a click without a move is not a drag
    qtbot.mouseClick(view.grid.cards[1].frame, Qt.MouseButton.LeftButton)
    assert [s.id for s in boards.shots(board_id)] == before
    view.undo()
    qtbot.waitUntil(lambda: [s.id for s in boards.shots(board_id)] == after)


def test_clicking_a_take_selects_it(qtbot: Any, genloom_project: Project, tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=3)
    shot = boards.shots(board_id)[2]
    extra = genloom_project.add_asset(png((200, 30, 30)), kind="image", suffix=".png")
    second = boards.add_take(shot.id, extra.id)
    view = _view(qtbot, genloom_project)
    card = view.card(shot.id)
    buttons = {b.property("take_id"): b for b in card.take_buttons}
    assert buttons[second.id].isChecked() is False
    qtbot.mouseClick(buttons[second.id], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: boards.shot(shot.id).selected("picture").id == second.id)
    qtbot.waitUntil(lambda: view.card(shot.id) is not card)  # rebuilt from core
    takes = boards.takes(shot.id)
    assert {b.property("take_id"): b.isChecked() for b in view.card(shot.id).take_buttons} == {
        t.id: t.selected for t in takes}
    assert [t.id for t in takes if t.track == "picture" and t.selected] == [second.id]
    # the card shows the newly selected take's frame (a red still)
    image = view.card(shot.id).frame.pixmap().toImage()
    colour = image.pixelColor(5, image.height() // 2)
    assert colour.red() > 150 and colour.green() < 80


def test_edit_in_place_and_core_changes_show(qtbot: Any, genloom_project: Project,
                                             tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=2)
    view = _view(qtbot, genloom_project)
    card = view.grid.cards[0]
    card.description.setText("A lighthouse in fog")
    card.description.editingFinished.emit()
    card.duration.setValue(4.5)
    qtbot.waitUntil(lambda: boards.shots(board_id)[0].duration == 4.5)
    assert boards.shots(board_id)[0].description == "A lighthouse in fog"
    boards.add_shot(board_id, description="added from elsewhere")  # e.g. the CLI
    qtbot.waitUntil(lambda: len(view.grid.cards) == 3)
    assert view.grid.cards[-1].description.text() == "added from elsewhere"
    blocks = view.timeline.blocks()
    assert [s.id for s, _ in blocks] == [c.shot.id for c in view.grid.cards]
    widths = [box.width() for _, box in blocks]
    assert widths[0] > widths[1]  # 4.5 s against 1.5 s


def test_boards_are_picked_made_and_exported(qtbot: Any, genloom_project: Project,
                                             tmp_path: Path) -> None:
    view = _view(qtbot, genloom_project)
    assert view.empty.isVisible() and not view.buttons["cut"].isEnabled()
    script = tmp_path / "list.txt"
    script.write_text("sunrise\nharbour\n")
    view.import_script(script)
    assert view.picker.currentText() == "list" and len(view.grid.cards) == 2
    view.new_board("Second")
    assert view.picker.count() == 2 and view.grid.cards == []
    view.picker.setCurrentIndex(0)
    assert len(view.grid.cards) == 2
    written = view.export(tmp_path / "board.otio", "otio")
    assert written.is_file() and (tmp_path / "board_media").is_dir()
    assert boards_of(genloom_project).all()[0].name == "list"
