"""Audio speed: the MusicGen path against transformers, and symbolic-to-audio rendering
against real time.

Run it with ``python -m tests.benchmarks audio``. In one process:

- *plugin vs generate*: ``audio.text_to_music``'s ``run`` (its stopping criterion that
  reports each step and checks for cancel, resampling skipped at the model's own rate, the
  WAV write) against ``MusicgenForConditionalGeneration.generate`` called directly on the
  same loaded model with the same inputs, seed and settings. The model is a small MusicGen
  built here from a config (no weights ship for MusicGen), large enough that the model's
  work dominates as it does for real checkpoints. Goal: ratio <= 1.05. Rounds alternate
  which goes first (``GENLOOM_BENCH_ROUNDS``, default 5).
- *render*: a 32-bar reel (the bundled model's output, fixed seed) rendered MIDI to
  44.1 kHz stereo by FluidSynth with the system soundfont, and by the plain fallback,
  as seconds of audio per second of wall time (the baseline is the audio's own length:
  a ratio of 0.05 is 20 times faster than real time).

torch runs on one thread (``GENLOOM_BENCH_THREADS``): on a busy 2-core machine more
threads mostly measure contention.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

try:
    from tests.benchmarks._report import report
    from tests.benchmarks.bench_text import interleaved, spread
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]
    from bench_text import interleaved, spread  # type: ignore[no-redef]

ROUNDS = int(os.environ.get("GENLOOM_BENCH_ROUNDS", "5"))
SECONDS = 2.0


def build_small_musicgen(folder: Path) -> Path:
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    from tests.plugins.genloom_audio.tiny_audio_models import tiny_tokenizer

    torch.manual_seed(0)
    config = MusicgenConfig(
        text_encoder=T5Config(vocab_size=16, d_model=64, d_kv=16, d_ff=128, num_layers=2,
                              num_heads=4).to_dict(),
        audio_encoder=EncodecConfig(hidden_size=32, num_filters=8, num_residual_layers=1,
                                    codebook_size=256, codebook_dim=32,
                                    num_lstm_layers=1).to_dict(),
        decoder=MusicgenDecoderConfig(vocab_size=256, hidden_size=256, num_hidden_layers=4,
                                      num_attention_heads=4, ffn_dim=1024, num_codebooks=4,
                                      pad_token_id=256, decoder_start_token_id=256,
                                      bos_token_id=256, tie_word_embeddings=False).to_dict())
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config.pad_token_id = 256
    model.generation_config.decoder_start_token_id = 256
    model.save_pretrained(folder)
    tiny_tokenizer(folder)
    return folder


def bench_musicgen(tmp: Path) -> list[dict]:
    import torch

    from genloom.sdk import ModelRef, Request, RunState
    from genloom_audio.music_specs import text_to_music_spec
    from genloom_audio.user_music import TextToMusicGenerator

    folder = build_small_musicgen(tmp / "musicgen")
    gen = TextToMusicGenerator()
    gen.load(ModelRef(id="bench", path=str(folder), source="user"), "cpu", "float32")
    params = text_to_music_spec().validate_params({
        "prompt": "calm folk piano", "duration": SECONDS, "sample_rate": gen.sample_rate,
        "channels": 1, "normalise": "none"})
    request = Request("audio.text_to_music", params, 7, output_dir=tmp)
    inputs = gen.musicgen_inputs(request)
    codebooks = gen.model.decoder.config.num_codebooks
    tokens = round(SECONDS * gen.model.config.audio_encoder.frame_rate) + codebooks - 1

    def plugin() -> None:
        gen.run(request, RunState())

    def direct() -> None:
        torch.manual_seed(7)
        with torch.inference_mode():
            gen.model.generate(**inputs, do_sample=True, temperature=1.0, guidance_scale=3.0,
                               max_new_tokens=tokens)

    plugin_s, direct_s, ratios = interleaved(direct, plugin, rounds=ROUNDS)
    return [report(f"MusicGen plugin run ({SECONDS:g} s, {tokens} steps)", plugin_s,
                   "MusicgenForConditionalGeneration.generate", direct_s,
                   f"per-round ratio {spread(ratios)}", goal=1.05)]


def bench_render(tmp: Path) -> list[dict]:
    from genloom.sdk import ModelRef, Request, RunState
    from genloom_audio import render
    from genloom_audio.music_generator import MusicGenerator
    from genloom_audio.music_specs import FOLK_MODEL_ID, MODELS_DIR, music_generators

    gen = MusicGenerator()
    gen.load(ModelRef(id=FOLK_MODEL_ID, path=str(MODELS_DIR / "folk-abc"), source="bundled"),
             "cpu", "float32")
    params = music_generators()[0].validate_params({"bars": 32, "renderer": "plain"})
    out = tmp / "tune"
    out.mkdir()
    midi = gen.run(Request("audio.music", params, 3, output_dir=out), RunState())[1]
    data = Path(midi.path).read_bytes()
    results = []
    for renderer in ("fluidsynth", "plain"):
        if renderer == "fluidsynth" and (render.fluidsynth_module() is None
                                         or render.find_soundfont() is None):
            print(f"FluidSynth or a soundfont is missing: {render.INSTALL_HINT}")
            continue
        times, length = [], 0.0
        for _ in range(ROUNDS):
            start = time.perf_counter()
            rendered = render.render(data, sample_rate=44100, renderer=renderer)
            times.append(time.perf_counter() - start)
            length = len(rendered.audio) / 44100
        wall = statistics.median(times)
        results.append(report(f"render MIDI -> 44.1 kHz stereo ({renderer})", wall,
                              f"real time ({length:.1f} s of audio)", length,
                              f"{length / wall:.1f}x real time"))
    return results


def main() -> list[dict]:
    import torch

    torch.set_num_threads(int(os.environ.get("GENLOOM_BENCH_THREADS", "1")))
    with tempfile.TemporaryDirectory() as tmp:
        return [*bench_musicgen(Path(tmp)), *bench_render(Path(tmp))]


if __name__ == "__main__":
    main()
