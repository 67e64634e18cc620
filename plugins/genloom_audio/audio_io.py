"""Audio output for the audio generators: the rules live in :mod:`genloom.sdk.audio`.

Kept so that the music and speech generators import one name from their own package;
everything here is the SDK's (checks, normalisation, atomic WAV writes, metadata).
"""

from __future__ import annotations

from genloom.sdk.audio import (
    DEFAULT_LUFS,
    LUFS_RANGE,
    MIN_LOUDNESS_SECONDS,
    NORMALISATIONS,
    PEAK_DBFS,
    SAMPLE_RATES,
    as_channels,
    audio_metadata,
    check_channels,
    check_lufs,
    check_sample_rate,
    loudness_lufs,
    normalise,
    peak_dbfs,
    read_audio,
    write_wav,
)

__all__ = [
    "DEFAULT_LUFS", "LUFS_RANGE", "MIN_LOUDNESS_SECONDS", "NORMALISATIONS", "PEAK_DBFS",
    "SAMPLE_RATES", "as_channels", "audio_metadata", "check_channels", "check_lufs",
    "check_sample_rate", "loudness_lufs", "normalise", "peak_dbfs", "read_audio", "write_wav",
]
