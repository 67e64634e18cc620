"""Entry module of the built-in image plugin: cheap to import, plain data only.

Generators ``image.text_to_image``, ``image.image_to_image``, ``image.inpaint`` and
``image.variations`` run diffusers pipelines: the bundled ``image.emoji-ldm-32`` (a tiny
Stable Diffusion trained on Noto Color Emoji; the default, and the image model the video
plugin's motion adapter was trained on), the bundled ``image.icon-ldm-64`` (the same
architecture at 64 px, trained on emoji and icon themes: more variety between seeds, less
faithful to a prompt, see its card) or the user's own diffusers folders and single-file
SD 1.x/2.x/SDXL checkpoints, with LoRAs. ``image.gan`` (a conditional GAN),
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
#: The image generators' default model (its folder: ``pipelines.BUNDLED_DIR``).
BUNDLED_ID = "image.emoji-ldm-32"
#: The 64 px emoji-and-icon model, bundled too (chosen in the model list).
ICON_ID = "image.icon-ldm-64"
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
        id=BUNDLED_ID, kind="diffusers", path=MODELS_DIR / "emoji-ldm-32",
        title="Emoji LDM 32px (bundled)", architecture="SD 1.x (tiny)",
        licence="Weights trained on Noto Color Emoji images (Apache-2.0; font files SIL OFL 1.1); "
                "see MODEL_CARD.md",
        description="A tiny latent diffusion model in the Stable Diffusion format, trained on the 3,655 "
                    "named emoji: prompts are emoji names such as 'red heart' or 'smiling cat face'. "
                    "Makes 32x32 images.",
    ), BundledModel(
        id=ICON_ID, kind="diffusers", path=MODELS_DIR / "icon-ldm-64",
        title="Icon LDM 64px (bundled)", architecture="SD 1.x (tiny)",
        licence="Weights trained on emoji and icon-theme images under Apache-2.0, CC-BY-SA-4.0, "
                "CC-BY-SA-3.0 or LGPL-3, LGPL-3+, public-domain and free-for-any-use terms (each source "
                "in MODEL_CARD.md); distribute under CC-BY-SA-compatible terms",
        description="The emoji model's architecture at 64 px, trained on 14,540 emoji and icon renderings "
                    "of 7,322 names from seven Debian-packaged sets ('folder', 'printer', 'grinning face "
                    "emoji'): each seed gives its own take; a bare name gives colour renderings, "
                    "'..., blue line art' monochrome ones; some names are only rough shapes "
                    "(trained on the CPU; see MODEL_CARD.md).",
    )]


@hookimpl
def genloom_identify_model(path: Path) -> ModelMatch | None:
    return identify_image_model(path)
