"""Recipes: everything needed to make an output again."""

from __future__ import annotations

import time
from typing import Any

from genloom import __version__

RECIPE_VERSION = 1


def build_recipe(*, job: Any, spec: Any, device: str, dtype: str,
                 libraries: dict[str, str]) -> dict[str, Any]:
    """The recipe stored with each asset a job made.

    ``job`` is the finished :class:`~genloom.core.project.Job`; ``spec`` its
    generator's spec. The seed is the one actually used, parameters are
    complete (defaults filled in), inputs are asset ids.
    """
    return {
        "recipe_version": RECIPE_VERSION,
        "generator": {"id": job.generator_id, "plugin": spec.plugin,
                      "plugin_version": spec.plugin_version, "modality": spec.modality},
        "model": job.model,
        "params": job.params,
        "seed": job.seed,
        "inputs": dict(job.inputs),
        "device": device,
        "dtype": dtype,
        "libraries": libraries,
        "genloom_version": __version__,
        "job_id": job.id,
        "batch": job.batch,
        "made": time.time(),
    }


def prompt_of(spec: Any, params: dict[str, Any]) -> str:
    """The text to index as the asset's prompt: parameters with the prompt role."""
    parts = [str(params[p.name]) for p in spec.params
             if getattr(p, "role", "") in ("prompt", "system_prompt", "code") and params.get(p.name)]
    return "\n".join(parts)
