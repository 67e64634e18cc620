"""Animatic timing and camera moves: parsing the segment list and placing the camera.

An animatic joins keyframes by segments; segment ``i`` runs from keyframe ``i`` to
keyframe ``i + 1``. Each line of the ``segments`` parameter describes one segment as
``key=value`` words, any of which may be left out (the generator's parameters give the
defaults)::

    seconds=1.5 transition=flow ease=in-out pan=0:0.2 zoom=1:1.3
    seconds=2 transition=crossfade tilt=0:-0.1 rotate=0:10 dolly=0:0.3

Camera values are ``start:end`` (or one value for both), in film terms:

- ``pan``: the camera's sideways position, in frame widths (positive is right, so the
  picture slides left); ``tilt``: its height, in frame heights (positive is up);
- ``zoom``: magnification (1 is the keyframe as it is; 2 shows the middle half);
- ``dolly``: how far the camera has moved towards the picture, as a fraction of its
  distance (0 to 0.9): magnification ``1 / (1 - d)``, so equal steps speed up as a real
  dolly does, where ``zoom`` changes at a steady rate;
- ``rotate``: the camera's roll in degrees (positive turns the picture clockwise).

Pure functions of numbers and arrays (NumPy, OpenCV); no model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from genloom.sdk import ParameterError

TRANSITIONS: tuple[str, ...] = ("cut", "crossfade", "flow", "morph")
EASINGS: tuple[str, ...] = ("linear", "in", "out", "in-out")
CAMERA_KEYS: tuple[str, ...] = ("pan", "tilt", "zoom", "dolly", "rotate")
#: The allowed range of each camera value.
CAMERA_RANGE: dict[str, tuple[float, float]] = {"pan": (-2.0, 2.0), "tilt": (-2.0, 2.0), "zoom": (0.1, 10.0),
                                                "dolly": (0.0, 0.9), "rotate": (-720.0, 720.0)}
CAMERA_REST: dict[str, float] = {"pan": 0.0, "tilt": 0.0, "zoom": 1.0, "dolly": 0.0, "rotate": 0.0}
MAX_SEGMENT_SECONDS = 60.0


@dataclass(frozen=True)
class Segment:
    """One segment: its length, in-between, easing and camera path (start, end) per value."""

    seconds: float
    transition: str
    ease: str
    camera: dict[str, tuple[float, float]] = field(default_factory=dict)

    def camera_at(self, w: float) -> dict[str, float]:
        """The camera at eased progress ``w`` (0 to 1)."""
        values = dict(CAMERA_REST)
        for key, (start, end) in self.camera.items():
            values[key] = start + (end - start) * w
        return values


def ease(kind: str, t: float) -> float:
    """Progress ``t`` (0 to 1) eased: cubic in, out or in-out, or linear."""
    if kind == "in":
        return t ** 3
    if kind == "out":
        return 1 - (1 - t) ** 3
    if kind == "in-out":
        return 4 * t ** 3 if t < 0.5 else 1 - (-2 * t + 2) ** 3 / 2
    return t


def _number(text: str, line: int, key: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParameterError("segments", text, f"(line {line}, {key}) is not a number",
                             f"write e.g. {key}=0:0.2") from None
    if not math.isfinite(value):
        raise ParameterError("segments", text, f"(line {line}, {key}) is not finite", "give a finite number")
    return value


def parse_segments(text: str, count: int, seconds: float, transition: str, ease_kind: str) -> list[Segment]:
    """``count`` segments from the ``segments`` text, defaults filling what a line leaves out.

    More lines than segments is an error (it says how many keyframes there are); fewer
    lines leave the rest at the defaults. Every problem is a ParameterError on
    ``segments`` naming the line, the word and the fix.
    """
    lines = [line.strip() for line in (text or "").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines) > count:
        raise ParameterError("segments", f"{len(lines)} lines",
                             f"describe more segments than there are ({count}: one between each pair of "
                             "keyframes, or one for a single keyframe)",
                             f"give at most {count} lines or add keyframes")
    base = Segment(seconds=seconds, transition=transition, ease=ease_kind)
    segments = []
    for number, line in enumerate(lines + [""] * (count - len(lines)), start=1):
        segment = base
        camera: dict[str, tuple[float, float]] = {}
        for word in line.replace(",", " ").split():
            key, sep, value = word.partition("=")
            key = key.lower()
            if not sep or not value:
                raise ParameterError("segments", word, f"(line {number}) is not key=value",
                                     "write e.g. seconds=2 transition=flow pan=0:0.2")
            if key == "seconds":
                segment = replace(segment, seconds=_number(value, number, key))
            elif key == "transition":
                if value not in TRANSITIONS:
                    raise ParameterError("segments", value, f"(line {number}) is not a transition",
                                         f"choose {', '.join(TRANSITIONS)}")
                segment = replace(segment, transition=value)
            elif key == "ease":
                if value not in EASINGS:
                    raise ParameterError("segments", value, f"(line {number}) is not an easing",
                                         f"choose {', '.join(EASINGS)}")
                segment = replace(segment, ease=value)
            elif key in CAMERA_KEYS:
                start_text, _, end_text = value.partition(":")
                start = _number(start_text, number, key)
                end = _number(end_text, number, key) if end_text else start
                low, high = CAMERA_RANGE[key]
                for v in (start, end):
                    if not low <= v <= high:
                        raise ParameterError("segments", f"{key}={value}", f"(line {number}) is outside "
                                             f"{low:g} to {high:g}", f"keep {key} within {low:g} to {high:g}")
                camera[key] = (start, end)
            else:
                raise ParameterError("segments", key, f"(line {number}) is not a segment word",
                                     "use seconds, transition, ease, " + ", ".join(CAMERA_KEYS))
        if not 0 < segment.seconds <= MAX_SEGMENT_SECONDS:
            raise ParameterError("segments", segment.seconds, f"(line {number}) seconds is outside 0 to "
                                 f"{MAX_SEGMENT_SECONDS:g}", "give a length such as 1.5")
        segments.append(replace(segment, camera=camera))
    return segments


def camera_matrix(values: dict[str, float], width: int, height: int) -> Any:
    """The 2x3 affine matrix that films a ``width x height`` picture with the camera ``values``."""
    import numpy as np

    scale = values["zoom"] / (1.0 - values["dolly"])
    angle = math.radians(values["rotate"])
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # The camera looks at (cx + pan*width, cy - tilt*height); that point goes to the frame centre,
    # magnified by `scale` and turned clockwise by `angle` (y points down in pictures).
    look_x, look_y = cx + values["pan"] * width, cy - values["tilt"] * height
    cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array([[cos, -sin, cx - cos * look_x + sin * look_y],
                     [sin, cos, cy - sin * look_x - cos * look_y]], dtype=np.float64)


def is_rest(values: dict[str, float]) -> bool:
    """True when the camera shows the picture exactly as it is."""
    return all(abs(values[k] - CAMERA_REST[k]) < 1e-9 for k in CAMERA_KEYS)


def film(frame: Any, values: dict[str, float]) -> Any:
    """``frame`` (HxWx3 uint8) as the camera sees it; the edge is extended where it looks past it."""
    if is_rest(values):
        return frame
    import cv2

    height, width = frame.shape[:2]
    return cv2.warpAffine(frame, camera_matrix(values, width, height), (width, height),
                          flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101)
