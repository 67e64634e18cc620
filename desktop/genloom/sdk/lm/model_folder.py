"""Transformers causal-LM folders on disk: find them and check their weights before loading.

Pure Python (json only). Recognising them for the model library is
the text plugin's job (genloom_text.identify).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ModelRef, is_pickle_file, refuse_pickle

#: The model kind both the text and the code generators load.
MODEL_KIND = "transformers-causal-lm"

#: Weight files transformers can load, safest first.
_PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt",
                   "model.pth", "pytorch_model.pt")

#: Where an ONNX export with a key/value cache lives inside a model folder.
ONNX_FILE = Path("onnx") / "model.onnx"


@dataclass(frozen=True)
class ModelFolder:
    """A transformers causal-LM folder, checked: ``weights`` is safetensors or a pickle file
    the user allowed (``pickle_file`` then names it)."""

    path: Path
    config: dict[str, Any]
    pickle_file: Path | None = None
    #: Genloom's own folder for what is derived from this model (``ModelRef.derived_dir``), or None.
    derived_dir: Path | None = None

    @property
    def architecture(self) -> str:
        archs = self.config.get("architectures") or []
        return archs[0] if archs else str(self.config.get("model_type", "unknown"))

    @property
    def onnx_places(self) -> list[Path]:
        """Where an ONNX export may be, in order: the folder's own ``onnx/`` (the bundled
        models ship theirs there), then Genloom's folder for this model (where exports go)."""
        return [self.path / ONNX_FILE, *([self.derived_dir / ONNX_FILE] if self.derived_dir else [])]

    @property
    def onnx_path(self) -> Path:
        """The first ONNX export that exists (else the first place one may be)."""
        return next((p for p in self.onnx_places if p.is_file()), self.onnx_places[0])


def resolve_hf_cache(path: Path) -> Path:
    """A Hugging Face cache repo folder (``models--org--name``) -> its current snapshot."""
    snapshots = path / "snapshots"
    if not snapshots.is_dir():
        return path
    ref = path / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip()
        if candidate.is_dir():
            return candidate
    found = sorted((p for p in snapshots.iterdir() if p.is_dir()),
                   key=lambda p: p.stat().st_mtime)
    if not found:
        raise InputError(f"{path} is a Hugging Face cache folder with no downloaded snapshot; "
                         "download the model first (Genloom never downloads)")
    return found[-1]


def _read_config(folder: Path) -> dict[str, Any] | None:
    config = folder / "config.json"
    if not config.is_file():
        return None
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_causal_lm_config(config: dict[str, Any]) -> bool:
    """True for a config whose architecture generates text (``*ForCausalLM``, ``*LMHeadModel``)."""
    archs = config.get("architectures") or []
    return any(str(a).endswith(("ForCausalLM", "LMHeadModel")) for a in archs)


def find_folder(path: Path | str) -> Path:
    """The model folder for ``path``: itself, its HF-cache snapshot, or the folder of a file."""
    path = Path(path).expanduser()
    if path.is_file():
        path = path.parent
    return resolve_hf_cache(path)


def open_folder(ref: ModelRef) -> ModelFolder:
    """Check the model a job names and say clearly what is wrong with it.

    :raises InputError: no such folder, no config, not a causal LM, or no weights.
    :raises PickleRefusedError: only pickle weights, and the user has not allowed them.
    """
    if not ref.path:
        raise InputError(f"model {ref.id!r} has no path; give a transformers model folder")
    folder = find_folder(ref.path)
    if not folder.is_dir():
        raise InputError(f"model folder {folder} does not exist")
    config = _read_config(folder)
    if config is None:
        raise InputError(f"{folder} has no readable config.json, so it is not a transformers model "
                         "folder; give the folder that holds config.json and the weights")
    if not is_causal_lm_config(config):
        archs = ", ".join(config.get("architectures") or ["none listed"])
        raise InputError(f"{folder} holds a {archs} model, which does not generate text; "
                         "give a causal language model (architectures ending in ForCausalLM)")
    derived = Path(ref.derived_dir) if ref.derived_dir else None
    if any(folder.glob("*.safetensors")):
        return ModelFolder(folder, config, derived_dir=derived)
    for name in _PICKLE_WEIGHTS:
        candidate = folder / name
        if candidate.exists():
            refuse_pickle(candidate, ref.allow_pickle)
            if name.endswith(".json"):
                raise InputError(f"{folder} has sharded pickle weights ({name}); Genloom loads "
                                 "sharded models only as safetensors; convert them first")
            return ModelFolder(folder, config, pickle_file=candidate, derived_dir=derived)
    others = [p.name for p in folder.iterdir() if is_pickle_file(p)]
    if others:
        refuse_pickle(folder / others[0], ref.allow_pickle)
    raise InputError(f"{folder} has a config.json but no weights (no *.safetensors file); "
                     "copy the model's model.safetensors next to config.json")
