"""Entry module of the video plugin: cheap to import, plain data only.

Generators: ``video.animatic`` (keyframes joined by camera moves and in-betweens),
``video.text_to_video`` and ``video.image_to_video`` (AnimateDiff on a Stable Diffusion
1.x-family image model with a motion adapter, or a user's own diffusers video
pipeline). Clips are MP4 files written through :mod:`genloom.sdk.video`.
"""

from __future__ import annotations

from genloom.sdk import (
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    InputSpec,
    IntParam,
    StringParam,
    hookimpl,
)
from genloom_video import __version__  # noqa: F401 - read by the plugin manager
from genloom_video.animatic import KEY_ROLES, check_animatic
from genloom_video.camera import EASINGS, TRANSITIONS

IMAGE_MODEL = "image.emoji-ldm-32"
DEVICES = ("cuda", "mps", "cpu")


def _animatic() -> object:
    from genloom_video.animatic import Animatic

    return Animatic()


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
    ]
