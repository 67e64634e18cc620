"""Generators that core itself provides (the storyboard's draft cut, a sweep's grid and
sheet), for the engine and the worker alone.

They run as jobs like any generator (queued, in the worker, with progress, cancel,
recipe and lineage), but they are not a plugin's: no plugin can replace or disable
them, and they are not listed among the generators a user picks from (the Generate
panel, ``genloom generators``), because only core builds their requests (a draft
cut's plan comes from a board). :meth:`PluginManager.generator` finds them after the
plugins' own.

A core generator may take any number of inputs of a kind through an input role
ending in ``.*`` (``image.*``): the request names them ``image.0``, ``image.1``, ...
(:func:`pattern_input`, which the engine asks when it checks a job's inputs).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genloom.core.plugins import PluginManager
    from genloom.sdk.spec import GeneratorSpec, InputSpec

__all__ = ["internal_generator", "internal_generators", "pattern_input", "set_worker_plugins",
           "worker_plugins"]

_WORKER_PLUGINS: list[PluginManager] = []


@functools.cache
def internal_generators() -> dict[str, GeneratorSpec]:
    """Core's own generators by id (plain data; their code loads in the worker)."""
    from genloom.core.boards.cut import draft_cut_spec
    from genloom.core.evaluation.job import evaluation_spec
    from genloom.core.evaluation.sweep_grid import sweep_grid_specs

    specs = [draft_cut_spec(), *sweep_grid_specs(), evaluation_spec()]
    return {spec.id: spec for spec in specs}


def internal_generator(generator_id: str) -> GeneratorSpec | None:
    return internal_generators().get(generator_id)


def pattern_input(spec: GeneratorSpec, role: str) -> InputSpec | None:
    """The input of ``spec`` that ``role`` names: itself, or a ``prefix.*`` input for
    ``prefix.N`` (N a whole number)."""
    for item in spec.inputs:
        if item.role == role and not role.endswith(".*"):
            return item
    head, _, tail = role.rpartition(".")
    if head and tail.isascii() and tail.isdigit() and len(tail) < 7:
        for item in spec.inputs:
            if item.role == f"{head}.*":
                return item
    return None


def set_worker_plugins(plugins: PluginManager) -> None:
    """Called by the worker once its plugins load: core's generators that run plugin code
    (an evaluation runs the plugins' metrics) use the same plugins as the worker."""
    _WORKER_PLUGINS[:] = [plugins]


def worker_plugins() -> PluginManager:
    """The worker's plugins (outside a worker: the ones the settings say, loaded now)."""
    if not _WORKER_PLUGINS:
        from genloom.core.plugins import PluginConfig, PluginManager
        from genloom.core.settings import Settings

        _WORKER_PLUGINS.append(PluginManager(PluginConfig.from_settings(Settings.load())).load())
    return _WORKER_PLUGINS[0]
