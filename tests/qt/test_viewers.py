"""Every viewer opens its kind of asset (real files, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from genloom._qt import viewers
from genloom._qt.viewers import CodeViewer, ImageViewer, MediaUnavailable, TextViewer, viewer_for


# Class names, resolved in the test: the media viewers load QtMultimedia, and a machine
# without its system libraries must fail these tests, not the collection of the file.
@pytest.mark.parametrize("kind, cls", [("image", "ImageViewer"), ("audio", "AudioViewer"),
                                       ("video", "VideoViewer"), ("text", "TextViewer"),
                                       ("code", "CodeViewer")])
def test_viewer_for_each_kind(qtbot, kind, cls):
    viewer = viewer_for(kind, volume=0.0)
    qtbot.addWidget(viewer)
    assert isinstance(viewer, getattr(viewers, cls))


def test_viewer_for_an_unknown_kind_says_which_exist(qapp):
    with pytest.raises(ValueError, match="image, audio"):
        viewer_for("smell")


def test_text_viewer_shows_the_text_wrapped(qtbot, genloom_project, samples):
    viewer = TextViewer()
    qtbot.addWidget(viewer)
    viewer.load(genloom_project.asset_path(samples["text"]))
    assert viewer.toPlainText().startswith("Once upon a time")
    assert viewer.isReadOnly()
    assert viewer.lineWrapMode() == viewer.LineWrapMode.WidgetWidth


def test_code_viewer_highlights_python(qtbot, genloom_project, samples):
    viewer = CodeViewer()
    qtbot.addWidget(viewer)
    viewer.load(genloom_project.asset_path(samples["code"]))
    document = viewer.document()

    def colour_at(line: int, column: int) -> str:
        block = document.findBlockByNumber(line)
        for fmt_range in block.layout().formats():
            if fmt_range.start <= column < fmt_range.start + fmt_range.length:
                return fmt_range.format.foreground().color().name()
        return ""

    styles = {name: fmt.foreground().color().name()
              for name, fmt in viewer.highlighter.STYLES.items()}
    assert colour_at(0, 0) == styles["keyword"]        # import
    assert colour_at(3, 0) == styles["decorator"]      # @cache
    assert colour_at(5, 6) == styles["string"]         # """The area..."""
    assert colour_at(6, 4) == styles["comment"]        # # pi r squared
    assert colour_at(7, 37) == styles["number"]        # 0x1F
    assert colour_at(10, 0) == styles["builtin"]       # print
    assert viewer.line_number_width() > 0


def test_image_viewer_zooms_fits_and_shows_one_to_one(qtbot, genloom_project, samples):
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.resize(400, 300)
    viewer.show()
    viewer.load(genloom_project.asset_path(samples["image"]))
    assert viewer.pixmap().width() == 96
    # A small image is enlarged by the largest whole factor that fits, each pixel a crisp square.
    pixmap, room = viewer.pixmap(), viewer.viewport().size()
    whole = min(room.width() // pixmap.width(), room.height() // pixmap.height())
    assert whole >= 2 and viewer.zoom() == pytest.approx(whole) and viewer.is_fitted()
    item = viewer.scene().items()[0]
    assert item.transformationMode() == Qt.TransformationMode.FastTransformation
    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.zoom() == pytest.approx(1.0) and not viewer.is_fitted()
    assert item.transformationMode() == Qt.TransformationMode.SmoothTransformation
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.zoom() == pytest.approx(1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert viewer.zoom() == pytest.approx(0.8)
    viewer.resize(60, 40)
    qtbot.keyClick(viewer, Qt.Key.Key_F)
    assert viewer.zoom() < 1.0                          # fitted into the small window
    assert item.transformationMode() == Qt.TransformationMode.SmoothTransformation


def test_image_viewer_wheel_zooms(qtbot, genloom_project, samples):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.resize(300, 200)
    viewer.load(genloom_project.asset_path(samples["image"]))
    before = viewer.zoom()
    event = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    viewer.wheelEvent(event)
    assert viewer.zoom() == pytest.approx(before * 1.25)


def test_image_viewer_refuses_a_broken_file(qtbot, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    with pytest.raises(ValueError, match="bad.png"):
        viewer.load(bad)


def test_audio_viewer_plays_draws_the_waveform_and_seeks(qtbot, genloom_project, samples):
    from PySide6.QtMultimedia import QMediaPlayer

    viewer = viewers.AudioViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.resize(500, 200)
    viewer.show()
    assert viewer.player.audioOutput() is viewer.audio_output
    assert viewer.audio_output.volume() == 0.0
    viewer.load(genloom_project.asset_path(samples["audio"]))
    qtbot.waitUntil(lambda: viewer.waveform._envelope is not None, timeout=10_000)
    qtbot.waitUntil(lambda: viewer.player.duration() > 0, timeout=10_000)
    assert viewer.player.duration() == pytest.approx(500, abs=50)
    qtbot.mouseClick(viewer.waveform, Qt.MouseButton.LeftButton,
                     pos=QPoint(viewer.waveform.width() // 2, 10))
    assert viewer.waveform.position() == pytest.approx(0.5, abs=0.02)
    qtbot.waitUntil(lambda: abs(viewer.player.position() - 250) < 30, timeout=10_000)
    viewer.controls.play_button.click()
    qtbot.waitUntil(lambda: viewer.player.playbackState()
                    == QMediaPlayer.PlaybackState.PlayingState, timeout=10_000)
    viewer.controls.play_button.click()
    assert viewer.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    viewer.clear_view()


def test_video_viewer_opens_and_scrubs(qtbot, genloom_project, samples):
    if "video" not in samples:
        pytest.skip("ffmpeg is not installed, so no sample video was made")
    from PySide6.QtMultimedia import QMediaPlayer

    viewer = viewers.VideoViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.resize(400, 300)
    viewer.show()
    assert viewer.player.audioOutput() is viewer.audio_output
    viewer.load(genloom_project.asset_path(samples["video"]))
    qtbot.waitUntil(lambda: viewer.player.mediaStatus() in (
        QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia),
        timeout=15_000)
    assert viewer.player.hasVideo()
    qtbot.waitUntil(lambda: viewer.controls.slider.maximum() > 0, timeout=10_000)
    assert viewer.controls.slider.maximum() == pytest.approx(1000, abs=100)
    viewer.controls.slider.setSliderDown(True)
    viewer.controls.slider.setSliderPosition(600)  # emits sliderMoved, as a drag does
    viewer.controls.slider.setSliderDown(False)
    qtbot.waitUntil(lambda: abs(viewer.player.position() - 600) < 120, timeout=10_000)
    assert not viewer.controls.error_label.isVisibleTo(viewer)
    viewer.clear_view()


@pytest.mark.parametrize("kind", ["audio", "video"])
def test_without_qtmultimedia_the_player_says_what_to_install_and_other_viewers_work(
        qtbot, monkeypatch, genloom_project, samples, kind):
    """A machine without libpulse0: QtMultimedia fails to import with the loader's message."""
    import sys

    class MissingPulse:  # stands in for the dynamic loader failing on QtMultimedia
        def find_spec(self, name, path=None, target=None):
            if name in ("PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets"):
                raise ImportError("libpulse.so.0: cannot open shared object file: No such file or directory")
            return None

    for name in ("PySide6.QtMultimedia", "PySide6.QtMultimediaWidgets", "genloom._qt.viewers_media"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setattr(sys, "meta_path", [MissingPulse(), *sys.meta_path])
    player = viewer_for(kind, volume=0.0)
    qtbot.addWidget(player)
    assert isinstance(player, MediaUnavailable)
    assert f"Playing {kind} needs Qt's multimedia module" in player.text()
    assert "install it with: sudo apt-get install libpulse0" in player.text()
    player.load(genloom_project.asset_path(samples["audio"]))
    player.clear_view()
    text = viewer_for("text")
    qtbot.addWidget(text)
    text.load(genloom_project.asset_path(samples["text"]))
    assert text.toPlainText().startswith("Once upon a time")


def _noise_png(path, side):
    """A PNG that does not compress (so it is large, and slow to decode)."""
    import numpy as np
    from PIL import Image

    pixels = np.random.default_rng(side).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_a_large_image_decodes_off_the_gui_thread_and_the_latest_load_wins(qtbot, tmp_path):
    from genloom._qt.viewers_image import BACKGROUND_DECODE_BYTES

    big = _noise_png(tmp_path / "big.png", 1024)
    other = _noise_png(tmp_path / "other.png", 640)
    assert big.stat().st_size > BACKGROUND_DECODE_BYTES and other.stat().st_size > BACKGROUND_DECODE_BYTES
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    viewer.resize(400, 300)
    viewer.load(big, background=True)
    assert viewer.pixmap().isNull()  # returned before decoding
    with qtbot.waitSignal(viewer.loaded, timeout=30_000):
        viewer.load(other, background=True)  # asked for while the first may still decode
    qtbot.wait(200)  # the first decode's result, if it comes now, is dropped
    assert (viewer.pixmap().width(), viewer.pixmap().height()) == (640, 640)
    assert viewer.is_fitted() and viewer.zoom() < 1.0
    viewer.load(big, background=True)
    viewer.clear_view()  # the inspector moved on to another asset: nothing is shown after all
    qtbot.waitUntil(lambda: not viewer.loading(), timeout=30_000)
    qtbot.wait(100)
    assert viewer.pixmap().isNull()


def test_a_broken_large_file_is_reported_by_signal_and_a_small_image_shows_at_once(qtbot, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 400_000)
    viewer = ImageViewer()
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.load_failed, timeout=30_000) as failed:
        viewer.load(bad, background=True)
    assert "bad.png" in failed.args[0]
    small = _noise_png(tmp_path / "small.png", 64)
    viewer.load(small, background=True)
    assert viewer.pixmap().width() == 64  # decoded at once: no empty frame for a small image
