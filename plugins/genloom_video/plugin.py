"""Entry module of the video plugin: cheap to import, plain data only.

Generators: ``video.animatic`` (keyframes joined by camera moves and in-betweens),
``video.text_to_video`` and ``video.image_to_video`` (AnimateDiff on a Stable Diffusion
1.x-family image model with a motion adapter, or a user's own diffusers video
pipeline). Clips are MP4 files written through :mod:`genloom.sdk.video`.
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import (
    BundledModel,
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    InputSpec,
    IntParam,
    ModelMatch,
    StringParam,
    hookimpl,
)
from genloom_video import __version__  # noqa: F401 - read by the plugin manager
from genloom_video.animatic import KEY_ROLES, check_animatic
from genloom_video.camera import EASINGS, TRANSITIONS
from genloom_video.identify import identify_video_model
from genloom_video.output import check_size

IMAGE_MODEL = "image.emoji-ldm-32"
MODELS_DIR = Path(__file__).resolve().parent / "models"
ADAPTER_ID = "video.emoji-motion"
DIFFUSION_KINDS = ("diffusers", "diffusers-video")
DEVICES = ("cuda", "mps", "cpu")


def _animatic() -> object:
    from genloom_video.animatic import Animatic

    return Animatic()


def _text_to_video() -> object:
    from genloom_video.diffusion import TextToVideo

    return TextToVideo()


def _image_to_video() -> object:
    from genloom_video.diffusion import ImageToVideo

    return ImageToVideo()


def diffusion_params(image: bool) -> tuple:
    prompt = StringParam("prompt", "", multiline=True, role="prompt", min_length=0 if image else 1,
                         description="What happens in the clip; with the bundled models an emoji name and a "
                                     "motion, such as 'red heart, zoom in'." +
                                     (" Pipelines that take no prompt (Stable Video Diffusion) ignore it." if image
                                      else ""))
    strength = (FloatParam("strength", 0.7, minimum=0.05, maximum=1.0,
                           description="AnimateDiff on an image model: how far each frame may move from the "
                                       "image (img2img strength)."),) if image else ()
    return (
        prompt,
        StringParam("negative_prompt", "", role="negative_prompt", advanced=True),
        *strength,
        IntParam("frames", 16, minimum=2, maximum=257, description="Frames in the clip; a model may allow "
                 "fewer (a motion adapter's positions) or need a pattern (CogVideoX and Wan: 4k+1)."),
        IntParam("fps", 8, minimum=1, maximum=60, title="Frames per second"),
        IntParam("width", 0, minimum=0, maximum=2048, step=8, special_value="Model default"),
        IntParam("height", 0, minimum=0, maximum=2048, step=8, special_value="Model default"),
        IntParam("steps", 20, minimum=1, maximum=150),
        FloatParam("guidance_scale", 7.5, minimum=0.0, maximum=30.0),
        StringParam("motion_adapter", "", advanced=True, placeholder="(bundled emoji-motion)",
                    description="AnimateDiff only: the diffusers folder of a MotionAdapter (such as an "
                                "mm_sd_v15 release) for the image model; empty for the bundled adapter, "
                                "which is made for image.emoji-ldm-32."),
    )


def _key_input(index: int) -> InputSpec:
    last = len(KEY_ROLES)
    title = {1: "Keyframe 1 (first frame)"}.get(index, f"Keyframe {index}")
    return InputSpec(KEY_ROLES[index - 1], "image", title=title, required=False,
                     description=f"The image of keyframe {index}; without one, line {index} of the prompts is "
                                 f"rendered. The last keyframe given ends the clip (up to {last}).")


def animatic_params() -> tuple:
    return (
        StringParam("prompts", "", title="Keyframe prompts", multiline=True, role="prompt",
                    description="One prompt per keyframe, rendered by the image model where no keyframe image "
                                "is given (leave a line empty for a keyframe given as an image)."),
        StringParam("segments", "", title="Segments", multiline=True,
                    placeholder="seconds=2 transition=flow pan=0:0.1 zoom=1:1.2 ease=in-out",
                    description="One line per segment between keyframes: seconds, transition, ease and camera "
                                "moves (pan, tilt, zoom, dolly, rotate as start:end). Lines left out use the "
                                "defaults below."),
        FloatParam("seconds", 2.0, minimum=0.1, maximum=60.0, title="Seconds per segment"),
        ChoiceParam("transition", "flow", choices=TRANSITIONS,
                    description="cut, crossfade, flow (optical-flow warp and blend) or morph (through the image "
                                "model's latent space: one diffusion per frame between prompts)."),
        ChoiceParam("ease", "in-out", choices=EASINGS, description="How each segment speeds up and slows down."),
        FloatParam("hold", 0.5, minimum=0.0, maximum=30.0, title="Hold last keyframe (s)"),
        IntParam("fps", 12, minimum=1, maximum=60, title="Frames per second"),
        IntParam("width", 256, minimum=16, maximum=2048, step=8),
        IntParam("height", 256, minimum=16, maximum=2048, step=8),
        IntParam("steps", 20, minimum=1, maximum=150, title="Steps (prompt keyframes, morph)", advanced=True),
        FloatParam("guidance_scale", 5.0, minimum=0.0, maximum=30.0, title="Guidance (prompt keyframes, morph)",
                   advanced=True),
    )


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        GeneratorSpec(
            id="video.animatic", modality="video", title="Animatic",
            description="Keyframes (images or prompts) joined by camera moves and in-betweens: cut, "
                        "crossfade, optical-flow warp and blend, or a morph through the image model.",
            factory=_animatic, params=animatic_params(),
            inputs=tuple(_key_input(i) for i in range(1, len(KEY_ROLES) + 1)),
            model_kinds=("diffusers",), default_model=IMAGE_MODEL, devices=DEVICES, check=check_animatic),
        GeneratorSpec(
            id="video.text_to_video", modality="video", title="Text to video",
            description="A prompt to a clip: AnimateDiff on a Stable Diffusion 1.x-family model with a motion "
                        "adapter, or your own diffusers video pipeline (CogVideoX, LTX-Video, Wan...).",
            factory=_text_to_video, params=diffusion_params(False), model_kinds=DIFFUSION_KINDS,
            default_model=IMAGE_MODEL, devices=DEVICES, check=check_size),
        GeneratorSpec(
            id="video.image_to_video", modality="video", title="Image to video",
            description="An image to a clip: Stable Video Diffusion, CogVideoX, LTX-Video or Wan image-to-video "
                        "with your models; with an SD 1.x model, AnimateDiff started from the image.",
            factory=_image_to_video, params=diffusion_params(True),
            inputs=(InputSpec("image", "image", title="Image", description="The picture the clip starts from."),),
            model_kinds=DIFFUSION_KINDS, default_model=IMAGE_MODEL, devices=DEVICES, check=check_size),
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [BundledModel(
        id=ADAPTER_ID, kind="motion-adapter", path=MODELS_DIR / "emoji-motion",
        title="Emoji motion adapter (bundled)", architecture="AnimateDiff MotionAdapter (tiny)",
        licence="Trained on clips made from image.emoji-ldm-32's renderings; see MODEL_CARD.md",
        description="A small AnimateDiff motion adapter for image.emoji-ldm-32: prompts such as "
                    "'red heart, zoom in' (pan left/right/up/down, zoom in/out, rotate, bounce, pulse, shake, "
                    "slide in, fade). video.text_to_video uses it when no other adapter is named.",
    )]


@hookimpl
def genloom_identify_model(path: Path) -> ModelMatch | None:
    return identify_video_model(path)
