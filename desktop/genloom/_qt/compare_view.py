"""The compare view: two to four assets side by side, and "Prefer this one".

Which assets can be compared is core's rule (``check_comparable``); a preference is
stored by core (``judgements_of(project).record``). Per kind:

- images: one ``ImageViewer`` per pane, zoom and pan kept in step (each change in one
  pane centres the others on the same scene point at the same scale);
- audio: a waveform per pane and one player for all; "Listen" switches the source and
  keeps the position (A/B), so the same moment is heard from each;
- text and code: each pane's lines that differ from the first pane's are highlighted
  (difflib), the first pane marking what the others changed;
- video: one player per pane and one transport: play, pause and seek act on all.
"""

from __future__ import annotations

import difflib
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.thumbnails import wav_envelope
from genloom._qt.viewers_image import ImageViewer
from genloom._qt.viewers_media import WaveformWidget
from genloom._qt.widgets import resize_within_screen
from genloom.core.evaluation.judgements import check_comparable, judgements_of, settings_of

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project

__all__ = ["CompareDialog", "CompareView", "changed_lines", "open_compare"]

_LETTERS = "ABCD"
_ADDED = QColor(46, 160, 67, 70)
_REMOVED = QColor(218, 54, 51, 70)
_TEXT_LIMIT = 200_000


def changed_lines(reference: list[str], other: list[str]) -> tuple[set[int], set[int]]:
    """Line numbers that differ: (in ``reference``, in ``other``)."""
    left: set[int] = set()
    right: set[int] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, reference, other,
                                                       autojunk=False).get_opcodes():
        if tag != "equal":
            left.update(range(i1, i2))
            right.update(range(j1, j2))
    return left, right


class _Pane(QFrame):
    """One asset: a caption, its content and the "Prefer this one" button."""

    def __init__(self, letter: str, asset: Asset, setting: str, content: QWidget) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.content = content
        caption = QLabel(f"<b>{letter}</b> · #{asset.id} · {asset.generator_id or 'imported'}"
                         + (f" · {asset.model_id}" if asset.model_id else "")
                         + (f"<br><span>{setting}</span>" if setting else ""))
        caption.setTextFormat(Qt.TextFormat.RichText)
        caption.setWordWrap(True)
        self.prefer_button = QPushButton(f"Prefer {letter}")
        self.prefer_button.setToolTip("Record that you prefer this one to the others")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(caption)
        layout.addWidget(content, 1)
        layout.addWidget(self.prefer_button)


class CompareView(QWidget):
    """Assets of one kind side by side, with a preference recorded through core.

    Raises ``JudgementError`` (core's message) when the assets cannot be compared.
    """

    #: A judgement was stored (its id).
    preference_recorded = Signal(int)

    def __init__(self, project: Project, asset_ids: list[int], parent: QWidget | None = None,
                 *, volume: float = 1.0) -> None:
        super().__init__(parent)
        self._volume = volume
        self.project = project
        self.assets = [project.get_asset(asset_id) for asset_id in asset_ids]
        check_comparable(self.assets)
        self.kind = self.assets[0].kind
        self._syncing = False
        self.players: list[QMediaPlayer] = []
        self._outputs: list[QAudioOutput] = []
        self.active = 0
        self._pending_position: int | None = None
        self.listen_buttons: list[QPushButton] = []
        self.waveforms: list[WaveformWidget] = []
        settings = settings_of(self.assets)
        row = QHBoxLayout()
        self.panes: list[_Pane] = []
        for n, asset in enumerate(self.assets):
            label = ", ".join(f"{k}={v}" for k, v in sorted(settings[n].items()))
            pane = _Pane(_LETTERS[n], asset, label, self._content(n, asset))
            pane.prefer_button.clicked.connect(lambda _=False, a=asset.id: self.prefer(a))
            self.panes.append(pane)
            row.addWidget(pane, 1)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Why (optional)")
        self.tie_button = QPushButton("Tie")
        self.tie_button.setToolTip("Record that none is better than the others")
        self.tie_button.clicked.connect(lambda: self.prefer(None))
        self.status = QLabel("")
        self.status.setObjectName("dim")
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.tie_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        transport = self._transport()
        if transport is not None:
            layout.addWidget(transport)
        layout.addLayout(bottom)
        layout.addWidget(self.status)
        if self.kind in ("text", "code"):
            self._mark_differences()

    # -- content per kind ------------------------------------------------------------

    def _content(self, n: int, asset: Asset) -> QWidget:
        path = self.project.verified_path(asset)
        if self.kind == "image":
            viewer = ImageViewer()
            viewer.load(path)
            viewer.horizontalScrollBar().valueChanged.connect(lambda _v, s=viewer: self._sync(s))
            viewer.verticalScrollBar().valueChanged.connect(lambda _v, s=viewer: self._sync(s))
            viewer.zoom_changed.connect(lambda _z, s=viewer: self._sync(s))
            return viewer
        if self.kind in ("text", "code"):
            edit = QPlainTextEdit()
            edit.setReadOnly(True)
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap if self.kind == "code"
                                 else QPlainTextEdit.LineWrapMode.WidgetWidth)
            if self.kind == "code":
                edit.setFont(QFont("monospace"))
            edit.setPlainText(Path(path).read_text(encoding="utf-8", errors="replace")[:_TEXT_LIMIT])
            return edit
        if self.kind == "video":
            from PySide6.QtMultimediaWidgets import QVideoWidget

            widget = QVideoWidget()
            widget.setMinimumSize(160, 90)
            player = self._player()
            player.setVideoOutput(widget)
            player.setSource(QUrl.fromLocalFile(str(path)))
            return widget
        # audio: the panes share one player; each pane switches it to its clip
        if not self.players:
            self._player()
        waveform = WaveformWidget()
        try:
            waveform.set_envelope(wav_envelope(path, 600))
        except (OSError, EOFError, wave.Error):
            waveform.set_envelope(None, f"no waveform for {path.suffix} files")
        waveform.seek_requested.connect(self._seek_fraction)
        button = QPushButton(f"Listen to {_LETTERS[n]}")
        button.setCheckable(True)
        button.setChecked(n == 0)
        button.clicked.connect(lambda _=False, k=n: self.listen(k))
        self.listen_buttons.append(button)
        self.waveforms.append(waveform)
        if n == 0:
            self.players[0].setSource(QUrl.fromLocalFile(str(path)))
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(waveform, 1)
        column.addWidget(button)
        return box

    def _player(self) -> QMediaPlayer:
        player = QMediaPlayer(self)
        output = QAudioOutput(self)
        output.setVolume(self._volume)
        player.setAudioOutput(output)  # QMediaPlayer needs one to play sound
        self.players.append(player)
        self._outputs.append(output)
        return player

    def set_volume(self, volume: float) -> None:
        for output in self._outputs:
            output.setVolume(volume)

    # -- images: zoom and pan in step ------------------------------------------------------

    def viewers(self) -> list[ImageViewer]:
        return [p.content for p in self.panes if isinstance(p.content, ImageViewer)]

    def _sync(self, source: ImageViewer) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            zoom = source.zoom()
            centre = source.mapToScene(source.viewport().rect().center())
            for viewer in self.viewers():
                if viewer is not source:
                    viewer.follow_view(zoom, centre, source.is_fitted())
        finally:
            self._syncing = False

    # -- audio: A/B at the same position ---------------------------------------------------

    def listen(self, index: int) -> None:
        """Switch the shared player to pane ``index``'s clip at the current position."""
        if self.kind != "audio" or not self.players:
            return
        player = self.players[0]
        position = player.position()
        playing = player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        self.active = index
        for n, button in enumerate(self.listen_buttons):
            button.setChecked(n == index)
        self._pending_position = position
        player.setSource(QUrl.fromLocalFile(str(self.project.verified_path(self.assets[index]))))
        player.setPosition(position)
        if playing:
            player.play()

    def _seek_fraction(self, fraction: float) -> None:
        player = self.players[0]
        if player.duration() > 0:
            player.setPosition(int(fraction * player.duration()))

    def _show_position(self, position: int) -> None:
        duration = self.players[0].duration()
        for waveform in self.waveforms:  # the same moment in every clip
            waveform.set_position(position / duration if duration > 0 else 0.0)

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        # A new source may ignore setPosition until it has loaded: seek again then.
        if status == QMediaPlayer.MediaStatus.LoadedMedia and self._pending_position is not None:
            self.players[0].setPosition(self._pending_position)
            self._pending_position = None

    # -- one transport for audio and video ----------------------------------------------

    def _transport(self) -> QWidget | None:
        if self.kind not in ("audio", "video") or not self.players:
            return None
        lead = self.players[0]
        if self.kind == "audio":
            lead.mediaStatusChanged.connect(self._on_media_status)
            lead.positionChanged.connect(self._show_position)
        widget = QWidget()
        row = QHBoxLayout(widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.play_button = QPushButton("Play")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.play_button.clicked.connect(self.toggle_play)
        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.sliderMoved.connect(self.seek)
        lead.durationChanged.connect(lambda d: self.position_slider.setRange(
            0, max([d, *(p.duration() for p in self.players)])))
        lead.positionChanged.connect(lambda p: None if self.position_slider.isSliderDown()
                                     else self.position_slider.setValue(p))
        lead.playbackStateChanged.connect(lambda s: self.play_button.setText(
            "Pause" if s == QMediaPlayer.PlaybackState.PlayingState else "Play"))
        row.addWidget(self.play_button)
        row.addWidget(self.position_slider, 1)
        return widget

    def toggle_play(self) -> None:
        """Play all (or pause all) from the same position."""
        lead = self.players[0]
        if lead.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            for player in self.players:
                player.pause()
            return
        position = lead.position()
        for player in self.players:
            player.setPosition(position)
            player.play()

    def seek(self, position: int) -> None:
        for player in self.players:
            player.setPosition(position)

    # -- text: differences -----------------------------------------------------------------

    def _mark_differences(self) -> None:
        edits = [p.content for p in self.panes if isinstance(p.content, QPlainTextEdit)]
        reference = edits[0].toPlainText().splitlines()
        removed: set[int] = set()
        for edit in edits[1:]:
            left, right = changed_lines(reference, edit.toPlainText().splitlines())
            removed |= left
            _highlight(edit, right, _ADDED)
        _highlight(edits[0], removed, _REMOVED)
        self.differences = (removed, [changed_lines(reference, e.toPlainText().splitlines())[1]
                                      for e in edits[1:]])

    # -- the judgement ------------------------------------------------------------------

    def prefer(self, asset_id: int | None) -> None:
        """Record the preference (None: a tie) through core and say so."""
        judgement = judgements_of(self.project).record([a.id for a in self.assets], asset_id,
                                                       self.note.text().strip())
        if asset_id is None:
            self.status.setText(f"Recorded a tie (judgement {judgement.id}).")
        else:
            letter = _LETTERS[[a.id for a in self.assets].index(asset_id)]
            self.status.setText(f"Recorded: {letter} (#{asset_id}) preferred "
                                f"(judgement {judgement.id}).")
        self.note.clear()
        self.preference_recorded.emit(judgement.id)

    def stop(self) -> None:
        for player in self.players:
            player.stop()


def _highlight(edit: QPlainTextEdit, lines: set[int], colour: QColor) -> None:
    selections = []
    document = edit.document()
    for line in sorted(lines):
        block = document.findBlockByNumber(line)
        if not block.isValid():
            continue
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(colour)
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.format = fmt  # type: ignore[misc]
        cursor = QTextCursor(block)
        selection.cursor = cursor  # type: ignore[misc]
        selections.append(selection)
    edit.setExtraSelections(selections)


class CompareDialog(QDialog):
    """The compare view in a window of its own."""

    def __init__(self, project: Project, asset_ids: list[int], parent: QWidget | None = None,
                 *, volume: float = 1.0) -> None:
        super().__init__(parent)
        self.view = CompareView(project, asset_ids, self, volume=volume)
        self.setWindowTitle(f"Compare {len(asset_ids)} {self.view.kind} assets")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)
        resize_within_screen(self, 1400, 820)

    def done(self, result: int) -> None:
        self.view.stop()
        super().done(result)


def open_compare(parent: QWidget, project: Project, asset_ids: list[int]) -> CompareDialog | None:
    """Open the compare dialog for ``asset_ids``, or say why they cannot be compared."""
    from genloom._qt.remedies import app_message
    from genloom.core.evaluation.judgements import JudgementError

    try:
        dialog = CompareDialog(project, asset_ids, parent)
    except (JudgementError, LookupError) as exc:
        QMessageBox.information(parent, "Cannot compare", app_message(exc))
        return None
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
