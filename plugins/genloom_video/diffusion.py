"""``video.text_to_video`` and ``video.image_to_video`` on diffusers.

Two kinds of model, told apart by the folder's ``model_index.json``:

- a Stable Diffusion 1.x-family image pipeline (the bundled ``image.emoji-ldm-32`` or a
  user's): AnimateDiff, with a motion adapter folder (the bundled ``emoji-motion`` unless
  the ``motion_adapter`` parameter names a user's, such as ``mm_sd_v15``'s diffusers
  release). Image-to-video seeds AnimateDiff from the image the img2img way: every frame
  starts from the image's VAE latents noised to ``strength``
  (``AnimateDiffVideoToVideoPipeline`` given the still as a clip), so the clip keeps the
  picture's composition and the motion modules move it.
- a user's own video pipeline folder (CogVideoX, LTX-Video, Wan, HunyuanVideo, Stable
  Video Diffusion or any other ``*Pipeline`` diffusers has): loaded with diffusers'
  ``DiffusionPipeline`` and called with its own arguments.

Frames are decoded in chunks (``decode_chunk_size``) and the VAE is sliced (and tiled
above 512 pixels), so memory grows with the clip's length only in the latents.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from genloom.sdk import InputError, ModelRef, Output, ParameterError, Request, RunState
from genloom.sdk.formats import read_json_config
from genloom.sdk.placement import pipeline_runtime
from genloom.sdk.runtime import quiet_model_libraries
from genloom_video import __version__
from genloom_video.identify import IMAGE_ONLY
from genloom_video.output import clip_output
from genloom_video.sd import ModelLoadError, model_folder, place, torch_dtype

BUNDLED_ADAPTER = Path(__file__).resolve().parent / "models" / "emoji-motion"
SD_PIPELINES = ("StableDiffusionPipeline", "AnimateDiffPipeline")
#: Image-to-video pipelines that run on a text-to-video folder's own weights (LTX-Video's do);
#: CogVideoX, Wan and HunyuanVideo publish separate image-to-video releases, whose folders
#: name their image-to-video class themselves.
IMAGE_TO_VIDEO = {"LTXPipeline": "LTXImageToVideoPipeline"}
#: Frame-count rules of video transformers: (multiple, remainder) that num_frames must have.
FRAME_RULES = {"CogVideoX": (4, 1), "LTX": (8, 1), "Wan": (4, 1), "HunyuanVideo": (4, 1)}


def pipeline_class(folder: Path) -> str:
    index = read_json_config(folder / "model_index.json") or {}
    return str(index.get("_class_name", ""))


def check_adapter(text: str) -> Path:
    """The motion adapter folder the parameter names ("" = the bundled one), checked."""
    path = Path(text).expanduser() if text.strip() else BUNDLED_ADAPTER
    config = read_json_config(path / "config.json") if path.is_dir() else None
    if config is None or config.get("_class_name") != "MotionAdapter":
        raise ParameterError("motion_adapter", text or str(path),
                             "is not a motion adapter folder (a config.json with _class_name MotionAdapter)",
                             "give the diffusers folder of an AnimateDiff adapter such as "
                             "animatediff-motion-adapter-v1-5-2, or leave it empty for the bundled one")
    if not list(path.glob("*.safetensors")):
        raise ParameterError("motion_adapter", str(path), "has no .safetensors weights (pickle files are refused)",
                             "use the adapter's safetensors release")
    return path


class VideoDiffusion:
    """Base of both generators: loads the model's pipeline on first use, writes an MP4."""

    image_to_video = False

    def __init__(self) -> None:
        self.model: ModelRef | None = None
        self.device, self.dtype = "cpu", "float32"
        self.pipes: dict[tuple[str, str], Any] = {}

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        self.model, self.device, self.dtype = model, device, dtype
        self.folder = model_folder(model)
        self.kind = pipeline_class(self.folder)

    def unload(self) -> None:
        self.pipes.clear()
        import gc

        gc.collect()
        if self.device.startswith("cuda"):
            import torch

            torch.cuda.empty_cache()

    # -- pipelines -------------------------------------------------------------------------------

    def _animatediff(self, adapter: Path) -> Any:
        key = ("animatediff-i2v" if self.image_to_video else "animatediff", str(adapter))
        if key not in self.pipes:
            quiet_model_libraries(diffusers=True)
            import diffusers

            dtype = torch_dtype(self.dtype)
            try:
                motion = diffusers.MotionAdapter.from_pretrained(adapter, dtype=dtype, use_safetensors=True,
                                                                 local_files_only=True)
                cls = diffusers.AnimateDiffVideoToVideoPipeline if self.image_to_video \
                    else diffusers.AnimateDiffPipeline
                pipe = cls.from_pretrained(self.folder, motion_adapter=motion, dtype=dtype, use_safetensors=True,
                                           local_files_only=True)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelLoadError(f"AnimateDiff could not combine {self.folder.name} with the motion adapter "
                                     f"{adapter.name}: {str(exc)[:300]}; the adapter must be made for this "
                                     "image model's family (SD 1.x adapters for SD 1.x models)") from exc
            self.pipes[key] = self._ready(pipe)
        return self.pipes[key]

    def _native(self) -> Any:
        key = ("native-i2v" if self.image_to_video else "native", "")
        if key not in self.pipes:
            quiet_model_libraries(diffusers=True)
            import diffusers

            name = IMAGE_TO_VIDEO.get(self.kind, self.kind) if self.image_to_video else self.kind
            cls = getattr(diffusers, name, None)
            if cls is None:
                raise ModelLoadError(f"{self.folder.name} is a {self.kind}, which this diffusers has no "
                                     f"{'image-to-video ' if self.image_to_video else ''}pipeline for; "
                                     "update diffusers or choose another model")
            try:
                pipe = cls.from_pretrained(self.folder, dtype=torch_dtype(self.dtype), use_safetensors=True,
                                           local_files_only=True)
            except (OSError, ValueError, TypeError, RuntimeError) as exc:  # RuntimeError: weights of another shape
                raise ModelLoadError(f"diffusers could not load {self.folder} as {name}: {str(exc)[:300]}; for "
                                     "image-to-video choose the model's image-to-video release") from exc
            self.pipes[key] = self._ready(pipe)
        return self.pipes[key]

    def _ready(self, pipe: Any) -> Any:
        pipe.set_progress_bar_config(disable=True)
        # AnimateDiff builds its motion UNet with from_config, which leaves it in training mode
        # (dropout on): every module goes to eval, or the same recipe would give other frames.
        for component in pipe.components.values():
            if hasattr(component, "eval"):
                component.eval()
        pipe = place(pipe, self.folder, self.device, self.dtype)
        vae = getattr(pipe, "vae", None)
        for method in ("enable_slicing",):
            if vae is not None and hasattr(vae, method):
                getattr(vae, method)()
        return pipe

    # -- one run -----------------------------------------------------------------------------------

    def run(self, request: Request, state: RunState) -> list[Output]:
        state.raise_if_cancelled()
        params = request.params
        image = self._image(request) if self.image_to_video else None
        is_sd = self.kind in SD_PIPELINES
        if self.image_to_video and not is_sd and self.kind not in IMAGE_ONLY and self.kind not in IMAGE_TO_VIDEO:
            raise ParameterError("model", self.folder.name, f"is a text-to-video model ({self.kind}) with no "
                                 "image-to-video counterpart on the same weights",
                                 "choose the model's image-to-video release (for CogVideoX: CogVideoX-5b-I2V), or "
                                 "use video.text_to_video")
        if not self.image_to_video and self.kind in IMAGE_ONLY:
            raise ParameterError("model", self.folder.name, f"is a {self.kind}, which makes video from an image",
                                 "use video.image_to_video with this model, or choose a text-to-video model")
        if is_sd:
            adapter = check_adapter(params["motion_adapter"])
            pipe = self._animatediff(adapter)
            self._check_animatediff(pipe, params)
        else:
            pipe = self._native()
            self._check_native(pipe, params)
        width, height = self._size(pipe, params, is_sd)
        self._memory(pipe, width, height)
        kwargs = self._arguments(pipe, request, width, height, image, state)
        frames = self._call(pipe, kwargs)
        state.raise_if_cancelled()
        path = Path(request.output_dir) / "clip.mp4"
        from genloom.sdk.video import write_video

        info = write_video(path, iter(frames), params["fps"])
        metadata = {"pipeline": type(pipe).__name__, "prompt": params["prompt"], "seed": request.seed,
                    "steps": params["steps"], "guidance_scale": params["guidance_scale"],
                    "plugin_version": __version__, "runtime": pipeline_runtime(pipe, self.device, placement=pipe.genloom_placement)}
        if is_sd:
            metadata["motion_adapter"] = params["motion_adapter"] or "bundled emoji-motion"
        return [clip_output(path, info, metadata)]

    def _image(self, request: Request) -> Any:
        from PIL import Image

        asset = request.inputs.get("image")
        if asset is None:
            raise InputError("video.image_to_video needs an image as 'image'; none was given")
        if asset.kind != "image":
            raise InputError(f"'image' is a {asset.kind} asset; image-to-video starts from an image "
                             "(take a frame out of a clip as an image first)")
        try:
            with Image.open(asset.path) as img:
                return img.convert("RGB")
        except OSError as exc:
            raise InputError(f"'image' ({Path(asset.path).name}) is not an image Pillow can read: {exc}") from exc

    def _memory(self, pipe: Any, width: int, height: int) -> None:
        """Tile the VAE above 512 pixels a side (decoding a big frame whole is what runs out of memory)."""
        vae = getattr(pipe, "vae", None)
        if vae is None:
            return
        if max(width, height) > 512 and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
        elif hasattr(vae, "disable_tiling"):
            vae.disable_tiling()

    def _check_animatediff(self, pipe: Any, params: dict[str, Any]) -> None:
        limit = int(pipe.unet.config.get("motion_max_seq_length", 32) or 32)
        if params["frames"] > limit:
            raise ParameterError("frames", params["frames"], f"is more than this motion adapter's {limit} "
                                 "positions", f"choose {limit} frames or fewer (chain clips for longer shots)")

    def _check_native(self, pipe: Any, params: dict[str, Any]) -> None:
        frames = params["frames"]
        for prefix, (multiple, remainder) in FRAME_RULES.items():
            if type(pipe).__name__.startswith(prefix) and frames % multiple != remainder:
                below = max(remainder, (frames - remainder) // multiple * multiple + remainder)
                raise ParameterError("frames", frames, f"does not fit {type(pipe).__name__}, which makes "
                                     f"{multiple}k+{remainder} frames", f"choose {below} or {below + multiple}")

    def _size(self, pipe: Any, params: dict[str, Any], is_sd: bool) -> tuple[int, int]:
        width, height = params["width"], params["height"]
        if is_sd:
            native = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
        else:
            native = 0
        if not width or not height:
            if not native:
                raise ParameterError("width", width, f"has no model default for {type(pipe).__name__}",
                                     "give width and height (see the model's card)")
            width, height = width or native, height or native
        multiple = int(getattr(pipe, "vae_scale_factor", 8) or 8) * (2 if not is_sd else 1)
        for name, value in (("width", width), ("height", height)):
            if value % multiple:
                below = value // multiple * multiple
                raise ParameterError(name, value, f"is not a multiple of {multiple} for {type(pipe).__name__}",
                                     f"use {below or multiple} or {below + multiple}")
        return width, height

    def _arguments(self, pipe: Any, request: Request, width: int, height: int, image: Any,
                   state: RunState) -> dict[str, Any]:
        import torch
        from PIL import Image

        params = request.params
        accepted = inspect.signature(pipe.__call__).parameters
        steps = params["steps"]
        kwargs: dict[str, Any] = {
            "prompt": params["prompt"], "negative_prompt": params["negative_prompt"] or None,
            "num_frames": params["frames"], "num_inference_steps": steps,
            "guidance_scale": params["guidance_scale"], "height": height, "width": width,
            "generator": torch.Generator("cpu").manual_seed(request.seed), "output_type": "np",
            "callback_on_step_end": preview_callback(state, steps),
            "decode_chunk_size": 4,
        }
        if image is not None:
            picture = image.resize((width, height), Image.Resampling.LANCZOS)
            if "video" in accepted:  # AnimateDiff video-to-video: the still as every frame
                kwargs["video"] = [picture] * params["frames"]
                kwargs["strength"] = params["strength"]
            else:
                kwargs["image"] = picture
        transformer = getattr(pipe, "transformer", None)
        text_length = getattr(getattr(transformer, "config", None), "max_text_seq_length", None)
        if text_length and "max_sequence_length" in accepted:
            kwargs["max_sequence_length"] = int(text_length)
        if "fps" in accepted and "motion_bucket_id" in accepted:  # Stable Video Diffusion conditions on fps
            kwargs["fps"] = params["fps"]
        for key in list(kwargs):
            if key not in accepted or kwargs[key] is None:
                kwargs.pop(key)
        return kwargs

    def _call(self, pipe: Any, kwargs: dict[str, Any]) -> list[Any]:
        import numpy as np

        result = pipe(**kwargs).frames
        video = result[0]
        if isinstance(video, list):  # PIL images
            return [np.asarray(frame.convert("RGB"), dtype=np.uint8) for frame in video]
        array = np.asarray(video)
        if array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
            array = array.transpose(0, 2, 3, 1)
        return [(np.clip(frame, 0, 1) * 255).round().astype(np.uint8) for frame in array]


def preview_frame(pipe: Any, latents: Any) -> Any:
    """The middle frame of ``latents`` as an RGB array: decoded exactly by an image VAE
    (AnimateDiff), or the first three latent channels stretched to 0-255 (a rough colour
    preview) for video transformers, whose 3-D VAEs cannot decode one frame alone."""
    import numpy as np
    import torch

    with torch.no_grad():
        if type(pipe).__name__.startswith("AnimateDiff"):
            frame = latents[0:1, :, latents.shape[2] // 2] / pipe.vae.config.scaling_factor
            image = pipe.vae.decode(frame.to(pipe.vae.dtype)).sample[0]
            array = ((image.permute(1, 2, 0).float().cpu().numpy() + 1) * 127.5).clip(0, 255)
            return array.astype(np.uint8)
        middle = latents[0, latents.shape[1] // 2] if type(pipe).__name__.startswith("CogVideoX") \
            else latents[0, :, latents.shape[2] // 2]
        rgb = middle[:3].float().cpu().numpy().transpose(1, 2, 0)
        low, high = rgb.min(), rgb.max()
        return ((rgb - low) / max(high - low, 1e-6) * 255).astype(np.uint8)


def preview_callback(state: RunState, total: int) -> Any:
    """Progress every step, a decoded preview every quarter of the steps, cancellation within one step."""
    every = max(1, total // 4)

    def callback(pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        state.raise_if_cancelled()
        done = step + 1
        preview = None
        latents = kwargs.get("latents")
        if latents is not None and (done % every == 0 or done == total):
            try:
                preview = preview_frame(pipe, latents)
            except (RuntimeError, ValueError, IndexError, AttributeError):
                preview = None  # a pipeline whose latents this cannot read: progress without a picture
        state.progress(done, total, "denoising", preview=preview)
        return kwargs

    return callback


class TextToVideo(VideoDiffusion):
    """A prompt to a clip."""


class ImageToVideo(VideoDiffusion):
    """An image asset to a clip."""

    image_to_video = True
