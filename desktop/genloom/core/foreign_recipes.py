"""Recipes other tools write into images, read as Genloom recipes.

- AUTOMATIC1111 (and Forge, SD.Next, Fooocus's A1111 mode, Civitai): the
  ``parameters`` PNG text (or a JPEG's EXIF user comment): the prompt, an optional
  ``Negative prompt:`` line, then ``Steps: 20, Sampler: Euler a, CFG scale: 7,
  Seed: 1, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned, ...``.
- ComfyUI: the ``prompt`` PNG text (the API graph, ``{node id: {class_type,
  inputs}}``, an input being a value or a link ``[node id, output]``) or, without
  it, the ``workflow`` text (the editor's graph: ``nodes`` with ``widgets_values``
  and ``links``).

The result is a text-to-image recipe for Genloom's image generator
(:data:`TEXT_TO_IMAGE`), with the parameters Genloom has (prompt, negative prompt,
steps, guidance, scheduler, size, seed) and the model as the other tool named it:
``model`` holds ``title`` (a checkpoint name) and ``hash`` (A1111's hash prefix).
:func:`genloom.core.importing.import_file` looks the model up in the library;
when found the recipe is re-runnable. Everything here is untrusted text: it is
parsed, never evaluated, sizes are capped, and anything malformed gives None.
"""

from __future__ import annotations

import json
import re
from typing import Any

TEXT_TO_IMAGE = "image.text_to_image"
#: Longer text is not a recipe anyone wrote.
MAX_TEXT = 1_000_000

#: A1111 and ComfyUI sampler names -> Genloom's scheduler choices.
_SAMPLERS = {"euler": "Euler", "euler a": "Euler a", "euler_ancestral": "Euler a", "ddim": "DDIM",
             "ddpm": "DDPM", "dpm++ 2m": "DPM++ 2M", "dpmpp_2m": "DPM++ 2M",
             "dpm++ 2m karras": "DPM++ 2M Karras"}


def _scheduler(sampler: str, schedule: str = "") -> str | None:
    name = sampler.strip().lower()
    if schedule.strip().lower() == "karras" and name in ("dpmpp_2m", "dpm++ 2m"):
        return "DPM++ 2M Karras"
    return _SAMPLERS.get(name)


def _recipe(source: str, params: dict[str, Any], seed: Any, model: dict[str, str]) -> dict[str, Any]:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return {"recipe_version": 1, "generator": {"id": TEXT_TO_IMAGE}, "model": model or None,
            "params": clean, "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
            "inputs": {}, "imported_from": source}


# -- AUTOMATIC1111 -------------------------------------------------------------------------

_FIELD = re.compile(r'\s*([\w .\-/()]+?):\s*("(?:\\.|[^"\\])*"|[^,]*)(?:,|$)')


def from_a1111(text: str) -> dict[str, Any] | None:
    """A recipe from an A1111 ``parameters`` text; None if the text is not one."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return None
    lines = text.strip().split("\n")
    last = lines[-1]
    if "Steps:" not in last:
        return None
    fields: dict[str, str] = {}
    for match in _FIELD.finditer(last):
        value = match.group(2).strip()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except ValueError:
                value = value.strip('"')
        fields[match.group(1).strip()] = str(value)
    body = lines[:-1]
    negative = ""
    for index, line in enumerate(body):
        if line.startswith("Negative prompt:"):
            negative = "\n".join([line[len("Negative prompt:"):].strip(), *body[index + 1:]]).strip()
            body = body[:index]
            break
    params: dict[str, Any] = {"prompt": "\n".join(body).strip(), "negative_prompt": negative}
    params["steps"] = _int(fields.get("Steps"))
    params["guidance_scale"] = _float(fields.get("CFG scale"))
    params["scheduler"] = _scheduler(fields.get("Sampler", ""), fields.get("Schedule type", ""))
    size = re.fullmatch(r"(\d{1,5})x(\d{1,5})", fields.get("Size", ""))
    if size:
        params["width"], params["height"] = int(size.group(1)), int(size.group(2))
    model = {k: v for k, v in (("title", fields.get("Model", "")),
                               ("hash", fields.get("Model hash", "").lower())) if v}
    return _recipe("AUTOMATIC1111", params, _int(fields.get("Seed")), model)


# -- ComfyUI -------------------------------------------------------------------------------

_SAMPLER_NODES = ("KSampler", "KSamplerAdvanced")
_CHECKPOINT_NODES = ("CheckpointLoaderSimple", "CheckpointLoader", "unCLIPCheckpointLoader")
_LATENT_NODES = ("EmptyLatentImage", "EmptySD3LatentImage")


def from_comfyui(prompt: str | None, workflow: str | None) -> dict[str, Any] | None:
    """A recipe from ComfyUI's ``prompt`` (API graph) or ``workflow`` text; None if neither is one."""
    graph = _json(prompt)
    if isinstance(graph, dict):
        found = _from_api_graph(graph)
        if found is not None:
            return found
    editor = _json(workflow)
    if isinstance(editor, dict):
        return _from_editor_graph(editor)
    return None


def _json(text: str | None) -> Any:
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _from_api_graph(graph: dict[str, Any]) -> dict[str, Any] | None:
    nodes = {str(k): v for k, v in graph.items() if isinstance(v, dict) and isinstance(v.get("inputs"), dict)}
    sampler = next((n for n in nodes.values() if n.get("class_type") in _SAMPLER_NODES), None)
    if sampler is None:
        return None
    inputs = sampler["inputs"]

    def follow(value: Any, depth: int = 0) -> dict[str, Any] | None:
        """The node a link ``[id, output]`` points at."""
        if isinstance(value, list) and value and depth < 16:
            return nodes.get(str(value[0]))
        return None

    def text_of(link: Any) -> str:
        node = follow(link)
        for _ in range(16):  # through conditioning nodes to the text encoder
            if node is None:
                return ""
            text = node["inputs"].get("text")
            if isinstance(text, str):
                return text
            node = follow(node["inputs"].get("conditioning") or node["inputs"].get("conditioning_1"))
        return ""

    params: dict[str, Any] = {"prompt": text_of(inputs.get("positive")),
                              "negative_prompt": text_of(inputs.get("negative")),
                              "steps": _int(inputs.get("steps")), "guidance_scale": _float(inputs.get("cfg")),
                              "scheduler": _scheduler(str(inputs.get("sampler_name", "")),
                                                      str(inputs.get("scheduler", "")))}
    latent = follow(inputs.get("latent_image"))
    if latent is not None and latent.get("class_type") in _LATENT_NODES:
        params["width"], params["height"] = _int(latent["inputs"].get("width")), _int(latent["inputs"].get("height"))
    model: dict[str, str] = {}
    node = follow(inputs.get("model"))
    for _ in range(16):  # through LoRA loaders and the like to the checkpoint loader
        if node is None:
            break
        if node.get("class_type") in _CHECKPOINT_NODES and isinstance(node["inputs"].get("ckpt_name"), str):
            model = {"title": checkpoint_stem(node["inputs"]["ckpt_name"])}
            break
        node = follow(node["inputs"].get("model"))
    seed = _int(inputs.get("seed", inputs.get("noise_seed")))
    return _recipe("ComfyUI", params, seed, model)


def _from_editor_graph(workflow: dict[str, Any]) -> dict[str, Any] | None:
    raw_nodes = workflow.get("nodes")
    if not isinstance(raw_nodes, list):
        return None
    nodes = {n.get("id"): n for n in raw_nodes if isinstance(n, dict)}
    links = {}
    for link in workflow.get("links") or []:
        if isinstance(link, list) and len(link) >= 4:
            links[link[0]] = link[1]  # link id -> the node it comes from

    def widgets(node: dict[str, Any] | None) -> list[Any]:
        values = (node or {}).get("widgets_values")
        return values if isinstance(values, list) else []

    def source(node: dict[str, Any], name: str) -> dict[str, Any] | None:
        for slot in node.get("inputs") or []:
            if isinstance(slot, dict) and slot.get("name") == name:
                return nodes.get(links.get(slot.get("link")))
        return None

    sampler = next((n for n in nodes.values() if n.get("type") in _SAMPLER_NODES), None)
    if sampler is None:
        return None
    values = widgets(sampler)
    if sampler.get("type") == "KSamplerAdvanced":
        values = values[1:]  # add_noise comes first
    # seed, "control after generate", steps, cfg, sampler, scheduler, denoise
    params: dict[str, Any] = {}
    seed = _int(values[0]) if values else None
    if len(values) >= 6:
        params.update(steps=_int(values[2]), guidance_scale=_float(values[3]),
                      scheduler=_scheduler(str(values[4]), str(values[5])))
    for role, name in (("prompt", "positive"), ("negative_prompt", "negative")):
        text = widgets(source(sampler, name))
        params[role] = text[0] if text and isinstance(text[0], str) else ""
    latent = source(sampler, "latent_image")
    if latent is not None and latent.get("type") in _LATENT_NODES and len(widgets(latent)) >= 2:
        params["width"], params["height"] = _int(widgets(latent)[0]), _int(widgets(latent)[1])
    checkpoint = next((n for n in nodes.values() if n.get("type") in _CHECKPOINT_NODES), None)
    names = widgets(checkpoint)
    model = {"title": checkpoint_stem(names[0])} if names and isinstance(names[0], str) else {}
    return _recipe("ComfyUI", params, seed, model)


def checkpoint_stem(name: str) -> str:
    """A checkpoint's name without its folder and suffix (``sd/v1-5.safetensors`` -> ``v1-5``)."""
    base = re.split(r"[\\/]", name)[-1]
    return re.sub(r"\.(safetensors|ckpt|pt|pth|bin|gguf)$", "", base, flags=re.IGNORECASE)


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if -(2**63) <= number < 2**63 else None


def _float(value: Any) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) < 1e9 else None
