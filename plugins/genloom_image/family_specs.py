"""Specs and bundled models of the GAN and VAE generators: plain data, cheap to import."""

from __future__ import annotations

from pathlib import Path

from genloom.sdk import (
    BoolParam,
    BundledModel,
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    InputSpec,
    IntParam,
    ModelRef,
    Param,
    StringParam,
)
from genloom_image.families import GAN_KIND, VAE_KIND

GAN_ID, VAE_ID = "image.icon-gan-64", "image.icon-vae-64"
MODELS_DIR = Path(__file__).resolve().parent / "models"
DEVICES = ("cuda", "mps", "cpu")
BACKENDS = ("torch", "onnxruntime")
MODES = ("slerp", "lerp")
_LICENCE = ("Genloom's own weights, trained on emoji and icon artwork under Apache-2.0, CC-BY-SA-4.0, "
            "CC-BY-SA-3.0/LGPL-3, LGPL-3+ and public-domain terms; see MODEL_CARD.md")


def _gan() -> object:
    from genloom_image.family_generators import GanSample

    return GanSample()


def _vae() -> object:
    from genloom_image.family_generators import VaeSample

    return VaeSample()


def _interpolate() -> object:
    from genloom_image.family_generators import VaeInterpolate

    return VaeInterpolate()


def _caption(description: str) -> Param:
    return StringParam("prompt", "", role="prompt", max_length=1000,
                       placeholder="Words from the training captions, such as: red heart, cat face, star",
                       description=description)


def _backend() -> Param:
    return ChoiceParam("backend", "torch", choices=BACKENDS, advanced=True,
                       description="torch runs the model with PyTorch; onnxruntime runs its ONNX export "
                                   "(the bundled models ship one).")


def _sampling() -> tuple[Param, ...]:
    return (
        _caption("What the icon shows, in words the model was trained with; unknown words are left out "
                 "(and listed in the recipe). Empty: any icon."),
        FloatParam("temperature", 1.0, minimum=0.0, maximum=2.0, step=0.1,
                   description="Scale of the random latent vector: lower is more typical and less "
                               "varied, higher is more varied and stranger."),
        _backend(),
    )


def family_specs() -> list[GeneratorSpec]:
    """``image.gan``, ``image.vae`` and ``image.vae_interpolate``."""
    common = {"modality": "image", "devices": DEVICES, "batch_size": 1}
    return [
        GeneratorSpec(id="image.gan", title="GAN icons", factory=_gan, params=_sampling(),
                      description="Makes 64x64 icons from a caption with a conditional GAN: one "
                                  "network pass per image, so it is fast.",
                      model_kinds=(GAN_KIND,), default_model=GAN_ID, **common),
        GeneratorSpec(id="image.vae", title="VAE icons", factory=_vae, params=_sampling(),
                      description="Makes 64x64 icons from a caption by decoding random points of a "
                                  "conditional VAE's latent space.",
                      model_kinds=(VAE_KIND,), default_model=VAE_ID, **common),
        GeneratorSpec(id="image.vae_interpolate", title="VAE interpolation", factory=_interpolate,
                      description="Morphs one image into another through a VAE's latent space: both are "
                                  "encoded, the path between them decoded, and the frames saved as one strip.",
                      params=(
                          IntParam("steps", 8, minimum=2, maximum=32,
                                   description="Frames in the strip, both ends included."),
                          ChoiceParam("mode", "slerp", choices=MODES,
                                      description="slerp follows the sphere where Gaussian latents lie "
                                                  "(usually cleaner middle frames); lerp a straight line."),
                          _caption("Optional words to steer the decoding; empty decodes without a caption."),
                          BoolParam("save_frames", False,
                                    description="Also keep each frame as its own image."),
                          _backend(),
                      ),
                      inputs=(InputSpec("start", "image", title="Start image", description="The first frame."),
                              InputSpec("end", "image", title="End image", description="The last frame.")),
                      model_kinds=(VAE_KIND,), default_model=VAE_ID, uses_seed=False, **common),
    ]


def family_models(models_dir: Path) -> list[BundledModel]:
    """The bundled GAN and VAE folders."""
    return [
        BundledModel(id=GAN_ID, kind=GAN_KIND, path=models_dir / "icon-gan-64", title="Icon GAN 64px (bundled)",
                     architecture="Conditional GAN", licence=_LICENCE,
                     description="A small conditional GAN (DCGAN-style generator, projection critic) that "
                                 "makes 64x64 icons from captions; see MODEL_CARD.md."),
        BundledModel(id=VAE_ID, kind=VAE_KIND, path=models_dir / "icon-vae-64", title="Icon VAE 64px (bundled)",
                     architecture="Conditional VAE", licence=_LICENCE,
                     description="A small conditional VAE that samples 64x64 icons from captions and "
                                 "interpolates between two images; see MODEL_CARD.md."),
    ]


def bundled_ref(kind: str) -> ModelRef:
    """The bundled model of ``kind`` ("icon-gan" or "icon-vae"), for a generator given no model."""
    (model,) = [m for m in family_models(MODELS_DIR) if m.kind == kind]
    return model.to_ref()
