"""MIDI to audio: FluidSynth with the system soundfont, the plain fallback, a missing
synthesiser, the user's own soundfont, General MIDI names, symbolic checks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from genloom.sdk import InputError, ParameterError
from genloom_audio import gm, render, symbolic

TUNE = "X:1\nT:t\nM:4/4\nL:1/8\nQ:1/4=240\nK:G\n|:GABc dedB|dBGB AFDF|GABc d2ef|gfed BGG2:|\n"

needs_fluidsynth = pytest.mark.skipif(
    render.fluidsynth_module() is None or render.find_soundfont() is None,
    reason="FluidSynth or a GM soundfont is not installed (" + render.INSTALL_HINT + ")")


@pytest.fixture(scope="module")
def midi() -> bytes:
    return symbolic.score_to_midi(symbolic.parse_abc(TUNE), gm.program_of("Flute"), None)


@needs_fluidsynth
def test_fluidsynth_renders_the_same_samples_every_time(midi) -> None:
    first = render.render(midi, sample_rate=22050, renderer="fluidsynth")
    second = render.render(midi, sample_rate=22050, renderer="fluidsynth")
    assert np.array_equal(first.audio, second.audio)
    assert first.audio.shape[1] == 2 and np.abs(first.audio).max() > 0.01
    # 4 bars of 4 quarters at 240 a minute, played twice (the repeat) = 8 s, plus the tail
    assert len(first.audio) / 22050 == pytest.approx(8 + render.TAIL_SECONDS, abs=0.1)
    assert first.info["renderer"] == "fluidsynth" and len(first.info["soundfont_sha256"]) == 64


def test_plain_fallback_renders_the_notes_in_time(midi) -> None:
    out = render.render(midi, sample_rate=16000, renderer="plain")
    assert out.info == {"renderer": "plain"}
    assert len(out.audio) / 16000 == pytest.approx(8 + render.TAIL_SECONDS, abs=0.1)
    assert np.abs(out.audio[: 16000 * 8]).max() > 0.05


def test_a_missing_synthesiser_falls_back_and_says_what_to_install(midi, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # as if pyfluidsynth/libfluidsynth were absent
    assert render.fluidsynth_module() is None
    out = render.render(midi, sample_rate=16000, renderer="auto")
    assert out.info["renderer"] == "plain" and "libfluidsynth3" in out.info["renderer_note"]
    with pytest.raises(InputError, match="FluidSynth library is not installed.*libfluidsynth3"):
        render.render(midi, sample_rate=16000, renderer="fluidsynth")


def test_the_plugin_loads_without_the_synthesiser(genloom_plugins, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "fluidsynth", None)
    plugins = genloom_plugins(modules=["genloom_audio.plugin"])
    assert "audio.music" in plugins.generators and "audio.text_to_music" in plugins.generators


def test_a_missing_soundfont_is_reported(midi, monkeypatch) -> None:
    monkeypatch.setattr(render, "SYSTEM_SOUNDFONTS", ())
    monkeypatch.delenv(render.SOUNDFONT_ENV, raising=False)
    if render.fluidsynth_module() is None:
        pytest.skip("FluidSynth is not installed")
    with pytest.raises(InputError, match="General MIDI soundfont is not installed"):
        render.render(midi, sample_rate=16000, renderer="fluidsynth")


def test_the_users_soundfont_is_checked(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "mine.sf2"
    fake.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot a soundfont")
    with pytest.raises(ParameterError, match="soundfont.*not a SoundFont 2"):
        render.find_soundfont(str(fake))
    with pytest.raises(ParameterError, match="soundfont.*not a file"):
        render.find_soundfont(str(tmp_path / "missing.sf2"))
    monkeypatch.setenv(render.SOUNDFONT_ENV, str(fake))
    with pytest.raises(ParameterError, match=render.SOUNDFONT_ENV):
        render.find_soundfont()


@needs_fluidsynth
def test_the_soundfont_environment_variable_is_used(monkeypatch) -> None:
    system = render.find_soundfont()
    monkeypatch.setenv(render.SOUNDFONT_ENV, str(system))
    assert render.find_soundfont() == Path(system)


def test_instrument_names_and_suggestions() -> None:
    assert gm.program_of("flute") == 73 and gm.program_of("Acoustic Grand Piano") == 0
    with pytest.raises(ParameterError, match="did you mean 'Violin'"):
        gm.program_of("Violn")


def test_bars_consistent_accepts_pickups_and_refuses_ragged_bars() -> None:
    assert symbolic.bars_consistent(symbolic.parse_abc(TUNE))
    pickup = "X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd|gfe dBA|dfa afd|e3 d2:|\n"
    assert symbolic.bars_consistent(symbolic.parse_abc(pickup))
    ragged = "X:1\nM:4/4\nL:1/8\nK:D\nDEFG|ABcdefg|ABc|defg abc'd'|d8|\n"
    assert not symbolic.bars_consistent(symbolic.parse_abc(ragged))


def test_midi_round_trips_to_abc_with_the_same_pitches() -> None:
    midi = symbolic.score_to_midi(symbolic.parse_abc(TUNE), 0, None)
    tune = symbolic.midi_to_abc(midi, "tune")
    assert tune.key == "G" and tune.meter == "4/4"
    back = symbolic.parse_abc("X:1\n" + tune.document)
    original = [n.pitch.midi for n in symbolic.parse_abc(TUNE).flatten().notes]
    assert [n.pitch.midi for n in back.flatten().notes][:len(original)] == original


def test_render_midi_plays_an_imported_midi_with_a_chosen_instrument(
        genloom_plugins, genloom_project, genloom_engine, midi, tmp_path) -> None:
    from genloom.core.importing import import_file

    source = tmp_path / "tune.mid"
    source.write_bytes(midi)
    imported = import_file(genloom_project, source)
    assert (imported.kind, imported.suffix) == ("audio", ".mid")
    engine = genloom_engine(genloom_plugins(modules=["genloom_audio.plugin"]))
    params = {"instrument": "Violin", "sample_rate": 16000, "channels": 1,
              "renderer": "plain"}
    (job,) = engine.submit("audio.render_midi", params, inputs={"midi": imported.id})
    (job,) = engine.wait([job.id], timeout=300)
    assert job.state == "done", job.error
    wav = genloom_project.get_asset(job.asset_ids[0])
    assert wav.suffix == ".wav" and wav.metadata["instrument"] == "Violin"
    assert wav.metadata["duration"] == pytest.approx(8 + render.TAIL_SECONDS, abs=0.1)
    assert [p.id for p in genloom_project.parents(wav.id)] == [imported.id]


def test_render_midi_refuses_what_is_not_midi(tmp_path) -> None:
    from genloom.sdk import InputAsset, Request, RunState
    from genloom_audio.music_generator import RenderMidiGenerator
    from genloom_audio.music_specs import render_midi_spec

    wav = tmp_path / "sound.mid"
    wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    params = render_midi_spec().validate_params({})
    with pytest.raises(ParameterError, match="midi.*not a Standard MIDI File"):
        RenderMidiGenerator().run(Request("audio.render_midi", params, 0,
                                          inputs={"midi": InputAsset(1, "audio", wav)},
                                          output_dir=tmp_path), RunState())
    with pytest.raises(ParameterError, match="instrument"):
        render_midi_spec().check(render_midi_spec().validate_params({"instrument": "Kazoo"}))


def test_rebar_places_bar_lines_by_the_meter_keeping_notes_and_the_pickup() -> None:
    from genloom_audio import abc_text

    ragged = "R:jig\nM:6/8\nL:1/8\nK:G\nG|B2G BA |G3A F2G |G2c e2g |g2e|d2d B2c|\n"
    score = symbolic.parse_abc(abc_text.as_tune(ragged))
    assert not symbolic.bars_consistent(score)
    fixed = symbolic.rebar(abc_text.as_tune(ragged), score)
    assert fixed.startswith("R:jig\nM:6/8\nL:1/8\nK:G\nG|")  # the pickup stays
    again = symbolic.parse_abc(abc_text.as_tune(fixed))
    assert symbolic.bars_consistent(again)

    def sounding(s: object) -> list[tuple[int, float]]:
        out: list[tuple[int, float]] = []
        for n in s.flatten().notes:  # type: ignore[attr-defined]
            if n.tie is not None and n.tie.type in ("continue", "stop"):
                out[-1] = (out[-1][0], out[-1][1] + float(n.duration.quarterLength))
            else:
                out.append((n.pitch.midi, float(n.duration.quarterLength)))
        return out

    assert sounding(again) == sounding(score)
