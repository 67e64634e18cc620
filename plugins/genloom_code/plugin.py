"""Entry module of the built-in code plugin: cheap to import, plain data only."""

from __future__ import annotations

from genloom.sdk import GeneratorSpec, hookimpl


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return []
