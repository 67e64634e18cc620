"""In-betweens without a model: crossfade, and optical-flow warp and blend.

The flow is OpenCV's DIS (dense inverse search, weight-free, fast on a CPU), computed
both ways once per segment; each in-between at ``w`` samples the first keyframe moved
``w`` of the way along the flow and the second moved the rest of the way back, and
blends them by ``w``. At ``w = 0`` and ``w = 1`` the keyframes come back exactly.
"""

from __future__ import annotations

from typing import Any


def crossfade(a: Any, b: Any, w: float) -> Any:
    """``(1 - w) * a + w * b`` as uint8."""
    import numpy as np

    if w <= 0:
        return a
    if w >= 1:
        return b
    return np.clip(a.astype(np.float32) * (1 - w) + b.astype(np.float32) * w + 0.5, 0, 255).astype(np.uint8)


class FlowBlend:
    """Warp-and-blend in-betweens of two same-sized RGB frames."""

    def __init__(self, a: Any, b: Any) -> None:
        import cv2
        import numpy as np

        self.a, self.b = a, b
        gray_a = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        gray_b = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self.forward = dis.calc(gray_a, gray_b, None)   # where each pixel of a goes in b
        self.backward = dis.calc(gray_b, gray_a, None)  # where each pixel of b goes in a
        height, width = gray_a.shape
        self.grid_x, self.grid_y = np.meshgrid(np.arange(width, dtype=np.float32),
                                               np.arange(height, dtype=np.float32))

    def at(self, w: float) -> Any:
        """The in-between at ``w`` (0 gives ``a``, 1 gives ``b``)."""
        import cv2

        if w <= 0:
            return self.a
        if w >= 1:
            return self.b
        # Backward warping with the flow at the target pixel (a first-order approximation):
        # a pixel at x in the in-between came from x - w * F_ab in a and x - (1 - w) * F_ba in b.
        from_a = cv2.remap(self.a, self.grid_x - w * self.forward[..., 0], self.grid_y - w * self.forward[..., 1],
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        from_b = cv2.remap(self.b, self.grid_x - (1 - w) * self.backward[..., 0],
                           self.grid_y - (1 - w) * self.backward[..., 1],
                           cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return crossfade(from_a, from_b, w)
