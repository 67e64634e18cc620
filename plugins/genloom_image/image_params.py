"""The parameters of the image generators: plain data, shared by the specs."""

from __future__ import annotations

from genloom.sdk import BoolParam, ChoiceParam, FloatParam, IntParam, Param, StringParam

#: Readable scheduler names offered in the form; ``default`` keeps the model's own.
#: Which of them a loaded model accepts is checked when it runs (see schedulers.py).
SCHEDULER_CHOICES: tuple[str, ...] = (
    "default", "Euler", "Euler a", "DDIM", "DDPM", "DPM++ 2M", "DPM++ 2M Karras",
    "UniPC", "PNDM", "Heun", "LMS", "Flow Match Euler",
)

BACKENDS: tuple[str, ...] = ("torch", "onnxruntime")
MEMORY_MODES: tuple[str, ...] = ("auto", "off", "on")


def prompt_params(prompt_required: bool = False) -> tuple[Param, ...]:
    """Prompt and negative prompt."""
    return (
        StringParam("prompt", "", multiline=True, role="prompt", max_length=10_000,
                    min_length=1 if prompt_required else 0,
                    placeholder="An emoji or icon name, such as: red heart, folder, printer, sun "
                                "(what the bundled model knows)",
                    description="What the image shows, in words (for the bundled models: emoji and "
                                "icon names such as 'red heart', 'folder' or 'smiling cat face')."),
        StringParam("negative_prompt", "", multiline=True, role="negative_prompt", max_length=10_000,
                    description="What the image should not show (used with guidance scale above 1)."),
    )


def sampling_params(steps: int = 25) -> tuple[Param, ...]:
    """Steps, guidance and scheduler."""
    return (
        IntParam("steps", steps, minimum=1, maximum=150,
                 description="Denoising steps: more is slower and usually cleaner."),
        FloatParam("guidance_scale", 5.0, minimum=0.0, maximum=30.0, step=0.5,
                   description="How strongly the image follows the prompt (classifier-free "
                               "guidance); 1 or less turns guidance off."),
        ChoiceParam("scheduler", "default", choices=SCHEDULER_CHOICES,
                    description="The sampler. 'default' uses the model's own; the others must be "
                                "compatible with the loaded model (you are told which are)."),
    )


def size_params() -> tuple[Param, ...]:
    """Width and height; 0 means the model's own size (or the input image's)."""
    return (
        IntParam("width", 0, minimum=0, maximum=4096, step=8, special_value="Model default",
                 description="Image width in pixels, a multiple of 8 within the model's range; "
                             "Model default (0) uses the model's native size (32 for the bundled "
                             "emoji model, 64 for the icon one), or the input image's width."),
        IntParam("height", 0, minimum=0, maximum=4096, step=8, special_value="Model default",
                 description="Image height in pixels, a multiple of 8 within the model's range; "
                             "Model default (0) uses the model's native size (32 for the bundled "
                             "emoji model, 64 for the icon one), or the input image's height."),
    )


def strength_param(default: float, title: str = "Strength") -> Param:
    """How far from the input image the result may move."""
    return FloatParam("strength", default, minimum=0.0, maximum=1.0, step=0.05, title=title,
                      description="How much of the input image is repainted: 0 keeps it, 1 ignores it.")


def advanced_params() -> tuple[Param, ...]:
    """LoRAs, backend and memory options."""
    return (
        StringParam("loras", "", multiline=True, advanced=True, max_length=10_000,
                    description="LoRA .safetensors files to apply, one per line (or separated by ';'), "
                                "each optionally followed by '=weight', e.g. 'inks.safetensors=0.8'."),
        ChoiceParam("backend", "torch", choices=BACKENDS, advanced=True,
                    description="torch runs the model with PyTorch; onnxruntime runs the UNet, text "
                                "encoder and VAE decoder exported to ONNX (the bundled model ships them)."),
        ChoiceParam("memory_saving", "auto", choices=MEMORY_MODES, advanced=True,
                    description="Attention slicing and VAE tiling: 'auto' turns them on when GPU memory "
                                "is short or the image is large."),
        BoolParam("cpu_offload", False, advanced=True,
                  description="Keep model parts in system memory and move each to the GPU only while "
                              "it runs (CUDA only): slower, but fits big models in little VRAM."),
    )
