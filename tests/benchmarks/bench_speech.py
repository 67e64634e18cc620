"""Speech speed: the bundled voice as a multiple of real time, and the plugin against VITS.

Run it with ``python -m tests.benchmarks speech``. In one process, on the CPU:

- *bundled voice*: ``audio.speech`` run in-process on the bundled ``audio.espeak-vocos-en``
  (eSpeak phonemes, one ONNX Runtime call per sentence, previews, resampling off,
  peak normalisation, the WAV written) for a four-sentence paragraph, against the same
  voice's ``PiperVoice.speak`` called directly on the same phonemes (the model alone),
  and eSpeak NG rendering the text itself. Each line also gives seconds of audio per
  second of compute (the real-time factor; above 1 is faster than real time).
- *plugin vs VITS*: ``audio.speech`` on a VITS folder (random weights, MMS-TTS-like
  layout, small enough for a CPU) against ``VitsModel`` called directly on the same
  tokens with the same seeds, sentence by sentence. Goal: within 5%.

Pairs are warmed up and timed in rounds whose order alternates (see ``bench_text``);
torch and ONNX Runtime use one thread (``GENLOOM_BENCH_THREADS`` to change).
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

try:
    from tests.benchmarks._report import report
    from tests.benchmarks.bench_text import interleaved, spread
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]
    from bench_text import interleaved, spread  # type: ignore[no-redef]

THREADS = int(os.environ.get("GENLOOM_BENCH_THREADS", "1"))
TEXT = ("The train leaves at seven thirty in the evening. Please bring a coat, an umbrella "
        "and something to read. If the weather turns, we will wait inside the station. "
        "Will you call me when you arrive?")


def _request(spec, out_dir: Path, seed: int = 1):
    from genloom.sdk import Request

    params = spec.validate_params({"text": TEXT})
    return Request(generator_id=spec.id, params=params, seed=seed, output_dir=out_dir)


def bundled(work: Path) -> None:
    from genloom.sdk import RunState
    from genloom.testing.conformance import isolated_plugins
    from genloom_audio import speech_espeak
    from genloom_audio.speech_text import sentences

    plugins = isolated_plugins(modules=["genloom_audio.plugin"])
    spec = plugins.generator("audio.speech")
    model = plugins.models[spec.default_model]
    generator = spec.factory()
    generator.load(model.to_ref(), "cpu", "float32")
    voice = generator.backend.voice
    phonemes = [voice.phonemes(s.text) for s in sentences(TEXT)]
    counter = iter(range(10**6))

    def plugin() -> object:
        out = work / f"b{next(counter)}"
        out.mkdir()
        return generator.run(_request(spec, out), RunState())

    def direct() -> object:
        return [voice.speak(p, 0) for p in phonemes]

    (output,) = plugin()
    seconds_audio = output.metadata["duration"]
    speech_only = sum(len(a) for a in direct()) / voice.config.sample_rate
    direct_s, plugin_s, ratios = interleaved(direct, plugin)
    report("audio.speech bundled voice (4 sentences)", plugin_s, "PiperVoice.speak direct",
           direct_s, f"plugin/direct {spread(ratios)}; "
                     f"{seconds_audio / plugin_s:.1f}x real time with pauses, model alone "
                     f"{speech_only / direct_s:.1f}x")
    espeak_s = statistics.median(
        _timed(lambda: speech_espeak.synthesize(TEXT, "en-us")) for _ in range(5))
    espeak_audio = len(speech_espeak.synthesize(TEXT, "en-us")) / speech_espeak.sample_rate()
    report("audio.speech bundled voice (4 sentences)", plugin_s, "eSpeak NG itself", espeak_s,
           f"eSpeak {espeak_audio / espeak_s:.0f}x real time")


def _timed(fn) -> float:
    import time

    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def vits(work: Path) -> None:
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    from genloom.sdk import ModelRef, RunState
    from genloom.testing.conformance import isolated_plugins
    from genloom_audio.speech_generator import sentence_seed
    from genloom_audio.speech_text import sentences

    folder = work / "vits"
    torch.manual_seed(0)
    vocab = ["<pad>", "<unk>", " ", *"abcdefghijklmnopqrstuvwxyz", "'", ",", ".", "?", "!"]
    config = VitsConfig(vocab_size=len(vocab), hidden_size=96, num_hidden_layers=2,
                        num_attention_heads=2, ffn_dim=192, flow_size=96,
                        upsample_initial_channel=128, sampling_rate=16000)
    VitsModel(config).save_pretrained(folder)
    (folder / "vocab.json").write_text(__import__("json").dumps(
        {ch: i for i, ch in enumerate(vocab)}))
    VitsTokenizer(str(folder / "vocab.json"), phonemize=False).save_pretrained(folder)

    plugins = isolated_plugins(modules=["genloom_audio.plugin"])
    spec = plugins.generator("audio.speech")
    generator = spec.factory()
    generator.load(ModelRef(id="vits", kind="transformers-tts", path=str(folder)), "cpu",
                   "float32")
    model, tokenizer = generator.backend.model, generator.backend.tokenizer
    texts = [s.text for s in sentences(TEXT)]
    encoded = [tokenizer(t, return_tensors="pt") for t in texts]
    counter = iter(range(10**6))

    def plugin() -> object:
        out = work / f"v{next(counter)}"
        out.mkdir()
        return generator.run(_request(spec, out, seed=3), RunState())

    def direct() -> object:
        waves = []
        for index, inputs in enumerate(encoded):
            torch.manual_seed(sentence_seed(3, index))
            with torch.inference_mode():
                waves.append(model(**inputs).waveform)
        return waves

    direct_s, plugin_s, ratios = interleaved(direct, plugin)
    report("audio.speech on VITS (4 sentences)", plugin_s, "VitsModel called directly", direct_s,
           f"plugin/direct {spread(ratios)}; goal <= 1.05")


def main() -> None:
    import torch

    torch.set_num_threads(THREADS)
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    with tempfile.TemporaryDirectory() as tmp:
        bundled(Path(tmp))
        vits(Path(tmp))


if __name__ == "__main__":
    main()
