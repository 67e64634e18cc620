"""genloom.sdk.audio: checks, normalisation, atomic WAV files, exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from genloom.sdk import ParameterError
from genloom.sdk import audio as audio_io


def _tone(seconds: float, rate: int = 22050, amplitude: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.mark.parametrize("bad", [0, 12345, 44100.5, "44100", True, -8000])
def test_unsupported_sample_rates_are_parameter_errors(bad: object) -> None:
    with pytest.raises(ParameterError, match="sample_rate.*22050"):
        audio_io.check_sample_rate(bad)


def test_supported_sample_rate_passes() -> None:
    assert audio_io.check_sample_rate(44100) == 44100
    assert audio_io.check_sample_rate(22050.0) == 22050


@pytest.mark.parametrize("bad", [0, 3, 1.5, True])
def test_channel_counts_other_than_mono_or_stereo_are_refused(bad: object) -> None:
    with pytest.raises(ParameterError, match="channels"):
        audio_io.check_channels(bad)


def test_as_channels_converts_between_mono_and_stereo() -> None:
    mono = _tone(0.1)
    stereo = audio_io.as_channels(mono, 2)
    assert stereo.shape == (len(mono), 2)
    assert np.array_equal(stereo[:, 0], stereo[:, 1])
    back = audio_io.as_channels(stereo, 1)
    assert back.shape == mono.shape and np.allclose(back, mono)


def test_peak_normalisation_reaches_the_ceiling() -> None:
    out, record = audio_io.normalise(_tone(1.0), 22050, "peak")
    assert audio_io.peak_dbfs(out) == pytest.approx(audio_io.PEAK_DBFS, abs=0.01)
    assert record["gain_db"] > 0


def test_loudness_normalisation_reaches_the_target() -> None:
    out, record = audio_io.normalise(_tone(3.0, amplitude=0.05), 22050, "loudness", -20.0)
    assert audio_io.loudness_lufs(out, 22050) == pytest.approx(-20.0, abs=0.1)
    assert record["target_lufs"] == -20.0 and "loudness_note" not in record


def test_loudness_never_clips_past_the_peak_ceiling() -> None:
    clicks = np.zeros(3 * 22050, dtype=np.float32)
    clicks[::2205] = 0.5  # high peaks, little loudness
    out, record = audio_io.normalise(clicks, 22050, "loudness", -6.0)
    assert audio_io.peak_dbfs(out) <= audio_io.PEAK_DBFS + 0.01
    assert record["loudness_note"] == "limited by the peak ceiling"


def test_too_short_for_loudness_falls_back_to_peak_and_says_so() -> None:
    out, record = audio_io.normalise(_tone(0.1), 22050, "loudness", -16.0)
    assert "too short" in record["loudness_note"]
    assert audio_io.peak_dbfs(out) == pytest.approx(audio_io.PEAK_DBFS, abs=0.01)


def test_bad_loudness_target_and_mode_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="target_lufs"):
        audio_io.normalise(_tone(1.0), 22050, "loudness", -80.0)
    with pytest.raises(ParameterError, match="normalise"):
        audio_io.normalise(_tone(1.0), 22050, "louder")


def test_write_wav_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    audio = audio_io.as_channels(_tone(0.5), 2)
    path = audio_io.write_wav(tmp_path / "w" / "out.wav", audio, 22050)
    data, rate = audio_io.read_audio(path)
    assert rate == 22050 and data.shape == audio.shape
    assert np.allclose(data, audio, atol=1 / 32000)
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["out.wav"]
    assert soundfile.info(str(path)).subtype == "PCM_16"


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "w").mkdir()
    target = tmp_path / "w" / "out.wav"
    audio_io.write_wav(target, _tone(0.2), 22050)
    before = target.read_bytes()
    with pytest.raises(ParameterError):
        audio_io.write_wav(target, _tone(0.2), 12345)
    with pytest.raises(Exception):  # noqa: B017 - soundfile's own error for a bad array
        audio_io.write_wav(target, np.zeros((10, 3, 3)), 22050)
    assert target.read_bytes() == before
    assert [p.name for p in (tmp_path / "w").iterdir()] == ["out.wav"]


def test_audio_metadata_records_rate_channels_and_duration() -> None:
    meta = audio_io.audio_metadata(audio_io.as_channels(_tone(0.5), 2), 22050)
    assert meta["sample_rate"] == 22050 and meta["channels"] == 2
    assert meta["duration"] == pytest.approx(0.5, abs=1e-3)
    assert audio_io.audio_metadata(np.zeros(100), 22050)["peak_dbfs"] is None
