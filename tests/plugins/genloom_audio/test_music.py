"""audio.music with the bundled folk-ABC model: in-process, through the engine's real
worker, and through the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import mido
import pytest
import soundfile

from genloom.sdk import ModelRef, ParameterError, Request, RunState
from genloom_audio import symbolic
from genloom_audio.music_generator import MusicGenerator
from genloom_audio.music_specs import FOLK_MODEL_ID, MODELS_DIR, music_generators

FOLDER = MODELS_DIR / "folk-abc"
SPEC = music_generators()[0]
FAST = {"bars": 4, "sample_rate": 22050, "channels": 1}


@pytest.fixture(scope="module")
def generator() -> MusicGenerator:
    gen = MusicGenerator()
    gen.load(ModelRef(id=FOLK_MODEL_ID, path=str(FOLDER), source="bundled"), "cpu", "float32")
    return gen


def run(gen: MusicGenerator, tmp_path: Path, seed: int = 1, inputs: Any = None,
        state: RunState | None = None, **params: Any) -> list[Any]:
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
    out.mkdir()
    request = Request("audio.music", SPEC.validate_params({**FAST, **params}), seed,
                      inputs=inputs or {}, output_dir=out)
    return gen.run(request, state or RunState())


def test_bundled_model_folder_is_complete_and_small() -> None:
    for name in ("config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md",
                 "loss.csv"):
        assert (FOLDER / name).is_file(), name
    assert (FOLDER / "model.safetensors").stat().st_size < 20e6


def test_a_tune_comes_as_wav_midi_and_abc_with_the_asked_bars(generator, tmp_path) -> None:
    wav, midi, abc = run(generator, tmp_path, tune_type="jig", key="G", instrument="Flute")
    assert (wav.suffix, midi.suffix, abc.suffix) == (".wav", ".mid", ".abc")
    assert (wav.title, midi.title, abc.title) == ("Genloom jig in G major", "Genloom jig in G major (MIDI)",
                                                  "Genloom jig in G major (ABC)")
    info = soundfile.info(str(wav.path))
    assert info.samplerate == 22050 and info.channels == 1 and info.duration > 1
    assert wav.metadata["sample_rate"] == 22050 and wav.metadata["channels"] == 1
    assert abc.text.startswith("X:1\n") and "R:jig\nM:6/8\n" in abc.text and "K:G\n" in abc.text
    assert symbolic.count_bars(abc.text.split("K:G\n", 1)[1].lstrip("|: ")) >= 4
    programs = {m.program for m in mido.MidiFile(str(midi.path)) if m.type == "program_change"}
    assert programs == {73}  # Flute
    assert wav.metadata["instrument"] == "Flute"
    runtime = wav.metadata["runtime"]  # what ran: the engine copies it into the recipe
    assert (runtime["device"], runtime["dtype"], runtime["placement"]) == ("cpu", "float32", "device")
    assert runtime["attention"]


def test_regular_bars_evens_the_bars_and_can_be_turned_off(generator, tmp_path) -> None:
    on = run(generator, tmp_path, seed=21, bars=8)[2]
    off = run(generator, tmp_path, seed=21, bars=8, regular_bars=False)[2]
    assert on.metadata["bars_consistent"]
    assert on.metadata["rebarred"] == (not on.metadata["model_bars_consistent"])
    assert not off.metadata["rebarred"]
    assert off.metadata["bars_consistent"] == off.metadata["model_bars_consistent"]


def test_the_same_recipe_gives_identical_files(generator, tmp_path) -> None:
    first = run(generator, tmp_path, seed=11)
    second = run(generator, tmp_path, seed=11)
    other = run(generator, tmp_path, seed=12)

    def digest(outputs: list[Any]) -> list[str]:
        return [hashlib.sha256(o.path.read_bytes() if o.path else o.data).hexdigest()
                for o in outputs]

    assert digest(first) == digest(second)
    assert digest(first)[2] != digest(other)[2]


def test_the_recipe_records_renderer_soundfont_hash_and_loudness(generator, tmp_path) -> None:
    wav = run(generator, tmp_path, renderer="fluidsynth", normalise="loudness",
              target_lufs=-20.0)[0]
    assert wav.metadata["renderer"] == "fluidsynth"
    assert len(wav.metadata["soundfont_sha256"]) == 64
    assert wav.metadata["target_lufs"] == -20.0


def test_partial_abc_streams_and_adds_up_to_the_tune(generator, tmp_path) -> None:
    state = RunState()
    abc = run(generator, tmp_path, state=state, regular_bars=False)[2]  # the text as written
    streamed = "".join(r.partial_text for r in state.reports)
    assert streamed.startswith("R:reel\nM:4/4\nL:1/8\nQ:1/4=200\nK:D\n")
    assert abc.text.split("T:Genloom reel\n", 1)[1].startswith(streamed.rstrip("|]\n"))


def test_cancel_stops_within_one_token_and_keeps_the_partial_abc(generator, tmp_path) -> None:
    state = RunState()
    tokens = []

    def report(progress: Any) -> None:
        if progress.partial_text and not progress.message.startswith("writing"):
            tokens.append(progress.partial_text)
            if len(tokens) == 3:
                state.cancel()

    state._report = report  # noqa: SLF001 - the worker sets the reporter the same way
    (abc,) = run(generator, tmp_path, state=state, bars=32)
    assert abc.partial and abc.metadata["stop_reason"] == "cancelled"
    assert len(tokens) == 3


def test_continuing_an_abc_tune_keeps_it_as_the_opening(generator, tmp_path) -> None:
    tune = "X:1\nT:Test\nM:6/8\nL:1/8\nK:Ador\n|:EAA EAA|BAG ABd|"
    abc = run(generator, tmp_path, abc=tune, bars=2)[2]
    assert "K:Ador\n|:EAA EAA|BAG ABd|" in abc.text
    assert abc.metadata["continued_from"] == "abc parameter"


def test_continuing_a_midi_asset(generator, tmp_path) -> None:
    from genloom.sdk import InputAsset

    first = run(generator, tmp_path, tune_type="waltz", key="F")
    midi = InputAsset(asset_id=5, kind="audio", path=first[1].path)
    wav, _, abc = run(generator, tmp_path, inputs={"tune": midi}, bars=2)
    assert "M:3/4" in abc.text and abc.metadata["continued_from"] == "asset 5"


@pytest.mark.parametrize("abc, fragment", [
    ("just some words", r"no K: \(key\) line"),
    ("X:1\nK:Hmaj\nABC|", "not a key"),
    ("X:1\nM:7/3\nK:G\nABC|", "not a meter"),
    ("X:1\nM:4/4\nK:G\n", "no notes"),
])
def test_unreadable_abc_is_a_parameter_error(generator, tmp_path, abc, fragment) -> None:
    with pytest.raises(ParameterError, match=fragment):
        run(generator, tmp_path, abc=abc)


def test_a_file_that_is_not_midi_is_a_parameter_error(generator, tmp_path) -> None:
    from genloom.sdk import InputAsset

    fake = tmp_path / "fake.mid"
    fake.write_bytes(b"RIFF0000WAVEfmt not midi at all")
    with pytest.raises(ParameterError, match="tune.*not a Standard MIDI File"):
        run(generator, tmp_path, inputs={"tune": InputAsset(1, "audio", fake)})
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x05\x01")
    with pytest.raises(ParameterError, match="tune"):
        run(generator, tmp_path, inputs={"tune": InputAsset(2, "audio", broken)})


@pytest.mark.parametrize("params, name", [
    ({"instrument": "Kazoo"}, "instrument"),
    ({"sample_rate": 12345}, "sample_rate"),
    ({"soundfont": "/nonexistent/font.sf2"}, "soundfont"),
])
def test_bad_parameters_are_refused_when_queued(params, name) -> None:
    with pytest.raises(ParameterError, match=name):
        SPEC.check(SPEC.validate_params({**FAST, **params}))


def test_engine_makes_a_tune_through_the_real_worker(genloom_plugins, genloom_project,
                                                     genloom_engine) -> None:
    plugins = genloom_plugins(modules=["genloom_audio.plugin"])
    assert FOLK_MODEL_ID in plugins.models
    engine = genloom_engine(plugins)
    progress = []
    engine.events.job_progress.connect(lambda e: progress.append(e.progress))
    (job,) = engine.submit("audio.music", dict(FAST), seed=3)
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    assets = [genloom_project.get_asset(i) for i in job.asset_ids]
    assert [(a.kind, a.suffix) for a in assets] == [("audio", ".wav"), ("audio", ".mid"),
                                                    ("text", ".abc")]
    wav = assets[0]
    # The tune has no prompt to show: its assets are named, and found by that name.
    assert [a.title for a in assets] == ["Genloom reel in D major", "Genloom reel in D major (MIDI)",
                                         "Genloom reel in D major (ABC)"]
    assert {a.id for a in genloom_project.search("reel midi")} == {assets[1].id}
    assert wav.recipe["model"]["id"] == FOLK_MODEL_ID and wav.recipe["seed"] == 3
    assert wav.recipe["runtime"]["device"] == "cpu"
    assert wav.metadata["sample_rate"] == 22050
    assert any(p.partial_text for p in progress)
    (again,) = engine.wait([engine.submit("audio.music", dict(FAST), seed=3)[0].id],
                           timeout=300)
    assert genloom_project.get_asset(again.asset_ids[0]).hash == wav.hash


def test_cli_generates_a_tune(genloom_home, tmp_path) -> None:
    env = {**os.environ, "GENLOOM_HOME": str(genloom_home)}
    env.pop("GENLOOM_PROJECT", None)
    result = subprocess.run(
        [sys.executable, "-m", "genloom", "generate", "audio.music", "--set", "bars=4",
         "--set", "instrument=Violin", "--set", "sample_rate=22050", "--seed", "4",
         "--json", "--project", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    (job,) = json.loads(result.stdout)["jobs"]
    assert [a["kind"] for a in job["assets"]] == ["audio", "audio", "text"]
    exported = subprocess.run(
        [sys.executable, "-m", "genloom", "assets", "export", str(job["assets"][0]["id"]),
         str(tmp_path), "--format", "mp3", "--loudness", "-14", "--json",
         "--project", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, timeout=300)
    assert exported.returncode == 0, exported.stderr
    mp3 = Path(json.loads(exported.stdout)["path"])
    assert mp3.suffix == ".mp3" and soundfile.info(str(mp3)).format == "MP3"
    bad = subprocess.run(
        [sys.executable, "-m", "genloom", "generate", "audio.music", "--set",
         "instrument=Kazoo", "--project", str(tmp_path / "p")],
        capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 2 and "Kazoo" in bad.stderr
