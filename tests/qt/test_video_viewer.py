"""The inspector's video viewer: frame step, loop, first/last frame as an image asset; thumbnails."""

from __future__ import annotations

import numpy as np
import pytest

from genloom._qt.inspector import InspectorWidget
from genloom.sdk.video import write_video


@pytest.fixture
def clip(genloom_project, tmp_path):
    frames = []
    for index in range(12):
        frame = np.full((48, 64, 3), 10 * index, np.uint8)
        frame[8:24, 4 * index:4 * index + 16] = (240, 40, 40)
        frames.append(frame)
    write_video(tmp_path / "clip.mp4", frames, 12)
    return genloom_project.add_asset(tmp_path / "clip.mp4", kind="video", suffix=".mp4", prompt="red box")


def test_frame_step_and_loop(qtbot, genloom_project, clip):
    from PySide6.QtMultimedia import QMediaPlayer

    from genloom._qt import viewers

    viewer = viewers.VideoViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.load(genloom_project.asset_path(clip))
    assert viewer.frame_ms == pytest.approx(1000 / 12)
    qtbot.waitUntil(lambda: viewer.player.duration() > 0, timeout=15_000)
    viewer.forward_button.click()
    viewer.forward_button.click()
    qtbot.waitUntil(lambda: abs(viewer.player.position() - 167) <= 20, timeout=5_000)
    viewer.back_button.click()
    qtbot.waitUntil(lambda: abs(viewer.player.position() - 83) <= 20, timeout=5_000)
    viewer.loop_button.click()
    assert viewer.player.loops() == QMediaPlayer.Loops.Infinite
    viewer.loop_button.click()
    assert viewer.player.loops() == QMediaPlayer.Loops.Once
    viewer.clear_view()


def test_last_frame_becomes_an_image_asset_one_click_away(qtbot, genloom_project, clip):
    widget = InspectorWidget(genloom_project, volume=0.0)
    qtbot.addWidget(widget)
    widget.show_asset(clip.id)
    viewer = widget.viewer()
    with qtbot.waitSignal(widget.jump_to_asset, timeout=10_000) as blocker:
        viewer.last_button.click()
    image = genloom_project.get_asset(blocker.args[0])
    assert image.kind == "image" and image.recipe["frame"] == 11
    assert [p.id for p in genloom_project.parents(image.id)] == [clip.id]
    widget.show_asset(None)


def test_a_clips_thumbnail_is_its_middle_frame(genloom_project, clip):
    from genloom._qt.thumbnails import render_thumbnail

    image = render_thumbnail(genloom_project.asset_path(clip), "video", 64)
    assert (image.width(), image.height()) == (64, 48)
    colour = image.pixelColor(4 * 6 + 8, 16)  # the red box of frame 6
    assert colour.red() > 180 and colour.green() < 100
