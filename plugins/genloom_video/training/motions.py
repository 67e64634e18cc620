"""Known motions: clips synthesised from a still image, and the motion read back from frames.

Shared by the training script (which makes captioned clips), the evaluation (which reads
the global motion of generated clips) and the tests. Camera words follow film usage: a
camera that pans right makes the picture slide left; "zoom in" makes it grow.
"""

from __future__ import annotations

import math

import numpy as np

#: Every motion a caption can name, in a fixed order (training draws from these).
MOTIONS: tuple[str, ...] = ("pan left", "pan right", "pan up", "pan down", "zoom in", "zoom out",
                            "rotate", "bounce", "pulse", "shake", "slide in", "fade")

#: The motions whose global motion the estimator tells apart (the evaluation asks these).
MEASURABLE: tuple[str, ...] = ("pan left", "pan right", "pan up", "pan down", "zoom in", "zoom out", "rotate")


def _affine(size: int, dx: float, dy: float, scale: float, angle_deg: float) -> np.ndarray:
    """The 2x3 matrix that scales and rotates about the centre, then shifts the picture by (dx, dy)."""
    import cv2

    centre = ((size - 1) / 2, (size - 1) / 2)
    matrix = cv2.getRotationMatrix2D(centre, -angle_deg, scale)  # cv2's positive angle is anticlockwise
    matrix[0, 2] += dx
    matrix[1, 2] += dy
    return matrix


def synthesise(image: np.ndarray, motion: str, frames: int, rng: np.random.Generator,
               strength: float = 1.0) -> np.ndarray:
    """``frames`` frames of ``image`` (HxWx3 uint8, square) moved by ``motion``; white fills the border.

    ``strength`` scales the amount of motion; a random factor in [0.7, 1.3] varies it per clip.
    """
    import cv2

    size = image.shape[0]
    amount = strength * float(rng.uniform(0.7, 1.3))
    shift = 0.25 * size * amount  # pans travel a quarter of the frame
    out = []
    for index in range(frames):
        t = index / max(1, frames - 1)
        dx = dy = angle = 0.0
        scale, alpha = 1.0, 1.0
        if motion == "pan left":
            dx = shift * t
        elif motion == "pan right":
            dx = -shift * t
        elif motion == "pan up":
            dy = shift * t
        elif motion == "pan down":
            dy = -shift * t
        elif motion == "zoom in":
            scale = 1.0 + 0.5 * amount * t
        elif motion == "zoom out":
            scale = 1.0 + 0.5 * amount * (1 - t)
        elif motion == "rotate":
            angle = 45.0 * amount * t
        elif motion == "bounce":
            dy = -0.2 * size * amount * abs(math.sin(2 * math.pi * t))
        elif motion == "pulse":
            scale = 1.0 + 0.2 * amount * math.sin(2 * math.pi * t)
        elif motion == "shake":
            dx, dy = (float(v) for v in rng.normal(0, 0.06 * size * amount, 2))
        elif motion == "slide in":
            dx = -size * (1 - t) ** 2
        elif motion == "fade":
            alpha = t
        else:
            raise ValueError(f"unknown motion {motion!r}; choose one of {', '.join(MOTIONS)}")
        moved = cv2.warpAffine(image, _affine(size, dx, dy, scale, angle), (size, size),
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=(255, 255, 255))
        if alpha < 1.0:
            moved = (alpha * moved + (1 - alpha) * 255).astype(np.uint8)
        out.append(moved)
    return np.stack(out)


def global_motion(first: np.ndarray, last: np.ndarray) -> dict[str, float]:
    """The similarity motion from ``first`` to ``last`` (HxWx3 uint8), fitted to dense optical flow.

    Farneback flow is fitted by least squares with ``u = tx + a*x - b*y``, ``v = ty + a*y + b*x``
    about the centre: ``tx, ty`` (pixels, the picture's shift), ``a`` (scale - 1) and ``b``
    (rotation in radians, positive = clockwise on screen). Pixels of the white
    background carry no motion and are left out of the fit.
    """
    import cv2

    a_gray = cv2.cvtColor(first, cv2.COLOR_RGB2GRAY)
    b_gray = cv2.cvtColor(last, cv2.COLOR_RGB2GRAY)
    size = a_gray.shape[0]
    flow = cv2.calcOpticalFlowFarneback(a_gray, b_gray, None, 0.5, 2, max(5, size // 4), 5, 5, 1.1, 0)
    ys, xs = np.mgrid[0:a_gray.shape[0], 0:a_gray.shape[1]].astype(np.float64)
    xs -= (a_gray.shape[1] - 1) / 2
    ys -= (a_gray.shape[0] - 1) / 2
    keep = (a_gray < 245) | (b_gray < 245)
    if keep.sum() < 8:
        keep = np.ones_like(keep)
    x, y = xs[keep], ys[keep]
    u, v = flow[..., 0][keep].astype(np.float64), flow[..., 1][keep].astype(np.float64)
    ones, zeros = np.ones_like(x), np.zeros_like(x)
    design = np.concatenate([np.stack([ones, zeros, x, -y], 1), np.stack([zeros, ones, y, x], 1)])
    target = np.concatenate([u, v])
    (tx, ty, a, b), *_ = np.linalg.lstsq(design, target, rcond=None)
    return {"tx": float(tx), "ty": float(ty), "scale": float(a), "rotation": float(b)}


def clip_motion(frames: np.ndarray) -> dict[str, float]:
    """The motion of a clip: :func:`global_motion` of each pair of neighbouring frames, summed.

    Frames are enlarged to at least 96 pixels first (Farneback needs some room), and the
    shifts are given back in the clip's own pixels.
    """
    import cv2

    size = frames.shape[1]
    factor = max(1, -(-96 // size))
    big = [cv2.resize(f, (f.shape[1] * factor, f.shape[0] * factor), interpolation=cv2.INTER_CUBIC)
           for f in frames]
    total = {"tx": 0.0, "ty": 0.0, "scale": 0.0, "rotation": 0.0}
    for first, second in zip(big[:-1], big[1:], strict=True):
        step = global_motion(first, second)
        for key in total:
            total[key] += step[key]
    total["tx"] /= factor
    total["ty"] /= factor
    return total


def classify(frames: np.ndarray, threshold: float = 0.04) -> str:
    """The measurable motion (:data:`MEASURABLE`) a clip shows, or "static" below ``threshold``."""
    motion = clip_motion(frames)
    size = frames.shape[1]
    radius = size / 4  # compare zoom and rotation by the displacement they cause a quarter-frame out
    candidates = {
        "pan left" if motion["tx"] > 0 else "pan right": abs(motion["tx"]) / size,
        "pan up" if motion["ty"] > 0 else "pan down": abs(motion["ty"]) / size,
        "zoom in" if motion["scale"] > 0 else "zoom out": abs(motion["scale"]) * radius / size,
        "rotate" if motion["rotation"] > 0 else "rotate anticlockwise": abs(motion["rotation"]) * radius / size,
    }
    best = max(candidates, key=lambda k: candidates[k])
    return best if candidates[best] >= threshold else "static"
