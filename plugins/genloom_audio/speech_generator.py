"""``audio.speech``: text read aloud one sentence at a time, by any backend.

Each sentence is one call to the voice; between calls the run reports progress
(a waveform of the audio so far, and the sentence just spoken) and checks for
cancellation, so a cancel takes effect within one sentence and keeps what was
read so far as a partial result. The same recipe makes the same samples: each
sentence's noise is seeded from the run's seed and the sentence's index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from genloom.sdk import (
    CancelledError,
    InputError,
    ModelRef,
    Output,
    ParameterError,
    Request,
    RunState,
)
from genloom_audio import audio_io
from genloom_audio.speech_specs import PIPER_KIND, TRANSFORMERS_TTS_KIND, check_speech_params
from genloom_audio.speech_text import sentences

PREVIEW_SIZE = (256, 64)


class SpeechBackend(Protocol):
    """A loaded voice: what the generator needs from Piper and transformers models alike."""

    sample_rate: int
    description: str

    def voices(self) -> tuple[str, ...]:
        """The voice names the model offers (empty: one voice only)."""

    def resolve_voice(self, name: str, seed: int) -> Any:
        """The backend's handle for voice ``name`` ("" the first) in a run with ``seed``;
        ParameterError if unknown."""

    def speak(self, text: str, voice: Any, speed: float, seed: int) -> Any:
        """One sentence as float32 samples at ``sample_rate``."""

    def close(self) -> None:
        """Free what the backend holds."""


def unknown_voice(name: str, voices: tuple[str, ...]) -> ParameterError:
    fix = ("use one of " + ", ".join(voices)) if voices else \
        "leave it empty: this model has one voice"
    return ParameterError("voice", name, "is not a voice of this model", fix)


def sentence_seed(seed: int, index: int) -> int:
    """The seed of sentence ``index``: the run's seed and the index, mixed."""
    import numpy as np

    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class SpeechGenerator:
    def __init__(self) -> None:
        self.backend: SpeechBackend | None = None

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        if model is None:  # no model named: the bundled voice
            from genloom_audio.speech_specs import speech_models

            model = speech_models()[0].to_ref()
        if not model.path:
            raise InputError(f"audio.speech: the model {model.id!r} has no path on disk")
        path = Path(model.path)
        if model.kind == PIPER_KIND:
            from genloom_audio.speech_piper import PiperBackend

            self.backend = PiperBackend(path, device)
        elif model.kind == TRANSFORMERS_TTS_KIND:
            from genloom_audio.speech_transformers import load_transformers_tts

            self.backend = load_transformers_tts(path, device, dtype)
        else:
            raise InputError(f"audio.speech cannot load a {model.kind!r} model; it reads Piper "
                             "voices and transformers VITS or SpeechT5 folders")

    def unload(self) -> None:
        if self.backend is not None:
            self.backend.close()
        self.backend = None

    def run(self, request: Request, state: RunState) -> list[Output]:
        import numpy as np

        if self.backend is None:
            raise InputError("audio.speech: run called before load")
        backend = self.backend
        params = request.params
        check_speech_params(params)
        voice = backend.resolve_voice(params["voice"], request.seed)
        parts = sentences(params["text"])
        if not parts:
            raise ParameterError("text", params["text"], "has no words to read",
                                 "write the text to speak")
        speed = float(params["speed"])
        pause = float(params["sentence_pause"]) / speed
        pieces: list[Any] = []
        done = 0
        for index, sentence in enumerate(parts):
            if state.cancelled:
                break
            samples = np.asarray(backend.speak(sentence.text, voice, speed,
                                               sentence_seed(request.seed, index)),
                                 dtype=np.float32).reshape(-1)
            if index:
                previous = parts[index - 1].pause_factor
                pieces.append(np.zeros(int(round(pause * previous * backend.sample_rate)),
                                       dtype=np.float32))
            pieces.append(samples)
            done = index + 1
            state.progress(done, len(parts), f"sentence {done} of {len(parts)}",
                           preview=waveform_image(np.concatenate(pieces)),
                           partial_text=sentence.text + " ")
        if done == 0:
            raise CancelledError("cancelled before the first sentence")
        audio = np.concatenate(pieces)
        rate = backend.sample_rate
        if params["sample_rate"] and params["sample_rate"] != rate:
            audio = resample(audio, rate, int(params["sample_rate"]))
            rate = int(params["sample_rate"])
        audio = audio_io.as_channels(audio, int(params["channels"]))
        audio, record = audio_io.normalise(audio, rate, params["normalise"],
                                           float(params["target_lufs"]))
        target = request.output_dir / "speech.wav"
        audio_io.write_wav(target, audio, rate)
        metadata = {**audio_io.audio_metadata(audio, rate), **record,
                    "voice": params["voice"] or (backend.voices()[:1] or ("",))[0],
                    "sentences": done, "sentences_total": len(parts),
                    "model_rate": backend.sample_rate, "backend": backend.description}
        return [Output(kind="audio", path=target, suffix=".wav", metadata=metadata,
                       partial=done < len(parts))]


def resample(audio: Any, source: int, target: int) -> Any:
    """``audio`` from ``source`` Hz to ``target`` Hz (polyphase FIR, scipy)."""
    from math import gcd

    import numpy as np
    from scipy.signal import resample_poly

    common = gcd(source, target)
    return resample_poly(audio, target // common, source // common).astype(np.float32)


def waveform_image(audio: Any) -> Any:
    """A small PIL image of the waveform (min/max per column), for previews."""
    import numpy as np
    from PIL import Image

    width, height = PREVIEW_SIZE
    image = np.full((height, width, 3), 24, dtype=np.uint8)
    samples = np.clip(np.asarray(audio, dtype=np.float32).reshape(-1), -1.0, 1.0)
    if samples.size:
        per_column = -(-samples.size // width)
        padded = np.zeros(per_column * width, dtype=np.float32)
        padded[:samples.size] = samples
        columns = padded.reshape(width, per_column)
        middle = height // 2
        top = (middle - columns.max(axis=1) * (middle - 1)).astype(int)
        bottom = (middle - columns.min(axis=1) * (middle - 1)).astype(int)
        rows = np.arange(height)[:, None]
        image[(rows >= top[None, :]) & (rows <= bottom[None, :])] = (90, 200, 160)
    return Image.fromarray(image)
