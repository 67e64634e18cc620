"""The image viewer: zoom with the wheel or keys, pan by dragging, fit or 1:1.

A large file is decoded off the GUI thread when the caller allows it (the inspector
does): decoding a 2048x2048 PNG took 230 ms, which froze the window each time a job
finished and the inspector showed its image.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QImage,
    QImageReader,
    QKeyEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

__all__ = ["BACKGROUND_DECODE_BYTES", "ImageViewer", "read_image"]

MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
ZOOM_STEP = 1.25
#: With ``background=True``, files larger than this are decoded in a pool thread (smaller
#: ones decode in a few milliseconds, and showing them at once avoids an empty frame).
BACKGROUND_DECODE_BYTES = 256 * 1024


def read_image(path: Path) -> QImage:
    """Decode the image at ``path`` (any thread); ``ValueError`` naming it if it cannot be read."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise ValueError(f"cannot read the image {Path(path).name}: {reader.errorString()}")
    return image


class _DecodeRelay(QObject):
    """Carries a decoded image from the pool thread to the GUI thread (queued by Qt);
    parentless and held by the job, so it outlives a viewer deleted meanwhile."""

    decoded = Signal(int, object, str)  # request number, QImage or None, error message


class _Decode:
    def __init__(self, number: int, path: Path, relay: _DecodeRelay) -> None:
        self.number, self.path, self.relay = number, path, relay

    def __call__(self) -> None:
        try:
            image, error = read_image(self.path), ""
        except Exception as exc:  # noqa: BLE001 - reported to the GUI thread, never lost
            image, error = None, str(exc)
        self.relay.decoded.emit(self.number, image, error)


class ImageViewer(QGraphicsView):
    """An image in a ``QGraphicsView``.

    Wheel or ``+``/``-`` zoom (around the cursor), drag pans, ``F`` or ``0``
    fits the window, ``1`` shows pixels 1:1. The image stays fitted while the
    window resizes until the user zooms.
    """

    zoom_changed = Signal(float)
    #: A background decode failed (the message names the file and why).
    load_failed = Signal(str)
    #: The image of the latest :meth:`load` is shown (at once, or when its decode ended).
    loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self.setScene(self._scene)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(self.palette().dark())
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("Wheel or +/- to zoom, drag to pan, F to fit, 1 for 1:1")
        self._fitted = True
        self._request = 0  # the latest load; a decode of an older one is dropped
        self._relay = _DecodeRelay()
        self._relay.decoded.connect(self._on_decoded)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def load(self, path: Path, *, background: bool = False) -> None:
        """Show the image at ``path``, fitted. Raises ``ValueError`` if it cannot be read.

        With ``background``, a file over :data:`BACKGROUND_DECODE_BYTES` is decoded in a
        pool thread: the view is empty until then, :attr:`loaded` says when it is shown and
        :attr:`load_failed` reports a file that cannot be read (instead of the exception).
        """
        self._request += 1
        if background:
            try:
                large = Path(path).stat().st_size > BACKGROUND_DECODE_BYTES
            except OSError:
                large = False  # read_image below says what is wrong
            if large:
                self.clear_view(keep_request=True)
                self._pool.start(_Decode(self._request, Path(path), self._relay))
                return
        self.set_pixmap(QPixmap.fromImage(read_image(Path(path))))
        self.loaded.emit()

    def _on_decoded(self, number: int, image: QImage | None, error: str) -> None:
        if number != self._request:
            return  # another image was asked for meanwhile
        if image is None:
            self.load_failed.emit(error)
            return
        self.set_pixmap(QPixmap.fromImage(image))
        self.loaded.emit()

    def loading(self) -> bool:
        """Whether a background decode is under way."""
        return self._pool.activeThreadCount() > 0

    def set_pixmap(self, pixmap: QPixmap) -> None:
        """Show ``pixmap``, fitted."""
        self._item.setPixmap(pixmap)
        self._scene.setSceneRect(self._item.boundingRect())
        self.fit()

    def clear_view(self, *, keep_request: bool = False) -> None:
        """Show nothing (and forget a background decode under way; one still waiting for
        the pool thread, as when the user steps through large images, never starts)."""
        if not keep_request:
            self._request += 1
        self._pool.clear()
        self._item.setPixmap(QPixmap())

    def pixmap(self) -> QPixmap:
        """The image shown."""
        return self._item.pixmap()

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def fit(self) -> None:
        """Scale the whole image into the window: a large one down, a small one (the
        bundled models' 32 and 64 px icons) up by the largest whole factor that fits, so
        each of its pixels is a crisp square instead of a speck in the middle of the view."""
        self._fitted = True
        if self._item.pixmap().isNull():
            return
        self.resetTransform()
        self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            whole = float(math.floor(self.zoom() + 1e-9))
            self.setTransform(QTransform.fromScale(whole, whole))
            self.centerOn(self._item)
        self._sample_for_zoom()
        self.zoom_changed.emit(self.zoom())

    def _sample_for_zoom(self) -> None:
        """Smooth when an image is shown smaller than it is; nearest pixel when it is
        enlarged, so that zooming in shows the pixels a designer is judging, not a blur."""
        mode = (Qt.TransformationMode.FastTransformation if self.zoom() > 1.0 + 1e-9
                else Qt.TransformationMode.SmoothTransformation)
        if self._item.transformationMode() != mode:
            self._item.setTransformationMode(mode)

    def actual_size(self) -> None:
        """Show image pixels 1:1."""
        self._fitted = False
        self.resetTransform()
        self._sample_for_zoom()
        self.zoom_changed.emit(1.0)

    def is_fitted(self) -> bool:
        """Whether the image is kept fitted to the window (until the user zooms)."""
        return self._fitted

    def follow_view(self, zoom: float, centre: QPointF, fitted: bool) -> None:
        """Show ``centre`` (a scene point) at ``zoom``, fitted or not like the view it
        follows (the compare view keeps its panes in step with this)."""
        self._fitted = fitted
        if abs(self.zoom() - zoom) > 1e-9:
            self.setTransform(QTransform.fromScale(zoom, zoom))
            self._sample_for_zoom()
        self.centerOn(centre)

    def zoom_by(self, factor: float) -> None:
        """Zoom by ``factor`` (kept within 2% and 6400%)."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if factor != 1.0:
            self._fitted = False
            self.scale(factor, factor)
            self._sample_for_zoom()
            self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
            event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif key in (Qt.Key.Key_F, Qt.Key.Key_0):
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
