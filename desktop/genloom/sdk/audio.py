"""Audio files: the one place Genloom checks, normalises, writes and exports audio.

Plugins (music, speech) and core (export) use these functions; numpy, soundfile
(libsndfile) and pyloudnorm are imported inside them, so importing this module costs
nothing.

- :func:`check_sample_rate` / :func:`check_channels` / :func:`check_lufs`: the rates
  (:data:`SAMPLE_RATES`), channel counts (1 or 2) and loudness targets
  (:data:`LUFS_RANGE`) an output may have, as ``ParameterError``;
- :func:`as_channels`: mono/stereo conversion of a float array;
- :func:`normalise`: none, peak (to :data:`PEAK_DBFS`) or loudness to a target LUFS
  (ITU-R BS.1770 through pyloudnorm), never clipping: the gain is capped so the peak
  stays at or below :data:`PEAK_DBFS`, and the record says so;
- :func:`write_wav`: float audio to a 16-bit WAV, written to a temporary file beside the
  target and renamed, so no half-written file is ever seen;
- :func:`export_audio`: a sound file to FLAC, OGG (Vorbis), MP3 or WAV, optionally
  loudness-normalised, with title, software and the recipe in the container's tags;
- :func:`audio_metadata`: what a recipe records about an output's audio.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from genloom.sdk.errors import ParameterError

__all__ = [
    "DEFAULT_LUFS", "EXPORT_FORMATS", "LUFS_RANGE", "NORMALISATIONS", "PEAK_DBFS",
    "SAMPLE_RATES", "as_channels", "audio_metadata", "check_channels", "check_lufs",
    "check_sample_rate", "export_audio", "loudness_lufs", "normalise", "peak_dbfs",
    "read_audio", "write_wav",
]

#: Sample rates an output may be written at (Hz).
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000)
#: The normalisation modes of :func:`normalise`.
NORMALISATIONS = ("none", "peak", "loudness")
#: The ceiling peak and loudness normalisation keep to (dBFS).
PEAK_DBFS = -1.0
#: Loudness targets a user may ask for (LUFS): -14 streaming, -23 broadcast (EBU R128).
LUFS_RANGE = (-40.0, -6.0)
DEFAULT_LUFS = -16.0
#: pyloudnorm's gating blocks are 400 ms; shorter audio has no measurable loudness.
MIN_LOUDNESS_SECONDS = 0.4
SUBTYPE = "PCM_16"


def check_sample_rate(value: Any, param: str = "sample_rate") -> int:
    """``value`` as an int sample rate, or ``ParameterError`` naming the allowed ones."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or int(value) != value or int(value) not in SAMPLE_RATES:
        raise ParameterError(param, value, "is not a supported sample rate",
                             "use one of " + ", ".join(str(r) for r in SAMPLE_RATES) + " Hz")
    return int(value)


def check_channels(value: Any, param: str = "channels") -> int:
    """``value`` as 1 (mono) or 2 (stereo), or ``ParameterError``."""
    if isinstance(value, bool) or value not in (1, 2):
        raise ParameterError(param, value, "is not a channel count audio is written with",
                             "use 1 (mono) or 2 (stereo)")
    return int(value)


def check_lufs(value: Any, param: str = "target_lufs") -> float:
    """A loudness target inside :data:`LUFS_RANGE`, or ``ParameterError``."""
    lo, hi = LUFS_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ParameterError(param, value, f"is outside {lo:g} to {hi:g} LUFS",
                             "use -14 for streaming, -16 for podcasts or -23 for broadcast")
    return float(value)


def as_channels(samples: Any, channels: int) -> Any:
    """A float32 array shaped ``(frames,)`` for mono or ``(frames, 2)`` for stereo.

    Accepts ``(frames,)``, ``(frames, c)`` arrays; stereo to mono averages the channels,
    mono to stereo duplicates it.
    """
    import numpy as np

    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, None]
    if audio.ndim != 2 or audio.shape[1] > 8:
        raise ValueError(f"audio must be (frames,) or (frames, channels), got {audio.shape}")
    if channels == 1:
        return audio.mean(axis=1)
    if audio.shape[1] == 1:
        return np.repeat(audio, 2, axis=1)
    return audio[:, :2].copy()


def peak_dbfs(samples: Any) -> float:
    """The sample peak in dBFS (``-inf`` for silence)."""
    import numpy as np

    peak = float(np.max(np.abs(samples))) if np.size(samples) else 0.0
    return float(20 * np.log10(peak)) if peak > 0 else float("-inf")


def loudness_lufs(samples: Any, sample_rate: int) -> float | None:
    """Integrated loudness (LUFS), or None for audio too short or too quiet to measure."""
    import numpy as np
    import pyloudnorm

    audio = np.asarray(samples, dtype=np.float64)
    if len(audio) < MIN_LOUDNESS_SECONDS * sample_rate or not np.any(audio):
        return None
    value = float(pyloudnorm.Meter(sample_rate).integrated_loudness(audio))
    return value if np.isfinite(value) else None


def normalise(samples: Any, sample_rate: int, mode: str,
              target_lufs: float = DEFAULT_LUFS) -> tuple[Any, dict[str, Any]]:
    """The audio with ``mode`` applied, and what was done (for the recipe).

    ``peak`` scales the peak to :data:`PEAK_DBFS`; ``loudness`` scales to
    ``target_lufs``, but never past the peak ceiling (the record then says the target was
    not reached); audio too short to measure falls back to peak and says so.
    """
    import numpy as np

    if mode not in NORMALISATIONS:
        raise ParameterError("normalise", mode, "is not a normalisation mode",
                             "use " + ", ".join(NORMALISATIONS))
    audio = np.asarray(samples, dtype=np.float32)
    record: dict[str, Any] = {"normalise": mode}
    if mode == "none" or not np.any(audio):
        return audio, record
    ceiling = 10 ** (PEAK_DBFS / 20)
    peak = float(np.max(np.abs(audio)))
    gain = ceiling / peak
    if mode == "loudness":
        target = check_lufs(target_lufs)
        measured = loudness_lufs(audio, sample_rate)
        record["target_lufs"] = target
        if measured is None:
            record["loudness_note"] = "too short to measure loudness: peak-normalised"
        else:
            wanted = 10 ** ((target - measured) / 20)
            if wanted > gain:
                record["loudness_note"] = "limited by the peak ceiling"
            gain = min(gain, wanted)
    out = (audio * gain).astype(np.float32)
    record["gain_db"] = round(20 * float(np.log10(gain)), 2)
    return out, record


def write_wav(path: Path | str, samples: Any, sample_rate: int, *,
              subtype: str = SUBTYPE) -> Path:
    """Write float audio (``(frames,)`` or ``(frames, channels)``, -1..1) as WAV.

    Written to a temporary file in the target's folder, flushed and renamed over the
    target: a crash leaves either no file or the whole file.
    """
    import numpy as np
    import soundfile

    target = Path(path)
    check_sample_rate(sample_rate)
    audio = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            soundfile.write(fh, audio, sample_rate, subtype=subtype, format="WAV")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp's 0600 would keep the file from other readers
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def read_audio(path: Path | str) -> tuple[Any, int]:
    """A sound file as float32 ``(frames, channels)`` and its sample rate."""
    import soundfile

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return data, int(rate)


def audio_metadata(samples: Any, sample_rate: int) -> dict[str, Any]:
    """What the recipe records about an output's audio."""
    import numpy as np

    audio = np.asarray(samples)
    frames = int(audio.shape[0])
    channels = 1 if audio.ndim == 1 else int(audio.shape[1])
    return {"sample_rate": int(sample_rate), "channels": channels, "frames": frames,
            "duration": round(frames / sample_rate, 4),
            "peak_dbfs": round(peak, 2) if (peak := peak_dbfs(audio)) > -1e9 else None}


#: What :func:`export_audio` writes: suffix -> (libsndfile format, subtype).
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}


def export_audio(source: Path | str, dest: Path | str, *, target_lufs: float | None = None,
                 title: str = "", software: str = "", comment: str = "") -> dict[str, Any]:
    """Write the sound file ``source`` as ``dest`` in the format its suffix names.

    ``target_lufs`` (optional) loudness-normalises on the way (:func:`normalise`, never past
    the peak ceiling); ``title``, ``software`` and ``comment`` go into the container's
    tags (RIFF INFO, Vorbis comments, ID3). Written under a temporary name beside
    ``dest`` and renamed. Returns what was done (for the caller's record).
    """
    import soundfile

    target = Path(dest)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ParameterError("format", suffix or target.name, "is not an audio format Genloom "
                             "exports", "use " + ", ".join(EXPORT_FORMATS))
    fmt, subtype = EXPORT_FORMATS[suffix]
    if fmt not in soundfile.available_formats():
        raise ParameterError("format", suffix, f"is not supported by this libsndfile "
                             f"({soundfile.__libsndfile_version__})",
                             "install libsndfile 1.1 or newer for MP3, or export FLAC or OGG")
    audio, rate = read_audio(source)
    record: dict[str, Any] = {"format": fmt.lower(), "sample_rate": rate,
                              "channels": int(audio.shape[1])}
    if target_lufs is not None:
        audio, done = normalise(audio, rate, "loudness", target_lufs)
        record.update(done)
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=target.parent)
    os.close(fd)
    try:
        with soundfile.SoundFile(tmp_name, "w", rate, int(audio.shape[1]), format=fmt,
                                 subtype=subtype) as out:
            for name, value in (("title", title), ("software", software),
                                ("comment", comment)):
                if value:
                    setattr(out, name, value)
            out.write(audio)
        with open(tmp_name, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return record
