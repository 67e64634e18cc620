"""Other apps' model folders: which sub-folders to scan, and what each holds.

When the user adds the install folder of ComfyUI, AUTOMATIC1111 (or Forge)
or InvokeAI, only its models folder is scanned (not its Python environment,
extensions or custom nodes, which hold thousands of files), and each
sub-folder's purpose becomes a hint recorded with the model and shown next to
one no plugin recognises ("found in a folder meant for lora models").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Layout", "ScanFolder", "detect_layout"]

_COMFYUI_FOLDERS = {
    "checkpoints": "sd-checkpoint", "loras": "lora", "vae": "vae", "diffusion_models": "diffusion-model",
    "unet": "diffusion-model", "clip": "text-encoder", "text_encoders": "text-encoder",
    "clip_vision": "image-encoder", "controlnet": "controlnet", "embeddings": "embedding",
    "upscale_models": "upscaler", "diffusers": "diffusers", "LLM": "transformers-causal-lm",
}
_A1111_FOLDERS = {
    "Stable-diffusion": "sd-checkpoint", "Lora": "lora", "LyCORIS": "lora", "VAE": "vae",
    "ControlNet": "controlnet", "ESRGAN": "upscaler", "text_encoder": "text-encoder",
}


@dataclass(frozen=True)
class ScanFolder:
    """One folder to scan and what it is meant to hold (a model kind, or "").

    ``recursive=False``: only the files directly in it (an app's models
    folder, whose sub-folders are separate ``ScanFolder`` s with their hints).
    """

    path: Path
    hint: str = ""
    recursive: bool = True


@dataclass(frozen=True)
class Layout:
    """What a folder the user added turned out to be."""

    name: str  # "comfyui", "a1111", "invokeai", "folder" or "file"
    title: str
    folders: tuple[ScanFolder, ...]


def detect_layout(path: Path) -> Layout:
    """Recognise an app's install or models folder; anything else is scanned whole.

    An install folder is narrowed to its models folder(s). A models folder
    (the app's own, or one that looks like it) is scanned whole, one
    sub-folder at a time so each gets its hint.
    """
    path = Path(path)
    if path.is_file():
        return Layout("file", "a model file", (ScanFolder(path),))
    models = path / "models"
    if models.is_dir() and ((path / "comfy").is_dir() or (path / "comfyui_version.py").is_file()):
        return Layout("comfyui", "ComfyUI", _subfolders(models, _COMFYUI_FOLDERS))
    if models.is_dir() and ((models / "Stable-diffusion").is_dir() or (path / "webui.py").is_file()):
        extra = (ScanFolder(path / "embeddings", "embedding"),) if (path / "embeddings").is_dir() else ()
        return Layout("a1111", "AUTOMATIC1111", _subfolders(models, _A1111_FOLDERS) + extra)
    if models.is_dir() and (path / "invokeai.yaml").is_file():
        return Layout("invokeai", "InvokeAI", (ScanFolder(models),))
    if sum((path / name).is_dir() for name in ("checkpoints", "loras", "vae", "clip", "unet",
                                               "diffusion_models", "text_encoders", "controlnet")) >= 3:
        return Layout("comfyui", "ComfyUI models folder", _subfolders(path, _COMFYUI_FOLDERS))
    if (path / "Stable-diffusion").is_dir() or (path / "Lora").is_dir():
        return Layout("a1111", "AUTOMATIC1111 models folder", _subfolders(path, _A1111_FOLDERS))
    return Layout("folder", "a folder", (ScanFolder(path),))


def _subfolders(models: Path, hints: dict[str, str]) -> tuple[ScanFolder, ...]:
    """The models folder's own files (no hint), then each sub-folder with its hint."""
    try:
        children = sorted(p for p in models.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return (ScanFolder(models),)
    return (ScanFolder(models, recursive=False),) + tuple(ScanFolder(child, hints.get(child.name, ""))
                                                         for child in children)
