"""A seeded melody on a scale, rendered to a 16-bit mono WAV."""

from __future__ import annotations

import io
import math
import wave

from genloom.sdk import Output, Request, RunState

SAMPLE_RATE = 32000
INTERVALS = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "pentatonic": (0, 2, 4, 7, 9),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
}


class ToneGenerator:
    def load(self, model, device, dtype) -> None:
        import numpy  # noqa: F401

    def run(self, request: Request, state: RunState) -> list[Output]:
        import numpy as np

        p = request.params
        rng = np.random.default_rng(request.seed)
        beat = 60.0 / p["tempo"]
        total = int(p["duration"] * SAMPLE_RATE)
        audio = np.zeros(total, dtype=np.float32)
        notes = max(1, int(p["duration"] / beat))
        degree = 0
        for index in range(notes):
            state.raise_if_cancelled()
            degree = int(np.clip(degree + rng.integers(-2, 3), -3, 10))
            intervals = INTERVALS[p["scale"]]
            octave, step = divmod(degree, len(intervals))
            midi = p["root"] + 12 * octave + intervals[step]
            start = int(index * beat * SAMPLE_RATE)
            length = min(int(beat * SAMPLE_RATE * rng.choice([1.0, 1.0, 2.0])), total - start)
            if length > 0:
                audio[start:start + length] += _note(midi, length, p["waveform"])
            state.progress(index + 1, notes, f"note {index + 1} of {notes}")
        audio /= max(1e-6, float(np.abs(audio).max())) / 0.8
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes((audio * 32767).astype("<i2").tobytes())
        return [Output(kind="audio", data=buffer.getvalue(), suffix=".wav",
                       metadata={"duration": total / SAMPLE_RATE, "sample_rate": SAMPLE_RATE})]

    def unload(self) -> None:
        pass


def _note(midi: int, length: int, waveform: str):
    import numpy as np

    freq = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(length, dtype=np.float32) / SAMPLE_RATE
    phase = 2 * math.pi * freq * t
    if waveform == "sine":
        tone = np.sin(phase)
    elif waveform == "triangle":
        tone = 2 / math.pi * np.arcsin(np.sin(phase))
    else:
        tone = np.tanh(3 * np.sin(phase))
    attack = np.minimum(1.0, t / 0.01)
    release = np.exp(-3.0 * t / max(t[-1], 1e-3))
    return (tone * attack * release).astype(np.float32)
