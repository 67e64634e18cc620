"""The Storyboard view: a board's shots as cards, their takes, a timeline strip and the cut.

A thin view over :mod:`genloom.core.boards`: every edit is a call to
:class:`~genloom.core.boards.Boards` (so it is undoable and the CLI sees it), and the
view rebuilds from core when the project announces ``board_changed`` (through
:class:`~genloom._qt.relay.ProjectSignals`). Cards are dragged to reorder with the
mouse (press on a card, move, release where it goes), edited in place (description,
duration, camera move, line), and carry a take strip (click a take to select it) and a
"Generate" button. "Generate takes", "Draft cut", "Undo", "Import script…",
"Export…" and "Play cut" act on the whole board.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QImage, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.relay import ProjectSignals
from genloom._qt.remedies import app_message

if TYPE_CHECKING:
    from genloom.core.boards import Boards, Shot, Take
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Project

__all__ = ["ShotCard", "ShotGrid", "StoryboardView", "TimelineStrip"]

CARD_W, FRAME_H, TAKE = 240, 135, 44
_DRAG_DISTANCE = 8


def _pixmap(kind: str, path: Path, size: QSize) -> QPixmap:
    """A picture take's frame, scaled to fit ``size``."""
    from genloom.core.boards.media import picture_frame

    if kind == "image":
        pixmap = QPixmap(str(path))
    else:
        frame = picture_frame(kind, path)
        data = frame.tobytes()
        image = QImage(data, frame.width, frame.height, frame.width * 3, QImage.Format.Format_RGB888)
        pixmap = QPixmap.fromImage(image.copy())
    return pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)


class _Thumbs:
    """Frames of picture takes by asset id, made once (a board's cards are rebuilt often)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int, int], QPixmap] = {}

    def get(self, project: Project, asset_id: int, size: QSize) -> QPixmap | None:
        key = (asset_id, size.width(), size.height())
        if key not in self._cache:
            try:
                asset = project.get_asset(asset_id)
                self._cache[key] = _pixmap(asset.kind, project.asset_path(asset), size)
            except Exception:  # noqa: BLE001 - a damaged or missing file: the card says so
                return None
            if len(self._cache) > 2000:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]


class ShotCard(QFrame):
    """One shot: its selected picture, number, duration, camera move, description and line
    (edited in place), its takes (click to select) and a Generate button."""

    edited = Signal(int, dict)        # shot id, changed fields
    take_selected = Signal(int)       # take id
    generate_requested = Signal(int)  # shot id

    def __init__(self, shot: Shot, project: Project, thumbs: _Thumbs,
                 camera_moves: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shot = shot
        self.setObjectName("shotCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(CARD_W)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.frame = QLabel()
        self.frame.setFixedSize(CARD_W - 12, FRAME_H)
        self.frame.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame.setStyleSheet("background: #15151a; color: #888;")
        picture = shot.selected("picture")
        pixmap = thumbs.get(project, picture.asset_id, self.frame.size()) if picture else None
        if pixmap is not None:
            self.frame.setPixmap(pixmap)
        else:
            self.frame.setText("no picture take" if picture is None else "(file missing)")
        layout.addWidget(self.frame)
        head = QHBoxLayout()
        self.number = QLabel(f"<b>{shot.number}</b>")
        head.addWidget(self.number)
        self.duration = QDoubleSpinBox()
        from genloom.core.boards.model import MAX_DURATION, MIN_DURATION

        self.duration.setRange(MIN_DURATION, MAX_DURATION)
        self.duration.setDecimals(1)
        self.duration.setSingleStep(0.5)
        self.duration.setSuffix(" s")
        self.duration.setValue(shot.duration)
        self.duration.setKeyboardTracking(False)
        self.duration.valueChanged.connect(lambda value: self._edit("duration", float(value)))
        head.addWidget(self.duration)
        self.camera = QComboBox()
        self.camera.addItems(list(camera_moves))
        self.camera.setCurrentText(shot.camera)
        self.camera.currentTextChanged.connect(lambda text: self._edit("camera", text))
        head.addWidget(self.camera, 1)
        layout.addLayout(head)
        self.description = QLineEdit(shot.description)
        self.description.setPlaceholderText("Describe the shot (its prompt)")
        self.description.setCursorPosition(0)
        self.description.setToolTip(shot.description)
        self.description.editingFinished.connect(
            lambda: self._edit("description", self.description.text()))
        layout.addWidget(self.description)
        self.dialogue = QLineEdit(shot.dialogue)
        self.dialogue.setPlaceholderText("Voice-over or dialogue line")
        self.dialogue.setCursorPosition(0)
        self.dialogue.editingFinished.connect(lambda: self._edit("dialogue", self.dialogue.text()))
        if shot.dialogue:
            self.dialogue.setToolTip(f"{shot.character or 'V.O.'}: {shot.dialogue}")
        layout.addWidget(self.dialogue)
        strip = QHBoxLayout()
        strip.setSpacing(3)
        self.take_buttons: list[QToolButton] = []
        for take in shot.takes:
            strip.addWidget(self._take_button(take, project, thumbs))
        strip.addStretch(1)
        self.generate = QToolButton()
        self.generate.setText("Generate")
        self.generate.setToolTip("Queue new takes for this shot with the board's style")
        self.generate.clicked.connect(lambda: self.generate_requested.emit(self.shot.id))
        strip.addWidget(self.generate)
        layout.addLayout(strip)

    def _take_button(self, take: Take, project: Project, thumbs: _Thumbs) -> QToolButton:
        button = QToolButton()
        button.setCheckable(True)
        button.setChecked(take.selected)
        button.setFixedSize(TAKE, TAKE * 9 // 16 + 8)
        button.setProperty("take_id", take.id)
        if take.track == "picture":
            pixmap = thumbs.get(project, take.asset_id, QSize(TAKE - 4, TAKE * 9 // 16))
            if pixmap is not None:
                button.setIcon(QIcon(pixmap))
                button.setIconSize(pixmap.size())
            else:
                button.setText("?")
        else:
            button.setText("VO" if take.track == "voice" else "♪")
        kind = "clip" if take.kind == "video" else take.kind
        button.setToolTip(f"{take.track} take {take.id}: asset {take.asset_id} ({kind})"
                          + (", selected" if take.selected else ""))
        button.setStyleSheet("QToolButton:checked { border: 2px solid #4c8dff; }")
        button.clicked.connect(lambda _=False, t=take.id: self.take_selected.emit(t))
        self.take_buttons.append(button)
        return button

    def _edit(self, name: str, value: object) -> None:
        if getattr(self.shot, name) != value:
            self.edited.emit(self.shot.id, {name: value})


class ShotGrid(QWidget):
    """Shot cards in rows that fill the width; a card is dragged to a new place with the
    mouse (press, move past a few pixels, release), which emits :attr:`moved`."""

    moved = Signal(int, int)  # shot id, new index (from 0)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[ShotCard] = []
        self._layout = QGridLayout(self)
        self._layout.setSpacing(10)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._pressed: tuple[ShotCard, QPoint] | None = None
        self._dragging = False
        self._drop_at: int | None = None
        # Moves and the release reach the card pressed (the mouse grab) or, when sent to
        # the grid itself, the grid: both are watched, in the grid's coordinates.
        self.installEventFilter(self)

    def set_cards(self, cards: list[ShotCard]) -> None:
        for card in self.cards:
            card.removeEventFilter(self)
            card.setParent(None)
            card.deleteLater()
        self.cards = cards
        for card in cards:
            card.installEventFilter(self)
            card.frame.installEventFilter(self)
        self._place()

    def _columns(self) -> int:
        return max(1, (self.width() - 10) // (CARD_W + 10))

    def _place(self) -> None:
        while self._layout.count():
            self._layout.takeAt(0)
        columns = self._columns()
        for index, card in enumerate(self.cards):
            self._layout.addWidget(card, index // columns, index % columns)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.cards and self._layout.columnCount() != self._columns():
            self._place()

    def drop_index(self, point: QPoint) -> int:
        """Where a card dropped at ``point`` (grid coordinates) goes, counted among the
        cards without the dragged one."""
        dragged = self._pressed[0] if self._pressed else None
        others = [c for c in self.cards if c is not dragged]
        for index, card in enumerate(others):
            box = card.geometry()
            if point.y() < box.top():
                return index
            if point.y() <= box.bottom() and point.x() < box.center().x():
                return index
        return len(others)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                        QEvent.Type.MouseButtonRelease) or not isinstance(event, QMouseEvent):
            return False
        point = self.mapFromGlobal(event.globalPosition().toPoint())
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            card = watched if isinstance(watched, ShotCard) else watched.parent()
            if isinstance(card, ShotCard):
                self._pressed, self._dragging = (card, point), False
            return False
        if self._pressed is None:
            return False
        if kind == QEvent.Type.MouseMove:
            if not self._dragging and (point - self._pressed[1]).manhattanLength() >= _DRAG_DISTANCE:
                self._dragging = True
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
            if self._dragging:
                self._drop_at = self.drop_index(point)
                self.update()
                return True
            return False
        card, _ = self._pressed
        dragging = self._dragging
        target = self.drop_index(point) if dragging else None
        self._pressed, self._dragging, self._drop_at = None, False, None
        self.unsetCursor()
        self.update()
        if dragging and target is not None:
            if target != self.cards.index(card):
                self.moved.emit(card.shot.id, target)
            return True
        return False

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._drop_at is None or not self.cards:
            return
        dragged = self._pressed[0] if self._pressed else None
        others = [c for c in self.cards if c is not dragged]
        if self._drop_at < len(others):
            box = others[self._drop_at].geometry()
            x = box.left() - 6
        else:
            box = others[-1].geometry() if others else QRect(0, 0, 0, CARD_W)
            x = box.right() + 5
        painter = QPainter(self)
        painter.fillRect(QRect(x, box.top(), 3, box.height()), QColor("#4c8dff"))
        painter.end()


class TimelineStrip(QWidget):
    """The board's shots as blocks as long as their durations; click one to go to its card."""

    shot_clicked = Signal(int)  # shot id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(34)
        self.setMaximumHeight(34)
        self.shots: list[Shot] = []

    def set_shots(self, shots: list[Shot]) -> None:
        self.shots = shots
        total = sum(s.duration for s in shots)
        minutes, seconds = divmod(total, 60)
        self.setToolTip(f"{len(shots)} shots, {int(minutes)}:{seconds:04.1f}")
        self.update()

    def blocks(self) -> list[tuple[Shot, QRect]]:
        total = sum(s.duration for s in self.shots) or 1.0
        out, x = [], 0.0
        for shot in self.shots:
            w = shot.duration / total * (self.width() - 1)
            out.append((shot, QRect(int(x), 2, max(1, int(x + w) - int(x) - 1), self.height() - 4)))
            x += w
        return out

    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        for n, (shot, box) in enumerate(self.blocks()):
            colour = QColor("#3d5a80") if n % 2 == 0 else QColor("#4f6d8f")
            if shot.selected("picture") is None:
                colour = QColor("#5a3d3d")
            painter.fillRect(box, colour)
            painter.setPen(QColor("#e8eef5"))
            if box.width() > 28:
                painter.drawText(box.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                                 f"{shot.number}  {shot.duration:g}s")
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        for shot, box in self.blocks():
            if box.contains(event.position().toPoint()):
                self.shot_clicked.emit(shot.id)


class StoryboardView(QWidget):
    """The Storyboard: a board picker and actions, the shot grid, the timeline strip."""

    status = Signal(str)

    def __init__(self, project: Project, engine: Callable[[], Engine | None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from genloom.core.boards import CAMERA_MOVES

        self._engine = engine
        self._camera_moves = CAMERA_MOVES
        self._thumbs = _Thumbs()
        self._followed: set[int] = set()
        self.project = project
        self.board_id: int | None = None
        self._relay = ProjectSignals(None, self)
        self._relay.board_changed.connect(self._on_board_changed)
        layout = QVBoxLayout(self)
        # A tool bar, not a row of buttons: it folds what does not fit into its overflow
        # menu, so the Storyboard never makes the window wider than the user made it.
        bar = QToolBar()
        self.picker = QComboBox()
        self.picker.setMinimumContentsLength(12)
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.picker.currentIndexChanged.connect(self._on_pick)
        bar.addWidget(QLabel("Board "))
        bar.addWidget(self.picker)
        self.buttons: dict[str, QAction] = {}
        for key, text, slot in (("new", "New board…", self.new_board),
                                ("import", "Import script…", self.import_dialog),
                                ("add", "Add shot", self.add_shot),
                                ("generate", "Generate takes", lambda: self.generate(None)),
                                ("cut", "Draft cut", self.draft_cut),
                                ("play", "Play cut", self.play_cut),
                                ("export", "Export", None),
                                ("undo", "Undo", self.undo)):
            action = bar.addAction(text)
            if slot is not None:
                action.triggered.connect(lambda _=False, s=slot: self._guard(s))
            self.buttons[key] = action
        menu = QMenu(self)
        for fmt, label in (("otio", "OpenTimelineIO (.otio)…"), ("edl", "CMX 3600 EDL…"),
                           ("fcp7", "Final Cut Pro 7 XML…"), ("fcpxml", "FCPXML…"),
                           ("contact-sheet", "Contact sheet (PNG or PDF)…")):
            menu.addAction(label).triggered.connect(
                lambda _=False, f=fmt: self._guard(lambda: self.export_dialog(f)))
        self.buttons["export"].setMenu(menu)
        export_button = bar.widgetForAction(self.buttons["export"])
        if isinstance(export_button, QToolButton):
            export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        layout.addWidget(bar)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.grid = ShotGrid()
        self.grid.moved.connect(lambda shot, index: self._guard(lambda: self.move_shot(shot, index)))
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid)
        layout.addWidget(self.scroll, 1)
        self.timeline = TimelineStrip()
        self.timeline.shot_clicked.connect(self.scroll_to_shot)
        layout.addWidget(self.timeline)
        self.empty = QLabel("No board yet: make one with “New board…” or “Import script…” "
                            "(Fountain, a plain list, or CSV).")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty)
        self.set_project(project)

    # -- core -----------------------------------------------------------------------------

    @property
    def boards(self) -> Boards:
        from genloom.core.boards import boards_of

        return boards_of(self.project)

    def set_project(self, project: Project) -> None:
        self.project = project
        self._relay.attach(project)
        self.board_id = None
        self.reload_boards()

    def reload_boards(self, select: int | None = None) -> None:
        boards = self.boards.all()
        wanted = select if select is not None else self.board_id
        self.picker.blockSignals(True)
        self.picker.clear()
        for board in boards:
            self.picker.addItem(board.name, board.id)
        ids = [b.id for b in boards]
        if wanted not in ids:
            wanted = ids[-1] if ids else None
        if wanted is not None:
            self.picker.setCurrentIndex(ids.index(wanted))
        self.picker.blockSignals(False)
        self.board_id = wanted
        self.refresh()

    def _on_pick(self, index: int) -> None:
        self.board_id = self.picker.itemData(index)
        self.refresh()

    def _on_board_changed(self, board_id: int) -> None:
        known = [self.picker.itemData(i) for i in range(self.picker.count())]
        if board_id not in known or board_id == self.board_id:
            self.reload_boards()

    def refresh(self) -> None:
        """Rebuild the cards and the strip from core."""
        has = self.board_id is not None
        self.empty.setVisible(not has)
        self.scroll.setVisible(has)
        self.timeline.setVisible(has)
        for key in ("add", "generate", "cut", "play", "export", "undo"):
            self.buttons[key].setEnabled(has)
        if not has:
            self.grid.set_cards([])
            self.timeline.set_shots([])
            self.summary.setText("")
            return
        assert self.board_id is not None
        board = self.boards.get(self.board_id)
        shots = self.boards.shots(self.board_id)
        cards = []
        for shot in shots:
            card = ShotCard(shot, self.project, self._thumbs, self._camera_moves)
            card.edited.connect(lambda shot_id, values: self._guard(
                lambda: self.boards.update_shot(shot_id, **values)))
            card.take_selected.connect(lambda take_id: self._guard(
                lambda: self.boards.select_take(take_id)))
            card.generate_requested.connect(lambda shot_id: self._guard(
                lambda: self.generate([shot_id])))
            cards.append(card)
        self.grid.set_cards(cards)
        self.timeline.set_shots(shots)
        minutes, seconds = divmod(board.duration, 60)
        history = self.boards.history(self.board_id)
        self.buttons["undo"].setEnabled(bool(history))
        self.buttons["undo"].setToolTip(f"Undo {history[0]}" if history else "Nothing to undo")
        self.buttons["play"].setEnabled(bool(self.boards.cuts(self.board_id)))
        self.summary.setText(f"{len(shots)} shots · {int(minutes)}:{seconds:04.1f} · style: "
                             f"{board.style.image_generator or 'default image generator'}, seed "
                             f"{board.style.seed_policy}")

    def card(self, shot_id: int) -> ShotCard:
        return next(c for c in self.grid.cards if c.shot.id == shot_id)

    # -- actions ----------------------------------------------------------------------------

    def _guard(self, action: Callable[[], object]) -> None:
        from genloom.sdk.errors import GenloomError

        try:
            action()
        except (GenloomError, OSError, ValueError, LookupError) as exc:
            QMessageBox.warning(self, "Storyboard", app_message(exc))

    def new_board(self, name: str | None = None) -> None:
        if name is None:
            name, ok = QInputDialog.getText(self, "New board", "Name of the board:")
            if not ok:
                return
        board = self.boards.create(name)
        self.reload_boards(select=board.id)

    def import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a script", "",
                                              "Scripts (*.fountain *.spmd *.txt *.csv);;All files (*)")
        if path:
            self.import_script(Path(path))

    def import_script(self, path: Path) -> None:
        from genloom.core.boards.script import import_script

        board_id, ids = import_script(self.boards, path)
        self.reload_boards(select=board_id)
        self.status.emit(f"{len(ids)} shots imported from {path.name}")

    def add_shot(self) -> None:
        if self.board_id is not None:
            self.boards.add_shot(self.board_id, description="")

    def move_shot(self, shot_id: int, index: int) -> None:
        self.boards.move_shot(shot_id, index)

    def undo(self) -> None:
        if self.board_id is not None:
            label = self.boards.undo(self.board_id)
            self.status.emit(f"Undid: {label}" if label else "Nothing to undo")

    def _running_engine(self) -> Engine:
        from genloom.core.boards.takes import follow

        engine = self._engine()
        if engine is None:
            raise RuntimeError("the job engine is not running; start it from the queue")
        if id(engine) not in self._followed:  # keyframes are followed by their motion clips
            self._followed.add(id(engine))
            follow(engine, self.boards)
        return engine

    def generate(self, shot_ids: list[int] | None) -> None:
        from genloom.core.boards.takes import queue_takes

        if self.board_id is None:
            return
        engine = self._running_engine()
        jobs = queue_takes(engine, self.boards, self.board_id, shot_ids)  # core picks the tracks
        self.status.emit(f"{len(jobs)} take jobs queued")

    def draft_cut(self) -> None:
        from genloom.core.boards.cut import queue_cut

        if self.board_id is not None:
            job = queue_cut(self._running_engine(), self.boards, self.board_id)
            self.status.emit(f"Draft cut queued (job {job.id})")

    def export_dialog(self, fmt: str) -> None:
        from genloom.core.boards.exchange import EXPORT_FORMATS

        suffix = EXPORT_FORMATS[fmt][1]
        filters = "PNG (*.png);;PDF (*.pdf)" if fmt == "contact-sheet" else f"*{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, "Export the board", "", filters)
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> Path:
        from genloom.core.boards.exchange import export_board
        from genloom.core.boards.timeline import board_timeline

        assert self.board_id is not None
        written = export_board(board_timeline(self.boards, self.board_id), path, fmt)
        self.status.emit(f"Exported {written}")
        return written

    def play_cut(self) -> QDialog | None:
        """Open the newest draft cut in a player."""
        from genloom._qt.viewers import viewer_for

        if self.board_id is None:
            return None
        cuts = self.boards.cuts(self.board_id)
        if not cuts:
            self.status.emit("No draft cut yet: make one with “Draft cut”")
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Draft cut — {self.boards.get(self.board_id).name}")
        dialog.resize(800, 520)
        box = QVBoxLayout(dialog)
        player = viewer_for("video", dialog)
        box.addWidget(player)
        load = getattr(player, "load", None)
        if load is not None:
            load(self.project.verified_path(cuts[-1]))
        dialog.show()
        return dialog

    def scroll_to_shot(self, shot_id: int) -> None:
        self.scroll.ensureWidgetVisible(self.card(shot_id))
