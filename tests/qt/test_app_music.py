"""audio.music through the app window with the bundled model (real worker): the tune's
WAV, MIDI and ABC land in the gallery, and the MIDI shows as a piano roll that plays the
WAV its job rendered."""

from __future__ import annotations

import pytest

from genloom._qt.main_window import MainWindow
from genloom._qt.viewers_audio import MidiViewer
from genloom.core.settings import Settings

TIMEOUT = 300_000


@pytest.fixture
def window(qtbot, genloom_plugins, genloom_project):
    win = MainWindow(Settings(), genloom_plugins(entry_points=True), genloom_project)
    qtbot.addWidget(win)
    win.show()
    win.start_engine()
    yield win
    win.stop_engine()


def test_music_from_the_form_and_its_midi_in_the_inspector(qtbot, window):
    assert "audio.music" in window.plugins.generators, window.plugins.plugins.get("audio")
    assert window.generate_panel.picker.select("audio.music")
    window.generate_panel.form.set_values({"bars": 4, "tune_type": "jig", "key": "G",
                                           "sample_rate": 22050, "channels": 1})
    (job,) = window.generate_panel.generate()
    qtbot.waitUntil(lambda: window.project.jobs.get(job.id).state in ("done", "failed"),
                    timeout=TIMEOUT)
    job = window.project.jobs.get(job.id)
    assert job.state == "done", job.error
    assets = [window.project.get_asset(i) for i in job.asset_ids]
    assert [a.suffix for a in assets] == [".wav", ".mid", ".abc"]
    assert assets[0].recipe["model"]["source"] == "bundled"
    qtbot.waitUntil(lambda: window.gallery.model.total() == 3, timeout=TIMEOUT)
    # The window selects the job's first asset when the engine's event comes, which can be
    # after the store says "done": a MIDI shown before that was replaced by the WAV, and its
    # player cleared (the CI run's time-out waiting for its duration).
    qtbot.waitUntil(lambda: window.gallery.current_id() == assets[0].id, timeout=TIMEOUT)
    window.inspector.show_asset(assets[1].id)
    viewer = window.inspector.viewer()
    assert isinstance(viewer, MidiViewer)
    qtbot.waitUntil(lambda: len(viewer.roll.notes) > 4, timeout=30_000)
    assert viewer.audio.isEnabled()
    qtbot.waitUntil(lambda: viewer.audio.player.duration() > 0, timeout=30_000)
    viewer.audio.audio_output.setVolume(0.0)
    window.inspector.show_asset(assets[0].id)
    qtbot.waitUntil(lambda: window.inspector.viewer().spectrogram.image is not None,
                    timeout=30_000)
