"""Recipes: everything needed to make an output again."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genloom import __version__
from genloom.sdk.errors import InputError
from genloom.sdk.models import ModelRef

if TYPE_CHECKING:
    from genloom.core.project import Job
    from genloom.sdk.spec import GeneratorSpec

RECIPE_VERSION = 1

#: Numbers in a recipe from outside must fit a signed 64-bit integer (or be finite floats).
_INT64 = 2**63
#: Nesting deeper than this is not a recipe Genloom wrote.
_MAX_DEPTH = 32


class RecipeError(InputError):
    """A recipe from outside (an imported file, a project's row) that cannot be used."""


def untrusted_model(model: Mapping[str, Any]) -> dict[str, Any]:
    """A model reference from data (a recipe, a request), with no consent in it.

    Consent to load a pickle file belongs to the file's content hash in the
    model library, where the user gave it; a recipe saying ``allow_pickle``
    is not the user saying so, so the flag is always dropped here.
    """
    ref = ModelRef.from_dict(dict(model))
    data = ref.to_dict()
    data["allow_pickle"] = False
    return data


def checked_recipe(recipe: Any, source: str = "the recipe") -> dict[str, Any]:
    """``recipe`` if it has the shape of a Genloom recipe, else :class:`RecipeError`.

    Checks what :meth:`Engine.rerun` relies on: an object, numbers that fit 64
    bits (a 400-digit number is refused here rather than overflowing later),
    no deeper nesting than :data:`_MAX_DEPTH`, ``params``/``inputs``/``model``/
    ``generator`` of the right types. The model's ``allow_pickle`` is dropped.
    """
    if not isinstance(recipe, dict):
        raise RecipeError(f"{source} is {type(recipe).__name__}, not a recipe object; it "
                          "cannot be re-run (the file itself is fine)")
    _check_numbers(recipe, source, 0)
    for key, kind in (("params", dict), ("inputs", dict), ("generator", dict)):
        if recipe.get(key) is not None and not isinstance(recipe[key], kind):
            raise RecipeError(f"{source}: {key!r} is {type(recipe[key]).__name__}, not an object")
    for role, asset_id in (recipe.get("inputs") or {}).items():
        if isinstance(asset_id, bool) or not isinstance(asset_id, int):
            raise RecipeError(f"{source}: input {role!r} is {asset_id!r}, not an asset id")
    seed = recipe.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RecipeError(f"{source}: seed {seed!r} is not a whole number")
    model = recipe.get("model")
    if model is not None and not isinstance(model, (dict, str)):
        raise RecipeError(f"{source}: model is {type(model).__name__}, not a model reference")
    clean = dict(recipe)
    if isinstance(model, dict):
        clean["model"] = {k: v for k, v in model.items() if k != "allow_pickle"}
    device = recipe.get("device")
    if device is not None and not isinstance(device, str):
        raise RecipeError(f"{source}: device {device!r} is not a device name")
    return clean


def _check_numbers(value: Any, source: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise RecipeError(f"{source} is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise RecipeError(f"{source} holds the number {str(value)[:20]}... "
                              f"({len(str(value))} digits), beyond what any parameter takes")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RecipeError(f"{source} holds the number {value}, which is not finite")
    elif isinstance(value, dict):
        for item in value.values():
            _check_numbers(item, source, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_numbers(item, source, depth + 1)


def build_recipe(*, job: Job, spec: GeneratorSpec, device: str, dtype: str,
                 libraries: dict[str, str], seed: int | None = None,
                 runtime: Any = None) -> dict[str, Any]:
    """The recipe stored with each asset a job made.

    ``job`` is the finished :class:`~genloom.core.project.Job`; ``spec`` its
    generator's spec. ``seed`` is the one this output was made with (a job of
    several seeds makes one output per seed; default: the job's first seed), so
    re-running the recipe makes exactly this output. Parameters are complete
    (defaults filled in), inputs are asset ids. ``runtime`` is what the generator says
    actually ran (its output's ``metadata["runtime"]``: device, dtype, placement,
    attention, ONNX Runtime providers and any fallback); only those keys, as text, are kept.
    """
    recipe = {
        "recipe_version": RECIPE_VERSION,
        "generator": {"id": job.generator_id, "plugin": spec.plugin,
                      "plugin_version": spec.plugin_version, "modality": spec.modality},
        "model": job.model,
        "params": job.params,
        "seed": job.seed if seed is None else seed,
        "inputs": dict(job.inputs),
        "device": device,
        "dtype": dtype,
        "libraries": libraries,
        "genloom_version": __version__,
        "job_id": job.id,
        "batch": job.batch,
        "made": time.time(),
    }
    checked = runtime_of(runtime)
    if checked:
        recipe["runtime"] = checked
    return recipe


#: The keys of a generator's runtime record (genloom.sdk.placement.runtime_record) a recipe keeps.
_RUNTIME_TEXT = ("device", "dtype", "placement", "placement_reason", "attention", "fallback")


def runtime_of(record: Any) -> dict[str, Any]:
    """The parts of a generator's runtime record a recipe keeps: known keys with text values
    (a plugin's metadata is not trusted to be anything else)."""
    if not isinstance(record, Mapping):
        return {}
    kept: dict[str, Any] = {k: record[k][:1000] for k in _RUNTIME_TEXT if isinstance(record.get(k), str)}
    providers = record.get("providers")
    if isinstance(providers, (list, tuple)) and all(isinstance(p, str) for p in providers):
        kept["providers"] = [p[:100] for p in providers[:16]]
    return kept


def prompt_of(spec: GeneratorSpec, params: dict[str, Any]) -> str:
    """The text to index as the asset's prompt: parameters with the prompt role."""
    parts = [str(params[p.name]) for p in spec.params
             if getattr(p, "role", "") in ("prompt", "system_prompt", "code") and params.get(p.name)]
    return "\n".join(parts)
