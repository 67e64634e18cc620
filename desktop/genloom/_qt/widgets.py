"""Small pieces the gallery and the inspector share.

- :class:`StarRating`: a clickable 0-5 star widget (and :func:`paint_stars`).
- :class:`FlowLayout`: lays children out in rows that wrap (tag chips).
- :class:`ErrorBanner`: a dismissable line that shows what went wrong.
- :func:`copy_asset_to_clipboard` and :func:`reveal_in_file_manager`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPixmap,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from genloom.core.project import Asset, AssetCard, Project

__all__ = [
    "KIND_COLORS",
    "KIND_LABELS",
    "ErrorBanner",
    "FlowLayout",
    "StarRating",
    "copy_asset_to_clipboard",
    "paint_stars",
    "reveal_in_file_manager",
]

#: Short badge text and colour per asset kind.
KIND_LABELS = {"image": "IMG", "video": "VID", "audio": "AUD", "text": "TXT", "code": "CODE"}
KIND_COLORS = {"image": QColor(74, 144, 226), "video": QColor(171, 99, 222),
               "audio": QColor(46, 170, 120), "text": QColor(204, 152, 52),
               "code": QColor(222, 96, 96)}
STAR_ON = QColor(255, 196, 46)
STAR_OFF = QColor(120, 124, 134)


def _star_path(center: QPointF, radius: float) -> QPainterPath:
    import math

    path = QPainterPath()
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        point = QPointF(center.x() + r * math.cos(angle), center.y() + r * math.sin(angle))
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    path.closeSubpath()
    return path


_STAR_ROWS: dict[tuple, QPixmap] = {}


def paint_stars(painter: QPainter, rect: QRectF, rating: int, *, hollow_off: bool = True,
                off_color: QColor = STAR_OFF) -> None:
    """Paint five stars in ``rect``, the first ``rating`` of them filled.

    A gallery repaints dozens of cells per scroll step, so each distinct row of
    stars is drawn once into a pixmap and reused; a row with nothing to draw (no
    rating, and off stars not drawn) is not drawn at all.
    """
    if rating <= 0 and not hollow_off:
        return
    ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
    key = (rating, round(rect.width()), round(rect.height()), hollow_off, off_color.rgba(), ratio)
    row = _STAR_ROWS.get(key)
    if row is None:
        row = QPixmap(max(1, round(rect.width() * ratio)), max(1, round(rect.height() * ratio)))
        row.setDevicePixelRatio(ratio)
        row.fill(Qt.GlobalColor.transparent)
        star_painter = QPainter(row)
        _draw_stars(star_painter, QRectF(0, 0, round(rect.width()), round(rect.height())), rating,
                    hollow_off, off_color)
        star_painter.end()
        if len(_STAR_ROWS) > 256:
            _STAR_ROWS.clear()
        _STAR_ROWS[key] = row
    painter.drawPixmap(QPointF(rect.left(), rect.top()), row)


def _draw_stars(painter: QPainter, rect: QRectF, rating: int, hollow_off: bool, off_color: QColor) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    step = rect.width() / 5
    radius = min(step, rect.height()) * 0.45
    for i in range(5):
        center = QPointF(rect.left() + step * (i + 0.5), rect.center().y())
        path = _star_path(center, radius)
        if i < rating:
            painter.fillPath(path, STAR_ON)
        elif hollow_off:
            painter.setPen(off_color)
            painter.drawPath(path)


class StarRating(QWidget):
    """Five stars; click one to rate (click the current rating again to clear).

    Keys 0-5 set the rating too. ``rating_changed(int)`` is emitted on a user
    change only, not by :meth:`set_rating`.
    """

    rating_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, star_size: int = 22) -> None:
        super().__init__(parent)
        self._rating = 0
        self._hover = -1
        self._star = star_size
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setToolTip("Rating: click a star (click it again to clear), or press 0-5")

    def rating(self) -> int:
        """The rating shown, 0 (none) to 5."""
        return self._rating

    def set_rating(self, rating: int) -> None:
        """Show ``rating`` without emitting :attr:`rating_changed`."""
        self._rating = max(0, min(5, int(rating)))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self._star * 5 + 4, self._star + 4)

    def star_at(self, x: float) -> int:
        """The star (1-5) under the x coordinate ``x``."""
        return max(1, min(5, int((x - 2) // self._star) + 1))

    def _choose(self, star: int) -> None:
        new = 0 if star == self._rating else star
        self.set_rating(new)
        self.rating_changed.emit(new)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self._choose(self.star_at(event.position().x()))
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self._hover = self.star_at(event.position().x())
        self.update()

    def leaveEvent(self, event: object) -> None:  # noqa: N802 - Qt API
        self._hover = -1
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        text = event.text()
        if text in tuple("012345") and self.isEnabled():
            self.set_rating(int(text))
            self.rating_changed.emit(int(text))
        else:
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        shown = self._hover if self._hover > 0 and self.isEnabled() else self._rating
        paint_stars(painter, QRectF(2, 2, self._star * 5, self._star), shown)
        if self.hasFocus():
            painter.setPen(self.palette().highlight().color())
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


class FlowLayout(QLayout):
    """Children in rows, wrapping to the next row when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt API
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt API
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt API
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt API
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt API
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() and row_height > 0:
                x, y, row_height = rect.x(), y + row_height + gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()


class FittedScrollArea(QScrollArea):
    """A vertically scrolling column that is never narrower than what it holds.

    The horizontal scroll bar is off (a form that scrolls sideways is unusable), so the
    column's minimum width is its widget's, plus the vertical bar: a splitter or dock then
    cannot squeeze it below that and cut the fields' right edge off. A form's minimum grows
    once it is shown (style, fonts, a long model name), so a layout request of the widget
    asks the parent to lay out again.
    """

    def __init__(self, parent: QWidget | None = None, minimum_width: int = 200) -> None:
        super().__init__(parent)
        self._minimum_width = minimum_width
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().minimumSizeHint()
        widget = self.widget()
        need = self._minimum_width
        if widget is not None:
            need = max(need, widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                       + 2 * self.frameWidth())
        return QSize(max(hint.width(), need), hint.height())


class ErrorBanner(QWidget):
    """A red line with a message and a close button; hidden until :meth:`show_error`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #5c2326; border-radius: 4px; }"
                           "#errorBanner QLabel { color: #ffd9d9; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_error(self, message: str) -> None:
        """Show ``message`` (and keep it until dismissed or replaced)."""
        self.label.setText(message)
        self.show()

    def message(self) -> str:
        """The message shown, or "" when hidden."""
        return self.label.text() if not self.isHidden() else ""


def copy_asset_to_clipboard(project: Project, asset: Asset | AssetCard) -> str:
    """Put the asset on the clipboard: an image as an image, text and code as
    text, anything else as its file URL. Returns what was copied, in words.

    Raises ``OSError``/``ValueError`` when the file cannot be read.
    """
    path = project.asset_path(asset)
    clipboard = QGuiApplication.clipboard()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    if asset.kind == "image":
        image = QImage(str(path))
        if image.isNull():
            raise ValueError(f"cannot read the image {path.name} to copy it")
        mime.setImageData(image)
        clipboard.setMimeData(mime)
        return "image"
    if asset.kind in ("text", "code"):
        mime.setText(path.read_text(encoding="utf-8", errors="replace"))
        clipboard.setMimeData(mime)
        return "text"
    clipboard.setMimeData(mime)
    return "file"


def reveal_in_file_manager(path: Path) -> bool:
    """Open the folder holding ``path`` in the system's file manager.

    Goes through ``QDesktopServices.openUrl``, so a handler registered with
    ``QDesktopServices.setUrlHandler("file", ...)`` (tests) receives it instead.
    """
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


#: The most of the screen's free area a window sizes itself to (the desktop's panels and
#: the window frame need the rest).
SCREEN_SHARE = 0.94


def resize_within_screen(window: QWidget, width: int, height: int) -> None:
    """Give ``window`` its preferred ``width`` x ``height``, but at most
    :data:`SCREEN_SHARE` of its screen's available area (the parent's screen if it has
    one): a 1400x820 compare window ran off a 1366x768 laptop screen, its buttons out of reach."""
    from PySide6.QtGui import QGuiApplication

    anchor = window.parentWidget() or window
    screen = anchor.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        area = screen.availableGeometry()
        width = min(width, int(area.width() * SCREEN_SHARE))
        height = min(height, int(area.height() * SCREEN_SHARE))
    window.resize(width, height)
