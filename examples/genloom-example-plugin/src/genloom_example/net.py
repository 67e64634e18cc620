"""The decoder: (shape, code) -> a 32x32 mask. torch is imported only when it is built."""

from __future__ import annotations

from typing import Any

from genloom_example.shapes import SHAPES

#: The file in the model folder that holds the decoder's weights.
WEIGHTS = "model.safetensors"


def build_decoder() -> Any:
    """The decoder's layers; the model folder's weights must match their names and shapes."""
    import torch
    from torch import nn

    return nn.Sequential(
        nn.Linear(len(SHAPES) + 3, 64), nn.ReLU(),
        nn.Linear(64, 8 * 8 * 8), nn.ReLU(),
        nn.Unflatten(1, (8, 8, 8)),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(8, 1, 3, padding=1), nn.Sigmoid(),
    ).to(torch.float32)


def decoder_input(shape_index: Any, code: Any) -> Any:
    """The decoder's input for shape indices (n,) and codes (n, 3): one-hot shape, then code."""
    import torch

    onehot = torch.nn.functional.one_hot(torch.as_tensor(shape_index), len(SHAPES)).to(code.dtype)
    return torch.cat([onehot, code], dim=1)
