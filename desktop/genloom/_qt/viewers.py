"""One viewer per asset kind, and :func:`viewer_for` to make the right one.

Every viewer is a ``QWidget`` with ``load(path)`` (raises ``OSError`` or
``ValueError`` when the file cannot be shown) and ``clear_view()`` (which
also stops playback).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from genloom._qt.viewers_image import ImageViewer
from genloom._qt.viewers_text import CodeViewer, TextViewer

# The media viewers pull in QtMultimedia and numpy, which cost about a tenth of
# a second at start-up; they are imported when an audio or video asset is shown.
_MEDIA = ("AudioViewer", "VideoViewer")
#: Suffixes shown by the MIDI viewer (a piano roll) rather than the audio player.
MIDI_SUFFIXES = (".mid", ".midi")


def __getattr__(name: str) -> object:
    if name in _MEDIA:
        from genloom._qt import viewers_media

        return getattr(viewers_media, name)
    if name in _MIDI:
        from genloom._qt import viewers_audio

        return viewers_audio.MidiViewer
    raise AttributeError(name)


def viewer_key(kind: str, suffix: str) -> str:
    """Which viewer shows an asset: its kind, or ``"midi"`` for a MIDI file."""
    return "midi" if kind == "audio" and suffix.lower() in MIDI_SUFFIXES else kind

_MIDI = ("MidiViewer",)
__all__ = ["MIDI_SUFFIXES", "AssetViewer", "CodeViewer", "ImageViewer", "TextViewer",
           "viewer_for", "viewer_key", *_MEDIA, *_MIDI]


class AssetViewer(Protocol):
    """What the inspector needs of a viewer."""

    def load(self, path: object) -> None: ...

    def clear_view(self) -> None: ...


def viewer_for(kind: str, parent: QWidget | None = None, *, volume: float = 1.0) -> QWidget:
    """A new viewer for assets of ``kind`` (or ``"midi"``, see :func:`viewer_key`);
    ``volume`` (0..1) for audio and video."""
    if kind == "midi":
        try:
            from genloom._qt.viewers_audio import MidiViewer
        except ImportError as exc:
            return MediaUnavailable("audio", str(exc), parent)
        return MidiViewer(parent, volume=volume)
    if kind == "image":
        return ImageViewer(parent)
    if kind in ("audio", "video"):
        try:
            from genloom._qt.viewers_media import AudioViewer, VideoViewer
        except ImportError as exc:  # QtMultimedia cannot load (a system library is missing)
            return MediaUnavailable(kind, str(exc), parent)
        return (AudioViewer if kind == "audio" else VideoViewer)(parent, volume=volume)
    if kind == "code":
        return CodeViewer(parent)
    if kind == "text":
        return TextViewer(parent)
    raise ValueError(f"kind: {kind!r} has no viewer; use image, audio, video, text or code")


class MediaUnavailable(QLabel):
    """Stands in for the audio or video player when QtMultimedia cannot load: says
    what to install; everything else in the app works as usual."""

    def __init__(self, kind: str, error: str, parent: QWidget | None = None) -> None:
        from genloom.core.system_libs import install_hint

        super().__init__(parent)
        self.kind = kind
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setText(f"Playing {kind} needs Qt's multimedia module, which could not load: "
                     f"{install_hint(error)}, then restart Genloom.\n\n({error})")

    def load(self, path: object) -> None:
        """Nothing plays; the message stays (the asset's file and recipe are unaffected)."""

    def clear_view(self) -> None:
        """Nothing to stop."""
