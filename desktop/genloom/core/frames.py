"""Frames out of clips: any frame of a video asset as a new image asset, with lineage.

"Use the last frame as input" chains shots: the image made here is an ordinary image
asset whose parent is the clip and whose recipe says which frame it is, so it can feed
image-to-video, the animatic or image-to-image.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from genloom.sdk import ParameterError

if TYPE_CHECKING:
    from genloom.core.project import Asset, Project

__all__ = ["FRAME_OPERATION", "extract_frame", "frame_index"]

#: The ``operation`` recorded in the recipe of an extracted frame.
FRAME_OPERATION = "video.extract_frame"


def frame_index(which: int | str, frame_count: int) -> int:
    """The frame number that ``which`` names: ``"first"``, ``"last"``, ``"middle"`` or an index
    (negative counts from the end). Raises ParameterError naming the valid range."""
    if which == "first":
        return 0
    if which == "last":
        return frame_count - 1
    if which == "middle":
        return frame_count // 2
    if isinstance(which, bool) or not isinstance(which, int):
        raise ParameterError("frame", which, "is not a frame number", "give first, last, middle or a number")
    index = which + frame_count if which < 0 else which
    if not 0 <= index < frame_count:
        raise ParameterError("frame", which, f"is outside the clip's {frame_count} frames",
                             f"give 0 to {frame_count - 1} (or -1 for the last)")
    return index


def extract_frame(project: Project, asset: Asset | int, which: int | str = "last") -> Asset:
    """Store frame ``which`` of the video asset as a PNG image asset whose parent is the clip.

    The clip's file is read through the project's checked path (its hash verified), and
    the frame decoded with :mod:`genloom.sdk.video`. Raises ParameterError for an asset
    that is not a video or a frame outside the clip.
    """
    from PIL import Image

    from genloom.sdk.video import probe, read_frame

    clip = project.get_asset(asset) if isinstance(asset, int) else asset
    if clip.kind != "video":
        raise ParameterError("asset", clip.id, f"is a {clip.kind} asset, not a clip",
                             "choose a video asset to take a frame from")
    path = project.verified_path(clip)
    info = probe(path)
    index = frame_index(which, info.frame_count)
    frame = read_frame(path, index)
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    recipe: dict[str, Any] = {"operation": FRAME_OPERATION, "source_asset": clip.id, "frame": index,
                              "time": round(index / float(info.fps), 4), "frame_count": info.frame_count}
    label = {0: "first", info.frame_count - 1: "last"}.get(index, f"frame {index}")
    return project.add_asset(buffer.getvalue(), kind="image", suffix=".png", recipe=recipe, parents=[clip.id],
                             prompt=clip.prompt, title=f"{clip.title or f'clip {clip.id}'}: {label} frame",
                             metadata={"width": info.width, "height": info.height, "frame": index})
