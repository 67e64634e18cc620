"""Audio pictures for the inspector: a spectrogram, and MIDI as a piano roll.

Both are computed in a pool thread (numpy; soundfile or the ``wave`` module for audio,
mido for MIDI, imported there) and drawn with the play position; clicking seeks.
:class:`MidiViewer` shows a MIDI asset's piano roll and plays the audio its job rendered
from it (the WAV beside it), through the same player as any audio asset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

__all__ = ["MidiViewer", "PianoRollWidget", "SpectrogramWidget", "midi_notes",
           "read_samples", "spectrogram"]

log = logging.getLogger(__name__)

FFT_SIZE = 1024
MAX_SECONDS = 20 * 60


def read_samples(path: Path, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Mono float samples and the rate of a sound file (WAV by ``wave``, other formats by
    soundfile when installed)."""
    if path.suffix.lower() in (".wav", ".wave"):
        import wave

        from genloom._qt.thumbnails import _pcm_to_float

        with wave.open(str(path), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            frames = min(wav.getnframes(), int(max_seconds * rate))
            data = _pcm_to_float(wav.readframes(frames), width)
        return data.reshape(-1, channels).mean(axis=1), rate
    import soundfile

    with soundfile.SoundFile(str(path)) as f:
        data = f.read(frames=int(max_seconds * f.samplerate), dtype="float32", always_2d=True)
        return data.mean(axis=1), int(f.samplerate)


def spectrogram(samples: np.ndarray, rate: int, columns: int = 600,
                rows: int = 160) -> np.ndarray:
    """A ``rows x columns`` log-magnitude spectrogram in 0..1 (low frequencies at the
    bottom row), frequencies on a log scale from 40 Hz to Nyquist."""
    if len(samples) < FFT_SIZE:
        samples = np.pad(samples, (0, FFT_SIZE - len(samples)))
    hop = max(1, (len(samples) - FFT_SIZE) // max(1, columns - 1))
    starts = np.arange(0, len(samples) - FFT_SIZE + 1, hop)[:columns]
    window = np.hanning(FFT_SIZE).astype(np.float32)
    frames = np.stack([samples[s:s + FFT_SIZE] * window for s in starts])
    magnitude = np.abs(np.fft.rfft(frames, axis=1)).T  # bins x columns
    freqs = np.fft.rfftfreq(FFT_SIZE, 1 / rate)
    wanted = np.geomspace(40.0, rate / 2, rows)
    index = np.clip(np.searchsorted(freqs, wanted), 0, len(freqs) - 1)
    db = 20 * np.log10(magnitude[index] + 1e-6)
    top = float(db.max()) if db.size else 0.0
    return np.clip((db - (top - 80.0)) / 80.0, 0.0, 1.0)[::-1]


def midi_notes(path: Path) -> tuple[list[tuple[float, float, int, int]], float]:
    """(start s, end s, pitch, channel) of every note of a MIDI file, and its length."""
    import mido

    midi = mido.MidiFile(str(path))
    notes: list[tuple[float, float, int, int]] = []
    started: dict[tuple[int, int], float] = {}
    now = 0.0
    for msg in midi:
        now += msg.time
        if now > MAX_SECONDS:
            break
        if msg.type == "note_on" and msg.velocity > 0:
            started[(msg.channel, msg.note)] = now
        elif msg.type in ("note_on", "note_off") and (msg.channel, msg.note) in started:
            notes.append((started.pop((msg.channel, msg.note)), now, msg.note, msg.channel))
    return notes, now


class _Relay(QObject):
    done = Signal(object, object, str)  # job, result | None, error


class _Job:
    """Runs ``compute(path)`` in a pool thread; the owner keeps it until done."""

    def __init__(self, path: Path, compute: Callable[[Path], Any], relay: _Relay) -> None:
        self.path, self.compute, self.relay = path, compute, relay

    def __call__(self) -> None:
        try:
            self.relay.done.emit(self, self.compute(self.path), "")
        except Exception as exc:  # shown in the widget
            self.relay.done.emit(self, None, f"{type(exc).__name__}: {exc}")


class _PositionPicture(QWidget):
    """A picture with a play-position line; click or drag to seek."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._position = 0.0
        self._message = ""
        self.setMinimumHeight(80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to seek")

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(400, 140)

    def set_position(self, fraction: float) -> None:
        self._position = min(1.0, max(0.0, fraction))
        self.update()

    def position(self) -> float:
        return self._position

    def set_message(self, message: str) -> None:
        self._message = message
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self.width() > 0:
            self.seek_requested.emit(min(1.0, max(0.0, event.position().x() / self.width())))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.buttons() & Qt.MouseButton.LeftButton and self.width() > 0:
            self.seek_requested.emit(min(1.0, max(0.0, event.position().x() / self.width())))

    def paint_picture(self, painter: QPainter) -> bool:
        """Draw the picture; False when there is none (the message is drawn)."""
        return False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 32, 38))
        if not self.paint_picture(painter):
            painter.setPen(QColor(160, 166, 176))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter,
                             self._message or "Nothing to show")
        painter.setPen(QPen(QColor(255, 196, 46), 2))
        x = self._position * self.width()
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        painter.end()


class SpectrogramWidget(_PositionPicture):
    """A log-frequency spectrogram of a sound file (computed in a pool thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._jobs: list[_Job] = []
        self._path: Path | None = None

    def load(self, path: Path) -> None:
        self._path, self.image = Path(path), None
        self.set_message("Computing the spectrogram…")
        job = _Job(self._path, _spectrogram_of, self._relay)
        self._jobs.append(job)
        QThreadPool.globalInstance().start(job)

    def clear(self) -> None:
        self._path, self.image = None, None
        self.set_message("")

    def _on_done(self, job: _Job, result: np.ndarray | None, error: str) -> None:
        self._jobs.remove(job)
        if job.path != self._path:
            return
        if result is None:
            log.warning("spectrogram of %s failed: %s", job.path, error)
            self.set_message(f"No spectrogram: {error}")
            return
        self.image = _heat_image(result)
        self.update()

    def paint_picture(self, painter: QPainter) -> bool:
        if self.image is None:
            return False
        painter.drawImage(QRectF(self.rect()), self.image)
        return True


def _spectrogram_of(path: Path) -> np.ndarray:
    samples, rate = read_samples(path)
    return spectrogram(samples, rate)


def _heat_image(values: np.ndarray) -> QImage:
    """0..1 values as a dark-blue-to-yellow image."""
    v = values[..., None]
    low, mid, high = np.array([20, 22, 40]), np.array([170, 60, 140]), np.array([255, 220, 90])
    rgb = np.where(v < 0.5, low + (mid - low) * (v * 2), mid + (high - mid) * (v * 2 - 1))
    pixels = np.ascontiguousarray(rgb.astype(np.uint8))
    height, width = pixels.shape[:2]
    return QImage(pixels.data, width, height, width * 3, QImage.Format.Format_RGB888).copy()


class PianoRollWidget(_PositionPicture):
    """MIDI notes as bars: time left to right, pitch bottom to top."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes: list[tuple[float, float, int, int]] = []
        self.length = 0.0
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._jobs: list[_Job] = []
        self._path: Path | None = None

    def load(self, path: Path) -> None:
        self._path, self.notes = Path(path), []
        self.set_message("Reading the notes…")
        job = _Job(self._path, midi_notes, self._relay)
        self._jobs.append(job)
        QThreadPool.globalInstance().start(job)

    def _on_done(self, job: _Job, result: Any, error: str) -> None:
        self._jobs.remove(job)
        if job.path != self._path:
            return
        if result is None:
            log.warning("piano roll of %s failed: %s", job.path, error)
            self.set_message(f"Not a readable MIDI file: {error}")
            return
        self.notes, self.length = result
        self.set_message("" if self.notes else "No notes")
        self.update()

    def paint_picture(self, painter: QPainter) -> bool:
        if not self.notes or self.length <= 0:
            return False
        low = min(n[2] for n in self.notes) - 2
        high = max(n[2] for n in self.notes) + 2
        row = self.height() / max(1, high - low)
        scale = self.width() / self.length
        colours = [QColor(104, 164, 255), QColor(255, 140, 90), QColor(120, 220, 140)]
        for start, end, pitch, channel in self.notes:
            painter.fillRect(QRectF(start * scale, self.height() - (pitch - low + 1) * row,
                                    max(2.0, (end - start) * scale - 1), max(2.0, row - 1)),
                             colours[channel % len(colours)])
        return True


class MidiViewer(QWidget):
    """A MIDI asset: its piano roll, and the audio rendered from it (by the job that made
    it, or by ``audio.render_midi``) played in step."""

    def __init__(self, parent: QWidget | None = None, *, volume: float = 1.0) -> None:
        from genloom._qt.viewers_media import AudioViewer

        super().__init__(parent)
        self.roll = PianoRollWidget()
        self.audio = AudioViewer(volume=volume, pictures=False)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.roll, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.audio)
        self.roll.seek_requested.connect(self.audio.seek_fraction)
        self.audio.position_changed.connect(self.roll.set_position)

    def load(self, path: Path, rendered: Path | None = None) -> None:
        """Show the MIDI file's notes; ``rendered`` is its audio (the WAV its job made)."""
        self.roll.load(Path(path))
        if rendered is not None:
            self.audio.load(rendered)
            self.audio.setEnabled(True)
            self.note.setText("")
        else:
            self.audio.clear_view()
            self.audio.setEnabled(False)
            self.note.setText("No audio was rendered from this MIDI file yet: render it "
                              "with Render MIDI (audio.render_midi), or export it to a DAW.")

    def clear_view(self) -> None:
        self.audio.clear_view()
