"""audio.speech on tiny real models built here: a Piper voice, VITS and SpeechT5 folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from genloom.sdk import CancelledError, ModelRef, ParameterError, Request, RunState
from tests.plugins.genloom_audio import speech_builders


@pytest.fixture(scope="module")
def piper_voice(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = speech_builders.tiny_piper_voice(tmp_path_factory.mktemp("piper"))
    return ModelRef(id=str(path), kind="piper-voice", path=str(path), source="user")


@pytest.fixture(scope="module")
def vits(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = speech_builders.tiny_vits(tmp_path_factory.mktemp("vits") / "mms-tts-tiny", speakers=2)
    return ModelRef(id=str(path), kind="transformers-tts", path=str(path), source="user")


@pytest.fixture(scope="module")
def speecht5(tmp_path_factory: pytest.TempPathFactory) -> ModelRef:
    path = speech_builders.tiny_speecht5(tmp_path_factory.mktemp("t5") / "speecht5-tiny",
                                         speaker_files=2)
    return ModelRef(id=str(path), kind="transformers-tts", path=str(path), source="user")


def _spec() -> Any:
    from genloom_audio.speech_specs import speech_generators

    (spec,) = speech_generators()
    return spec


class Speaker:
    """The generator loaded on one model, run in-process as the worker runs it."""

    def __init__(self, model: ModelRef, workdir: Path) -> None:
        self.spec = _spec()
        self.generator = self.spec.factory()
        self.generator.load(model, "cpu", "float32")
        self.workdir = workdir
        self.runs = 0

    def run(self, seed: int = 1, state: RunState | None = None, **values: Any
            ) -> tuple[np.ndarray, int, Any]:
        params = self.spec.validate_params(values)
        self.runs += 1
        out_dir = self.workdir / f"run{self.runs}"
        out_dir.mkdir()
        (output,) = self.generator.run(
            Request(generator_id="audio.speech", params=params, seed=seed, output_dir=out_dir),
            state or RunState())
        audio, rate = soundfile.read(str(output.path), dtype="float32", always_2d=True)
        return audio, rate, output


TWO_SENTENCES = "Hello there, my friend. How are you today?"


# -- text and phonemes ----------------------------------------------------------------------

def test_espeak_phonemises_in_ipa_keeping_punctuation_per_sentence():
    from genloom_audio.speech_espeak import phonemize

    sentences = phonemize("Hello there, my friend. How are you? Dr. Smith waits!", "en-us")
    assert [s.terminator for s in sentences] == [".", "?", "!"]
    assert sentences[0].phonemes == "həlˈoʊ ðˈɛɹ, maɪ fɹˈɛnd."
    assert "dˈɑːktɚ" in sentences[2].phonemes


def test_text_is_cut_into_sentences_with_a_longer_pause_after_a_paragraph():
    from genloom_audio.speech_text import sentences

    parts = sentences("One, two. Three?\n\nMr. Brown: four; five!\n\n  ...  ")
    assert [(s.text, s.pause_factor) for s in parts] == [
        ("One, two.", 1.0), ("Three?", 2.0), ("Mr. Brown: four; five!", 2.0)]


# -- identification -------------------------------------------------------------------------

def test_piper_voices_and_tts_folders_are_identified(piper_voice, vits, speecht5, tmp_path):
    from genloom_audio.speech_specs import identify_speech_model

    piper = identify_speech_model(Path(piper_voice.path))
    assert (piper.kind, piper.architecture, piper.details["speakers"]) == (
        "piper-voice", "Piper voice", 2)
    assert identify_speech_model(Path(vits.path)).architecture == "VITS"
    t5 = identify_speech_model(Path(speecht5.path))
    assert t5.architecture == "SpeechT5" and "refused" not in t5.details
    lone = tmp_path / "lone.onnx"
    lone.write_bytes(Path(piper_voice.path).read_bytes())
    assert identify_speech_model(lone) is None  # no .onnx.json: not a Piper voice


def test_speecht5_without_its_vocoder_is_refused_with_the_fix(speecht5, tmp_path):
    import shutil

    from genloom_audio.speech_specs import identify_speech_model

    bare = tmp_path / "models" / "speecht5"
    shutil.copytree(speecht5.path, bare, ignore=shutil.ignore_patterns("vocoder"))
    match = identify_speech_model(bare)
    assert "HiFi-GAN vocoder" in match.details["refused"]
    shutil.copytree(Path(speecht5.path) / "vocoder", tmp_path / "models" / "speecht5_hifigan")
    assert "refused" not in identify_speech_model(bare).details


# -- the Piper path -------------------------------------------------------------------------

def test_piper_voice_reads_text_at_its_rate_and_the_same_recipe_gives_the_same_samples(
        piper_voice, tmp_path):
    speaker = Speaker(piper_voice, tmp_path)
    audio, rate, output = speaker.run(seed=3, text=TWO_SENTENCES)
    assert rate == 22050 and audio.shape[1] == 1 and len(audio) > rate // 10
    assert output.metadata["sample_rate"] == 22050 and output.metadata["sentences"] == 2
    again, _, _ = speaker.run(seed=3, text=TWO_SENTENCES)
    assert np.array_equal(audio, again)
    other_voice, _, _ = speaker.run(seed=3, text=TWO_SENTENCES, voice="beta")
    assert not np.array_equal(audio, other_voice)


def test_asked_sample_rate_channels_and_speed(piper_voice, tmp_path):
    speaker = Speaker(piper_voice, tmp_path)
    native, rate, _ = speaker.run(text=TWO_SENTENCES, sentence_pause=0.0)
    resampled, rate16, output = speaker.run(text=TWO_SENTENCES, sentence_pause=0.0,
                                            sample_rate=16000, channels=2)
    assert (rate, rate16) == (22050, 16000) and resampled.shape[1] == 2
    assert abs(len(resampled) - len(native) * 16000 / 22050) <= 2
    assert output.metadata["model_rate"] == 22050
    fast, _, _ = speaker.run(text=TWO_SENTENCES, sentence_pause=0.0, speed=2.0)
    assert len(fast) < 0.75 * len(native)


def test_each_sentence_reports_a_waveform_preview_and_its_text(piper_voice, tmp_path):
    state = RunState()
    Speaker(piper_voice, tmp_path).run(text=TWO_SENTENCES + " Fine!", state=state)
    assert [(r.step, r.total) for r in state.reports] == [(1, 3), (2, 3), (3, 3)]
    assert all(r.preview[:2] == b"\xff\xd8" for r in state.reports)  # JPEG
    assert [r.partial_text for r in state.reports] == [
        "Hello there, my friend. ", "How are you today? ", "Fine! "]


def test_cancel_stops_within_one_sentence_and_keeps_what_was_read(piper_voice, tmp_path):
    state = RunState()
    state._report = lambda progress: state.cancel()  # cancel as the first sentence arrives
    audio, _, output = Speaker(piper_voice, tmp_path).run(text=TWO_SENTENCES + " Fine!",
                                                         state=state)
    assert output.partial and output.metadata["sentences"] == 1
    (tmp_path / "alone").mkdir()
    alone, _, _ = Speaker(piper_voice, tmp_path / "alone").run(text="Hello there, my friend.")
    assert len(audio) == len(alone)


def test_cancel_before_any_sentence_raises(piper_voice, tmp_path):
    state = RunState()
    state.cancel()
    with pytest.raises(CancelledError):
        Speaker(piper_voice, tmp_path).run(text=TWO_SENTENCES, state=state)


@pytest.mark.parametrize(("values", "problem"), [
    ({"text": ""}, "is empty"),
    ({"text": "   \n\n  "}, "has no words to read"),
    ({"text": "x" * 5001}, "over the limit of 5000"),
    ({"text": "Hi.", "sample_rate": 12345}, "is not a supported sample rate"),
    ({"text": "Hi.", "speed": 5.0}, "speed"),
])
def test_bad_parameters_are_refused_before_loading_anything(values, problem):
    with pytest.raises(ParameterError, match=problem):
        _spec().validate_params(values)


def test_an_unknown_voice_names_the_voices_there_are(piper_voice, tmp_path):
    with pytest.raises(ParameterError, match="alpha, beta"):
        Speaker(piper_voice, tmp_path).run(text="Hi.", voice="gamma")


def test_a_broken_piper_config_is_a_clear_error(piper_voice, tmp_path):
    import shutil

    from genloom.sdk.formats import ModelFormatError
    from genloom_audio.speech_piper import PiperVoice

    copy = tmp_path / "voice.onnx"
    shutil.copy(piper_voice.path, copy)
    (tmp_path / "voice.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    with pytest.raises(ModelFormatError, match="phoneme_id_map"):
        PiperVoice(copy)


# -- transformers: VITS and SpeechT5 --------------------------------------------------------

def test_vits_reads_each_sentence_at_the_models_rate_reproducibly(vits, tmp_path):
    speaker = Speaker(vits, tmp_path)
    audio, rate, output = speaker.run(seed=5, text=TWO_SENTENCES)
    assert rate == 16000 and len(audio) > 0 and output.metadata["sentences"] == 2
    again, _, _ = speaker.run(seed=5, text=TWO_SENTENCES)
    other_seed, _, _ = speaker.run(seed=6, text=TWO_SENTENCES)
    assert np.array_equal(audio, again) and not np.array_equal(audio, other_seed)
    resampled, rate48, _ = speaker.run(seed=5, text=TWO_SENTENCES, sample_rate=48000)
    assert rate48 == 48000 and abs(len(resampled) - 3 * len(audio)) <= 3


def test_vits_speakers_are_its_speaker_numbers(vits, tmp_path):
    speaker = Speaker(vits, tmp_path)
    first, _, _ = speaker.run(seed=5, text="Hello.", voice="0")
    second, _, _ = speaker.run(seed=5, text="Hello.", voice="1")
    assert not np.array_equal(first, second)
    with pytest.raises(ParameterError, match="use one of 0, 1"):
        speaker.run(text="Hello.", voice="7")


def test_speecht5_voices_are_its_xvector_files_and_its_rate_the_vocoders(speecht5, tmp_path):
    speaker = Speaker(speecht5, tmp_path)
    audio, rate, output = speaker.run(seed=2, text="hello world. yes!", voice="speaker1")
    assert rate == 16000 and len(audio) > 0 and output.metadata["voice"] == "speaker1"
    again, _, _ = speaker.run(seed=2, text="hello world. yes!", voice="speaker1")
    assert np.array_equal(audio, again)
    with pytest.raises(ParameterError, match="speaker0, speaker1"):
        speaker.run(text="hello.", voice="seeded")


def test_speecht5_without_xvectors_has_one_seeded_voice(speecht5, tmp_path):
    import shutil

    bare = tmp_path / "t5"
    shutil.copytree(speecht5.path, bare, ignore=shutil.ignore_patterns("speaker_embeddings"))
    model = ModelRef(id="t5", kind="transformers-tts", path=str(bare))
    speaker = Speaker(model, tmp_path)
    audio, _, output = speaker.run(seed=9, text="hello world.")
    assert output.metadata["voice"] == "seeded"
    assert np.array_equal(audio, speaker.run(seed=9, text="hello world.")[0])


def test_a_model_kind_it_cannot_load_is_refused():
    from genloom.sdk import InputError

    generator = _spec().factory()
    with pytest.raises(InputError, match="cannot load"):
        generator.load(ModelRef(id="x", kind="diffusers", path="/nowhere"), "cpu", "float32")
