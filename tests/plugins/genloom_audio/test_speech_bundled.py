"""The bundled voice at every entry point: conformance, engine (real worker) and CLI.

The app's form is covered in tests/qt/test_app_bundled_models.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from genloom.testing import check_generator

VOICE_DIR = Path(__file__).resolve().parents[3] / "plugins" / "genloom_audio" / "models" \
    / "espeak-vocos-en"


@pytest.fixture
def audio_plugins(genloom_plugins):
    return genloom_plugins(modules=["genloom_audio.plugin"])


def test_the_bundled_voice_is_a_small_piper_voice_with_its_card_samples_and_mcd():
    from genloom_audio.speech_piper import read_piper_config
    from genloom_audio.speech_specs import speech_models

    (model,) = speech_models()
    assert model.id == "audio.espeak-vocos-en" and model.kind == "piper-voice"
    assert model.path.stat().st_size < 20 * 1024 * 1024
    config = read_piper_config(model.path.with_name(model.path.name + ".json"))
    assert config.sample_rate == 22050 and config.espeak_voice == "en-us"
    assert config.speakers == ("en-us", "en-us+f3", "en-us+m3", "en-us+f4")
    card = (VOICE_DIR / "MODEL_CARD.md").read_text()
    evaluation = json.loads((VOICE_DIR / "evaluation.json").read_text())
    assert f"{evaluation['mcd_model_db']:.2f}" in card and "sounds like eSpeak" in card
    samples = sorted((VOICE_DIR / "samples").glob("*.wav"))
    assert len(samples) >= 4
    for sample in samples:
        assert soundfile.info(str(sample)).samplerate == 22050


def test_the_bundled_voice_passes_the_conformance_suite(audio_plugins, tmp_path):
    spec = audio_plugins.generator("audio.speech")
    assert spec.default_model == "audio.espeak-vocos-en"
    report = check_generator(spec, {"text": "Hello there. How are you?"}, workdir=tmp_path)
    (out,) = report.outputs
    audio, rate = soundfile.read(str(out.path))
    assert rate == 22050 and len(audio) > rate // 2


def test_engine_reads_text_with_the_bundled_voice_and_records_the_audio(
        audio_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(audio_plugins)
    previews = []
    engine.events.job_progress.connect(lambda e: previews.append(e.progress))
    (job,) = engine.submit("audio.speech", {"text": "Good morning. The train is late, sorry!",
                                            "voice": "en-us+f3", "sample_rate": 16000}, seed=4)
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    asset = genloom_project.get_asset(job.asset_ids[0])
    assert asset.kind == "audio" and asset.recipe["model"]["id"] == "audio.espeak-vocos-en"
    audio, rate = soundfile.read(str(genloom_project.asset_path(asset)))
    assert rate == 16000 and len(audio) > rate
    assert [p.partial_text for p in previews if p.partial_text] == [
        "Good morning. ", "The train is late, sorry! "]


def test_engine_refuses_bad_input_at_once(audio_plugins, genloom_engine):
    from genloom.sdk import ParameterError

    engine = genloom_engine(audio_plugins)
    with pytest.raises(ParameterError, match="sample_rate"):
        engine.submit("audio.speech", {"text": "Hi.", "sample_rate": 12345}, seed=1)
    with pytest.raises(ParameterError, match="text"):
        engine.submit("audio.speech", {"text": " \n "}, seed=1)


def test_engine_reports_an_unknown_voice_as_a_failed_job_naming_the_voices(
        audio_plugins, genloom_project, genloom_engine):
    engine = genloom_engine(audio_plugins)
    (job,) = engine.submit("audio.speech", {"text": "Hi.", "voice": "en-gb"}, seed=1)
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "failed" and "en-us, en-us+f3" in job.error
    assert genloom_project.count_assets() == 0


def test_cli_reads_text_and_a_rerun_gives_the_same_samples(genloom_home, tmp_path):
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    env.pop("GENLOOM_PLUGIN_PATH", None)
    project = str(tmp_path / "proj")

    def cli(*args: str) -> dict:
        result = subprocess.run([sys.executable, "-m", "genloom", *args, "--json", "--project",
                                 project], capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)

    made = cli("generate", "audio.speech", "--prompt", "This is only a scratch voice.",
               "--set", "speed=1.2", "--set", "voice=en-us+m3", "--seed", "11")
    (first,) = [asset for job in made["jobs"] for asset in job["assets"]]
    (again,) = cli("rerun", str(first["id"]))["jobs"]
    (copy,) = again["assets"]
    one, rate = soundfile.read(first["path"])
    two, _ = soundfile.read(copy["path"])
    assert rate == 22050 and np.array_equal(one, two)

    bad = subprocess.run([sys.executable, "-m", "genloom", "generate", "audio.speech",
                          "--prompt", "Hi.", "--set", "sample_rate=1000", "--project", project],
                         capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "sample_rate" in bad.stderr and "22050" in bad.stderr
