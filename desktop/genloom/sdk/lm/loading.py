"""Loading a causal LM and its tokenizer with transformers: offline, safetensors, device policy.

transformers and torch are imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import os
from typing import Any

from genloom.sdk import InputError
from genloom.sdk.lm.model_folder import ModelFolder
from genloom.sdk.placement import (
    WEIGHTS_SHARE,
    Placement,
    choose_placement,
    memory_budget_bytes,
    weights_footprint,
)
from genloom.sdk.runtime import quiet_model_libraries


def go_offline() -> None:
    """Never let the Hugging Face libraries reach the network (set before importing them)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def load_tokenizer(folder: ModelFolder) -> Any:
    """The folder's tokenizer (fast if there is one), from local files only."""
    go_offline()
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder.path, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"could not load the tokenizer in {folder.path}: {exc}. A model folder "
                         "needs its tokenizer files (tokenizer.json or the model's "
                         "vocabulary files) next to config.json") from exc
    return tokenizer


def torch_dtype_for(device: str, dtype: str, folder: ModelFolder) -> Any:
    """The torch dtype to run in: :func:`genloom.sdk.placement.resolve_dtype` for ``device``, the
    worker's choice and the dtype the model's config says it was trained in."""
    import torch

    from genloom.sdk.placement import resolve_dtype

    trained = str(folder.config.get("dtype") or folder.config.get("torch_dtype") or "")
    return getattr(torch, resolve_dtype(device, dtype, trained=trained))


def lm_placement(folder: ModelFolder, device: str, dtype: Any) -> Placement:
    """Where the model goes: wholly on ``device``, or (a CUDA GPU whose budget it exceeds)
    split between the GPU and system memory by accelerate's device map."""
    if not device.startswith("cuda") or folder.pickle_file is not None:
        return Placement("device", f"loaded wholly on {device}")
    name = str(dtype).removeprefix("torch.")
    return choose_placement(weights_footprint(folder.path, name), memory_budget_bytes(device))


def load_torch_model(folder: ModelFolder, device: str, dtype: str) -> Any:
    """The model on ``device`` in eval mode, from safetensors (or an allowed pickle file,
    opened with weights-only loading). A model over the VRAM budget is split between the
    GPU and system memory (accelerate's ``device_map`` with ``max_memory``); the chosen
    :class:`~genloom.sdk.placement.Placement` is kept as ``model.genloom_placement``.

    ``trust_remote_code=False`` everywhere: a folder's own code is never run, and
    transformers never stops to ask about it (the model library refuses such folders
    before they get here).
    """
    go_offline()
    quiet_model_libraries()  # the job's own progress is what the user sees
    from transformers import AutoModelForCausalLM

    torch_dtype = torch_dtype_for(device, dtype, folder)
    placement = lm_placement(folder, device, torch_dtype)
    split: dict[str, Any] = {}
    if placement.mode != "device":
        index = int(device.partition(":")[2] or 0)
        split = {"device_map": "auto",
                 "max_memory": {index: int(memory_budget_bytes(device) * WEIGHTS_SHARE), "cpu": "1024GiB"}}
    model: Any  # a transformers PreTrainedModel, typed loosely: its stubs vary by release
    try:
        if folder.pickle_file is None:
            model = AutoModelForCausalLM.from_pretrained(
                folder.path, local_files_only=True, use_safetensors=True, dtype=torch_dtype, trust_remote_code=False,
                **split)
        else:
            model = _from_allowed_pickle(folder, torch_dtype)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"transformers could not load the model in {folder.path}: {exc}") from exc
    if not split:
        model.to(device)
    model.eval()
    model.genloom_placement = placement
    return model


def _from_allowed_pickle(folder: ModelFolder, torch_dtype: Any) -> Any:
    """The model from an allowed pickle file, through transformers' own loading path.

    The tensors come from :func:`genloom.sdk.safe_torch_load` (weights only); transformers'
    ``from_pretrained(state_dict=...)`` then maps the checkpoint's key layout onto the model
    (GPT-2's original ``wte.weight``/``h.0...`` without the ``transformer.`` prefix, renamed
    keys of older releases), as it does for the files it reads itself. Keys still missing or
    left over after that would mean generating from random weights, so they fail the load.
    """
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    from genloom.sdk import safe_torch_load

    assert folder.pickle_file is not None
    config = AutoConfig.from_pretrained(folder.path, local_files_only=True, trust_remote_code=False)
    model_class: Any = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    state = safe_torch_load(folder.pickle_file)
    if not isinstance(state, dict):
        raise InputError(f"{folder.pickle_file} holds a {type(state).__name__}, not a dictionary of weights")
    model, info = model_class.from_pretrained(None, config=config, state_dict=state, dtype=torch_dtype,
                                              output_loading_info=True)
    problems = [f"{len(keys)} {label} ({', '.join(sorted(map(str, keys))[:4])}{', ...' if len(keys) > 4 else ''})"
                for label, keys in (("missing", info.get("missing_keys") or ()),
                                    ("unexpected", info.get("unexpected_keys") or ()),
                                    ("of the wrong shape", info.get("mismatched_keys") or ()))
                if keys]
    if problems or info.get("error_msgs"):
        detail = "; ".join(problems + [str(m) for m in info.get("error_msgs") or ()])
        raise InputError(
            f"{folder.pickle_file.name} does not fit the {folder.architecture} model that {folder.path}/config.json "
            f"describes: weights {detail}. It was not loaded, since generating with the missing weights "
            "would give noise; use the weights that belong to this config (or its safetensors release)")
    return model
