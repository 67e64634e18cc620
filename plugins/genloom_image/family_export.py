"""Export a GAN or VAE folder's networks to ONNX.

    python -m genloom_image.family_export MODEL_DIR [--out MODEL_DIR/onnx] [--opset 17]

Writes ``generator.onnx`` (GAN) or ``encoder.onnx`` and ``decoder.onnx`` (VAE), float32
with a dynamic batch. Inputs: ``latent`` ``(B, latent_dim)`` and ``words`` ``(B,
vocabulary)`` give ``image`` ``(B, 3, S, S)`` in [0, 1]; the encoder takes ``image`` and
gives the latent ``mean``. For a user's folder, ``--out`` is the folder the plugin's error
names in Genloom's own data, so nothing is written into the model's folder.
"""

from __future__ import annotations

from pathlib import Path

from genloom_image.families import ONNX_FILES, read_config
from genloom_image.onnx_export import export_command, write_onnx


def export(model_dir: Path, out_dir: Path | None = None, opset: int = 17) -> list[Path]:
    """Export the folder's networks; returns the files written (each replaced atomically)."""
    import torch

    from genloom_image.family_nets import nets
    from genloom_image.family_runtime import FamilyRunner

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    out_dir = Path(out_dir) if out_dir is not None else model_dir / "onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    net = FamilyRunner(model_dir, "torch", "cpu", config=config)._net
    size, words = config.image_size, len(config.vocabulary)
    decoder_args = (torch.randn(2, config.latent_dim), torch.rand(2, words))
    jobs = [(net.decoder, decoder_args, ["latent", "words"], ["image"],
             {"latent": {0: "batch"}, "words": {0: "batch"}, "image": {0: "batch"}})]
    if config.family == "icon-vae":
        jobs.insert(0, (nets().EncoderMean(net.encoder), (torch.rand(2, 3, size, size),), ["image"], ["mean"],
                        {"image": {0: "batch"}, "mean": {0: "batch"}}))
    return write_onnx(jobs, ONNX_FILES[config.family], out_dir, opset)


if __name__ == "__main__":
    export_command("Export a Genloom GAN or VAE folder to ONNX.", export)
