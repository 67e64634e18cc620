"""Other apps' model folders: which sub-folders to scan, and what each holds.

When the user adds the install folder of ComfyUI, AUTOMATIC1111 (or Forge)
or InvokeAI, only its model folders are scanned (not its Python environment
or custom nodes), and each folder's purpose becomes a hint shown next to a
model no plugin recognises ("in ComfyUI's loras folder").
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
    "models/Stable-diffusion": "sd-checkpoint", "models/Lora": "lora", "models/LyCORIS": "lora",
    "models/VAE": "vae", "models/ControlNet": "controlnet", "models/ESRGAN": "upscaler",
    "embeddings": "embedding",
}


@dataclass(frozen=True)
class ScanFolder:
    """One folder to scan and what it is meant to hold (a model kind, or "")."""

    path: Path
    hint: str = ""


@dataclass(frozen=True)
class Layout:
    """What a folder the user added turned out to be."""

    name: str  # "comfyui", "a1111", "invokeai" or "folder"
    title: str
    folders: tuple[ScanFolder, ...]


def detect_layout(path: Path) -> Layout:
    """Recognise an app's install or models folder; a plain folder is scanned whole."""
    path = Path(path)
    if path.is_file():
        return Layout("file", "a model file", (ScanFolder(path),))
    for models in (path / "models", path):
        folders = [ScanFolder(models / name, hint) for name, hint in _COMFYUI_FOLDERS.items()
                   if (models / name).is_dir()]
        main = (models / "checkpoints").is_dir() or (models / "diffusion_models").is_dir()
        if main and len(folders) >= 2:
            return Layout("comfyui", "ComfyUI", tuple(folders))
    folders = [ScanFolder(path / name, hint) for name, hint in _A1111_FOLDERS.items() if (path / name).is_dir()]
    if (path / "models/Stable-diffusion").is_dir() or (path / "models/Lora").is_dir():
        return Layout("a1111", "AUTOMATIC1111", tuple(folders))
    if (path / "invokeai.yaml").is_file() and (path / "models").is_dir():
        return Layout("invokeai", "InvokeAI", (ScanFolder(path / "models"),))
    return Layout("folder", "a folder", (ScanFolder(path),))
