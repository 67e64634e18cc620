"""Applying LoRA .safetensors files with weights to a loaded pipeline (through PEFT).

Adapters stay loaded once read (keyed by file and modification time) and are switched
on or off per run with ``set_adapters``; components shared with image-to-image and
inpainting pipelines (``from_pipe``) see the same adapters.
"""

from __future__ import annotations

import hashlib
from typing import Any

from genloom.sdk import ParameterError
from genloom_image.validation import LoraSpec


def adapter_name(spec: LoraSpec) -> str:
    """A stable adapter name for a file (its path and modification time)."""
    stat = spec.path.stat()
    digest = hashlib.sha1(f"{spec.path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()
    return f"lora_{digest[:12]}"


def apply_loras(pipe: Any, loras: list[LoraSpec], loaded: dict[str, Any]) -> list[dict[str, Any]]:
    """Make exactly ``loras`` active on ``pipe``; ``loaded`` remembers adapters already read.

    Returns what was applied, for the recipe (file name and weight).
    """
    if not loras:
        if loaded.get("active"):
            pipe.disable_lora()
            loaded["active"] = []
        return []
    if not hasattr(pipe, "load_lora_weights"):
        raise ParameterError("loras", ", ".join(str(s.path) for s in loras),
                             f"cannot be applied: {type(pipe).__name__} does not support LoRAs",
                             "remove the LoRAs or use a model family that supports them")
    names = []
    for spec in loras:
        name = adapter_name(spec)
        if name not in loaded.setdefault("names", set()):
            try:
                pipe.load_lora_weights(str(spec.path), adapter_name=name)
            except ImportError as exc:
                raise ParameterError("loras", str(spec.path), "needs the peft package, which is not installed",
                                     "install peft into Genloom's environment") from exc
            except (ValueError, KeyError, RuntimeError) as exc:
                raise ParameterError("loras", str(spec.path), f"does not fit this model ({exc})",
                                     "use a LoRA trained for this model's family") from exc
            loaded["names"].add(name)
        names.append(name)
    pipe.enable_lora()
    pipe.set_adapters(names, adapter_weights=[s.weight for s in loras])
    loaded["active"] = names
    return [{"file": s.path.name, "weight": s.weight} for s in loras]
