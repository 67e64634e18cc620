"""Audio in the shell: spectrogram, loop, the MIDI piano roll and its rendered audio,
waveform and piano-roll thumbnails for FLAC/OGG/MP3 and MIDI."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QPoint, Qt

from genloom._qt import viewers
from genloom._qt.thumbnails import render_thumbnail
from genloom._qt.viewers_audio import midi_notes, spectrogram


def tone_file(path: Path, seconds: float = 0.6, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(str(path), 0.3 * np.sin(2 * np.pi * 880 * t), rate)
    return path


def midi_file(path: Path, pitches: tuple[int, ...] = (60, 64, 67, 72)) -> Path:
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    for pitch in pitches:
        track.append(mido.Message("note_on", note=pitch, velocity=90, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    midi.save(str(path))
    return path


def test_spectrogram_puts_a_tone_in_its_frequency_row() -> None:
    rate = 16000
    t = np.arange(rate) / rate
    picture = spectrogram(np.sin(2 * np.pi * 1000 * t).astype(np.float32), rate, columns=50,
                          rows=100)
    assert picture.shape == (100, 50)
    wanted = np.geomspace(40.0, rate / 2, 100)
    row = 99 - int(np.argmin(np.abs(wanted - 1000)))  # low frequencies at the bottom
    assert abs(int(np.argmax(picture[:, 25])) - row) <= 2


def test_audio_viewer_shows_a_spectrogram_seeks_from_it_and_loops(qtbot, tmp_path) -> None:
    from PySide6.QtMultimedia import QMediaPlayer

    viewer = viewers.AudioViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.resize(500, 300)
    viewer.show()
    viewer.load(tone_file(tmp_path / "tone.flac"))
    qtbot.waitUntil(lambda: viewer.spectrogram.image is not None, timeout=10_000)
    qtbot.waitUntil(lambda: viewer.player.duration() > 0, timeout=10_000)
    qtbot.mouseClick(viewer.spectrogram, Qt.MouseButton.LeftButton,
                     pos=QPoint(viewer.spectrogram.width() // 4, 10))
    assert viewer.waveform.position() == pytest.approx(0.25, abs=0.02)
    assert viewer.spectrogram.position() == pytest.approx(0.25, abs=0.02)
    assert viewer.player.loops() == 1
    viewer.controls.loop_button.click()
    assert viewer.player.loops() == QMediaPlayer.Loops.Infinite
    viewer.controls.loop_button.click()
    assert viewer.player.loops() == 1
    viewer.clear_view()
    assert viewer.spectrogram.image is None


def test_midi_viewer_draws_the_notes_and_plays_the_rendered_audio(qtbot, tmp_path) -> None:
    viewer = viewers.viewer_for(viewers.viewer_key("audio", ".mid"), volume=0.0)
    assert isinstance(viewer, viewers.MidiViewer)
    qtbot.addWidget(viewer)
    viewer.resize(500, 300)
    viewer.show()
    viewer.load(midi_file(tmp_path / "tune.mid"), tone_file(tmp_path / "tune.wav"))
    qtbot.waitUntil(lambda: len(viewer.roll.notes) == 4, timeout=10_000)
    assert [n[2] for n in viewer.roll.notes] == [60, 64, 67, 72]
    assert viewer.audio.isEnabled() and viewer.note.text() == ""
    qtbot.waitUntil(lambda: viewer.audio.player.duration() > 0, timeout=10_000)
    qtbot.mouseClick(viewer.roll, Qt.MouseButton.LeftButton,
                     pos=QPoint(viewer.roll.width() // 2, 10))
    assert viewer.roll.position() == pytest.approx(0.5, abs=0.02)
    qtbot.waitUntil(lambda: abs(viewer.audio.player.position() - 300) < 40, timeout=10_000)
    viewer.clear_view()


def test_midi_viewer_without_rendered_audio_says_so(qtbot, tmp_path) -> None:
    viewer = viewers.MidiViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.load(midi_file(tmp_path / "alone.mid"))
    assert not viewer.audio.isEnabled() and "audio.render_midi" in viewer.note.text()


def test_a_broken_midi_file_shows_a_message(qtbot, tmp_path) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd broken")
    viewer = viewers.MidiViewer(volume=0.0)
    qtbot.addWidget(viewer)
    viewer.load(bad)
    qtbot.waitUntil(lambda: "Not a readable MIDI file" in viewer.roll._message, timeout=10_000)


def test_midi_notes_reads_times_in_seconds(tmp_path) -> None:
    notes, length = midi_notes(midi_file(tmp_path / "n.mid", (60, 62)))
    assert [(round(a, 3), round(b, 3), p) for a, b, p, _ in notes] == [
        (0.0, 0.25, 60), (0.25, 0.5, 62)]  # 120 bpm default: 240 ticks = an eighth
    assert length == pytest.approx(0.5)


@pytest.mark.parametrize("suffix", [".flac", ".ogg", ".mp3"])
def test_compressed_audio_gets_a_waveform_thumbnail(qapp, tmp_path, suffix) -> None:
    image = render_thumbnail(tone_file(tmp_path / f"tone{suffix}"), "audio", 96)
    icon = render_thumbnail(tmp_path / "none.aiff", "audio", 96)  # placeholder tile
    assert image.size().width() == 96 and image != icon


def test_midi_gets_a_piano_roll_thumbnail(qapp, tmp_path) -> None:
    image = render_thumbnail(midi_file(tmp_path / "t.mid"), "audio", 96)
    lit = sum(image.pixelColor(x, y) != image.pixelColor(0, 0)
              for x in range(0, 96, 4) for y in range(0, 96, 4))
    assert lit > 4


def test_the_inspector_plays_a_midi_asset_through_audio_rendered_from_it(
        qtbot, genloom_project, tmp_path) -> None:
    from genloom._qt.inspector import InspectorWidget

    midi = genloom_project.add_asset(midi_file(tmp_path / "imported.mid"), kind="audio",
                                     suffix=".mid")
    inspector = InspectorWidget(genloom_project, volume=0.0)
    qtbot.addWidget(inspector)
    inspector.show_asset(midi.id)
    viewer = inspector.viewer()
    assert isinstance(viewer, viewers.MidiViewer) and not viewer.audio.isEnabled()
    rendered = genloom_project.add_asset(tone_file(tmp_path / "render.wav"), kind="audio",
                                         suffix=".wav", parents=[midi.id])
    inspector.show_asset(rendered.id)
    assert isinstance(inspector.viewer(), viewers.AudioViewer)
    inspector.show_asset(midi.id)
    assert inspector.viewer() is viewer and viewer.audio.isEnabled()
    assert viewer.audio._path == genloom_project.asset_path(rendered)
    inspector.show_asset(None)
