"""Thumbnails of assets: rendered off the GUI thread, cached in memory and on disk.

:class:`ThumbnailService` hands out a ``QPixmap`` for an asset at a given size
when it has one and otherwise queues the work and returns ``None``; when the
thumbnail is ready it emits ``thumbnail_ready(hash, size)`` on the GUI thread
and the view repaints. Nothing is read until a view asks for it, so a project
of 100,000 assets costs only the thumbnails on screen.

How each kind is drawn (:func:`render_thumbnail`, a plain function that works
in any thread because it only uses ``QImage``):

- image: the file scaled to fit (``QImageReader`` decodes at the smaller size);
- video: a representative frame (the middle one), decoded with ``genloom.sdk.video``
  (PyAV); a file it cannot read gets a tile with a film-strip icon;
- audio: a min/max waveform of a WAV file (the ``wave`` module and numpy);
  other audio formats get a tile with a note icon;
- text and code: the first lines drawn on a tile (code in a monospaced font).

The service hands out each thumbnail as the gallery paints it, already fitted to the
``size``² box (a small image enlarged, pixel for pixel as an unsmoothed painter would
scale it) and in a 32-bit format a pixmap takes without converting; both are done in the
pool thread, so painting a cell is one plain copy and the GUI thread never scales a
thumbnail or converts its pixels. The disk cache keeps the thumbnail as rendered.

Finished thumbnails are written as PNG to
``<project>/cache/thumbs/<asset hash>-<size>.png`` (temp file + rename, so a
crash never leaves half a PNG), and read back from there after a restart.
Files are content-addressed, so the hash names the thumbnail for every asset
with the same content.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import wave
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QImageReader,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)

if TYPE_CHECKING:
    import numpy as np

from genloom.core.project import Asset, AssetCard, Project
from genloom.sdk.errors import GenloomError

__all__ = [
    "THUMBNAIL_SIZE",
    "ThumbnailService",
    "render_thumbnail",
    "thumbnail_cache_path",
    "wav_envelope",
]

log = logging.getLogger(__name__)

#: The default edge of a thumbnail in pixels (square box; images keep their aspect).
THUMBNAIL_SIZE = 160

#: Tile colours, dark enough to sit on both themes.
TILE_BACKGROUND = QColor(38, 41, 48)
TILE_FOREGROUND = QColor(214, 218, 226)
TILE_ACCENT = QColor(104, 164, 255)

_TEXT_BYTES = 4096


def thumbnail_cache_path(project_path: Path, digest: str, size: int) -> Path:
    """Where the thumbnail of the content ``digest`` at ``size`` pixels is kept."""
    return project_path / "cache" / "thumbs" / f"{digest}-{size}.png"


# -- rendering (any thread) -----------------------------------------------------------


def render_thumbnail(path: Path, kind: str, size: int) -> QImage:
    """The thumbnail of the file at ``path`` (an asset of ``kind``), fitting ``size``².

    Raises ``OSError`` or ``ValueError`` when the file cannot be read; kinds
    that cannot be previewed without extra tools get a placeholder tile.
    """
    if kind == "image":
        return _image_thumbnail(path, size)
    if kind == "video":
        frame = _video_frame(path, size)
        return frame if frame is not None else _icon_tile(size, "film", path.suffix)
    if kind == "audio":
        suffix = path.suffix.lower()
        if suffix in (".wav", ".wave"):
            return _waveform_tile(wav_envelope(path, size - 16), size)
        if suffix in (".flac", ".ogg", ".mp3"):
            return _waveform_tile(sound_envelope(path, size - 16), size)
        if suffix in (".mid", ".midi"):
            return _piano_roll_tile(path, size)
        return _icon_tile(size, "note", path.suffix)
    if kind in ("text", "code"):
        return _text_tile(path, size, monospace=kind == "code")
    return _icon_tile(size, "file", path.suffix)


def _image_thumbnail(path: Path, size: int) -> QImage:
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and (full.width() > size or full.height() > size):
        reader.setScaledSize(full.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise ValueError(f"cannot decode image {path.name}: {reader.errorString()}")
    if image.width() > size or image.height() > size:  # formats that ignore setScaledSize
        image = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def _video_frame(path: Path, size: int) -> QImage | None:
    """A representative frame (the middle one) decoded with ``genloom.sdk.video``, or None."""
    from genloom.sdk.video import VideoError, probe, read_frame

    try:
        info = probe(path)
        frame = read_frame(path, info.frame_count // 2)
    except (VideoError, OSError) as exc:
        log.warning("no frame could be read from %s: %s", path, exc)
        return None
    height, width = frame.shape[:2]
    image = QImage(frame.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)


def wav_envelope(path: Path, columns: int) -> np.ndarray:
    """The waveform of a WAV file as ``columns`` (min, max) pairs in -1..1.

    All channels are mixed; the file is read in blocks so memory stays small.
    Raises ``wave.Error``/``OSError`` for a file that is not a readable WAV.
    """
    import numpy as np

    columns = max(1, int(columns))
    with wave.open(str(path), "rb") as wav:
        channels, width, frames = wav.getnchannels(), wav.getsampwidth(), wav.getnframes()
        envelope = np.zeros((columns, 2), dtype=np.float32)
        if frames == 0:
            return envelope
        envelope[:, 0], envelope[:, 1] = np.inf, -np.inf
        per_column = frames / columns
        block = max(1, 1 << 16)
        start = 0
        while start < frames:
            data = wav.readframes(block)
            if not data:
                break
            samples = _pcm_to_float(data, width).reshape(-1, channels).mean(axis=1)
            index = ((start + np.arange(len(samples))) / per_column).astype(np.int64)
            np.minimum.at(envelope[:, 0], np.minimum(index, columns - 1), samples)
            np.maximum.at(envelope[:, 1], np.minimum(index, columns - 1), samples)
            start += len(samples)
    empty = ~np.isfinite(envelope[:, 0])
    envelope[empty] = 0.0
    return envelope


def sound_envelope(path: Path, columns: int) -> np.ndarray:
    """The waveform of any file soundfile reads (FLAC, OGG, MP3) as (min, max) pairs."""
    import numpy as np

    from genloom._qt.viewers_audio import read_samples

    samples, _ = read_samples(path)
    columns = max(1, int(columns))
    if not len(samples):
        return np.zeros((columns, 2), dtype=np.float32)
    pieces = np.array_split(samples, columns)
    return np.array([(p.min(), p.max()) if len(p) else (0.0, 0.0) for p in pieces],
                    dtype=np.float32)


def _piano_roll_tile(path: Path, size: int) -> QImage:
    """A MIDI file's notes as short bars (time across, pitch up)."""
    from genloom._qt.viewers_audio import midi_notes

    notes, length = midi_notes(path)
    image, painter = _tile(size)
    try:
        if notes and length > 0:
            low = min(n[2] for n in notes) - 1
            high = max(n[2] for n in notes) + 1
            margin = 8
            row = (size - 2 * margin) / max(1, high - low)
            scale = (size - 2 * margin) / length
            for start, end, pitch, _channel in notes:
                painter.fillRect(QRectF(margin + start * scale,
                                        size - margin - (pitch - low + 1) * row,
                                        max(1.5, (end - start) * scale - 0.5), max(1.5, row)),
                                 TILE_ACCENT)
    finally:
        painter.end()
    return image


def _pcm_to_float(data: bytes, width: int) -> np.ndarray:
    import numpy as np

    if width == 1:
        return (np.frombuffer(data, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
    if width == 3:
        raw = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float32) / float(1 << 23)
    if width == 4:
        return np.frombuffer(data, "<i4").astype(np.float32) / float(1 << 31)
    raise ValueError(f"WAV sample width of {width} bytes is not supported (1 to 4 bytes)")


def _tile(size: int) -> tuple[QImage, QPainter]:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(TILE_BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return image, painter


def _waveform_tile(envelope: np.ndarray, size: int) -> QImage:
    image, painter = _tile(size)
    try:
        margin = (size - len(envelope)) / 2
        middle, half = size / 2, size * 0.38
        painter.setPen(QPen(TILE_ACCENT, 1.0))
        for x, (low, high) in enumerate(envelope):
            px = margin + x + 0.5
            painter.drawLine(QPointF(px, middle - float(high) * half),
                             QPointF(px, middle - float(low) * half + 0.5))
    finally:
        painter.end()
    return image


def _text_tile(path: Path, size: int, *, monospace: bool) -> QImage:
    with open(path, "rb") as fh:
        head = fh.read(_TEXT_BYTES).decode("utf-8", errors="replace")
    lines = head.expandtabs(4).splitlines()[:24]
    image, painter = _tile(size)
    try:
        font = (QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if monospace
                else QFont())
        font.setPixelSize(max(7, size // 16))
        painter.setFont(font)
        painter.setPen(TILE_FOREGROUND)
        line_height = painter.fontMetrics().lineSpacing()
        y = 22 + painter.fontMetrics().ascent()  # below the gallery's kind badge
        for line in lines:
            if y > size - 4:
                break
            painter.drawText(QPointF(6, y), line)
            y += line_height
    finally:
        painter.end()
    return image


def _icon_tile(size: int, icon: str, suffix: str) -> QImage:
    image, painter = _tile(size)
    try:
        unit = size / 8
        painter.setPen(QPen(TILE_FOREGROUND, max(1.5, size / 60)))
        if icon == "film":
            body = QRectF(unit * 2, unit * 2.5, unit * 4, unit * 3)
            painter.drawRoundedRect(body, unit * 0.3, unit * 0.3)
            for i in range(4):
                x = body.left() + unit * (0.35 + i * 1.0)
                for y in (body.top() + unit * 0.2, body.bottom() - unit * 0.5):
                    painter.drawRect(QRectF(x, y, unit * 0.3, unit * 0.3))
            path = QPainterPath(QPointF(unit * 3.6, unit * 3.4))
            path.lineTo(unit * 4.7, unit * 4.0)
            path.lineTo(unit * 3.6, unit * 4.6)
            path.closeSubpath()
            painter.fillPath(path, TILE_ACCENT)
        elif icon == "note":
            painter.setBrush(TILE_ACCENT)
            painter.drawEllipse(QRectF(unit * 2.4, unit * 4.6, unit * 1.4, unit * 1.0))
            painter.drawLine(QPointF(unit * 3.8, unit * 5.1), QPointF(unit * 3.8, unit * 2.2))
            painter.drawLine(QPointF(unit * 3.8, unit * 2.2), QPointF(unit * 5.4, unit * 2.8))
        else:
            painter.drawRect(QRectF(unit * 2.5, unit * 2, unit * 3, unit * 4))
        font = QFont()
        font.setPixelSize(max(8, size // 12))
        painter.setFont(font)
        painter.drawText(QRectF(0, unit * 6, size, unit * 1.5),
                         Qt.AlignmentFlag.AlignCenter, suffix.lstrip(".").upper())
    finally:
        painter.end()
    return image


def error_tile(size: int) -> QImage:
    """The tile shown for an asset whose thumbnail could not be made."""
    image, painter = _tile(size)
    try:
        painter.setPen(QPen(QColor(230, 96, 96), max(2.0, size / 40)))
        painter.drawEllipse(QRectF(size * 0.35, size * 0.3, size * 0.3, size * 0.3))
        font = QFont()
        font.setPixelSize(size // 5)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(QRectF(0, size * 0.3, size, size * 0.3), Qt.AlignmentFlag.AlignCenter,
                         "!")
    finally:
        painter.end()
    return image


def fit_for_display(image: QImage, size: int) -> QImage:
    """``image`` as a ``size``² box shows it: enlarged to fit when smaller (keeping its
    aspect; nearest pixel, as a painter without smooth scaling draws it), in the 32-bit
    format a pixmap uses (premultiplied when it has alpha), so turning it into a pixmap
    and painting it copy pixels without converting or scaling them."""
    fitted = image.size().scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio)
    if fitted.width() > image.width() and fitted.height() > image.height():
        image = image.scaled(fitted, Qt.AspectRatioMode.IgnoreAspectRatio,
                             Qt.TransformationMode.FastTransformation)
    wanted = (QImage.Format.Format_ARGB32_Premultiplied if image.hasAlphaChannel()
              else QImage.Format.Format_RGB32)
    return image if image.format() == wanted else image.convertToFormat(wanted)


# -- the service (GUI thread) ---------------------------------------------------------


class _Relay(QObject):
    """Carries results from pool threads to the GUI thread (queued by Qt).

    Parentless and referenced by every job, so it outlives a job still running
    after its service was deleted.
    """

    finished = Signal(object, object, str)  # job, QImage | None, error message


class _Job:
    """One thumbnail to make: read the disk cache, else render and write it."""

    def __init__(self, key: tuple[str, int], source: Path, kind: str, cache_file: Path,
                 generation: int, relay: _Relay) -> None:
        self.key = key
        self.source = source
        self.kind = kind
        self.cache_file = cache_file
        self.generation = generation
        self.relay = relay

    def __call__(self) -> None:
        image: QImage | None = None
        error = ""
        try:
            image = fit_for_display(self._load_cached() or self._render_and_store(), self.key[1])
        except Exception as exc:  # shown on the tile and logged; never lost
            error = f"{type(exc).__name__}: {exc}"
            log.warning("thumbnail of %s failed: %s", self.source, error)
        self.relay.finished.emit(self, image, error)

    def _load_cached(self) -> QImage | None:
        if not self.cache_file.is_file():
            return None
        image = QImage(str(self.cache_file))
        return None if image.isNull() else image

    def _render_and_store(self) -> QImage:
        image = render_thumbnail(self.source, self.kind, self.key[1])
        folder = self.cache_file.parent
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{uuid.uuid4().hex}.tmp.png"
        try:
            if not image.save(str(temp), "PNG"):
                raise OSError(f"cannot write thumbnail {temp}")
            os.replace(temp, self.cache_file)
        except OSError as exc:  # a read-only project still shows thumbnails
            temp.unlink(missing_ok=True)
            log.warning("thumbnail cache not written: %s", exc)
        return image


class ThumbnailService(QObject):
    """Lazy, cached thumbnails for the assets of one project.

    ``thumbnail(asset, size)`` returns a ``QPixmap`` when one is in memory, and
    otherwise starts making it (disk cache, else render) in a thread pool and
    returns ``None``; ``thumbnail_ready(hash, size)`` follows on the GUI thread.
    The most recent requests run first and old ones not yet started are
    dropped beyond ``max_pending``, so fast scrolling never builds a backlog.
    A failure emits ``thumbnail_failed(hash, size, message)`` and the asset
    shows an error tile (see :meth:`error`).
    """

    thumbnail_ready = Signal(str, int)
    thumbnail_failed = Signal(str, int, str)

    def __init__(self, project: Project | None, parent: QObject | None = None, *,
                 memory_bytes: int = 96 * 1024 * 1024, threads: int | None = None,
                 max_pending: int = 256) -> None:
        super().__init__(parent)
        self._project = project
        self._pool = QThreadPool(self)
        # One core is left to the GUI thread, which paints what the decoders deliver: with
        # a decoder on every core, scrolling on two cores took 1.67x a plain list's frame
        # time, with one fewer 1.51x (bench_gallery), and the first page decoded as fast.
        self._pool.setMaxThreadCount(threads or max(1, min(4, QThreadPool.globalInstance()
                                                           .maxThreadCount() - 1)))
        self._relay = _Relay()
        self._relay.finished.connect(self._on_finished)
        self._memory: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._memory_bytes = 0
        self._memory_limit = memory_bytes
        self._errors: dict[tuple[str, int], str] = {}
        self._queue: OrderedDict[tuple[str, int], _Job] = OrderedDict()
        self._running: dict[tuple[str, int], _Job] = {}  # references kept until done
        self._lock = threading.Lock()
        self._max_pending = max_pending
        self._generation = 0

    # -- public API -----------------------------------------------------------------

    def set_project(self, project: Project | None) -> None:
        """Serve another project; queued work for the old one is dropped."""
        with self._lock:
            self._queue.clear()
        self._generation += 1
        self._project = project
        self._memory.clear()
        self._memory_bytes = 0
        self._errors.clear()

    def thumbnail(self, asset: Asset | AssetCard, size: int = THUMBNAIL_SIZE) -> QPixmap | None:
        """The thumbnail if it is in memory; else ``None`` and it is requested."""
        key = (asset.hash, size)
        pixmap = self._memory.get(key)
        if pixmap is not None:
            self._memory.move_to_end(key)
            return pixmap
        if key not in self._errors:
            self.request(asset, size)
        return None

    def error(self, asset: Asset | AssetCard, size: int = THUMBNAIL_SIZE) -> str | None:
        """Why the thumbnail of ``asset`` could not be made, or ``None``."""
        return self._errors.get((asset.hash, size))

    def request(self, asset: Asset | AssetCard, size: int = THUMBNAIL_SIZE) -> None:
        """Make the thumbnail soon (first among those waiting) unless it is known."""
        project = self._project
        key = (asset.hash, size)
        if project is None or key in self._memory or key in self._running:
            return
        with self._lock:
            if key in self._queue:  # asked again while waiting (each paint of its cell): first now
                self._queue.move_to_end(key)
                return
        try:
            # Derived from the hash and checked (a crafted row's path is never read, and
            # its hash never names a cache file outside the project).
            source = project.asset_path(asset)
        except GenloomError as exc:
            self._errors[key] = str(exc)
            return
        with self._lock:
            if key in self._queue:
                self._queue.move_to_end(key)
            else:
                self._queue[key] = _Job(key, source, asset.kind,
                                        thumbnail_cache_path(project.path, asset.hash, size),
                                        self._generation, self._relay)
                while len(self._queue) > self._max_pending:
                    self._queue.popitem(last=False)
        self._start_workers()

    def pending(self) -> int:
        """How many thumbnails are waiting or being made."""
        with self._lock:
            return len(self._queue) + len(self._running)

    def clear_memory(self) -> None:
        """Forget the in-memory thumbnails (the disk cache stays)."""
        self._memory.clear()
        self._memory_bytes = 0

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Drop waiting work and wait for running jobs; ``False`` on timeout."""
        with self._lock:
            self._queue.clear()
        return self._pool.waitForDone(timeout_ms)

    # -- internals ------------------------------------------------------------------

    def _start_workers(self) -> None:
        while True:
            with self._lock:
                if not self._queue or len(self._running) >= self._pool.maxThreadCount():
                    return
                key, job = self._queue.popitem(last=True)  # newest first
                self._running[key] = job
            self._pool.start(job)

    def _on_finished(self, job: _Job, image: QImage | None, error: str) -> None:
        with self._lock:
            self._running.pop(job.key, None)
        if job.generation == self._generation:
            if image is None or image.isNull():
                self._errors[job.key] = error or "no image"
                self._store(job.key, QPixmap.fromImage(error_tile(job.key[1])))
                self.thumbnail_failed.emit(job.key[0], job.key[1], self._errors[job.key])
            else:
                self._store(job.key, QPixmap.fromImage(image))
            self.thumbnail_ready.emit(job.key[0], job.key[1])
        self._start_workers()

    def _store(self, key: tuple[str, int], pixmap: QPixmap) -> None:
        self._memory[key] = pixmap
        self._memory_bytes += _pixmap_bytes(pixmap)
        while self._memory_bytes > self._memory_limit and len(self._memory) > 1:
            _, dropped = self._memory.popitem(last=False)
            self._memory_bytes -= _pixmap_bytes(dropped)


def _pixmap_bytes(pixmap: QPixmap) -> int:
    return max(1, pixmap.width() * pixmap.height() * 4)


def thumbnail_size_hint(size: int = THUMBNAIL_SIZE) -> QSize:
    """The box a thumbnail fits in."""
    return QSize(size, size)
