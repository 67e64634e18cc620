"""Finding model folders that ship their own Python code.

transformers loads a class named in a config's ``auto_map`` from a ``.py`` file in the
folder (and, unless told ``trust_remote_code=False``, asks on the terminal whether to run
it); diffusers does the same for a ``model_index.json`` component whose library is a
module of the folder. Genloom runs no model code, so such folders are refused when they
are identified, before any plugin or library opens them. Only JSON is read here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk.formats import read_json_config

__all__ = ["custom_code"]

#: Libraries a diffusers ``model_index.json`` names for components that are not custom code.
_KNOWN_LIBRARIES = frozenset({"diffusers", "transformers", "peft", "onnxruntime", "sentencepiece", "tokenizers"})
#: Config files can be large (a tokenizer.json is megabytes); configs with ``auto_map`` are small.
_MAX_CONFIG_BYTES = 4 * 1024 * 1024


def _read_json(path: Path) -> dict[str, Any] | None:
    return read_json_config(path, max_bytes=_MAX_CONFIG_BYTES)


def custom_code(folder: Path) -> list[str]:
    """What in ``folder`` asks to run the folder's own code ("config.json: auto_map AutoModel -> x.Y"),
    or an empty list. Looks at the folder's ``*config*.json`` files and those one level down
    (a diffusers pipeline's components), and at ``model_index.json``."""
    folder = Path(folder)
    found: list[str] = []
    for config in _config_files(folder):
        data = _read_json(config)
        if data is None:
            continue
        relative = config.relative_to(folder).as_posix()
        for owner in (data, data.get("text_config"), data.get("decoder")):
            if isinstance(owner, dict) and owner.get("auto_map"):
                found.append(f"{relative}: auto_map {_describe_auto_map(owner['auto_map'])}")
    index = _read_json(folder / "model_index.json")
    if index is not None:
        name = index.get("_class_name")
        if isinstance(name, list):
            found.append(f"model_index.json: custom pipeline {name}")
        for component, value in index.items():
            if component.startswith("_") or not isinstance(value, list) or len(value) != 2:
                continue
            library = value[0]
            if library is not None and str(library) not in _KNOWN_LIBRARIES:
                found.append(f"model_index.json: component {component} from {library}.py")
    return found


def _config_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for directory in [folder, *sorted(p for p in _children(folder) if p.is_dir() and not p.name.startswith("."))]:
        files += sorted(p for p in _children(directory)
                        if p.name.endswith(".json") and "config" in p.name and p.is_file())
    return files


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _describe_auto_map(auto_map: Any) -> str:
    if isinstance(auto_map, dict):
        return ", ".join(f"{key} -> {value}" for key, value in list(auto_map.items())[:2])
    return str(auto_map)[:120]
