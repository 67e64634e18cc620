"""The draft cut: a real job in the worker renders the board's selected takes into an
MP4 whose length is the board's, with picture and sound, and whose lineage is the takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from genloom.core.boards.cut import DRAFT_CUT_ID, cut_plan, queue_cut
from genloom.core.boards.render import AUDIO_RATE, duck_gain, mix_audio, render_cut
from genloom.core.boards.timeline import board_timeline
from genloom.core.project import Project
from genloom.sdk.errors import CancelledError, InputError
from genloom.sdk.video import probe, read_frames
from tests.core.boards.media_helpers import storyboard


def test_the_cut_is_rendered_in_the_worker_with_the_takes_as_lineage(
        stills_plugins: Any, genloom_project: Project, genloom_engine: Any, tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=4)
    engine = genloom_engine(stills_plugins)
    progress: list[int] = []
    engine.events.job_progress.connect(lambda event: progress.append(event.progress.step))
    job = queue_cut(engine, boards, board_id, width=128, height=72, fps=24)
    (done,) = engine.wait([job.id], timeout=180)
    assert done.state == "done", done.error
    (asset_id,) = done.asset_ids
    cut = genloom_project.get_asset(asset_id)
    assert cut.kind == "video" and cut.generator_id == DRAFT_CUT_ID
    path = genloom_project.asset_path(cut)
    board = boards.get(board_id)
    assert abs(probe(path).duration - board.duration) <= 1 / 24 + 1e-6
    with av.open(str(path)) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 1
        assert container.streams.video[0].width == 128
    takes = {t.asset_id for s in boards.shots(board_id) for t in s.takes if t.selected}
    assert {p.id for p in genloom_project.parents(cut.id)} == takes
    assert boards.cuts(board_id) == [cut.id]
    assert progress and progress[-1] > 0


def test_a_cancelled_cut_leaves_nothing(genloom_project: Project, tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=3)
    plan, inputs = cut_plan(board_timeline(boards, board_id))
    files = {role: (genloom_project.get_asset(i).kind, genloom_project.asset_path(i))
             for role, i in inputs.items()}
    out = tmp_path / "cut.mp4"
    calls = []
    with pytest.raises(CancelledError):
        render_cut(plan, files, out, width=64, height=36, progress=lambda *a: calls.append(a),
                   cancelled=lambda: True)
    assert not out.exists() and not list(tmp_path.glob("*.part*"))


def test_camera_moves_numbers_and_the_slate(genloom_project: Project, tmp_path: Path) -> None:
    boards, board_id = storyboard(genloom_project, tmp_path, shots=3)  # zoom-in, clip, pan-left
    plan, inputs = cut_plan(board_timeline(boards, board_id))
    files = {role: (genloom_project.get_asset(i).kind, genloom_project.asset_path(i))
             for role, i in inputs.items()}
    out = tmp_path / "cut.mp4"
    info = render_cut(plan, files, out, width=96, height=64, fps=12, shot_numbers=True, slate=1.0)
    frames = list(read_frames(out))
    assert len(frames) == info["frames"] == 12 * (1 + 4.5)
    slate, first, last_of_first = frames[0], frames[12], frames[23]
    assert slate.mean() < first.mean()  # the slate is a dark card
    # zoom in: the frame changes across the shot; the badge stays in the corner
    assert np.abs(first.astype(int) - last_of_first.astype(int)).mean() > 2
    assert np.abs(first[10:20, 10:20].astype(int) - last_of_first[10:20, 10:20].astype(int)).mean() < 12
    with pytest.raises(InputError, match="not among the cut's inputs"):
        render_cut(plan, {}, tmp_path / "x.mp4")


def test_music_ducks_under_the_voice() -> None:
    rate = AUDIO_RATE
    voice = np.zeros(rate * 3, np.float32)
    voice[rate:2 * rate] = 0.5 * np.sin(np.arange(rate) * 0.05)
    gain = duck_gain(voice, -12.0)
    assert gain[int(0.2 * rate)] == pytest.approx(1.0)
    assert gain[int(1.5 * rate)] == pytest.approx(10 ** (-12 / 20), rel=1e-3)
    assert gain[int(2.8 * rate)] == pytest.approx(1.0)


def test_mix_places_voice_at_its_shot_and_loops_music(tmp_path: Path) -> None:
    import soundfile

    tone = 0.5 * np.sin(np.arange(int(0.4 * AUDIO_RATE)) * 0.1).astype(np.float32)
    soundfile.write(tmp_path / "v.wav", tone, AUDIO_RATE)
    soundfile.write(tmp_path / "m.wav", 0.2 * np.ones(AUDIO_RATE // 2, np.float32), 22050)
    plan = {"shots": [], "voices": [{"role": "audio.0", "start": 1.0, "length": 0.4}],
            "music": [{"role": "audio.1", "start": 0.0, "length": 3.0}]}
    files = {"audio.0": ("audio", tmp_path / "v.wav"), "audio.1": ("audio", tmp_path / "m.wav")}
    mix = mix_audio(plan, files, 3.0, 0.0, 0.0, -20.0)
    assert mix.shape == (3 * AUDIO_RATE, 2)
    assert np.abs(mix[:int(0.9 * AUDIO_RATE), 0]).max() < 0.25  # music alone before the voice
    music_at_2_5 = np.abs(mix[int(2.5 * AUDIO_RATE), 0])
    assert 0.15 < music_at_2_5 < 0.25  # the 1.1 s bed (at 22.05 kHz) loops to the end
    assert json.dumps(plan)


def test_voice_over_by_the_installed_speech_generator_is_in_the_cut(
        genloom_plugins: Any, genloom_project: Project, genloom_engine: Any) -> None:
    plugins = genloom_plugins(modules=["genloom_procedural.plugin", "genloom_audio.plugin"])
    if "audio.speech" not in plugins.generators:
        pytest.skip("no speech generator is installed")
    from genloom.core.boards import Boards
    from genloom.core.boards.takes import queue_takes

    boards = Boards(genloom_project)
    board = boards.create("Voice", {"image_generator": "procedural.pattern", "width": 64,
                                    "height": 64, "video_generator": "none"})
    quiet = boards.add_shot(board.id, description="the sea", duration=1.0).id
    spoken = boards.add_shot(board.id, description="a gull", duration=2.5,
                             dialogue="Hello there.", character="ANNA").id
    engine = genloom_engine(plugins)
    jobs = queue_takes(engine, boards, board.id)  # picture, and voice as speech is installed
    assert sorted(j.generator_id for j in jobs) == ["audio.speech", "procedural.pattern",
                                                    "procedural.pattern"]
    done = engine.wait([j.id for j in jobs], timeout=300)
    assert all(j.state == "done" for j in done), [j.error for j in done]
    voice = boards.shot(spoken).selected("voice")
    assert voice is not None and boards.shot(quiet).selected("voice") is None
    cut = queue_cut(engine, boards, board.id, width=64, height=64, fps=12)
    (finished,) = engine.wait([cut.id], timeout=300)
    assert finished.state == "done", finished.error
    path = genloom_project.asset_path(finished.asset_ids[0])
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        # AAC decodes planar: row 0 is the first channel
        samples = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
    before = np.abs(samples[:int(0.9 * rate)]).max()
    during = np.abs(samples[int(1.1 * rate):int(2.5 * rate)]).max()
    assert before < 0.01 < during  # silence on the first shot, the line on the second
