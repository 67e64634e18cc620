"""Entry module of the video plugin: cheap to import, plain data only."""

from __future__ import annotations

from genloom.sdk import GeneratorSpec, hookimpl
from genloom_video import __version__  # noqa: F401 - read by the plugin manager


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return []
