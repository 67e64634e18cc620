"""The project gallery: a lazily paged thumbnail grid with filters and search.

:class:`GalleryModel` adapts the project store to Qt: it asks the store for
one page (``PAGE_SIZE`` assets) at a time through ``canFetchMore``/``fetchMore``
as the view scrolls, so a project of 100,000 assets opens as fast as one of
200. It follows the project's events (re-emitted on the GUI thread by a
:class:`~genloom._qt.relay.ProjectSignals`). :class:`GalleryWidget` puts a filter bar over a
``QListView`` in icon mode painted by :class:`AssetDelegate`.
"""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.relay import ProjectSignals
from genloom._qt.thumbnails import THUMBNAIL_SIZE, ThumbnailService
from genloom._qt.widgets import (
    KIND_COLORS,
    KIND_LABELS,
    ErrorBanner,
    copy_asset_to_clipboard,
    paint_stars,
    reveal_in_file_manager,
)
from genloom.core.project import Asset, AssetCard, AssetFilter, Project
from genloom.sdk import MODALITIES

__all__ = ["ASSET_ID_ROLE", "ASSET_ROLE", "AssetDelegate", "GalleryModel",
           "GalleryWidget", "PAGE_SIZE"]

log = logging.getLogger(__name__)

#: Assets fetched from the store per page.
PAGE_SIZE = 200
#: Item data roles: the :class:`AssetCard` (what a cell shows; ask the project for the
#: whole :class:`Asset`) and its id.
ASSET_ROLE = Qt.ItemDataRole.UserRole + 1
ASSET_ID_ROLE = Qt.ItemDataRole.UserRole + 2

# Plain ints of the roles and state flags used per cell painted (enum lookups and
# operations cost microseconds each in PySide6; a scroll paints dozens of cells).
_DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole.value)
_DECORATION_ROLE = int(Qt.ItemDataRole.DecorationRole.value)
_TOOLTIP_ROLE = int(Qt.ItemDataRole.ToolTipRole.value)
_ASSET_ROLE = int(ASSET_ROLE)
_ASSET_ID_ROLE = int(ASSET_ID_ROLE)
#: A cell's flags (what QAbstractListModel gives a valid index, and it can be dragged out).
_CELL_FLAGS = (Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
               | Qt.ItemFlag.ItemIsDragEnabled)
_NO_FLAGS = Qt.ItemFlag.NoItemFlags

ORDER_LABELS = {"newest": "Newest first", "oldest": "Oldest first", "rating": "Best rated"}


class GalleryModel(QAbstractListModel):
    """The assets of a project matching a :class:`AssetFilter`, fetched in pages.

    ``rowCount`` is the number loaded so far; ``total()`` how many match. The
    model changes only on the GUI thread: project events arrive through a
    bridge that queues them there.
    """

    total_changed = Signal(int)
    load_failed = Signal(str)

    def __init__(self, project: Project | None, thumbnails: ThumbnailService,
                 parent: Any = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._thumbnails = thumbnails
        self._filter = AssetFilter()
        self._assets: list[AssetCard] = []  # cards: a page of them reads half the columns
        self._keys: list[tuple[float, ...]] = []
        self._total = 0
        self._page_size = page_size
        self._rows_by_hash: dict[str, set[int]] | None = None
        self._bridge = ProjectSignals(None, self)
        self._bridge.asset_added.connect(self._on_added)
        self._bridge.asset_changed.connect(self._on_changed)
        self._bridge.asset_deleted.connect(self._on_deleted)
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)
        self._reload_timer = QTimer(self, singleShot=True, interval=150)
        self._reload_timer.timeout.connect(self.reload)
        self.set_project(project)

    # -- configuration --------------------------------------------------------------

    def project(self) -> Project | None:
        """The project shown."""
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Show another project (or none)."""
        self._project = project
        self._bridge.attach(project)
        self.reload()

    def filter(self) -> AssetFilter:
        """The filters and order in use."""
        return self._filter

    def set_filter(self, gallery_filter: AssetFilter) -> None:
        """Apply new filters/order and reload from the first page."""
        if gallery_filter != self._filter:
            self._filter = gallery_filter
            self.reload()

    def update_filter(self, **changes: Any) -> None:
        """Change some fields of the filter (see :class:`AssetFilter`)."""
        self.set_filter(replace(self._filter, **changes))

    def total(self) -> int:
        """How many assets match the filters (loaded or not)."""
        return self._total

    def reload(self) -> None:
        """Forget the loaded rows, count again and load the first page."""
        self._reload_timer.stop()
        self.beginResetModel()
        self._assets, self._keys = [], []
        self._rows_by_hash = None
        total = 0
        if self._project is not None:
            try:
                total = self._project.count_assets(self._filter)
            except Exception as exc:
                self._report(exc)
        self._total = total
        self.endResetModel()
        self.total_changed.emit(self._total)
        if self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    # -- Qt model API ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._assets)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        return not parent.isValid() and len(self._assets) < self._total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        self.fetch(self._page_size)

    def fetch(self, count: int) -> int:
        """Load up to ``count`` more assets; return how many came."""
        if self._project is None or len(self._assets) >= self._total:
            return 0
        try:
            page = self._project.list_cards(self._filter, limit=count, offset=len(self._assets))
        except Exception as exc:
            self._report(exc)
            return 0
        if not page:  # fewer than counted (deleted meanwhile): stop asking
            self._total = len(self._assets)
            self.total_changed.emit(self._total)
            return 0
        first = len(self._assets)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._assets.extend(page)
        self._keys.extend(self._filter.sort_key(a) for a in page)
        if self._rows_by_hash is not None:
            for row, asset in enumerate(page, first):
                self._rows_by_hash.setdefault(asset.hash, set()).add(row)
        self.endInsertRows()
        return len(page)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._assets):
            return None
        asset = self._assets[row]
        if role == _ASSET_ROLE:
            return asset
        if role == _DISPLAY_ROLE:
            return asset_caption(asset)
        if role == _DECORATION_ROLE:
            return self._thumbnails.thumbnail(asset, THUMBNAIL_SIZE)
        if role == _ASSET_ID_ROLE:
            return asset.id
        if role == _TOOLTIP_ROLE:  # on hover: one row by id for what a card leaves out
            return self._tooltip(asset)
        return None

    def _tooltip(self, card: AssetCard) -> str | None:
        if self._project is None:
            return None
        try:
            asset = self._project.get_asset(card.id)
        except Exception:  # deleted meanwhile (the event is on its way), or unreadable
            return None
        return asset_tooltip(asset, self._thumbnails.error(card))

    def cell(self, row: int) -> tuple[AssetCard, QPixmap | None] | None:
        """What the delegate paints for ``row`` (its asset and thumbnail, if ready),
        without the round trips of ``index.data`` per role."""
        if not 0 <= row < len(self._assets):
            return None
        asset = self._assets[row]
        return asset, self._thumbnails.thumbnail(asset, THUMBNAIL_SIZE)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Asked for every cell painted: a constant, not a call to the base class and an
        # enum operation each time.
        return _CELL_FLAGS if index.isValid() else _NO_FLAGS

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list"]

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction

    def mimeData(self, indexes: Any) -> QMimeData:  # noqa: N802
        """The files of the dragged assets as URLs, so other applications get them."""
        mime = QMimeData()
        if self._project is None:
            return mime
        rows = sorted({i.row() for i in indexes if i.isValid()})
        urls = [QUrl.fromLocalFile(str(self._project.asset_path(self._assets[r])))
                for r in rows]
        mime.setUrls(urls)
        mime.setText("\n".join(u.toLocalFile() for u in urls))
        return mime

    # -- lookups --------------------------------------------------------------------

    def asset_at(self, row: int) -> AssetCard | None:
        """The card of the asset in ``row`` if it is loaded."""
        return self._assets[row] if 0 <= row < len(self._assets) else None

    def loaded_row_of(self, asset_id: int) -> int:
        """The row of a loaded asset, or -1."""
        for row, asset in enumerate(self._assets):
            if asset.id == asset_id:
                return row
        return -1

    def row_of(self, asset_id: int, *, fetch: bool = True, chunk: int = 5000) -> int:
        """The row of ``asset_id``, loading further pages to find it if needed;
        -1 if the filters exclude it."""
        row = self.loaded_row_of(asset_id)
        while row < 0 and fetch and self.canFetchMore(QModelIndex()):
            first = len(self._assets)
            if not self.fetch(chunk):
                break
            for offset, asset in enumerate(self._assets[first:]):
                if asset.id == asset_id:
                    row = first + offset
                    break
        return row

    # -- project events (GUI thread) ------------------------------------------------

    def _position(self, asset: Asset | AssetCard) -> int:
        return bisect.bisect_left(self._keys, self._filter.sort_key(asset))

    def _insert(self, asset: Asset) -> None:
        """Count a new matching asset, and show it if it falls in the loaded range."""
        card = AssetCard.of(asset)
        position = self._position(card)
        self._total += 1
        if position < len(self._assets) or len(self._assets) == self._total - 1:
            self.beginInsertRows(QModelIndex(), position, position)
            self._assets.insert(position, card)
            self._keys.insert(position, self._filter.sort_key(card))
            self._rows_by_hash = None
            self.endInsertRows()
        self.total_changed.emit(self._total)

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._assets[row]
        del self._keys[row]
        self._rows_by_hash = None
        self.endRemoveRows()
        self._total = max(0, self._total - 1)
        self.total_changed.emit(self._total)

    def _on_added(self, asset: Asset) -> None:
        matches = self._filter.matches(asset)
        if matches is None:
            self._reload_timer.start()
        elif matches:
            self._insert(asset)

    def _on_changed(self, asset: Asset) -> None:
        row = self.loaded_row_of(asset.id)
        matches = self._filter.matches(asset)
        if matches is None:
            if row >= 0:
                self._replace(row, asset)
            self._reload_timer.start()  # notes or tags may change what the search finds
            return
        if row < 0:
            if matches:  # it may have just come into the filter (a new tag or rating)
                self._reload_timer.start()
            return
        if not matches:
            self._remove_row(row)
            return
        key = self._filter.sort_key(asset)
        if key == self._keys[row]:
            self._replace(row, asset)
        else:
            self._remove_row(row)
            self._insert(asset)

    def _replace(self, row: int, asset: Asset) -> None:
        self._assets[row] = AssetCard.of(asset)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def _on_deleted(self, asset_id: int) -> None:
        row = self.loaded_row_of(asset_id)
        if row >= 0:
            self._remove_row(row)
        elif self._project is not None and len(self._assets) < self._total:
            self._reload_timer.start()  # it may have been among the unloaded ones

    def _on_thumbnail(self, digest: str, size: int) -> None:
        if self._rows_by_hash is None:
            self._rows_by_hash = {}
            for row, asset in enumerate(self._assets):
                self._rows_by_hash.setdefault(asset.hash, set()).add(row)
        for row in self._rows_by_hash.get(digest, ()):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _report(self, exc: Exception) -> None:
        message = f"The gallery could not read the project: {exc}"
        log.error("%s", message, exc_info=exc)
        self.load_failed.emit(message)


def asset_caption(asset: Asset | AssetCard) -> str:
    """A one-line name for an asset: its title, else its prompt, else kind and id."""
    text = asset.title or asset.prompt or f"{asset.kind} #{asset.id}"
    return " ".join(text.split())


def asset_tooltip(asset: Asset, error: str | None = None) -> str:
    """What the gallery shows on hover."""
    when = datetime.fromtimestamp(asset.created).strftime("%Y-%m-%d %H:%M")
    lines = [f"#{asset.id} · {asset.kind} · {when}"]
    if asset.generator_id:
        lines.append(f"{asset.generator_id}" + (f" · {asset.model_id}" if asset.model_id else ""))
    if asset.prompt:
        lines.append(asset.prompt[:300])
    if asset.tags:
        lines.append("tags: " + ", ".join(asset.tags))
    if error:
        lines.append(f"thumbnail failed: {error}")
    return "\n".join(lines)


_ANTIALIASING = QPainter.RenderHint.Antialiasing
_NO_PEN = Qt.PenStyle.NoPen
_KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio
_CAPTION_ALIGN = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_SELECTED = QStyle.StateFlag.State_Selected.value
_MOUSE_OVER = QStyle.StateFlag.State_MouseOver.value
_UNKNOWN_KIND = QColor(128, 128, 128)
_PARTIAL_COLOR = QColor(214, 128, 30)
_PLACEHOLDER_COLOR = QColor(60, 63, 70)
_PLACEHOLDER_RADIUS = 4
#: Bounds of the delegate's caches: elided captions, thumbnails scaled to their box.
_ELIDED_CACHE = 4096
_SCALED_CACHE = 128


class AssetDelegate(QStyledItemDelegate):
    """Paints a gallery cell: thumbnail, kind badge, "partial" badge, stars, caption."""

    PADDING = 6
    CAPTION_HEIGHT = 18
    STARS_HEIGHT = 14

    def __init__(self, parent: Any = None, *, thumbnail_size: int = THUMBNAIL_SIZE) -> None:
        super().__init__(parent)
        self._thumb = thumbnail_size
        self._badge_font = QFont()
        self._badge_font.setPixelSize(10)
        self._badge_font.setBold(True)
        self._badges: dict[tuple[str, int, float], QPixmap] = {}
        self._placeholders: dict[float, QPixmap] = {}
        self._scaled_cache: OrderedDict[tuple[int, int, int, float], QPixmap] = OrderedDict()
        self._elided: dict[tuple[str, int], str] = {}
        self._elided_font: QFont | None = None  # the font the elided captions were made for

    def cell_size(self) -> QSize:
        """The size of one cell (the view's grid size)."""
        pad = self.PADDING
        return QSize(self._thumb + 2 * pad,
                     self._thumb + self.STARS_HEIGHT + self.CAPTION_HEIGHT + 3 * pad)

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:  # noqa: N802
        return self.cell_size()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        model = index.model()
        if isinstance(model, GalleryModel):  # the gallery's own model: one call per cell
            cell = model.cell(index.row())
            if cell is None:
                return
            asset, pixmap = cell
            caption = asset_caption(asset)
        else:
            asset = index.data(ASSET_ROLE)
            if asset is None:
                return
            pixmap = index.data(Qt.ItemDataRole.DecorationRole)
            caption = str(index.data(Qt.ItemDataRole.DisplayRole))
        painter.save()
        painter.setRenderHint(_ANTIALIASING)
        rect: QRect = option.rect
        pad = self.PADDING
        palette = option.palette
        state = option.state.value
        selected = bool(state & _SELECTED)
        ratio = _device_ratio(painter)
        if selected:
            painter.setPen(QPen(palette.highlight().color(), 2))
            painter.setBrush(palette.highlight().color().darker(160))
            painter.drawRoundedRect(QRectF(rect).adjusted(2, 2, -2, -2), 6, 6)
        elif state & _MOUSE_OVER:
            painter.setPen(_NO_PEN)
            painter.setBrush(palette.alternateBase())
            painter.drawRoundedRect(QRectF(rect).adjusted(2, 2, -2, -2), 6, 6)

        thumb = self._thumb
        box = QRect(rect.left() + pad, rect.top() + pad, thumb, thumb)
        if pixmap is not None and not pixmap.isNull():
            width, height = pixmap.width(), pixmap.height()
            if width == thumb and height == thumb:  # the common case: fills the box
                painter.drawPixmap(box.topLeft(), pixmap)
            else:
                size = QSize(width, height).scaled(box.size(), _KEEP_ASPECT)
                target = QRect(0, 0, size.width(), size.height())
                target.moveCenter(box.center())
                if size.width() == width and size.height() == height:
                    painter.drawPixmap(target.topLeft(), pixmap)
                else:  # scaled once, as painting it scaled would, then reused
                    painter.drawPixmap(target.topLeft(),
                                       self._scaled(pixmap, size.width(), size.height(), ratio))
        else:  # not ready yet: a quiet placeholder
            painter.drawPixmap(box.topLeft(), self._placeholder(ratio))

        self._badge(painter, box.topLeft() + QPoint(4, 4), KIND_LABELS.get(asset.kind, "?"),
                    KIND_COLORS.get(asset.kind, _UNKNOWN_KIND), align_right=False, ratio=ratio)
        if "partial" in asset.tags:
            self._badge(painter, box.topRight() + QPoint(-4, 4), "partial",
                        _PARTIAL_COLOR, align_right=True, ratio=ratio)

        stars = QRectF(box.left(), box.bottom() + pad, self.STARS_HEIGHT * 5, self.STARS_HEIGHT)
        paint_stars(painter, stars, asset.rating, hollow_off=bool(asset.rating) or selected)

        caption_rect = QRect(box.left(), int(stars.bottom()) + 2, thumb, self.CAPTION_HEIGHT)
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        font = option.font
        painter.setFont(font)
        if font != self._elided_font:  # a compare in C++, cheaper than the font's key per cell
            self._elided.clear()
            self._elided_font = QFont(font)
        key = (caption, thumb)
        text = self._elided.get(key)
        if text is None:
            text = painter.fontMetrics().elidedText(caption, Qt.TextElideMode.ElideRight, thumb)
            if len(self._elided) >= _ELIDED_CACHE:
                self._elided.clear()
            self._elided[key] = text
        painter.drawText(caption_rect, _CAPTION_ALIGN, text)
        painter.restore()

    def _badge(self, painter: QPainter, corner: QPoint, text: str, color: QColor, *,
               align_right: bool, ratio: float = 1.0) -> None:
        key = (text, color.rgba(), ratio)
        badge = self._badges.get(key)
        if badge is None:  # drawn once per label and colour, then reused
            metrics = QFontMetrics(self._badge_font)
            width, height = metrics.horizontalAdvance(text) + 8, metrics.height() + 2
            badge = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
            badge.setDevicePixelRatio(ratio)
            badge.fill(Qt.GlobalColor.transparent)
            badge_painter = QPainter(badge)
            badge_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            badge_painter.setFont(self._badge_font)
            area = QRectF(0, 0, width, height)
            badge_painter.setPen(Qt.PenStyle.NoPen)
            badge_painter.setBrush(color)
            badge_painter.drawRoundedRect(area, 3, 3)
            badge_painter.setPen(QColor(255, 255, 255))
            badge_painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
            badge_painter.end()
            self._badges[key] = badge
        width = round(badge.width() / ratio)
        left = corner.x() - width if align_right else corner.x()
        painter.drawPixmap(QPoint(left, corner.y()), badge)

    def _placeholder(self, ratio: float) -> QPixmap:
        tile = self._placeholders.get(ratio)
        if tile is None:
            thumb = self._thumb
            tile = QPixmap(max(1, round(thumb * ratio)), max(1, round(thumb * ratio)))
            tile.setDevicePixelRatio(ratio)
            tile.fill(Qt.GlobalColor.transparent)
            tile_painter = QPainter(tile)
            tile_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            tile_painter.setPen(Qt.PenStyle.NoPen)
            tile_painter.setBrush(_PLACEHOLDER_COLOR)
            tile_painter.drawRoundedRect(QRectF(0, 0, thumb, thumb), _PLACEHOLDER_RADIUS,
                                         _PLACEHOLDER_RADIUS)
            tile_painter.end()
            self._placeholders[ratio] = tile
        return tile

    def _scaled(self, pixmap: QPixmap, width: int, height: int, ratio: float) -> QPixmap:
        """``pixmap`` drawn into ``width`` x ``height`` (as ``drawPixmap`` into a
        target rectangle draws it), kept for the next paints of the same thumbnail."""
        key = (pixmap.cacheKey(), width, height, ratio)
        scaled = self._scaled_cache.get(key)
        if scaled is not None:
            self._scaled_cache.move_to_end(key)
            return scaled
        scaled = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
        scaled.setDevicePixelRatio(ratio)
        # An opaque thumbnail stays opaque (painted with a plain copy, not a blend);
        # it covers the whole target, so the fill never shows.
        scaled.fill(Qt.GlobalColor.transparent if pixmap.hasAlphaChannel() else Qt.GlobalColor.black)
        scaled_painter = QPainter(scaled)
        scaled_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scaled_painter.drawPixmap(QRect(0, 0, width, height), pixmap)
        scaled_painter.end()
        self._scaled_cache[key] = scaled
        while len(self._scaled_cache) > _SCALED_CACHE:
            self._scaled_cache.popitem(last=False)
        return scaled


def _device_ratio(painter: QPainter) -> float:
    device = painter.device()
    return device.devicePixelRatioF() if device is not None else 1.0


class GalleryView(QListView):
    """The grid: icon mode, uniform cells, batched layout, drag out only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(PAGE_SIZE)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(2)
        self.setWordWrap(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalScrollBar().setSingleStep(24)


#: What an empty project's gallery says: the first thing a new user reads.
EMPTY_PROJECT_HINT = ("Nothing here yet.\n\nPick a generator on the left, write a prompt, press Generate "
                      "(Ctrl+Enter). What it makes appears here, with the recipe that made it.\n\n"
                      "You can also drop files here to import them.")


class GalleryWidget(QWidget):
    """The gallery: filter bar, search (Ctrl+F) and the thumbnail grid.

    Signals carry asset ids: ``asset_selected(int)`` when the current asset
    changes, ``asset_activated(int)`` on double-click or Enter, and the
    context-menu requests ``rerun_requested(int, bool new_seed)``,
    ``compare_requested(list)`` (the selected ids, when two or more are selected),
    ``use_as_input_requested(int)``, ``export_requested(int)`` and
    ``delete_requested(int)`` (the window confirms and deletes). Copy and
    reveal are done here.
    """

    asset_selected = Signal(int)
    asset_activated = Signal(int)
    rerun_requested = Signal(int, bool)
    use_as_input_requested = Signal(int)
    export_requested = Signal(int)
    delete_requested = Signal(int)
    compare_requested = Signal(list)  # the selected asset ids

    def __init__(self, project: Project | None, parent: QWidget | None = None, *,
                 thumbnails: ThumbnailService | None = None) -> None:
        super().__init__(parent)
        self._project = project
        self.thumbnails = thumbnails or ThumbnailService(project, self)
        self.model = GalleryModel(project, self.thumbnails, self)
        self.delegate = AssetDelegate(self)
        self.view = GalleryView(self)
        self.view.setItemDelegate(self.delegate)
        self.view.setGridSize(self.delegate.cell_size())
        self.view.setModel(self.model)
        self.error_banner = ErrorBanner(self)
        self._build_filter_bar()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._bar)
        layout.addWidget(self.error_banner)
        # An empty project says what to do; an empty result says the filters hide everything.
        self.empty_hint = QLabel()
        self.empty_hint.setObjectName("dim")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setMargin(24)
        self.grid_stack = QStackedWidget()
        self.grid_stack.addWidget(self.view)
        self.grid_stack.addWidget(self.empty_hint)
        layout.addWidget(self.grid_stack, 1)

        self.model.total_changed.connect(self._show_total)
        self.model.load_failed.connect(self.error_banner.show_error)
        self.view.selectionModel().currentChanged.connect(self._on_current)
        self.view.doubleClicked.connect(self._on_activated)
        self.view.activated.connect(self._on_activated)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self.compare_button.setEnabled(len(self.selected_ids()) >= 2))
        self._show_total(self.model.total())
        self._fill_tags()

    # -- public API -----------------------------------------------------------------

    def project(self) -> Project | None:
        """The project shown."""
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Show another project's assets (filters are kept)."""
        self._project = project
        self.thumbnails.set_project(project)
        self.model.set_project(project)
        self._fill_tags()

    def refresh(self) -> None:
        """Read the project again (counts, pages, tags)."""
        self._fill_tags()
        self.model.reload()

    def select_asset(self, asset_id: int) -> bool:
        """Select and scroll to ``asset_id``; ``False`` if the filters hide it."""
        row = self.model.row_of(asset_id)
        if row < 0:
            return False
        index = self.model.index(row)
        self.view.selectionModel().setCurrentIndex(
            index, self.view.selectionModel().SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index)
        return True

    def selected_ids(self) -> list[int]:
        """The ids of the selected assets, in view order."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [a.id for r in rows if (a := self.model.asset_at(r)) is not None]

    def current_id(self) -> int | None:
        """The id of the current asset, or ``None``."""
        asset = self.model.asset_at(self.view.currentIndex().row())
        return None if asset is None else asset.id

    def shutdown(self) -> None:
        """Stop listening to the project and wait for thumbnail work (app exit)."""
        self.model._bridge.detach()
        self.thumbnails.shutdown()

    # -- filter bar -----------------------------------------------------------------

    def _build_filter_bar(self) -> None:
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("All kinds", None)
        for kind in MODALITIES:
            self.kind_combo.addItem(kind.capitalize(), kind)
        self.tag_combo = QComboBox()
        self.tag_combo.setMinimumContentsLength(10)
        self.rating_combo = QComboBox()
        self.rating_combo.addItem("Any rating", None)
        for stars in range(1, 6):
            self.rating_combo.addItem("★" * stars + ("+" if stars < 5 else ""), stars)
        self.generator_edit = QLineEdit(placeholderText="Generator", clearButtonEnabled=True)
        self.model_edit = QLineEdit(placeholderText="Model", clearButtonEnabled=True)
        self.search_edit = QLineEdit(placeholderText="Search prompts, text, notes, tags  (Ctrl+F)",
                                     clearButtonEnabled=True)
        self.order_combo = QComboBox()
        for order, label in ORDER_LABELS.items():
            self.order_combo.addItem(label, order)
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(70)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        for widget, tip in ((self.kind_combo, "Show one kind of asset"),
                            (self.tag_combo, "Show assets with this tag"),
                            (self.rating_combo, "Show assets rated at least this"),
                            (self.generator_edit, "Exact generator id (Enter to apply)"),
                            (self.model_edit, "Exact model id (Enter to apply)"),
                            (self.order_combo, "Sort order")):
            widget.setToolTip(tip)
        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._apply_filters)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._apply_filters)
        for combo in (self.kind_combo, self.tag_combo, self.rating_combo, self.order_combo):
            combo.currentIndexChanged.connect(self._apply_filters)
        for edit in (self.generator_edit, self.model_edit):
            edit.editingFinished.connect(self._apply_filters)
        self.find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search)
        self.find_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)

        self.compare_button = QToolButton(text="Compare")
        self.compare_button.setToolTip("Compare the selected assets side by side (Ctrl+K); "
                                       "select 2 to 4 of one kind")
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(lambda: self.compare_requested.emit(self.selected_ids()))
        # Two rows: in one, a gallery beside the Generate dock and the inspector (about 640 px
        # on a 1440-px window) squeezed the search field to "Sea..." and set the centre's
        # minimum width to ~860 px. Search, order, compare and count first; filters below.
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.order_combo)
        top.addWidget(self.compare_button)
        top.addWidget(self.count_label)
        filters = QHBoxLayout()
        for widget in (self.kind_combo, self.tag_combo, self.rating_combo):
            filters.addWidget(widget)
        filters.addWidget(self.generator_edit, 1)
        filters.addWidget(self.model_edit, 1)
        self._bar = QVBoxLayout()
        self._bar.setContentsMargins(4, 4, 4, 0)
        self._bar.setSpacing(4)
        self._bar.addLayout(top)
        self._bar.addLayout(filters)

    def focus_search(self) -> None:
        """Put the cursor in the search field, its text selected."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _fill_tags(self) -> None:
        current = self.tag_combo.currentData()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem("Any tag", None)
        try:
            tags = self._project.all_tags() if self._project is not None else []
        except Exception as exc:
            self.error_banner.show_error(f"Could not read the project's tags: {exc}")
            tags = []
        for name, count in tags:
            self.tag_combo.addItem(f"{name} ({count})", name)
        found = self.tag_combo.findData(current)
        self.tag_combo.setCurrentIndex(max(0, found))
        self.tag_combo.blockSignals(False)
        if current is not None and found < 0:
            self._apply_filters()

    def _apply_filters(self) -> None:
        self._search_timer.stop()
        text = self.search_edit.text().strip()
        self.model.set_filter(AssetFilter(
            kind=self.kind_combo.currentData(), tag=self.tag_combo.currentData(),
            min_rating=self.rating_combo.currentData(),
            generator_id=self.generator_edit.text().strip() or None,
            model_id=self.model_edit.text().strip() or None,
            search=text or None, order=self.order_combo.currentData() or "newest"))

    def _show_total(self, total: int) -> None:
        self.count_label.setText(f"{total:,} asset{'s' if total != 1 else ''}")
        if total:
            self.grid_stack.setCurrentWidget(self.view)
            return
        if self.model.filter() == AssetFilter(order=self.model.filter().order):
            self.empty_hint.setText(EMPTY_PROJECT_HINT)
        else:
            self.empty_hint.setText("No assets match these filters. Clear the search or choose "
                                    "\"All kinds\", \"Any tag\" and \"Any rating\" to see every asset.")
        self.grid_stack.setCurrentWidget(self.empty_hint)

    # -- selection and actions ------------------------------------------------------

    def _on_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        asset = self.model.asset_at(current.row()) if current.isValid() else None
        if asset is not None:
            self.asset_selected.emit(asset.id)

    def _on_activated(self, index: QModelIndex) -> None:
        asset = self.model.asset_at(index.row())
        if asset is not None:
            self.asset_activated.emit(asset.id)

    def _context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        asset = self.model.asset_at(index.row()) if index.isValid() else None
        if asset is None:
            return
        if not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        menu = self.context_menu(asset)
        menu.exec(self.view.viewport().mapToGlobal(position))
        menu.deleteLater()

    def context_menu(self, asset: AssetCard) -> QMenu:
        """The menu of actions on ``asset`` (built fresh for each use)."""
        menu = QMenu(self)
        asset_id = asset.id
        entries: list[tuple[str, Any]] = [
            ("Re-run", lambda: self.rerun_requested.emit(asset_id, False)),
            ("Vary (new seed)", lambda: self.rerun_requested.emit(asset_id, True)),
            ("Use as input", lambda: self.use_as_input_requested.emit(asset_id)),
            (None, None),
            *self._compare_entry(),
            ("Export…", lambda: self.export_requested.emit(asset_id)),
            ("Copy", lambda: self._copy(asset)),
            ("Reveal in file manager", lambda: self._reveal(asset)),
            (None, None),
            ("Delete…", lambda: self.delete_requested.emit(asset_id)),
        ]
        for label, handler in entries:
            if label is None:
                menu.addSeparator()
                continue
            action = QAction(label, menu)
            action.triggered.connect(handler)
            menu.addAction(action)
        return menu

    def _compare_entry(self) -> list[tuple[str | None, Any]]:
        selected = self.selected_ids()
        if len(selected) < 2:
            return []
        return [(f"Compare {len(selected)} selected", lambda: self.compare_requested.emit(selected)),
                (None, None)]

    def _copy(self, asset: AssetCard) -> None:
        if self._project is None:
            return
        try:
            copy_asset_to_clipboard(self._project, asset)
        except (OSError, ValueError) as exc:
            self.error_banner.show_error(f"Could not copy #{asset.id}: {exc}")

    def _reveal(self, asset: AssetCard) -> None:
        if self._project is not None and not reveal_in_file_manager(
                self._project.asset_path(asset)):
            self.error_banner.show_error("No file manager could be opened for "
                                         f"{self._project.asset_path(asset).parent}")
