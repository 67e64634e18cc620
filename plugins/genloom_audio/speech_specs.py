"""The speech generators' specs: plain data, cheap to import."""

from __future__ import annotations

from genloom.sdk import GeneratorSpec


def speech_generators() -> list[GeneratorSpec]:
    return []
