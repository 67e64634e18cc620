"""What the cut and the exports need to know about a take's file: its length and a frame.

Files are found through the project (``Project.verified_path``: derived from the
asset's hash, checked inside the project, re-hashed), never from a stored path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from genloom.core.project import Asset

__all__ = ["media_duration", "picture_frame"]


def media_duration(asset: Asset, path: Path) -> float | None:
    """The length in seconds of a video or audio file; None for a still image."""
    if asset.kind == "image":
        return None
    if asset.kind == "video":
        from genloom.sdk.video import probe

        return float(probe(path).duration)
    if asset.kind == "audio":
        import soundfile

        try:
            return float(soundfile.info(str(path)).duration)
        except RuntimeError:
            import av

            with av.open(str(path)) as container:
                return float(container.duration or 0) / 1_000_000
    raise ValueError(f"asset {asset.id} is {asset.kind}: a take is an image, a video or audio")


def picture_frame(kind: str, path: Path, size: tuple[int, int] | None = None) -> Any:
    """An RGB PIL image of a picture take's file (``kind`` image or video): the image, or
    the video's first frame."""
    from PIL import Image

    if kind == "image":
        with Image.open(path) as image:
            frame = image.convert("RGB")
    else:
        from genloom.sdk.video import read_frame

        array: np.ndarray = read_frame(path, 0)
        frame = Image.fromarray(array)
    if size is not None:
        frame = frame.resize(size, Image.Resampling.LANCZOS)
    return frame
