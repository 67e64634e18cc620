"""Video metrics: temporal consistency (SSIM of consecutive frames, torchmetrics) and
flicker (how much the mean brightness jumps between frames). Frames come from
:func:`genloom.sdk.video.read_frames`, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

__all__ = ["MAX_FRAMES", "flicker", "temporal_consistency"]

#: The most frames a video metric reads (a long clip is measured on its start).
MAX_FRAMES = 600
#: Frames are scaled down to at most this side for SSIM: consistency is about
#: structure over time, not fine detail, and it keeps the cost per frame small.
_SSIM_SIDE = 128


def _grey_frames(asset: MetricAsset, context: MetricContext) -> Iterator[Any]:
    import numpy as np

    from genloom.sdk.video import read_frames

    for frame in read_frames(asset.path, count=MAX_FRAMES):
        if context.cancelled:
            return
        # ITU-R BT.601 luma, the weights the "mean luminance" of flicker studies uses.
        yield frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _small(grey: Any) -> Any:
    import cv2

    height, width = grey.shape
    scale = min(1.0, _SSIM_SIDE / max(height, width))
    if scale < 1.0:
        grey = cv2.resize(grey, (max(7, round(width * scale)), max(7, round(height * scale))),
                          interpolation=cv2.INTER_AREA)
    return grey


def temporal_consistency(asset: MetricAsset, context: MetricContext) -> float | None:
    """Mean SSIM between each frame and the next (1: nothing changes; None: one frame)."""
    import torch
    from torchmetrics.functional.image import structural_similarity_index_measure

    scores = []
    previous = None
    for grey in _grey_frames(asset, context):
        current = torch.from_numpy(_small(grey)).double()[None, None] / 255.0
        if previous is not None:
            score = structural_similarity_index_measure(previous, current, data_range=1.0, kernel_size=7)
            scores.append(float(score[0] if isinstance(score, tuple) else score))
        previous = current
    if previous is None:
        raise InputError("the video has no frames")
    return sum(scores) / len(scores) if scores else None


def flicker(asset: MetricAsset, context: MetricContext) -> float | None:
    """Mean absolute change of the frames' mean luminance, in 0-1 of full scale."""
    means = [float(grey.mean()) / 255.0 for grey in _grey_frames(asset, context)]
    if not means:
        raise InputError("the video has no frames")
    if len(means) < 2:
        return None
    return sum(abs(b - a) for a, b in zip(means, means[1:], strict=False)) / (len(means) - 1)
