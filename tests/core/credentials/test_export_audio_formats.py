"""Audio exports convert: WAV to FLAC, OGG and MP3 with tags and an embedded or sidecar
manifest, optional loudness normalisation, and clear refusals."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile

from genloom.core.exporting import export_asset
from genloom.core.settings import Settings
from genloom.sdk import ParameterError
from genloom.sdk.audio import loudness_lufs

from .conftest import recipe

NO_C2PA = Settings(provenance_c2pa=False)


def wav(seconds: float = 2.0, amplitude: float = 0.05, rate: int = 22050) -> bytes:
    buffer = io.BytesIO()
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(buffer, amplitude * np.sin(2 * np.pi * 330 * t), rate, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_a_wav_asset_exports_as_another_format_with_its_recipe_tag(project, tmp_path, fmt):
    asset = project.add_asset(wav(), kind="audio", suffix=".wav", recipe=recipe())
    out = export_asset(project, asset, tmp_path, NO_C2PA, audio_format=fmt)
    assert out.name == f"genloom-{asset.id}.{fmt}"
    with soundfile.SoundFile(str(out)) as f:
        assert f.format == fmt.upper() and f.samplerate == 22050
        assert abs(f.frames - 2 * 22050) < 2000  # MP3 frames pad a little
        assert json.loads(f.comment)["seed"] == 7
        assert f.title == out.stem
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_destination_suffix_chooses_the_format(project, tmp_path):
    asset = project.add_asset(wav(), kind="audio", suffix=".wav", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "take.flac", NO_C2PA)
    assert soundfile.info(str(out)).format == "FLAC"


def test_loudness_normalisation_on_export_reaches_the_target(project, tmp_path):
    asset = project.add_asset(wav(3.0), kind="audio", suffix=".wav", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "loud.wav", NO_C2PA, target_lufs=-18.0)
    data, rate = soundfile.read(str(out))
    assert loudness_lufs(data, rate) == pytest.approx(-18.0, abs=0.2)
    original, _ = soundfile.read(io.BytesIO(wav(3.0)))
    assert loudness_lufs(original, rate) < -25


def test_a_converted_export_is_signed(project, tmp_path):
    from genloom.core.credentials.verify import VALID, verify_file

    asset = project.add_asset(wav(), kind="audio", suffix=".wav", recipe=recipe())
    out = export_asset(project, asset, tmp_path / "signed.flac")
    assert verify_file(out).status == VALID


def test_unconvertible_audio_exports_are_refused_and_leave_nothing(project, tmp_path):
    midi = project.add_asset(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60", kind="audio",
                             suffix=".mid", recipe=recipe())
    with pytest.raises(ParameterError, match=r"\.mid"):
        export_asset(project, midi, tmp_path / "tune.mp3", NO_C2PA)
    asset = project.add_asset(wav(), kind="audio", suffix=".wav", recipe=recipe())
    with pytest.raises(ParameterError, match=r"\.aiff"):
        export_asset(project, asset, tmp_path / "tune.aiff", NO_C2PA)
    with pytest.raises(ParameterError, match="target_lufs"):
        export_asset(project, asset, tmp_path / "quiet.wav", NO_C2PA, target_lufs=-90.0)
    assert [p.name for p in tmp_path.iterdir() if p.name != "genloom-home"] == ["proj"]
