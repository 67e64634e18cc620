"""The compare view and the leaderboard, offscreen, on a real project."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from genloom._qt.compare_view import CompareView, changed_lines, open_compare
from genloom._qt.leaderboard_view import LeaderboardView
from genloom.core.evaluation.judgements import JudgementError, judgements_of
from tests.qt.media import have_ffmpeg, png_bytes, video_bytes, wav_bytes


def _image(project, n, colour=(200, 60, 40), **params):
    return project.add_asset(png_bytes(320, 240, colour), kind="image", suffix=".png",
                             generator_id="test.image", model_id="tiny",
                             recipe={"params": {"steps": 10, **params}, "seed": n})


@pytest.fixture
def four_images(genloom_project):
    return [_image(genloom_project, n, (40 * n, 60, 40), steps=10 * n) for n in range(1, 5)]


def test_zoom_and_pan_stay_in_step(qtbot, genloom_project, four_images):
    view = CompareView(genloom_project, [a.id for a in four_images[:2]], volume=0.0)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    first, second = view.viewers()
    first.zoom_by(4.0)
    assert second.zoom() == pytest.approx(first.zoom())
    first.horizontalScrollBar().setValue(first.horizontalScrollBar().maximum())
    first.verticalScrollBar().setValue(first.verticalScrollBar().minimum() + 7)
    centre = first.mapToScene(first.viewport().rect().center())
    other = second.mapToScene(second.viewport().rect().center())
    assert abs(centre.x() - other.x()) <= 2 and abs(centre.y() - other.y()) <= 2
    # and back the other way: panning the second moves the first
    second.horizontalScrollBar().setValue(second.horizontalScrollBar().minimum())
    assert first.horizontalScrollBar().value() == first.horizontalScrollBar().minimum()


def test_prefer_records_a_judgement_and_the_leaderboard_follows(qtbot, genloom_project, four_images):
    board = LeaderboardView(genloom_project)
    qtbot.addWidget(board)
    view = CompareView(genloom_project, [a.id for a in four_images], volume=0.0)
    qtbot.addWidget(view)
    assert len(view.panes) == 4
    view.note.setText("crisper edges")
    view.panes[2].prefer_button.click()
    (judgement,) = judgements_of(genloom_project).all()
    assert judgement.preferred.asset_id == four_images[2].id and judgement.note == "crisper edges"
    assert [e.setting for e in judgement.entries] == [{"steps": 10}, {"steps": 20}, {"steps": 30},
                                                     {"steps": 40}]
    assert "C (#" in view.status.text()
    rows = genloom_project.db.connection().execute(
        "SELECT count(*) FROM judgement_entries WHERE judgement_id = ?", (judgement.id,)).fetchone()
    assert rows[0] == 4
    view.tie_button.click()
    assert judgements_of(genloom_project).all()[-1].tie
    # the leaderboard hears of both through the relay
    qtbot.waitUntil(lambda: board.table.rowCount() == 4)
    assert board.table.item(0, 1).text().endswith("steps=30")
    assert board.table.item(0, 4).text() == "2"


@pytest.mark.parametrize("case", ["mixed", "five", "one"])
def test_a_bad_selection_is_refused_with_a_message(qtbot, genloom_project, four_images, case,
                                                   monkeypatch):
    text = genloom_project.add_asset(b"hello", kind="text", suffix=".txt")
    extra = _image(genloom_project, 9)
    ids = {"mixed": [four_images[0].id, text.id], "five": [a.id for a in four_images] + [extra.id],
           "one": [four_images[0].id]}[case]
    with pytest.raises(JudgementError):
        CompareView(genloom_project, ids)
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, title, text: shown.append((title, text)))
    assert open_compare(None, genloom_project, ids) is None
    (title, message), = shown
    assert title == "Cannot compare"
    assert {"mixed": "mixes kinds (image, text)", "five": "5 assets selected",
            "one": "compare 2 to 4"}[case] in message


def test_text_differences_are_marked_on_both_sides(qtbot, genloom_project):
    a = genloom_project.add_asset(b"one\ntwo\nthree\n", kind="text", suffix=".txt")
    b = genloom_project.add_asset(b"one\nTWO\nthree\nfour\n", kind="text", suffix=".txt")
    view = CompareView(genloom_project, [a.id, b.id])
    qtbot.addWidget(view)
    removed, (added,) = view.differences
    assert removed == {1} and added == {1, 3}
    assert len(view.panes[1].content.extraSelections()) == 2
    assert changed_lines(["x"], ["x"]) == (set(), set())


def test_audio_switches_source_at_the_same_position(qtbot, genloom_project):
    a = genloom_project.add_asset(wav_bytes(2.0), kind="audio", suffix=".wav")
    b = genloom_project.add_asset(wav_bytes(2.0, freq=660.0), kind="audio", suffix=".wav")
    view = CompareView(genloom_project, [a.id, b.id], volume=0.0)
    qtbot.addWidget(view)
    (player,) = view.players
    assert player.source().toLocalFile() == str(genloom_project.asset_path(a))
    player.setPosition(700)
    qtbot.waitUntil(lambda: player.position() == 700 or player.duration() > 0, timeout=5000)
    where = player.position()
    assert len(view.waveforms) == 2 and all(w._envelope is not None for w in view.waveforms)
    view.listen_buttons[1].click()  # "Listen to B"
    assert view.active == 1 and player.source().toLocalFile() == str(genloom_project.asset_path(b))
    assert view.listen_buttons[1].isChecked() and not view.listen_buttons[0].isChecked()
    assert view._pending_position == where or player.position() == where


@pytest.mark.skipif(not have_ffmpeg(), reason="needs ffmpeg to make a clip")
def test_video_panes_share_one_transport(qtbot, genloom_project, tmp_path):
    clip = video_bytes(tmp_path)
    a = genloom_project.add_asset(clip, kind="video", suffix=".mp4")
    b = genloom_project.add_asset(clip + b"\0", kind="video", suffix=".mp4")
    view = CompareView(genloom_project, [a.id, b.id], volume=0.0)
    qtbot.addWidget(view)
    view.show()
    assert len(view.players) == 2
    qtbot.waitUntil(lambda: all(p.duration() > 0 for p in view.players), timeout=15_000)
    view.seek(400)  # the one slider seeks every pane
    qtbot.waitUntil(lambda: all(abs(p.position() - 400) <= 50 for p in view.players), timeout=5_000)
    view.toggle_play()  # one play button plays every pane, from the lead's position
    qtbot.waitUntil(lambda: all(p.playbackState() == p.PlaybackState.PlayingState
                                for p in view.players), timeout=5_000)
    view.toggle_play()
    qtbot.waitUntil(lambda: all(p.playbackState() != p.PlaybackState.PlayingState
                                for p in view.players), timeout=5_000)
    view.stop()


def test_the_gallery_offers_compare_for_a_selection_of_two_or_more(qtbot, genloom_project,
                                                                   four_images):
    from PySide6.QtCore import QItemSelectionModel

    from genloom._qt.gallery import GalleryWidget

    gallery = GalleryWidget(genloom_project)
    qtbot.addWidget(gallery)
    gallery.show()
    qtbot.waitUntil(lambda: gallery.model.rowCount() == 4)
    selection = gallery.view.selectionModel()
    one = {a.text() for a in gallery.context_menu(four_images[0]).actions()}
    assert not any(text.startswith("Compare") for text in one)
    for row in (0, 2):
        selection.select(gallery.model.index(row), QItemSelectionModel.SelectionFlag.Select)
    actions = {a.text(): a for a in gallery.context_menu(four_images[0]).actions()}
    with qtbot.waitSignal(gallery.compare_requested) as asked:
        actions["Compare 2 selected"].trigger()
    assert sorted(asked.args[0]) == sorted(gallery.selected_ids()) and len(asked.args[0]) == 2
    assert gallery.compare_button.isEnabled()  # the bar's Compare button asks the same
    with qtbot.waitSignal(gallery.compare_requested) as asked:
        gallery.compare_button.click()
    assert len(asked.args[0]) == 2
    selection.clearSelection()
    assert not gallery.compare_button.isEnabled()
    gallery.shutdown()


def test_a_zoom_survives_the_window_resizing(qtbot, genloom_project, four_images):
    view = CompareView(genloom_project, [a.id for a in four_images[:3]], volume=0.0)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    first, second, third = view.viewers()
    second.zoom_by(3.0)
    zoom = second.zoom()
    view.resize(1300, 800)  # every pane resizes: none of them fits itself again
    qtbot.waitUntil(lambda: first.viewport().width() > 300)
    assert first.zoom() == pytest.approx(zoom) and third.zoom() == pytest.approx(zoom)
    first.fit()  # fitting one fits them all
    assert second.is_fitted() and second.zoom() == pytest.approx(first.zoom())


LAPTOP_SCREEN = r"""
import json, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from genloom.core.project import Project
from genloom._qt.compare_view import CompareDialog
from genloom._qt.mask_painter import MaskPainterDialog
from tests.qt.media import png_bytes
project = Project.create(Path(sys.argv[1]))
ids = [project.add_asset(png_bytes(16, 16 + i), kind="image", suffix=".png").id for i in range(2)]
area = app.primaryScreen().availableGeometry()
out = {"area": area.getRect()}
for name, make in (("compare", lambda: CompareDialog(project, ids, volume=0.0)),
                   ("mask", lambda: MaskPainterDialog(project, project.get_asset(ids[0])))):
    dialog = make()
    dialog.show(); app.processEvents()
    out[name] = dialog.frameGeometry().getRect()
    dialog.close()
print(json.dumps(out))
"""


def test_the_compare_and_mask_windows_fit_a_laptop_screen(tmp_path):
    """At 1366x768 the compare window (1400x820) ran off the screen, its Tie button and the
    'why' field out of reach; a window's first size is at most most of the screen."""
    import json
    import os
    import subprocess
    import sys

    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1366,
                                               "height": 768, "logicalDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "GENLOOM_HOME": str(tmp_path / "home"),
           "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = subprocess.run([sys.executable, "-c", LAPTOP_SCREEN, str(tmp_path / "project")], env=env,
                         capture_output=True, text=True, timeout=120,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.splitlines()[-1])
    _, _, width, height = found["area"]
    assert (width, height) == (1366, 768)
    for name in ("compare", "mask"):
        _, _, w, h = found[name]
        assert w <= width and h <= height, (name, found[name])
