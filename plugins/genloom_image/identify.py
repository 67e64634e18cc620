"""Recognising image models on disk: diffusers folders, single-file checkpoints, LoRAs.

Pure functions over config JSON and safetensors headers: no torch, no weights
read, nothing unpickled. The plugin's ``genloom_identify_model`` hook calls
:func:`identify_image_model`; each recogniser can also be used on its own.

Kinds returned (what the image generators list in ``model_kinds``):
``"diffusers"`` (a pipeline folder), ``"sd-checkpoint"`` (a single-file
Stable Diffusion family checkpoint), ``"vae"`` and ``"lora"``; the GAN and VAE folders
(``"icon-gan"``, ``"icon-vae"``) are recognised by :mod:`genloom_image.families`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from genloom.sdk.formats import ModelFormatError, read_json_config, read_safetensors_header
from genloom.sdk.models import ModelMatch
from genloom_image.families import identify_family_folder

__all__ = [
    "DIFFUSERS_IMAGE_PIPELINES",
    "classify_checkpoint_keys",
    "classify_lora_keys",
    "identify_checkpoint",
    "identify_diffusers_folder",
    "identify_image_model",
    "identify_lora",
]

#: diffusers pipeline class -> architecture, for the text-to-image families.
#: "Stable Diffusion" is refined to SD 1.x / 2.x from the UNet and text encoder configs.
DIFFUSERS_IMAGE_PIPELINES: dict[str, str] = {
    "StableDiffusionPipeline": "Stable Diffusion",
    "StableDiffusionImg2ImgPipeline": "Stable Diffusion",
    "StableDiffusionInpaintPipeline": "Stable Diffusion",
    "StableDiffusionUpscalePipeline": "SD 2.x upscaler",
    "LatentConsistencyModelPipeline": "Stable Diffusion",
    "StableDiffusionXLPipeline": "SDXL",
    "StableDiffusionXLImg2ImgPipeline": "SDXL",
    "StableDiffusionXLInpaintPipeline": "SDXL",
    "StableDiffusion3Pipeline": "SD3",
    "StableDiffusion3Img2ImgPipeline": "SD3",
    "FluxPipeline": "Flux",
    "FluxImg2ImgPipeline": "Flux",
    "FluxFillPipeline": "Flux",
    "FluxKontextPipeline": "Flux Kontext",
    "PixArtAlphaPipeline": "PixArt-α",
    "PixArtSigmaPipeline": "PixArt-Σ",
    "SanaPipeline": "Sana",
    "AuraFlowPipeline": "AuraFlow",
    "HunyuanDiTPipeline": "Hunyuan-DiT",
    "KandinskyV22Pipeline": "Kandinsky 2.2",
    "KandinskyV22CombinedPipeline": "Kandinsky 2.2",
    "Kandinsky3Pipeline": "Kandinsky 3",
    "StableCascadeCombinedPipeline": "Stable Cascade",
    "LuminaText2ImgPipeline": "Lumina",
    "Lumina2Pipeline": "Lumina 2",
    "CogView3PlusPipeline": "CogView3",
    "CogView4Pipeline": "CogView4",
    "QwenImagePipeline": "Qwen-Image",
    "HiDreamImagePipeline": "HiDream",
    "DiTPipeline": "DiT",
    "DDPMPipeline": "DDPM",
    "DDIMPipeline": "DDIM",
}

_SD_CONTEXT_DIMS = {768: "SD 1.x", 1024: "SD 2.x", 2048: "SDXL"}


def identify_image_model(path: Path) -> ModelMatch | None:
    """The first of the image recognisers that recognises ``path``, or None."""
    path = Path(path)
    if path.is_dir():
        return identify_diffusers_folder(path) or identify_family_folder(path)
    if path.suffix.lower() not in (".safetensors", ".sft"):
        return None
    return identify_lora(path) or identify_checkpoint(path)


# -- diffusers folders ------------------------------------------------------------------


def identify_diffusers_folder(path: Path) -> ModelMatch | None:
    """A diffusers pipeline folder, recognised by its ``model_index.json``.

    Only the text-to-image families in :data:`DIFFUSERS_IMAGE_PIPELINES` are
    claimed; other pipelines (video, audio) are left to the plugins that run them.
    """
    index = read_json_config(Path(path) / "model_index.json")
    if index is None:
        return None
    pipeline = str(index.get("_class_name", ""))
    architecture = DIFFUSERS_IMAGE_PIPELINES.get(pipeline)
    if architecture is None:
        return None
    if architecture == "Stable Diffusion":
        architecture = _sd_version_of_folder(Path(path))
    if pipeline.startswith("StableDiffusionXL") and "text_encoder" not in index and "text_encoder_2" in index:
        architecture = "SDXL refiner"
    components = sorted(k for k, v in index.items() if not k.startswith("_") and isinstance(v, list))
    details: dict[str, Any] = {"pipeline": pipeline, "components": components,
                               "diffusers_version": str(index.get("_diffusers_version", ""))}
    refused = _folder_weights_refusal(Path(path), components)
    if refused:
        details["refused"] = refused
    return ModelMatch(kind="diffusers", architecture=architecture, format="diffusers-folder", details=details)


_PICKLE_WEIGHTS = (".bin", ".ckpt", ".pt", ".pth")


def _folder_weights_refusal(path: Path, components: list[str]) -> str:
    """Why a pipeline folder cannot be loaded as it is ("" when it can): the image plugin loads
    diffusers folders from safetensors only, so a component whose weights are all pickle, or a
    folder with no weights at all (a download of only the configuration files), is refused."""
    pickled, with_weights = [], 0
    for component in components:
        try:
            names = [p.name for p in (path / component).iterdir() if p.is_file()]
        except OSError:
            continue
        safe = [n for n in names if n.endswith(".safetensors")]
        pickles = [f"{component}/{n}" for n in names if n.endswith(_PICKLE_WEIGHTS)]
        with_weights += bool(safe or pickles)
        if pickles and not safe:
            pickled += pickles
    if pickled:
        return (f"its weights are pickle files ({', '.join(pickled[:3])}{', ...' if len(pickled) > 3 else ''}), "
                "which Genloom does not load for diffusers folders: unpickling can run code hidden in a file. "
                "Use the .safetensors release of this model (most are published with both)")
    if not with_weights:
        return ("it holds only configuration files, no weights (such a download serves as the configuration "
                "of single-file checkpoints); it cannot generate on its own")
    return ""


def _sd_version_of_folder(path: Path) -> str:
    """SD 1.x or 2.x from the UNet's cross-attention width, else the text encoder.

    Real checkpoints have 768 (1.x) or 1024 (2.x) wide cross-attention. A
    custom-sized model falls back on the text encoder: SD 1.x uses OpenAI CLIP
    (``quick_gelu``), SD 2.x OpenCLIP (``gelu``).
    """
    unet = read_json_config(path / "unet" / "config.json") or {}
    width = unet.get("cross_attention_dim")
    if isinstance(width, int) and width in (768, 1024):
        return _SD_CONTEXT_DIMS[width]
    encoder = read_json_config(path / "text_encoder" / "config.json") or {}
    act = encoder.get("hidden_act")
    if act == "quick_gelu":
        return "SD 1.x"
    if act == "gelu":
        return "SD 2.x"
    return "Stable Diffusion"


# -- single-file checkpoints ----------------------------------------------------------------


def identify_checkpoint(path: Path) -> ModelMatch | None:
    """A single-file checkpoint (``.safetensors``), recognised by its tensor names."""
    header = _header(path)
    if header is None:
        return None
    architecture, kind = classify_checkpoint_keys(_tensors(header))
    if not architecture:
        return None
    return ModelMatch(kind=kind, architecture=architecture, format="safetensors",
                      licence=_metadata_licence(header),
                      details={"tensors": len(_tensors(header))})


def classify_checkpoint_keys(tensors: Mapping[str, Any]) -> tuple[str, str]:
    """``(architecture, kind)`` from a checkpoint's tensor names and shapes, or ``("", "")``.

    ``tensors`` maps names to safetensors entries (``{"shape": [...]}``) or to
    anything with the name only. Recognises the original (CompVis/Stability)
    layouts that AUTOMATIC1111 and ComfyUI use, plus Flux and a lone VAE.
    """
    names = set(tensors)

    def has(prefix: str) -> bool:
        return any(n.startswith(prefix) for n in names)

    if has("model.diffusion_model.joint_blocks.") or has("joint_blocks."):
        return "SD3", "sd-checkpoint"
    if has("double_blocks.") or has("model.diffusion_model.double_blocks."):
        return "Flux", "sd-checkpoint"
    if has("conditioner.embedders.1.") or has("model.diffusion_model.label_emb."):
        if not has("conditioner.embedders.1.") and has("conditioner.embedders.0.model."):
            return "SDXL refiner", "sd-checkpoint"
        return "SDXL", "sd-checkpoint"
    if has("cond_stage_model.model.transformer.") or has("cond_stage_model.model.ln_final"):
        return "SD 2.x", "sd-checkpoint"
    if has("cond_stage_model.transformer.") and has("model.diffusion_model."):
        return "SD 1.x", "sd-checkpoint"
    if has("model.diffusion_model.input_blocks."):
        width = _shape(tensors, "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight")
        return _SD_CONTEXT_DIMS.get(width[-1] if width else 0, "Stable Diffusion"), "sd-checkpoint"
    if has("encoder.conv_in.") and has("decoder.conv_out.") and not has("model."):
        return "VAE", "vae"
    return "", ""


# -- LoRAs ------------------------------------------------------------------------------


def identify_lora(path: Path) -> ModelMatch | None:
    """A LoRA for an image model (kohya, diffusers/PEFT or ComfyUI key layouts)."""
    header = _header(path)
    if header is None:
        return None
    metadata = header.get("__metadata__", {})
    layout, base = classify_lora_keys(_tensors(header))
    if not layout:
        return None
    base = _lora_base_from_metadata(metadata) or base
    details: dict[str, Any] = {"layout": layout, "tensors": len(_tensors(header))}
    rank = _lora_rank(_tensors(header))
    if rank:
        details["rank"] = rank
    if metadata.get("ss_output_name"):
        details["name"] = metadata["ss_output_name"]
    return ModelMatch(kind="lora", architecture=base, format="safetensors",
                      licence=_metadata_licence(header), details=details)


def classify_lora_keys(tensors: Mapping[str, Any]) -> tuple[str, str]:
    """``(layout, base guess)`` of an image LoRA, or ``("", "")`` when it is not one.

    Layouts: ``"kohya"`` (``lora_unet_*``/``lora_te*_`` with ``lora_down``/
    ``lora_up``), ``"diffusers"`` (``unet.*``/``transformer.*`` with
    ``lora_A``/``lora_B`` or ``lora.down``), ``"comfyui"`` (``diffusion_model.*``
    with ``lora_A``/``lora_down``). The base is guessed from the text encoders
    present and the width of the cross-attention inputs.
    """
    names = list(tensors)
    is_lora = [n for n in names if any(t in n for t in (".lora_down.", ".lora_up.", ".lora_A.", ".lora_B.",
                                                         ".lora.down.", ".lora.up."))]
    if not is_lora:
        return "", ""
    if any(n.startswith(("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_")) for n in names):
        layout = "kohya"
    elif any(n.startswith(("unet.", "transformer.", "text_encoder.", "text_encoder_2.")) for n in names):
        layout = "diffusers"
    elif any(n.startswith(("diffusion_model.", "lora_transformer_")) for n in names):
        layout = "comfyui"
    else:
        return "", ""  # a LoRA for something else (a language model: see the text plugin)
    return layout, _lora_base_from_keys(tensors)


def _lora_base_from_keys(tensors: Mapping[str, Any]) -> str:
    names = list(tensors)
    joined = "\n".join(names)
    if "double_blocks" in joined or "single_transformer_blocks" in joined or "single_blocks" in joined:
        return "Flux"
    if "joint_blocks" in joined or "context_block" in joined:
        return "SD3"
    if "lora_te2_" in joined or "text_encoder_2." in joined:
        return "SDXL"
    for name in names:
        if ("attn2" in name and ("to_k" in name or "to_v" in name)
                and ("lora_down" in name or "lora_A" in name or "lora.down" in name)):
            shape = _shape(tensors, name)
            if shape and shape[-1] in _SD_CONTEXT_DIMS:
                return _SD_CONTEXT_DIMS[shape[-1]]
    if "lora_te_" in joined or "text_encoder." in joined or "lora_unet_" in joined:
        return "SD 1.x/2.x"
    return ""


def _lora_base_from_metadata(metadata: Mapping[str, Any]) -> str:
    """The base recorded by the trainer (kohya ``ss_base_model_version``, ``modelspec``)."""
    version = str(metadata.get("ss_base_model_version", "")).lower()
    spec = str(metadata.get("modelspec.architecture", "")).lower()
    for text in (version, spec):
        if not text:
            continue
        if "flux" in text:
            return "Flux"
        if "sdxl" in text or "stable-diffusion-xl" in text:
            return "SDXL"
        if "sd3" in text or "stable-diffusion-3" in text:
            return "SD3"
        if "v2" in text or "sd_2" in text or "stable-diffusion-v2" in text:
            return "SD 2.x"
        if "v1" in text or "stable-diffusion-v1" in text:
            return "SD 1.x"
    return ""


def _lora_rank(tensors: Mapping[str, Any]) -> int:
    for name in tensors:
        if ".lora_down." in name or ".lora_A." in name or ".lora.down." in name:
            shape = _shape(tensors, name)
            if shape:
                return int(shape[0])
    return 0


# -- helpers ----------------------------------------------------------------------------


def _header(path: Path) -> dict[str, Any] | None:
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in (".safetensors", ".sft"):
        return None
    try:
        return read_safetensors_header(path)
    except (ModelFormatError, OSError):
        return None


def _tensors(header: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in header.items() if k != "__metadata__"}


def _shape(tensors: Mapping[str, Any], name: str) -> list[int]:
    entry = tensors.get(name)
    if isinstance(entry, Mapping) and isinstance(entry.get("shape"), list):
        return list(entry["shape"])
    return []


def _metadata_licence(header: Mapping[str, Any]) -> str:
    metadata = header.get("__metadata__", {})
    for key in ("modelspec.license", "license", "licence"):
        value = metadata.get(key) if isinstance(metadata, Mapping) else None
        if value:
            return str(value)
    return ""
