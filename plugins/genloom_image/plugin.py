"""Entry module of the built-in image plugin: cheap to import, plain data only.

Generators ``image.text_to_image``, ``image.image_to_image``, ``image.inpaint`` and
``image.variations`` run diffusers pipelines: the bundled ``image.icon-ldm-64`` (the
default: a tiny Stable Diffusion at 64 px trained on emoji and icon themes, each seed its
own take; see its card), the bundled ``image.emoji-ldm-32`` (the same architecture at
32 px trained on Noto Color Emoji only: closer to a prompt, little variety between seeds;
the image model the video plugin's motion adapter was trained on) or the user's own
diffusers folders and single-file SD 1.x/2.x/SDXL checkpoints, with LoRAs. ``image.gan`` (a conditional GAN),
``image.vae`` and ``image.vae_interpolate`` (a conditional VAE) run the bundled
``image.icon-gan-64`` and ``image.icon-vae-64`` or a user's folder of the same format
(see family_specs.py).
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import BundledModel, GeneratorSpec, InputSpec, ModelMatch, hookimpl
from genloom_image.family_specs import family_models, family_specs
from genloom_image.identify import identify_image_model
from genloom_image.image_params import (
    advanced_params,
    prompt_params,
    sampling_params,
    size_params,
    strength_param,
)
from genloom_image.validation import check_params

MODELS_DIR = Path(__file__).resolve().parent / "models"
#: The image generators' default model and its folder (the one place that names them;
#: ``pipelines`` loads this folder when a run names no model): 64 px emoji and icons.
BUNDLED_ID = "image.icon-ldm-64"
BUNDLED_DIR = MODELS_DIR / "icon-ldm-64"
#: The 32 px emoji model, bundled too (chosen in the model list; the video plugin's image model).
EMOJI_ID = "image.emoji-ldm-32"
EMOJI_DIR = MODELS_DIR / "emoji-ldm-32"
MODEL_KINDS = ("diffusers", "sd-checkpoint")
DEVICES = ("cuda", "mps", "cpu")
#: One seed per run (GeneratorSpec.batch_size). Denoising several seeds in one pipeline
#: call is faster, but batched arithmetic can round differently from a seed made alone
#: (measured with a tiny SD model on CPU: seed 1235 in a batch of two differed from it
#: alone), and each image's recipe must make exactly that image again.
BATCH_SIZE = 1


def _text_to_image() -> object:
    from genloom_image.image_generators import TextToImage

    return TextToImage()


def _image_to_image() -> object:
    from genloom_image.image_generators import ImageToImage

    return ImageToImage()


def _inpaint() -> object:
    from genloom_image.image_generators import Inpaint

    return Inpaint()


def _variations() -> object:
    from genloom_image.image_generators import Variations

    return Variations()


IMAGE_INPUT = InputSpec("image", "image", title="Image", description="The image to start from.")
MASK_INPUT = InputSpec("mask", "image", title="Mask",
                       description="White where the image is repainted, black where it is kept.")


def _spec(id: str, title: str, description: str, factory: object, params: tuple, inputs: tuple = ()
          ) -> GeneratorSpec:
    return GeneratorSpec(id=id, modality="image", title=title, description=description, factory=factory,
                         params=params, inputs=inputs, model_kinds=MODEL_KINDS, default_model=BUNDLED_ID,
                         devices=DEVICES, check=check_params, batch_size=BATCH_SIZE)


@hookimpl
def genloom_register_generators() -> list[GeneratorSpec]:
    return [
        _spec("image.text_to_image", "Text to image", "Makes images from a prompt with a diffusion model.",
              _text_to_image,
              (*prompt_params(), *sampling_params(), *size_params(), *advanced_params())),
        _spec("image.image_to_image", "Image to image",
              "Repaints an image following a prompt; strength says how far it may move.",
              _image_to_image,
              (*prompt_params(), strength_param(0.6), *sampling_params(), *size_params(), *advanced_params()),
              (IMAGE_INPUT,)),
        _spec("image.inpaint", "Inpaint", "Repaints the masked part of an image following a prompt.",
              _inpaint,
              (*prompt_params(), strength_param(1.0), *sampling_params(), *size_params(), *advanced_params()),
              (IMAGE_INPUT, MASK_INPUT)),
        _spec("image.variations", "Variations",
              "New takes on an image with new seeds; an empty prompt reuses the image's own prompt.",
              _variations,
              (*prompt_params(), strength_param(0.45, title="Variation strength"), *sampling_params(),
               *size_params(), *advanced_params()),
              (IMAGE_INPUT,)),
        *family_specs(),
    ]


@hookimpl
def genloom_register_models() -> list[BundledModel]:
    return [*_diffusion_models(), *family_models(MODELS_DIR)]


def _diffusion_models() -> list[BundledModel]:
    return [BundledModel(
        id=BUNDLED_ID, kind="diffusers", path=BUNDLED_DIR,
        title="Icon LDM 64px (bundled)", architecture="SD 1.x (tiny)",
        licence="Weights trained on emoji and icon-theme images under Apache-2.0, CC-BY-SA-4.0, "
                "CC-BY-SA-3.0 or LGPL-3, LGPL-3+, public-domain and free-for-any-use terms (each source "
                "in MODEL_CARD.md); distribute under CC-BY-SA-compatible terms",
        description="The default: a tiny latent diffusion model in the Stable Diffusion format, trained "
                    "on 14,540 emoji and icon renderings of 7,322 names from seven Debian-packaged sets "
                    "('folder', 'printer', 'grinning face emoji'): each seed gives its own take; a bare name gives colour renderings, "
                    "'..., blue line art' monochrome ones; some names are only rough shapes "
                    "(trained on the CPU; see MODEL_CARD.md). Makes 64x64 images.",
    ), BundledModel(
        id=EMOJI_ID, kind="diffusers", path=EMOJI_DIR,
        title="Emoji LDM 32px (bundled)", architecture="SD 1.x (tiny)",
        licence="Weights trained on Noto Color Emoji images (Apache-2.0; font files SIL OFL 1.1); "
                "see MODEL_CARD.md",
        description="A tiny latent diffusion model in the Stable Diffusion format, trained on the 3,655 "
                    "named emoji: prompts are emoji names such as 'red heart' or 'smiling cat face'. "
                    "Makes 32x32 images, close to the name but much the same picture for every seed; "
                    "the video plugin's image model.",
    )]


@hookimpl
def genloom_identify_model(path: Path) -> ModelMatch | None:
    return identify_image_model(path)
