"""Entry module of the audio plugin: cheap to import, plain data only.

Music and speech declare their generators in modules of their own
(``music_specs``, ``speech_specs``); this module only gathers them.
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import BundledModel, GeneratorSpec, ModelMatch, hookimpl
from genloom_audio import __version__  # noqa: F401 - read by the plugin manager
from genloom_audio.music_specs import music_generators, music_models
from genloom_audio.speech_specs import identify_speech_model, speech_generators, speech_models
from genloom_audio.user_music import identify_music_model


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [*music_generators(), *speech_generators()]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [*music_models(), *speech_models()]


@hookimpl
def genloom_identify_model(path: Path) -> ModelMatch | None:
    return identify_speech_model(path) or identify_music_model(path)
