"""Users' MusicGen folders: recognised by the audio plugin, loaded through the user-model
path, audio of the asked length and rate, the same recipe gives the same samples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from genloom.sdk import CancelledError, InputAsset, ModelRef, ParameterError, Request, RunState
from genloom_audio.music_specs import text_to_music_spec
from genloom_audio.user_music import TextToMusicGenerator, identify_music_model
from tests.plugins.genloom_audio.tiny_audio_models import build_musicgen

SPEC = text_to_music_spec()
FAST = {"prompt": "calm piano", "duration": 0.2, "sample_rate": 16000, "channels": 1,
        "normalise": "peak"}


@pytest.fixture(scope="module")
def musicgen_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_musicgen(tmp_path_factory.mktemp("models") / "tiny-musicgen")


@pytest.fixture(scope="module")
def musicgen(musicgen_folder: Path) -> TextToMusicGenerator:
    gen = TextToMusicGenerator()
    gen.load(ModelRef(id=str(musicgen_folder), path=str(musicgen_folder), source="user"),
             "cpu", "float32")
    return gen


def generate(gen: TextToMusicGenerator, tmp_path: Path, seed: int = 1, inputs: Any = None,
             state: RunState | None = None, **params: Any) -> Any:
    out = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    out.mkdir()
    request = Request("audio.text_to_music", SPEC.validate_params({**FAST, **params}), seed,
                      inputs=inputs or {}, output_dir=out)
    return gen.run(request, state or RunState())


def test_a_musicgen_folder_is_identified_as_the_audio_plugins(musicgen_folder) -> None:
    match = identify_music_model(musicgen_folder)
    assert match is not None and (match.kind, match.architecture) == ("musicgen", "MusicGen")
    assert "refused" not in match.details


def test_the_model_library_lists_it_as_usable(genloom_plugins, musicgen_folder) -> None:
    from genloom.core.models.library import ModelLibrary

    library = ModelLibrary(genloom_plugins(modules=["genloom_audio.plugin"]))
    try:
        library.add_folder(musicgen_folder.parent)
        library.scan([str(musicgen_folder.parent.resolve())])
        (entry,) = [m for m in library.models() if m.source != "bundled"]
        assert (entry.kind, entry.architecture, entry.status) == ("musicgen", "MusicGen", "ok")
    finally:
        library.close()


@pytest.mark.parametrize("duration, rate, channels", [(0.2, 16000, 1), (0.3, 44100, 2)])
def test_audio_has_the_asked_length_rate_and_channels(musicgen, tmp_path, duration, rate,
                                                     channels) -> None:
    (out,) = generate(musicgen, tmp_path, duration=duration, sample_rate=rate,
                      channels=channels)
    info = soundfile.info(str(out.path))
    assert (info.samplerate, info.channels, info.frames) == (rate, channels,
                                                            round(duration * rate))
    assert out.metadata["model_sample_rate"] == 24000


def test_the_same_recipe_gives_identical_samples(musicgen, tmp_path) -> None:
    first = soundfile.read(str(generate(musicgen, tmp_path, seed=5)[0].path))[0]
    second = soundfile.read(str(generate(musicgen, tmp_path, seed=5)[0].path))[0]
    other = soundfile.read(str(generate(musicgen, tmp_path, seed=6)[0].path))[0]
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_progress_counts_audio_tokens_and_cancel_stops_early(musicgen, tmp_path) -> None:
    state = RunState()
    seen = []

    def report(progress: Any) -> None:
        seen.append(progress.step)
        if len(seen) == 3:
            state.cancel()

    state._report = report  # noqa: SLF001 - the worker sets the reporter the same way
    with pytest.raises(CancelledError):
        generate(musicgen, tmp_path, state=state, duration=2.0)
    assert seen == [1, 2, 3]  # no step after the cancel


@pytest.mark.parametrize("params, name", [({"duration": 0.05}, "duration"),
                                          ({"duration": 120.0}, "duration"),
                                          ({"sample_rate": 12000}, "sample_rate")])
def test_bad_durations_and_rates_are_parameter_errors(params, name) -> None:
    values = {**FAST, **params}
    with pytest.raises(ParameterError, match=name):
        SPEC.check(values)  # the spec's ranges or the generator's own check


def test_a_melody_for_a_model_without_melody_is_refused(musicgen, tmp_path) -> None:
    clip = tmp_path / "melody.wav"
    soundfile.write(str(clip), np.zeros(1600), 16000)
    with pytest.raises(ParameterError, match="melody"):
        generate(musicgen, tmp_path, inputs={"melody": InputAsset(1, "audio", clip)})


def test_engine_runs_the_user_model_through_the_worker(genloom_plugins, genloom_project,
                                                      genloom_engine, musicgen_folder) -> None:
    engine = genloom_engine(genloom_plugins(modules=["genloom_audio.plugin"]))
    (job,) = engine.submit("audio.text_to_music", dict(FAST), seed=2,
                           model=str(musicgen_folder))
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    assert asset.recipe["model"]["architecture"] == "MusicGen"
    assert asset.metadata["sample_rate"] == 16000 and asset.metadata["frames"] == 3200


@pytest.fixture(scope="module")
def stable_audio_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.plugins.genloom_audio.tiny_audio_models import build_stable_audio

    return build_stable_audio(tmp_path_factory.mktemp("models") / "tiny-stable-audio")


def test_a_stable_audio_folder_generates_the_asked_length(stable_audio_folder, tmp_path) -> None:
    match = identify_music_model(stable_audio_folder)
    assert match is not None and match.kind == "stable-audio"
    gen = TextToMusicGenerator()
    gen.load(ModelRef(id="sa", path=str(stable_audio_folder), source="user"), "cpu", "float32")
    state = RunState()
    (out,) = generate(gen, tmp_path, state=state, duration=1.5, channels=2, steps=3)
    info = soundfile.info(str(out.path))
    assert (info.samplerate, info.channels, info.frames) == (16000, 2, 24000)
    assert [r.step for r in state.reports] == [1, 2, 3]
    again = generate(gen, tmp_path, duration=1.5, channels=2, steps=3)[0]
    assert np.array_equal(soundfile.read(str(out.path))[0], soundfile.read(str(again.path))[0])
