"""The C2PA manifest definition Genloom signs into an export.

Actions: ``c2pa.created`` with IPTC digital source type
``trainedAlgorithmicMedia`` for an output made from a prompt; for one made
from an input asset (image to image, inpainting, an edit) ``c2pa.opened`` of
the first input (the parent ingredient) then ``c2pa.edited`` with
``compositeWithTrainedAlgorithmicMedia``, and ``c2pa.placed`` for further
inputs. Each action names Genloom and its version as software agent, and the
model (name, hash, licence) in its parameters. Genloom's recipe is a custom
assertion, ``org.genloom.recipe``, without the model's local path (a path on
this machine says nothing to anyone else and may say too much).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC + "trainedAlgorithmicMedia"
COMPOSITE = IPTC + "compositeWithTrainedAlgorithmicMedia"
RECIPE_LABEL = "org.genloom.recipe"
MODEL_KEY = "org.genloom.model"
GENERATOR_NAME = "Genloom"

#: Formats C2PA embeds a manifest in, by suffix; every other file gets a sidecar.
EMBEDDABLE = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
              ".gif": "image/gif", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".flac": "audio/flac",
              ".m4a": "audio/mp4", ".mp4": "video/mp4", ".mov": "video/quicktime", ".avi": "video/avi"}


@dataclass(frozen=True)
class Ingredient:
    """An input asset of an export: its file (inside the project) and how it was used."""

    path: Path
    title: str
    role: str           # the recipe's input role ("image", "mask", ...)


def mime_type(suffix: str) -> str:
    """The MIME type C2PA is told for a file with ``suffix`` (octet-stream when not embeddable)."""
    return EMBEDDABLE.get(suffix.lower(), {".txt": "text/plain", ".md": "text/markdown"}.get(
        suffix.lower(), "application/octet-stream"))


def model_summary(recipe: dict[str, Any]) -> dict[str, str]:
    """The model of a recipe as a manifest states it: name, content hash, licence."""
    model = recipe.get("model")
    if isinstance(model, str):
        return {"name": model}
    if not isinstance(model, dict):
        return {}
    summary = {"name": str(model.get("title") or model.get("id") or ""),
               "id": str(model.get("id") or ""), "hash": str(model.get("hash") or ""),
               "licence": str(model.get("licence") or "")}
    return {k: v for k, v in summary.items() if v}


def public_recipe(recipe: dict[str, Any]) -> dict[str, Any]:
    """The recipe as it leaves the machine: the model's local path left out."""
    clean = dict(recipe)
    if isinstance(clean.get("model"), dict):
        clean["model"] = {k: v for k, v in clean["model"].items() if k not in ("path", "allow_pickle")}
    return clean


def definition(*, title: str, recipe: dict[str, Any], ingredients: list[Ingredient],
               version: str) -> dict[str, Any]:
    """The manifest definition (c2pa's JSON) for one export; ingredient ``i`` has label ``input<i>``."""
    agent = {"name": GENERATOR_NAME, "version": version}
    model = model_summary(recipe)
    generator = str((recipe.get("generator") or {}).get("id", "")) if isinstance(
        recipe.get("generator"), dict) else ""
    made: dict[str, Any] = {"softwareAgent": agent,
                            "description": f"Made by the generative model {model.get('name', 'unknown')} "
                                           f"with Genloom {generator}".strip()}
    if model:
        made["parameters"] = {MODEL_KEY: model}
    actions: list[dict[str, Any]]
    if ingredients:
        actions = [{"action": "c2pa.opened", "softwareAgent": agent,
                    "parameters": {"ingredientIds": ["input0"]}},
                   {"action": "c2pa.edited", "digitalSourceType": COMPOSITE, **made}]
        if len(ingredients) > 1:
            actions.append({"action": "c2pa.placed", "softwareAgent": agent,
                            "parameters": {"ingredientIds": [f"input{i}" for i in range(1, len(ingredients))]}})
    else:
        source = COMPOSITE if recipe.get("inputs") else TRAINED
        actions = [{"action": "c2pa.created", "digitalSourceType": source, **made}]
    return {"claim_generator_info": [agent], "title": title,
            "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}},
                           {"label": RECIPE_LABEL, "data": public_recipe(recipe)}]}


def ingredient_definition(index: int, ingredient: Ingredient) -> dict[str, Any]:
    """c2pa's JSON for ingredient ``index``: the first is the parent, the rest components."""
    return {"title": ingredient.title, "relationship": "parentOf" if index == 0 else "componentOf",
            "label": f"input{index}", "description": f"input {ingredient.role!r}"}
