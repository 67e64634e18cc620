"""What the video plugin recognises in the model library: motion adapters and video pipelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk import ModelMatch
from genloom.sdk.formats import read_json_config

#: diffusers text-to-video / image-to-video pipeline classes, and the architecture shown.
VIDEO_PIPELINES: dict[str, str] = {
    "CogVideoXPipeline": "CogVideoX", "CogVideoXImageToVideoPipeline": "CogVideoX (image-to-video)",
    "LTXPipeline": "LTX-Video", "LTXImageToVideoPipeline": "LTX-Video (image-to-video)",
    "LTXConditionPipeline": "LTX-Video", "WanPipeline": "Wan", "WanImageToVideoPipeline": "Wan (image-to-video)",
    "HunyuanVideoPipeline": "HunyuanVideo", "HunyuanVideoImageToVideoPipeline": "HunyuanVideo (image-to-video)",
    "StableVideoDiffusionPipeline": "Stable Video Diffusion", "MochiPipeline": "Mochi",
    "AllegroPipeline": "Allegro", "LattePipeline": "Latte", "TextToVideoSDPipeline": "ModelScope text-to-video",
    "AnimateDiffPipeline": "AnimateDiff (SD 1.x with motion)",
}
#: Pipelines that start from an image (only image-to-video takes them).
IMAGE_ONLY = {"StableVideoDiffusionPipeline", "CogVideoXImageToVideoPipeline", "LTXImageToVideoPipeline",
              "WanImageToVideoPipeline", "HunyuanVideoImageToVideoPipeline"}


def identify_video_model(path: Path) -> ModelMatch | None:
    """A MotionAdapter folder (``motion-adapter``) or a diffusers video pipeline folder (``diffusers-video``)."""
    path = Path(path)
    if not path.is_dir():
        return None
    config = read_json_config(path / "config.json")
    if config is not None and config.get("_class_name") == "MotionAdapter":
        details: dict[str, Any] = {"max_frames": config.get("motion_max_seq_length"),
                                   "block_out_channels": config.get("block_out_channels")}
        if not list(path.glob("*.safetensors")):
            details["refused"] = ("it has no .safetensors weights; Genloom does not load pickle files. "
                                  "Use the adapter's safetensors release")
        return ModelMatch(kind="motion-adapter", architecture="AnimateDiff MotionAdapter",
                          format="diffusers-model-folder", details=details)
    index = read_json_config(path / "model_index.json")
    if index is None:
        return None
    pipeline = str(index.get("_class_name", ""))
    if pipeline not in VIDEO_PIPELINES:
        return None
    components = sorted(k for k, v in index.items() if not k.startswith("_") and isinstance(v, list))
    details = {"pipeline": pipeline, "components": components, "image_to_video_only": pipeline in IMAGE_ONLY}
    if not list(path.glob("*/*.safetensors")):
        details["refused"] = ("it has no .safetensors weights; Genloom loads diffusers folders from safetensors "
                              "only (pickle files can run code)")
    return ModelMatch(kind="diffusers-video", architecture=VIDEO_PIPELINES[pipeline], format="diffusers-folder",
                      details=details)
