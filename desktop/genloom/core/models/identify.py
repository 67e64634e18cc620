"""Identifying a candidate: the plugins first, then Genloom's own fallbacks.

The plugins' ``genloom_identify_model`` hooks say what they can load. What no
plugin claims is still described as well as Genloom can (an ONNX file, a GGUF
file with its architecture, a refused pickle) or listed as unknown with the
reason. Pickle files are never shown to plugins: nothing may be tempted to
unpickle them while identifying. Nor are files found by their content whose
name does not say their format (``model.safetensors.bak``, a file with no
suffix): they are listed as unknown with the format their bytes show, for
the user to rename or to type by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genloom.core.models.architectures import known_architecture
from genloom.core.models.custom_code import custom_code
from genloom.core.models.gguf import read_gguf_metadata
from genloom.core.models.sniff import FORMAT_SUFFIX
from genloom.sdk.formats import (
    PICKLE_SUFFIXES,
    ModelFormatError,
    is_gguf_file,
    is_pickle_file,
    read_json_config,
    read_safetensors_header,
)
from genloom.sdk.models import ModelMatch

__all__ = ["PICKLE_WEIGHTS", "Identification", "identify_candidate", "licence_from_model_card"]

#: ``details`` key of a refused match: the relative paths of the pickle weight files whose
#: refusal the user can lift (``genloom models allow-pickle``). The library records their
#: content hashes under ``pickle_files``; the model is allowed when every one of them is.
PICKLE_WEIGHTS = "pickle_weights"

#: What ``status`` a model has after identification: "ok" (a generator loads it),
#: "unknown" (not identified), "refused" (it will not be loaded; ``reason`` says why and
#: whether allowing it helps), "unsupported" (identified, but no installed plugin uses it yet).
STATUSES = ("ok", "unknown", "refused", "unsupported")


@dataclass
class Identification:
    """What the library records about a model's type."""

    kind: str = ""
    architecture: str = ""
    format: str = ""
    licence: str = ""
    status: str = "unknown"
    reason: str = ""
    plugins: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def identify_candidate(path: Path, is_dir: bool, plugins: Any | None, hint: str = "",
                       sniffed: str = "") -> Identification:
    """Identify the model at ``path`` (``plugins`` is a PluginManager, or None for fallbacks only).

    ``sniffed`` is the format the file's first bytes showed when its suffix
    does not name one (:mod:`genloom.core.models.sniff`); such a file is not
    shown to plugins and stays unknown until the user renames it or sets its type.
    """
    path = Path(path)
    if not is_dir and is_pickle_file(path):
        label = path.suffix if path.suffix.lower() in PICKLE_SUFFIXES else "Pickle"
        return Identification(
            kind="pickle", format="pickle", status="refused",
            reason=(f"pickle: refused unless allowed. {label} files can run code when "
                    f"opened; if you trust this one, `genloom models allow-pickle {path}` allows it "
                    "(it is then opened only with torch.load(weights_only=True))"),
            details={"hint": hint, PICKLE_WEIGHTS: [path.name]} if hint else {PICKLE_WEIGHTS: [path.name]})
    code = custom_code(path) if is_dir else []
    if code:
        # Refused before any plugin sees it: loading it would mean running (or being asked
        # to run) the folder's own Python, and Genloom never runs model code.
        return Identification(
            format=_folder_format(path), status="refused",
            reason=(f"contains its own code ({'; '.join(code[:3])}): Genloom does not run model code. "
                    "Use a release of this model that works with the libraries' own classes"),
            details={"custom_code": code, **({"hint": hint} if hint else {})})
    matches: list[tuple[str, ModelMatch]] = []
    if sniffed and not is_dir:
        result = _sniffed(path, sniffed)
    elif plugins is not None and (matches := plugins.identify_model(path)):
        result = _from_matches(matches)
    else:
        result = _fallback(path, is_dir)
    if hint:
        result.details.setdefault("hint", hint)
        if result.status == "unknown":
            result.reason += f" (found in a folder meant for {hint} models)"
    if not result.licence and not is_dir and path.suffix.lower() == ".safetensors":
        from genloom.core.models.licences import licence_from_safetensors

        result.licence = licence_from_safetensors(path)
    if not result.licence:
        result.licence = licence_from_model_card(path if is_dir else path.parent)
    return result


def _from_matches(matches: list[tuple[str, ModelMatch]]) -> Identification:
    plugin, first = matches[0]
    details = dict(first.details)
    if len(matches) > 1:
        details["other_matches"] = [{"plugin": name, "kind": m.kind, "architecture": m.architecture}
                                    for name, m in matches[1:]]
    refused = str(details.get("refused", ""))
    return Identification(kind=first.kind, architecture=first.architecture, format=first.format,
                          licence=first.licence, status="refused" if refused else "ok", reason=refused,
                          plugins=[name for name, _ in matches], details=details)


def _fallback(path: Path, is_dir: bool) -> Identification:
    if is_dir:
        return _unknown_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return _onnx(path)
    if is_gguf_file(path):
        return _gguf(path)
    if suffix in (".safetensors", ".sft"):
        return _unknown_safetensors(path)
    return Identification(reason=f"no plugin recognises this {suffix or 'extension-less'} file")


def _sniffed(path: Path, content_format: str) -> Identification:
    """A file whose bytes are a model format its name does not say: unknown, with what it holds."""
    if content_format == "gguf":
        found = _gguf(path)
    elif content_format == "safetensors":
        found = _unknown_safetensors(path)
    else:
        found = Identification(format=content_format)
    named = f"its name ends in {path.suffix!r}" if path.suffix else "its name has no suffix"
    holds = f"; {found.reason}" if found.reason else ""
    found.reason = (f"a {content_format} file by its content, but {named}, so no plugin was asked about it "
                    f"(a renamed copy or an unfinished download?){holds}. If it is complete, rename it to end "
                    f"in {FORMAT_SUFFIX.get(content_format, '')} and rescan, or set its type with "
                    f"`genloom models set-type`")
    found.kind, found.status = "", "unknown"
    found.details["content_format"] = content_format
    return found


def _onnx(path: Path) -> Identification:
    with open(path, "rb") as handle:
        start = handle.read(2)
    # An ONNX ModelProto starts with field 1 (ir_version, a varint): byte 0x08.
    if start[:1] != b"\x08":
        return Identification(format="onnx", reason="named .onnx but not an ONNX protobuf (it does not start "
                                                   "with the ir_version field); the file may be damaged")
    return Identification(kind="onnx", format="onnx", status="ok",
                          reason="an ONNX model; no plugin claimed it, so no generator is known to use it")


def _gguf(path: Path) -> Identification:
    try:
        meta = read_gguf_metadata(path)
    except (ModelFormatError, OSError) as exc:
        return Identification(format="gguf", reason=str(exc))
    return Identification(kind="gguf", architecture=str(meta.get("general.architecture", "")), format="gguf",
                          licence=str(meta.get("general.license", "") or ""), status="ok",
                          details={k: v for k, v in meta.items() if v is not None})


def _unknown_safetensors(path: Path) -> Identification:
    try:
        header = read_safetensors_header(path)
    except (ModelFormatError, OSError) as exc:
        return Identification(format="safetensors", reason=str(exc))
    names = sorted(k for k in header if k != "__metadata__")
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return Identification(format="safetensors", details={"tensors": len(names)},
                          reason=f"no plugin recognises its {len(names)} tensors ({shown or 'none'})")


def _unknown_folder(path: Path) -> Identification:
    index = read_json_config(path / "model_index.json")
    if index is not None:
        pipeline = index.get("_class_name", "?")
        return Identification(format="diffusers-folder", details={"pipeline": pipeline},
                              reason=f"a diffusers {pipeline} folder that no installed plugin loads")
    config = read_json_config(path / "config.json")
    if config is not None:
        known = known_architecture(config)
        if known is not None:
            details: dict[str, Any] = {"modality": known.modality, "plugin": "none yet"}
            if config.get("architectures"):
                details["architectures"] = list(config["architectures"])
            return Identification(
                kind=known.kind, architecture=known.architecture, format=known.format, status="unsupported",
                reason=f"{known.description}; no installed plugin generates {known.modality} with it yet",
                details=details)
        if config.get("_class_name"):
            # diffusers writes ``_class_name`` into a model's config.json; transformers never does.
            name = str(config["_class_name"])
            return Identification(format="diffusers-model-folder", details={"class": name},
                                  reason=f"a diffusers {name} model folder that no installed plugin loads")
        arch = ", ".join(config.get("architectures") or []) or config.get("model_type", "?")
        return Identification(format="transformers-folder", details={"architectures": arch},
                              reason=f"a transformers model ({arch}) that no installed plugin loads")
    return Identification(reason="a folder with a model config that no plugin recognises")


def _folder_format(path: Path) -> str:
    if (path / "model_index.json").is_file():
        return "diffusers-folder"
    config = read_json_config(path / "config.json") or {}
    return "diffusers-model-folder" if config.get("_class_name") else "transformers-folder"


_LICENCE_LINE = re.compile(r"^licen[cs]e:\s*(\S.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def licence_from_model_card(folder: Path) -> str:
    """The ``license:`` of a model card's YAML front matter (README.md), or ""."""
    try:
        with open(Path(folder) / "README.md", encoding="utf-8", errors="replace") as handle:
            text = handle.read(16384)
    except OSError:
        return ""
    if not text.startswith("---"):
        return ""
    front = text[3:].split("\n---", 1)[0]
    found = _LICENCE_LINE.search(front)
    return found.group(1).strip("'\"") if found else ""


