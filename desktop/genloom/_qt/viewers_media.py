"""Audio and video players (QtMultimedia; the PySide6 wheels use its FFmpeg backend).

Each player has a ``QAudioOutput`` attached, as QMediaPlayer needs one to play
sound (pass ``volume=0`` in tests). Errors from the player are shown in the
viewer. The audio viewer draws the waveform (computed from WAV files in a pool
thread) and a spectrogram (:mod:`genloom._qt.viewers_audio`, any format soundfile reads)
with a line at the play position; clicking either seeks; the loop button repeats.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QThreadPool, QUrl, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from genloom._qt.thumbnails import wav_envelope

__all__ = ["AudioViewer", "MediaControls", "VideoViewer", "WaveformWidget"]

log = logging.getLogger(__name__)

WAVEFORM_COLUMNS = 1200


def format_ms(ms: int) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a time in milliseconds."""
    seconds = max(0, int(ms)) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class MediaControls(QWidget):
    """Play/pause, a position slider and the time, driving a ``QMediaPlayer``.

    Dragging the slider seeks (scrubbing); the slider follows playback otherwise.
    """

    def __init__(self, player: QMediaPlayer, parent: QWidget | None = None, *,
                 slider: bool = True, loop: bool = False) -> None:
        super().__init__(parent)
        self._player = player
        self.play_button = QToolButton()
        self.play_button.setToolTip("Play/pause (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setVisible(slider)
        self.slider.sliderMoved.connect(player.setPosition)
        self.slider.sliderPressed.connect(lambda: player.setPosition(self.slider.value()))
        self.time_label = QLabel("0:00 / 0:00")
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #e06c75;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        if not slider:
            row.addStretch(1)
        row.addWidget(self.time_label)
        self.loop_button = QToolButton()
        self.loop_button.setText("Loop")
        self.loop_button.setCheckable(True)
        self.loop_button.setToolTip("Play again from the start at the end (L)")
        self.loop_button.setShortcut(Qt.Key.Key_L)
        self.loop_button.toggled.connect(
            lambda on: player.setLoops(QMediaPlayer.Loops.Infinite if on else 1))
        self.loop_button.setVisible(loop)
        self.loop_button.setEnabled(loop)  # the video viewer has a loop button of its own
        row.addWidget(self.loop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        player.durationChanged.connect(self._on_duration)
        player.positionChanged.connect(self._on_position)
        player.playbackStateChanged.connect(self._on_state)
        player.errorOccurred.connect(self._on_error)
        self._on_state(player.playbackState())

    def toggle(self) -> None:
        """Play, or pause when playing."""
        if self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self._player.pause()
        else:
            self._player.play()

    def reset(self) -> None:
        """Forget the last error and position."""
        self.error_label.hide()
        self.slider.setRange(0, 0)
        self.time_label.setText("0:00 / 0:00")

    def _on_duration(self, duration: int) -> None:
        self.slider.setRange(0, max(0, duration))
        self._on_position(self._player.position())

    def _on_position(self, position: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(position)
        self.time_label.setText(f"{format_ms(position)} / {format_ms(self._player.duration())}")

    def _on_state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        icon = (QStyle.StandardPixmap.SP_MediaPause if playing
                else QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error != QMediaPlayer.Error.NoError:
            self.error_label.setText(f"Cannot play this file: {message or error.name}")
            self.error_label.show()


def _new_player(parent: QObject, volume: float) -> tuple[QMediaPlayer, QAudioOutput]:
    player = QMediaPlayer(parent)
    output = QAudioOutput(parent)
    output.setVolume(volume)
    player.setAudioOutput(output)
    return player, output


class _EnvelopeRelay(QObject):
    done = Signal(object, object, str)  # job, envelope | None, error


class _EnvelopeJob:
    """Computes a WAV envelope in a pool thread; the viewer keeps it until done."""

    def __init__(self, path: Path, columns: int, relay: _EnvelopeRelay) -> None:
        self.path, self.columns, self.relay = path, columns, relay

    def __call__(self) -> None:
        try:
            self.relay.done.emit(self, wav_envelope(self.path, self.columns), "")
        except Exception as exc:  # shown in the waveform widget
            self.relay.done.emit(self, None, f"{type(exc).__name__}: {exc}")


class WaveformWidget(QWidget):
    """A min/max waveform with the play position; click or drag to seek."""

    seek_requested = Signal(float)  # fraction 0..1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._envelope: np.ndarray | None = None
        self._position = 0.0
        self._message = ""
        self.setMinimumHeight(80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to seek")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(400, 140)

    def set_envelope(self, envelope: np.ndarray | None, message: str = "") -> None:
        """Show ``envelope`` (N x (min, max)), or ``message`` when there is none."""
        self._envelope, self._message = envelope, message
        self.update()

    def set_position(self, fraction: float) -> None:
        """Move the position line (0..1)."""
        self._position = min(1.0, max(0.0, fraction))
        self.update()

    def position(self) -> float:
        """The position line, 0..1."""
        return self._position

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self.width() > 0:
            self.seek_requested.emit(min(1.0, max(0.0, event.position().x() / self.width())))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton and self.width() > 0:
            self.seek_requested.emit(min(1.0, max(0.0, event.position().x() / self.width())))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 32, 38))
        width, height = self.width(), self.height()
        middle = height / 2
        if self._envelope is not None and len(self._envelope):
            columns = len(self._envelope)
            index = np.minimum((np.arange(width) * columns / max(1, width)).astype(int),
                               columns - 1)
            lows, highs = self._envelope[index, 0], self._envelope[index, 1]
            played = int(self._position * width)
            for x in range(width):
                painter.setPen(QColor(104, 164, 255) if x < played else QColor(120, 140, 170))
                painter.drawLine(QPointF(x + 0.5, middle - float(highs[x]) * middle * 0.9),
                                 QPointF(x + 0.5, middle - float(lows[x]) * middle * 0.9 + 1))
        else:
            painter.setPen(QColor(160, 166, 176))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter,
                             self._message or "No waveform")
        painter.setPen(QPen(QColor(255, 196, 46), 2))
        x = self._position * width
        painter.drawLine(QPointF(x, 0), QPointF(x, height))
        painter.end()


class AudioViewer(QWidget):
    """An audio player: waveform and spectrogram with position and click-to-seek,
    play/pause, loop, time. ``pictures=False`` leaves the pictures out (the MIDI viewer
    shows its piano roll instead and follows :attr:`position_changed`)."""

    position_changed = Signal(float)  # fraction 0..1

    def __init__(self, parent: QWidget | None = None, *, volume: float = 1.0,
                 pictures: bool = True) -> None:
        from genloom._qt.viewers_audio import SpectrogramWidget

        super().__init__(parent)
        self.player, self.audio_output = _new_player(self, volume)
        self.waveform = WaveformWidget()
        self.spectrogram = SpectrogramWidget()
        self.controls = MediaControls(self.player, slider=not pictures, loop=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.waveform, 1)
        layout.addWidget(self.spectrogram, 1)
        layout.addWidget(self.controls)
        self.waveform.setVisible(pictures)
        self.spectrogram.setVisible(pictures)
        self._pictures = pictures
        self.waveform.seek_requested.connect(self.seek_fraction)
        self.spectrogram.seek_requested.connect(self.seek_fraction)
        self.player.positionChanged.connect(self._follow)
        self._relay = _EnvelopeRelay()
        self._relay.done.connect(self._on_envelope)
        self._jobs: list[_EnvelopeJob] = []  # kept until their result arrives
        self._path: Path | None = None

    def load(self, path: Path) -> None:
        """Open the audio file at ``path`` (paused at the start) and draw its waveform."""
        self.player.stop()
        self.controls.reset()
        self._path = Path(path)
        self.waveform.set_position(0.0)
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.spectrogram.set_position(0.0)
        if self._pictures:
            self.spectrogram.load(self._path)
        if not self._pictures:
            pass
        elif self._path.suffix.lower() in (".wav", ".wave"):
            self.waveform.set_envelope(None, "Reading the waveform…")
            job = _EnvelopeJob(self._path, WAVEFORM_COLUMNS, self._relay)
            self._jobs.append(job)
            QThreadPool.globalInstance().start(job)
        else:
            self.waveform.set_envelope(None, f"No waveform for {self._path.suffix} files")

    def clear_view(self) -> None:
        """Stop and show nothing."""
        self.player.stop()
        self.player.setSource(QUrl())
        self._path = None
        self.waveform.set_envelope(None, "")
        self.spectrogram.clear()

    def seek_fraction(self, fraction: float) -> None:
        """Jump to ``fraction`` (0..1) of the duration."""
        duration = self.player.duration()
        self.waveform.set_position(fraction)
        self.spectrogram.set_position(fraction)
        self.position_changed.emit(fraction)
        if duration > 0:
            self.player.setPosition(int(fraction * duration))

    def _follow(self, position: int) -> None:
        duration = self.player.duration()
        if duration > 0:
            self.waveform.set_position(position / duration)
            self.spectrogram.set_position(position / duration)
            self.position_changed.emit(position / duration)

    def _on_envelope(self, job: _EnvelopeJob, envelope: np.ndarray | None, error: str) -> None:
        self._jobs.remove(job)
        if job.path != self._path:
            return  # another file was opened meanwhile
        if envelope is None:
            log.warning("waveform of %s failed: %s", job.path, error)
            self.waveform.set_envelope(None, f"No waveform: {error}")
        else:
            self.waveform.set_envelope(envelope)

    def wait_for_jobs(self, timeout_ms: int = 10_000) -> bool:
        """Wait for waveform jobs (tests, shutdown)."""
        return QThreadPool.globalInstance().waitForDone(timeout_ms)


class VideoViewer(QWidget):
    """A video player: picture, play/pause, a position slider that scrubs, time, a frame
    step either way, loop, and "first/last frame as an image" (``frame_requested``)."""

    #: "first" or "last": the user asked for that frame of the clip as an image asset.
    frame_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, volume: float = 1.0) -> None:
        super().__init__(parent)
        self.player, self.audio_output = _new_player(self, volume)
        self.video_widget = QVideoWidget()
        self.video_widget.setMinimumSize(160, 90)
        self.player.setVideoOutput(self.video_widget)
        self.controls = MediaControls(self.player)
        self.frame_ms = 1000 / 24
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.back_button = self._tool("◀|", "One frame back", lambda: self.step(-1))
        self.forward_button = self._tool("|▶", "One frame forward", lambda: self.step(1))
        self.loop_button = self._tool("⟲", "Loop", self._apply_loop)
        self.loop_button.setCheckable(True)
        self.first_button = self._tool("First frame → image", "Store the first frame as an image asset",
                                       lambda: self.frame_requested.emit("first"))
        self.last_button = self._tool("Last frame → image", "Store the last frame as an image asset "
                                      "(to start the next shot from)", lambda: self.frame_requested.emit("last"))
        for button in (self.back_button, self.forward_button, self.loop_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.first_button)
        row.addWidget(self.last_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video_widget, 1)
        layout.addWidget(self.controls)
        layout.addLayout(row)

    def _tool(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _apply_loop(self) -> None:
        self.player.setLoops(QMediaPlayer.Loops.Infinite if self.loop_button.isChecked() else QMediaPlayer.Loops.Once)

    def step(self, frames: int) -> None:
        """Pause and move ``frames`` frames (negative: back), within the clip."""
        self.player.pause()
        duration = self.player.duration()
        target = self.player.position() + round(frames * self.frame_ms)
        self.player.setPosition(max(0, min(target, duration if duration > 0 else target)))

    def load(self, path: Path) -> None:
        """Open the video at ``path``, paused on its first frame."""
        from genloom.sdk.video import VideoError, probe

        self.player.stop()
        self.controls.reset()
        try:
            self.frame_ms = 1000 / float(probe(path).fps)
        except (VideoError, OSError):
            self.frame_ms = 1000 / 24  # the player shows its own error for a file it cannot read
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self._apply_loop()

    def clear_view(self) -> None:
        """Stop and show nothing."""
        self.player.stop()
        self.player.setSource(QUrl())
