"""The image viewer: zoom with the wheel or keys, pan by dragging, fit or 1:1."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import (
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

__all__ = ["ImageViewer"]

MIN_ZOOM, MAX_ZOOM = 0.02, 64.0
ZOOM_STEP = 1.25


class ImageViewer(QGraphicsView):
    """An image in a ``QGraphicsView``.

    Wheel or ``+``/``-`` zoom (around the cursor), drag pans, ``F`` or ``0``
    fits the window, ``1`` shows pixels 1:1. The image stays fitted while the
    window resizes until the user zooms.
    """

    zoom_changed = Signal(float)

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

    def load(self, path: Path) -> None:
        """Show the image at ``path``, fitted. Raises ``ValueError`` if it cannot be read."""
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)
        image = reader.read()
        if image.isNull():
            raise ValueError(f"cannot read the image {Path(path).name}: {reader.errorString()}")
        self.set_pixmap(QPixmap.fromImage(image))

    def set_pixmap(self, pixmap: QPixmap) -> None:
        """Show ``pixmap``, fitted."""
        self._item.setPixmap(pixmap)
        self._scene.setSceneRect(self._item.boundingRect())
        self.fit()

    def clear_view(self) -> None:
        """Show nothing."""
        self._item.setPixmap(QPixmap())

    def pixmap(self) -> QPixmap:
        """The image shown."""
        return self._item.pixmap()

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def fit(self) -> None:
        """Scale the whole image into the window (never above 1:1 for small images)."""
        self._fitted = True
        if self._item.pixmap().isNull():
            return
        self.resetTransform()
        self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
        self.zoom_changed.emit(self.zoom())

    def actual_size(self) -> None:
        """Show image pixels 1:1."""
        self._fitted = False
        self.resetTransform()
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
        self.centerOn(centre)

    def zoom_by(self, factor: float) -> None:
        """Zoom by ``factor`` (kept within 2% and 6400%)."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if factor != 1.0:
            self._fitted = False
            self.scale(factor, factor)
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
