"""Audio metrics: loudness (the SDK's BS.1770 meter), clipping and silence share; for
symbolic music (ABC and MIDI), bar-length consistency and key stability (music21)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from genloom.core.evaluation.text_metrics import read_text
from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

__all__ = ["CLIP_LEVEL", "SILENCE_DBFS", "bar_consistency", "clipping_share", "key_stability",
           "loudness", "silence_share"]

#: A sample at or above this magnitude (of full scale) counts as clipped.
CLIP_LEVEL = 0.999
#: A 50 ms window whose RMS is below this level counts as silent.
SILENCE_DBFS = -60.0
_WINDOW_S = 0.05
#: Bars per window when key stability compares local keys with the whole tune's.
_KEY_WINDOW_BARS = 4


def _samples(asset: MetricAsset, context: MetricContext) -> tuple[Any, int]:
    """The decoded file, once per job for the three sample metrics (the newest file only:
    a set's files are measured one after another)."""
    from genloom.sdk.audio import read_audio

    key = "audio-samples"
    cached = context.cache.get(key)
    if cached is None or cached[0] != asset.path:
        samples, rate = read_audio(asset.path)
        if samples.shape[0] == 0:
            raise InputError("the audio file has no samples")
        cached = context.cache[key] = (asset.path, samples, rate)
    return cached[1], cached[2]


def loudness(asset: MetricAsset, context: MetricContext) -> float | None:
    """Integrated loudness in LUFS (None: shorter than 0.4 s or silent, so unmeasurable)."""
    from genloom.sdk.audio import loudness_lufs

    samples, rate = _samples(asset, context)
    return loudness_lufs(samples, rate)


def clipping_share(asset: MetricAsset, context: MetricContext) -> float:
    """Share of samples at full scale."""
    import numpy as np

    samples, _ = _samples(asset, context)
    return float(np.mean(np.abs(samples) >= CLIP_LEVEL))


def silence_share(asset: MetricAsset, context: MetricContext) -> float:
    """Share of 50 ms windows (all channels together) quieter than -60 dBFS RMS."""
    import numpy as np

    samples, rate = _samples(asset, context)
    mono = np.mean(samples.astype(np.float64), axis=1)
    size = max(1, int(rate * _WINDOW_S))
    count = max(1, len(mono) // size)
    windows = mono[:count * size].reshape(count, size) if len(mono) >= size else mono[None, :]
    rms = np.sqrt(np.mean(windows ** 2, axis=1))
    threshold = 10 ** (SILENCE_DBFS / 20)
    return float(np.mean(rms < threshold))


def _score(asset: MetricAsset, context: MetricContext) -> Any:
    """The tune as a music21 score, parsed once per job for both symbolic metrics."""
    key = f"music21:{asset.path}"
    if key not in context.cache:
        context.cache.clear() if len(context.cache) > 64 else None
        context.cache[key] = _parse(asset)
    return context.cache[key]


def _parse(asset: MetricAsset) -> Any:
    from music21 import converter

    try:
        if asset.path.suffix.lower() == ".abc":
            score = converter.parse(read_text(asset.path), format="abc", forceSource=True)
        else:
            score = converter.parse(str(asset.path), forceSource=True)
    except Exception as exc:  # music21 raises many kinds for a malformed tune
        raise InputError(f"music21 cannot read the tune ({type(exc).__name__}: {exc})") from exc
    return score


def _measures(score: Any) -> list[Any]:
    part = score.parts[0] if getattr(score, "parts", None) else score
    return list(part.getElementsByClass("Measure"))


def bar_consistency(asset: MetricAsset, context: MetricContext) -> float | None:
    """Share of the inner bars (not the first or last, which may be a pickup and its
    completion) that last exactly what their time signature says."""
    measures = _measures(_score(asset, context))
    inner = measures[1:-1] if len(measures) > 2 else measures
    if not inner:
        return None
    good = 0
    for measure in inner:
        meter = measure.getContextByClass("TimeSignature")
        full = Fraction(meter.barDuration.quarterLength) if meter is not None else Fraction(4)
        good += Fraction(measure.duration.quarterLength) == full
    return good / len(inner)


def key_stability(asset: MetricAsset, context: MetricContext) -> float | None:
    """Share of 4-bar windows whose estimated key (Krumhansl-Schmuckler, music21) is the
    whole tune's key."""
    score = _score(asset, context)
    measures = _measures(score)
    if len(measures) < _KEY_WINDOW_BARS:
        return None
    from music21 import analysis, stream

    def key_of(part: Any) -> tuple[str, str]:
        # process() gives the best key alone; analyze("key") also builds all 23 runners-up
        # as Key objects, which is nine tenths of its time.
        (tonic, mode, _), _ = analysis.discrete.KrumhanslSchmuckler().process(part)
        return tonic.name, mode

    whole = key_of(score)
    same = total = 0
    for start in range(0, len(measures) - _KEY_WINDOW_BARS + 1, _KEY_WINDOW_BARS):
        # The window's notes, in a plain stream (no copies: a note may sit in several
        # streams); key analysis weighs pitch classes by duration, not by position.
        window: Any = stream.Stream()
        for measure in measures[start:start + _KEY_WINDOW_BARS]:
            for note in measure.recurse().notes:
                window.insert(0, note)
        if not window.notes:
            continue
        total += 1
        same += key_of(window) == whole
    return same / total if total else None
