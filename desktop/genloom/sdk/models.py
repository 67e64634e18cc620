"""Model references: bundled models a plugin ships, and what a plugin recognises on disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BundledModel", "ModelMatch", "ModelRef"]


@dataclass(frozen=True)
class BundledModel:
    """A model a plugin ships inside its package, so it works with no download.

    ``path`` is a file or folder inside the plugin package; ``kind`` is a model
    kind one of the plugin's generators lists in ``model_kinds``.
    """

    id: str
    kind: str
    path: Path
    title: str = ""
    licence: str = ""
    description: str = ""
    architecture: str = ""

    def to_ref(self) -> ModelRef:
        return ModelRef(id=self.id, kind=self.kind, path=str(self.path), source="bundled",
                        title=self.title or self.id, architecture=self.architecture,
                        licence=self.licence)


@dataclass(frozen=True)
class ModelMatch:
    """What a plugin's ``genloom_identify_model`` hook says about a file or folder.

    ``kind`` is a model kind its generators load (``"diffusers"``,
    ``"transformers-causal-lm"``, ``"lora"``, ``"onnx"``...); ``architecture``
    a readable base such as ``"SD 1.x"`` or ``"Llama"``; ``format`` the storage
    format (``"diffusers-folder"``, ``"safetensors"``, ``"onnx"``, ``"gguf"``).
    In ``details``, ``"refused"`` (a sentence) says the model will not load and why,
    and ``"pickle_weights"`` (relative paths) names the pickle files whose refusal the
    user can lift with ``genloom models allow-pickle``.
    """

    kind: str
    architecture: str = ""
    format: str = ""
    licence: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRef:
    """The model a job runs with, as recorded in its recipe.

    ``hash`` is the model's content hash when the model library has computed
    it (empty for a model not yet hashed). ``allow_pickle`` is true only for a
    pickle-based file the user explicitly allowed.
    """

    id: str
    kind: str = ""
    path: str = ""
    source: str = ""
    title: str = ""
    architecture: str = ""
    licence: str = ""
    hash: str = ""
    #: The user allowed this pickle-based file (``genloom models allow-pickle``);
    #: it may then be opened only with :func:`genloom.sdk.formats.safe_torch_load`.
    allow_pickle: bool = False
    #: A folder in Genloom's own data, one per model content hash, for what a plugin
    #: derives from the model (an ONNX export): never the model's own folder, which may
    #: be another tool's (a Hugging Face cache snapshot). Set by the worker for each job,
    #: "" when the model has no hash; not recorded in recipes. SDK 1.2.
    derived_dir: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "path": self.path, "source": self.source,
                "title": self.title, "architecture": self.architecture,
                "licence": self.licence, "hash": self.hash, "allow_pickle": self.allow_pickle}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelRef:
        return cls(**{k: data[k] for k in data if k in cls.__dataclass_fields__})
