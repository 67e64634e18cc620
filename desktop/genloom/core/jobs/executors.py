"""Which engine runs a project's jobs: the local worker (the default) or a Ray cluster."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from genloom.core.jobs.engine import Engine
from genloom.core.settings import EXECUTORS, Settings
from genloom.sdk.errors import ParameterError

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager
    from genloom.core.project import Project


def make_engine(project: Project, plugins: PluginManager, settings: Settings, *,
                scope: Collection[int] | None = None, executor: str | None = None,
                address: str | None = None) -> Engine:
    """The engine for ``executor`` (default: the settings'): local, or Ray at ``address``."""
    executor = executor or settings.executor
    if executor == "ray":
        from genloom.core.jobs.ray_executor import RayEngine

        return RayEngine(project, plugins, settings, scope=scope,
                         address=address if address is not None else settings.ray_address)
    if executor != "local":
        raise ParameterError("executor", executor, "is not an executor", f"use {' or '.join(EXECUTORS)}")
    return Engine(project, plugins, settings, scope=scope)
