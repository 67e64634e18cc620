"""Export a Stable Diffusion folder's text encoder, UNet and VAE decoder to ONNX.

    python -m genloom_image.onnx_export MODEL_DIR [--out MODEL_DIR/onnx] [--opset 17]

Writes ``text_encoder.onnx``, ``unet.onnx`` and ``vae_decoder.onnx`` (float32, batch
and image size dynamic) to ``--out``: for a user's model, the folder the plugin's error
names in Genloom's own data (``<data>/derived/<model hash>/onnx``), so that nothing is
written into the model's folder, which may be another tool's cache. The onnxruntime
backend looks there and in ``MODEL_DIR/onnx``, where the bundled model ships its export.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

ONNX_FILES = ("text_encoder.onnx", "unet.onnx", "vae_decoder.onnx")


def _wrappers() -> tuple[type, type, type]:
    import torch

    class TextEncoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any) -> tuple[Any, Any]:
            out = self.model(input_ids, return_dict=True)
            return out.last_hidden_state, out.pooler_output

    class UNet(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, sample: Any, timestep: Any, encoder_hidden_states: Any) -> Any:
            return self.model(sample, timestep, encoder_hidden_states, return_dict=False)[0]

    class VaeDecoder(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, latent_sample: Any) -> Any:
            return self.model.decode(latent_sample, return_dict=False)[0]

    return TextEncoder, UNet, VaeDecoder


def export(model_dir: Path, out_dir: Path | None = None, opset: int = 17) -> list[Path]:
    """Export the three parts of the SD folder ``model_dir``; returns the files written."""
    import torch
    from diffusers import StableDiffusionPipeline

    out_dir = out_dir or model_dir / "onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    pipe = StableDiffusionPipeline.from_pretrained(model_dir, use_safetensors=True, local_files_only=True)
    text_cls, unet_cls, vae_cls = _wrappers()
    length = pipe.tokenizer.model_max_length
    width = pipe.text_encoder.config.hidden_size
    channels = pipe.unet.config.in_channels
    side = pipe.unet.config.sample_size
    jobs = [
        (text_cls(pipe.text_encoder), (torch.zeros(1, length, dtype=torch.int64),), ["input_ids"],
         ["last_hidden_state", "pooler_output"],
         {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}}),
        (unet_cls(pipe.unet),
         (torch.randn(2, channels, side, side), torch.tensor([999.0, 999.0]), torch.randn(2, length, width)),
         ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
         {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
          "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}}),
        (vae_cls(pipe.vae), (torch.randn(1, pipe.vae.config.latent_channels, side, side),), ["latent_sample"],
         ["sample"], {"latent_sample": {0: "batch", 2: "height", 3: "width"},
                      "sample": {0: "batch", 2: "height", 3: "width"}}),
    ]
    return write_onnx(jobs, ONNX_FILES, out_dir, opset)


def write_onnx(jobs: list[tuple[Any, tuple[Any, ...], list[str], list[str], dict[str, Any]]],
               names: tuple[str, ...], out_dir: Path, opset: int) -> list[Path]:
    """Export each ``(module, example inputs, input names, output names, dynamic axes)`` to
    ``out_dir / name`` (float32, traced), each written beside its place and renamed over it,
    so a failed or interrupted export never leaves a half-written file the backend would load."""
    import os

    import torch

    written = []
    for (module, args, inputs, outputs, axes), name in zip(jobs, names, strict=True):
        path = out_dir / name
        partial = path.with_name(f".{name}.partial")
        try:
            with torch.no_grad():
                torch.onnx.export(module.eval(), args, str(partial), input_names=inputs, output_names=outputs,
                                  dynamic_axes=axes, opset_version=opset, dynamo=False)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        written.append(path)
    return written


def export_command(description: str, export: Callable[[Path, Path | None, int], list[Path]]) -> None:
    """The command line of an export module (``MODEL_DIR [--out DIR] [--opset N]``), which
    runs ``export`` and lists what it wrote."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: MODEL_DIR/onnx")
    parser.add_argument("--opset", type=int, default=17)
    args = parser.parse_args()
    for path in export(args.model_dir, args.out, args.opset):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    export_command("Export a Stable Diffusion folder to ONNX.", export)
