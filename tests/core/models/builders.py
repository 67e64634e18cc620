"""Build tiny real-format models on disk for the tests (seeded, a few KB each)."""

from __future__ import annotations

from pathlib import Path


def onnx_model(path: Path) -> Path:
    """Export a 3->2 linear layer to ONNX with input ``x`` and output ``y``."""
    import torch

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(torch.nn.Linear(3, 2), (torch.zeros(1, 3),), str(path), dynamo=False,
                      input_names=["x"], output_names=["y"])
    return path
