"""A mask painter over an image asset, for inpainting.

White marks what the generator repaints; black is kept. The mask is saved as
a new image asset (greyscale PNG at the image's own size) whose parent is the
image, tagged ``mask``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.widgets import resize_within_screen

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project


class MaskCanvas(QWidget):
    """The image scaled to fit, with the mask painted over it in translucent red."""

    changed = Signal()

    def __init__(self, image: QImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = image.convertToFormat(QImage.Format.Format_RGB32)
        self.mask = QImage(self.image.size(), QImage.Format.Format_Grayscale8)
        self.mask.fill(0)
        self.brush = 32  # in image pixels
        self.erasing = False
        self._last: QPointF | None = None
        self.setMinimumSize(256, 256)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # -- geometry ------------------------------------------------------------------

    def _target(self) -> QRect:
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(QPoint(0, 0), size)
        rect.moveCenter(self.rect().center())
        return rect

    def to_image(self, point: QPointF) -> QPointF:
        target = self._target()
        scale = self.image.width() / max(1, target.width())
        return QPointF((point.x() - target.left()) * scale, (point.y() - target.top()) * scale)

    # -- painting the mask ----------------------------------------------------------------

    def stroke(self, start: QPointF, end: QPointF) -> None:
        """Paint (or erase) a round-capped line in image coordinates."""
        painter = QPainter(self.mask)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(0, 0, 0) if self.erasing else QColor(255, 255, 255)
        painter.setPen(QPen(colour, self.brush, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                            Qt.PenJoinStyle.RoundJoin))
        if start == end:
            painter.setBrush(colour)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(start, self.brush / 2, self.brush / 2)
        else:
            painter.drawLine(start, end)
        painter.end()
        self.changed.emit()
        self.update()

    def clear(self) -> None:
        self.mask.fill(0)
        self.changed.emit()
        self.update()

    def coverage(self) -> float:
        """Share of the image the mask covers (0..1)."""
        import numpy as np

        width, height, stride = self.mask.width(), self.mask.height(), self.mask.bytesPerLine()
        pixels = np.frombuffer(bytes(self.mask.constBits())[: stride * height], dtype=np.uint8)
        painted = int((pixels.reshape(height, stride)[:, :width] > 127).sum())
        return painted / max(1, width * height)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = self.to_image(event.position())
            self.stroke(self._last, self._last)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._last is not None and event.buttons() & Qt.MouseButton.LeftButton:
            point = self.to_image(event.position())
            self.stroke(self._last, point)
            self._last = point
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._last = None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        target = self._target()
        painter.drawImage(target, self.image)
        overlay = QImage(self.mask.size(), QImage.Format.Format_ARGB32)
        overlay.fill(QColor(235, 64, 64))
        overlay.setAlphaChannel(self.mask)
        painter.setOpacity(0.55)
        painter.drawImage(target, overlay)
        painter.end()


class MaskPainterDialog(QDialog):
    """Paint a mask over an image asset and save it as a new asset."""

    def __init__(self, project: Project, asset: Asset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Paint a mask over image #{asset.id}")
        resize_within_screen(self, 900, 760)
        self.project, self.asset = project, asset
        self.saved_asset: Any = None
        image = QImage(str(project.asset_path(asset)))
        if image.isNull():
            raise ValueError(f"cannot read image #{asset.id} to paint a mask over it")
        self.canvas = MaskCanvas(image)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(2, max(8, max(image.width(), image.height()) // 2))
        self.size_slider.setValue(min(self.size_slider.maximum(), max(4, image.width() // 16)))
        self.size_slider.valueChanged.connect(self._set_brush)
        self._set_brush(self.size_slider.value())
        self.size_label = QLabel()
        self.erase = QCheckBox("Erase")
        self.erase.setToolTip("Paint black: keep these pixels (E)")
        self.erase.setShortcut("E")
        self.erase.toggled.connect(lambda on: setattr(self.canvas, "erasing", on))
        clear = QPushButton("Clear")
        clear.clicked.connect(self.canvas.clear)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Brush"))
        tools.addWidget(self.size_slider, 1)
        tools.addWidget(self.size_label)
        tools.addWidget(self.erase)
        tools.addWidget(clear)
        note = QLabel("Paint what should be regenerated; unpainted pixels are kept.")
        note.setObjectName("dim")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(tools)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _set_brush(self, value: int) -> None:
        self.canvas.brush = value
        if hasattr(self, "size_label"):
            self.size_label.setText(f"{value} px")

    def png_bytes(self) -> bytes:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        self.canvas.mask.save(buffer, "PNG")
        buffer.close()
        return bytes(data)

    def save(self) -> None:
        if self.canvas.coverage() == 0:
            self.error.setText("The mask is empty: paint the area to regenerate first")
            self.error.show()
            return
        self.saved_asset = self.project.add_asset(
            self.png_bytes(), kind="image", suffix=".png", parents=[self.asset.id], tags=["mask"],
            title=f"mask for #{self.asset.id}", metadata={"mask_for": self.asset.id,
                                                         "width": self.canvas.mask.width(),
                                                         "height": self.canvas.mask.height()},
        )
        self.accept()
