"""A user's GAN or VAE folder with small random weights, written as training writes one."""

from __future__ import annotations

import json
from pathlib import Path

VOCABULARY = ["red", "heart", "cat", "face", "star", "blue", "green", "tree"]


def build_family_folder(path: Path, family: str, seed: int = 0, onnx: bool = True) -> Path:
    """``path`` made into an ``icon-gan`` / ``icon-vae`` folder (16 px, random weights)."""
    import torch
    from safetensors.torch import save_file

    from genloom_image.families import FORMAT_VERSION, parse_config
    from genloom_image.family_export import export
    from genloom_image.family_nets import build

    raw = {"genloom_model": family, "format_version": FORMAT_VERSION, "image_size": 16, "latent_dim": 8,
           "embed_dim": 8, "channels": [16, 8, 8], "vocabulary": VOCABULARY, "licence": "test"}
    path.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    net = build(parse_config(raw))
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path / "model.safetensors"))
    (path / "config.json").write_text(json.dumps(raw), encoding="utf-8")
    if onnx:
        export(path)
    return path
