"""Thumbnails: one per kind, made off the GUI thread, cached in memory and on disk."""

from __future__ import annotations

import pytest

from genloom._qt.thumbnails import (
    ThumbnailService,
    render_thumbnail,
    thumbnail_cache_path,
    wav_envelope,
)


def _wait_for(qtbot, service, asset, size=64):
    with qtbot.waitSignal(service.thumbnail_ready, timeout=30_000,
                          check_params_cb=lambda h, s: h == asset.hash and s == size):
        assert service.thumbnail(asset, size) is None
    return service.thumbnail(asset, size)


@pytest.mark.parametrize("kind", ["image", "audio", "text", "code", "video"])
def test_each_kind_gets_a_thumbnail_written_to_the_disk_cache(qtbot, genloom_project, samples,
                                                              kind):
    if kind not in samples:
        pytest.skip("ffmpeg is not installed, so no sample video was made")
    asset = samples[kind]
    service = ThumbnailService(genloom_project)
    pixmap = _wait_for(qtbot, service, asset)
    assert pixmap is not None and not pixmap.isNull()
    assert max(pixmap.width(), pixmap.height()) == 64
    assert service.error(asset, 64) is None
    cached = thumbnail_cache_path(genloom_project.path, asset.hash, 64)
    assert cached.is_file()
    assert not [p for p in cached.parent.iterdir() if p.name.endswith(".tmp.png")]
    service.shutdown()


def test_image_thumbnail_keeps_the_aspect_ratio(genloom_project, samples, qapp):
    image = render_thumbnail(genloom_project.asset_path(samples["image"]), "image", 48)
    assert (image.width(), image.height()) == (48, 32)


def test_audio_thumbnail_draws_the_waveform(genloom_project, samples, qapp):
    path = genloom_project.asset_path(samples["audio"])
    envelope = wav_envelope(path, 50)
    assert envelope.shape == (50, 2)
    assert envelope[:5, 1].max() < envelope[-5:, 1].max()  # the tone fades in
    assert (envelope[:, 0] <= envelope[:, 1]).all()


def test_a_restart_reads_the_disk_cache_instead_of_rendering(qtbot, genloom_project, samples,
                                                              monkeypatch):
    asset = samples["image"]
    first = ThumbnailService(genloom_project)
    _wait_for(qtbot, first, asset)
    first.shutdown()

    import genloom._qt.thumbnails as thumbnails

    def fail(*args, **kwargs):
        raise AssertionError("rendered again despite the disk cache")

    monkeypatch.setattr(thumbnails, "render_thumbnail", fail)
    second = ThumbnailService(genloom_project)
    pixmap = _wait_for(qtbot, second, asset)
    assert pixmap is not None and pixmap.width() == 64
    assert second.error(asset, 64) is None
    second.shutdown()


def test_memory_cache_returns_the_same_pixmap_without_new_work(qtbot, genloom_project, samples):
    service = ThumbnailService(genloom_project)
    pixmap = _wait_for(qtbot, service, samples["text"])
    assert service.thumbnail(samples["text"], 64) is pixmap
    assert service.pending() == 0
    service.shutdown()


def test_memory_cache_is_bounded(qtbot, genloom_project, samples):
    service = ThumbnailService(genloom_project, memory_bytes=64 * 64 * 4 + 1)
    _wait_for(qtbot, service, samples["text"])
    _wait_for(qtbot, service, samples["code"])
    assert len(service._memory) == 1
    service.shutdown()


def test_a_broken_file_gives_an_error_tile_and_a_reason(qtbot, genloom_project):
    asset = genloom_project.add_asset(b"not a png at all", kind="image", suffix=".png")
    service = ThumbnailService(genloom_project)
    with qtbot.waitSignal(service.thumbnail_failed, timeout=30_000) as failed:
        service.request(asset, 64)
    assert failed.args[0] == asset.hash
    assert "cannot decode" in service.error(asset, 64)
    assert service.thumbnail(asset, 64) is not None  # the error tile
    service.shutdown()


def _noise(width: int, height: int):
    from PySide6.QtGui import QColor, QImage

    image = QImage(width, height, QImage.Format.Format_RGB888)
    for x in range(width):
        for y in range(height):
            image.setPixelColor(x, y, QColor((x * 37 + y * 11) % 256, (x * 5 + y * 91) % 256, (x * y) % 256))
    return image


def test_a_small_image_comes_fitted_to_its_box_as_a_painter_would_scale_it(qtbot, genloom_project):
    """The gallery paints a thumbnail with one plain copy: the service enlarges a small
    image to its box (in the pool thread) exactly as the delegate's unsmoothed painter did."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
    from PySide6.QtGui import QImage, QPainter

    source = _noise(20, 10)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert source.save(buffer, "PNG")
    asset = genloom_project.add_asset(bytes(data.data()), kind="image", suffix=".png")
    service = ThumbnailService(genloom_project)
    pixmap = _wait_for(qtbot, service, asset)
    assert (pixmap.width(), pixmap.height()) == (64, 32)
    painted = QImage(64, 32, QImage.Format.Format_RGB32)
    painted.fill(Qt.GlobalColor.black)
    painter = QPainter(painted)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.drawImage(QRect(0, 0, 64, 32), source)
    painter.end()
    assert pixmap.toImage().convertToFormat(QImage.Format.Format_RGB32) == painted
    # The disk cache keeps the thumbnail as rendered: the enlarging is for painting only.
    cached = QImage(str(thumbnail_cache_path(genloom_project.path, asset.hash, 64)))
    assert (cached.width(), cached.height()) == (20, 10)
    service.shutdown()


def test_fitting_keeps_larger_thumbnails_and_gives_a_pixmap_format(qapp):
    from PySide6.QtGui import QImage

    from genloom._qt.thumbnails import fit_for_display

    wide = fit_for_display(_noise(64, 40), 64)
    assert (wide.width(), wide.height()) == (64, 40)
    assert wide.format() == QImage.Format.Format_RGB32
    tall = fit_for_display(_noise(7, 13), 160)
    assert (tall.width(), tall.height()) == (86, 160)
    alpha = QImage(8, 8, QImage.Format.Format_ARGB32)
    assert fit_for_display(alpha, 16).format() == QImage.Format.Format_ARGB32_Premultiplied


def test_the_decoders_leave_a_core_to_the_gui_thread(genloom_project, qapp):
    from PySide6.QtCore import QThread

    service = ThumbnailService(genloom_project)
    cores = QThread.idealThreadCount()
    assert service._pool.maxThreadCount() == max(1, min(4, cores - 1))
    assert ThumbnailService(genloom_project, threads=3)._pool.maxThreadCount() == 3
