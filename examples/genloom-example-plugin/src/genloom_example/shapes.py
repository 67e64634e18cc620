"""The four shapes the model draws, rendered exactly with numpy (the training targets).

Pure numpy: the training script learns from these pictures, and the tests compare
what the trained model draws with them.
"""

from __future__ import annotations

import numpy as np

SHAPES = ("circle", "square", "triangle", "diamond")
#: Side of the pictures the model makes, in pixels.
SIDE = 32
#: How a code in [-1, 1] maps to the picture: centre x and y, and radius, as fractions
#: of the side (centre 0.5 +- 0.2, radius 0.225 +- 0.075).
CENTRE, CENTRE_SPREAD, RADIUS, RADIUS_SPREAD = 0.5, 0.2, 0.225, 0.075


def geometry(code: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre x, centre y and radius (fractions of the side) for codes of shape (n, 3)."""
    code = np.asarray(code, dtype=np.float64)
    cx = CENTRE + CENTRE_SPREAD * code[:, 0]
    cy = CENTRE + CENTRE_SPREAD * code[:, 1]
    r = RADIUS + RADIUS_SPREAD * code[:, 2]
    return cx, cy, r


def render(shapes: np.ndarray, codes: np.ndarray, side: int = SIDE, supersample: int = 4) -> np.ndarray:
    """Anti-aliased masks (n, side, side) in [0, 1] of ``shapes`` (indices into SHAPES)."""
    fine = side * supersample
    axis = (np.arange(fine) + 0.5) / fine
    y, x = np.meshgrid(axis, axis, indexing="ij")
    cx, cy, r = (v[:, None, None] for v in geometry(codes))
    dx, dy = x[None] - cx, y[None] - cy
    kind = np.asarray(shapes)[:, None, None]
    circle = dx**2 + dy**2 < r**2
    square = (np.abs(dx) < 0.85 * r) & (np.abs(dy) < 0.85 * r)
    # An upward triangle: below its two slanted sides and above its base.
    triangle = (dy < 0.7 * r) & (dy > -r + 1.7 * np.abs(dx) / 0.95)
    diamond = np.abs(dx) + np.abs(dy) < r
    mask = np.where(kind == 0, circle, np.where(kind == 1, square, np.where(kind == 2, triangle, diamond)))
    mask = mask.astype(np.float32).reshape(len(mask), side, supersample, side, supersample)
    return mask.mean(axis=(2, 4))
