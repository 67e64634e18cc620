"""Recognising language models on disk: transformers folders and PEFT adapters.

Pure functions over ``config.json`` / ``adapter_config.json`` and file names:
no torch, no weights read, nothing unpickled. The plugin's
``genloom_identify_model`` hook calls :func:`identify_text_model`.

Kinds returned: ``"transformers-causal-lm"`` (a causal language model folder)
and ``"text-lora"`` (a PEFT LoRA adapter for one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk.formats import PICKLE_SUFFIXES, read_json_config
from genloom.sdk.models import ModelMatch

__all__ = ["CAUSAL_LM_FAMILIES", "identify_peft_adapter", "identify_text_model", "identify_transformers_folder"]

#: transformers ``model_type`` -> readable family name.
CAUSAL_LM_FAMILIES: dict[str, str] = {
    "llama": "Llama", "mistral": "Mistral", "mixtral": "Mixtral", "qwen2": "Qwen2",
    "qwen2_moe": "Qwen2-MoE", "qwen3": "Qwen3", "qwen3_moe": "Qwen3-MoE", "phi": "Phi",
    "phi3": "Phi-3", "phimoe": "Phi-MoE", "gemma": "Gemma", "gemma2": "Gemma 2",
    "gemma3_text": "Gemma 3", "gemma3": "Gemma 3", "gpt2": "GPT-2", "starcoder2": "StarCoder2",
    "gpt_bigcode": "StarCoder", "gpt_neox": "GPT-NeoX", "gptj": "GPT-J", "gpt_neo": "GPT-Neo",
    "falcon": "Falcon", "opt": "OPT", "bloom": "BLOOM", "olmo": "OLMo", "olmo2": "OLMo 2",
    "stablelm": "StableLM", "granite": "Granite", "cohere": "Command-R", "deepseek_v2": "DeepSeek-V2",
    "deepseek_v3": "DeepSeek-V3", "mamba": "Mamba", "smollm3": "SmolLM3", "exaone": "EXAONE",
    "internlm2": "InternLM2", "baichuan": "Baichuan", "mpt": "MPT", "codegen": "CodeGen",
}

_SAFE_WEIGHTS = (".safetensors",)


def identify_text_model(path: Path) -> ModelMatch | None:
    """The first of the text recognisers that recognises ``path``, or None."""
    path = Path(path)
    if not path.is_dir():
        return None
    return identify_transformers_folder(path) or identify_peft_adapter(path)


def identify_transformers_folder(path: Path) -> ModelMatch | None:
    """A transformers causal LM folder, recognised by ``config.json``.

    ``architectures`` ending in ``ForCausalLM`` / ``LMHeadModel`` or a known
    ``model_type`` makes it one. When the only weights are pickle files
    (``pytorch_model.bin``), the match says so in ``details["refused"]``:
    Genloom will not load them unless the user allows them.
    """
    path = Path(path)
    config = read_json_config(path / "config.json")
    if config is None:
        return None
    if "architectures" not in config and isinstance(config.get("text_config"), dict):
        config = config["text_config"]
    architectures = [str(a) for a in config.get("architectures") or []]
    model_type = str(config.get("model_type", ""))
    causal = [a for a in architectures if a.endswith(("ForCausalLM", "LMHeadModel"))]
    if not causal and (architectures or model_type not in CAUSAL_LM_FAMILIES):
        return None  # an encoder, a seq2seq model, a vision model...
    family = CAUSAL_LM_FAMILIES.get(model_type) or (causal[0].removesuffix("ForCausalLM") if causal else model_type)
    files = [p.name for p in path.iterdir() if p.is_file()]
    safe = sorted(f for f in files if f.endswith(_SAFE_WEIGHTS))
    pickled = sorted(f for f in files if f.endswith(PICKLE_SUFFIXES) and not f.startswith("training_args"))
    details: dict[str, Any] = {"model_type": model_type, "architectures": architectures,
                               "weights": safe or pickled, "onnx": (path / "onnx" / "model.onnx").is_file(),
                               "chat_template": (path / "chat_template.jinja").is_file()
                               or "chat_template" in (read_json_config(path / "tokenizer_config.json") or {})}
    for key in ("num_hidden_layers", "hidden_size", "vocab_size", "max_position_embeddings", "torch_dtype",
                "dtype"):
        if key in config:
            details[key] = config[key]
    if safe:
        fmt = "safetensors"
    elif pickled:
        fmt = "pickle"
        details["refused"] = (f"the weights are pickle files ({', '.join(pickled)}), refused unless allowed: "
                              "pickle can run code when opened. Prefer a safetensors copy of this model; if "
                              f"you trust this one, `genloom models allow-pickle {path}` allows them (they are "
                              "then opened only with torch.load(weights_only=True))")
        details["pickle_weights"] = pickled
    else:
        fmt = "config-only"
        details["refused"] = "the folder has a config.json but no weight files"
    return ModelMatch(kind="transformers-causal-lm", architecture=family, format=fmt, details=details)


def identify_peft_adapter(path: Path) -> ModelMatch | None:
    """A PEFT LoRA adapter folder (``adapter_config.json`` + ``adapter_model.safetensors``)."""
    path = Path(path)
    config = read_json_config(path / "adapter_config.json")
    if config is None or str(config.get("peft_type", "")).upper() not in ("LORA", "ADALORA", "DORA"):
        return None
    if str(config.get("task_type", "CAUSAL_LM")).upper() not in ("CAUSAL_LM", ""):
        return None
    base = str(config.get("base_model_name_or_path") or "")
    safe = (path / "adapter_model.safetensors").is_file()
    details: dict[str, Any] = {"base_model": base, "rank": config.get("r"),
                               "target_modules": config.get("target_modules")}
    if not safe:
        details["refused"] = "the adapter weights are not safetensors (adapter_model.bin is pickle)"
    return ModelMatch(kind="text-lora", architecture=base.rsplit("/", 1)[-1] if base else "",
                      format="safetensors" if safe else "pickle", details=details)


