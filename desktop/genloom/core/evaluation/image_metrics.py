"""Image metrics: sharpness (variance of the Laplacian), diversity within a set (distance
between the image model's own VAE latents, and 1 - MS-SSIM through torchmetrics), and
prompt agreement under a CLIP-family model from the user's library."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

__all__ = ["MS_SSIM_SIDE", "clip_agreement", "load_rgb", "ms_ssim_diversity", "sharpness",
           "vae_diversity"]

#: Images are resized to this side for MS-SSIM (a set must share one size): three scales
#: of an 11-pixel window need more than 40 pixels. Generated sets are compared for their
#: structure, not their finest detail, and five scales at 192 px cost ten times as much.
MS_SSIM_SIDE = 64
#: The first three of MS-SSIM's five scale weights (Wang et al. 2003); torchmetrics
#: normalises them.
_MS_SSIM_BETAS = (0.0448, 0.2856, 0.3001)
_MAX_PIXELS = 64_000_000


def load_rgb(asset: MetricAsset, side: int | None = None) -> Any:
    """The image as an HxWx3 uint8 array (resized to side x side when given)."""
    import numpy as np
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
    with Image.open(asset.path) as image:
        rgb = image.convert("RGB")
        if side is not None and rgb.size != (side, side):
            rgb = rgb.resize((side, side), Image.Resampling.BICUBIC)
        return np.asarray(rgb)


def sharpness(asset: MetricAsset, context: MetricContext) -> float:
    """Variance of the Laplacian of the grey image (0-255 scale): 0 for a flat image."""
    import cv2
    import numpy as np

    grey = cv2.cvtColor(load_rgb(asset), cv2.COLOR_RGB2GRAY).astype(np.float64)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


#: The most image pairs a diversity metric compares: a large set is measured on a fixed
#: sample of its pairs (the same sample every time), not on all n(n-1)/2 of them.
MAX_PAIRS = 2000
#: Pairs per MS-SSIM call, which keeps its memory small whatever the set's size.
_PAIR_CHUNK = 32


def _pairs(count: int) -> list[tuple[int, int]]:
    """Every pair of ``count`` items, or a fixed sample of :data:`MAX_PAIRS` of them."""
    total = count * (count - 1) // 2
    if total <= MAX_PAIRS:
        return list(itertools.combinations(range(count), 2))
    import numpy as np

    rng = np.random.default_rng(0)
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < MAX_PAIRS:
        i, j = (int(v) for v in rng.choice(count, size=2, replace=False))
        chosen.add((min(i, j), max(i, j)))
    return sorted(chosen)


def vae_diversity(assets: Sequence[MetricAsset], context: MetricContext) -> float:
    """Mean pairwise RMS distance between the images' VAE latent means (0: all alike)."""
    folder = context.models.get("image_vae")
    if folder is None:
        raise InputError("no image model with a VAE is available")
    key = f"vae:{folder}"
    if key not in context.cache:
        import torch
        from diffusers import AutoencoderKL

        vae = AutoencoderKL.from_pretrained(str(folder), use_safetensors=True)
        vae.to(context.device).eval()
        side = int(min(256, max(32, int(vae.config.sample_size or 64))))
        context.cache[key] = (torch, vae, side // 8 * 8)
    torch, vae, side = context.cache[key]
    latents = []
    for asset in assets:
        if context.cancelled:
            break
        pixels = torch.from_numpy(load_rgb(asset, side).copy()).permute(2, 0, 1).float() / 127.5 - 1
        with torch.inference_mode():
            mean = vae.encode(pixels[None].to(context.device)).latent_dist.mean
        latents.append(mean.flatten().double().cpu())
    stacked = torch.stack(latents)
    distances = [float(torch.sqrt(torch.mean((stacked[i] - stacked[j]) ** 2)))
                 for i, j in _pairs(len(latents))]
    return sum(distances) / len(distances)


def ms_ssim_diversity(assets: Sequence[MetricAsset], context: MetricContext) -> float:
    """1 - mean pairwise MS-SSIM (torchmetrics, three scales) of the set's images at 64x64
    (0: identical)."""
    import torch
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

    images = torch.stack([torch.from_numpy(load_rgb(a, MS_SSIM_SIDE).copy()).permute(2, 0, 1)
                          for a in assets]).float() / 255.0
    pairs = _pairs(len(images))
    scores = []
    for start in range(0, len(pairs), _PAIR_CHUNK):
        if context.cancelled:
            break
        chunk = pairs[start:start + _PAIR_CHUNK]
        scores.append(multiscale_structural_similarity_index_measure(
            images[[i for i, _ in chunk]], images[[j for _, j in chunk]], data_range=1.0,
            reduction="none", normalize="relu", betas=_MS_SSIM_BETAS))
    return float(1.0 - torch.cat(scores).mean().clamp(0.0, 1.0))


def clip_agreement(asset: MetricAsset, context: MetricContext) -> float | None:
    """Cosine similarity (x100, clipped at 0: the CLIPScore scale) between the image and its
    prompt under the library's CLIP model (None: the asset has no prompt)."""
    if not asset.prompt.strip():
        return None
    folder = context.models.get("clip")
    if folder is None:
        raise InputError("no CLIP-family model is in the model library")
    key = f"clip:{folder}"
    if key not in context.cache:
        import torch
        from transformers import AutoTokenizer, CLIPModel

        model: Any = CLIPModel.from_pretrained(str(folder), use_safetensors=True, local_files_only=True)
        model.to(context.device).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        context.cache[key] = (torch, model, tokenizer)
    torch, model, tokenizer = context.cache[key]
    vision = model.config.vision_config
    # CLIP's own normalisation constants (OpenAI's), as its image processor applies them.
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)
    pixels = torch.from_numpy(load_rgb(asset, int(vision.image_size)).copy()).permute(2, 0, 1).float()
    pixels = ((pixels / 255.0 - mean) / std)[None].to(context.device)
    limit = int(model.config.text_config.max_position_embeddings)
    tokens = tokenizer([asset.prompt], return_tensors="pt", truncation=True, max_length=limit)
    with torch.inference_mode():
        image = model.get_image_features(pixel_values=pixels)
        text = model.get_text_features(input_ids=tokens.input_ids.to(context.device),
                                       attention_mask=tokens.attention_mask.to(context.device))
    image = getattr(image, "pooler_output", image)
    text = getattr(text, "pooler_output", text)
    cosine = torch.nn.functional.cosine_similarity(image, text).item()
    return max(0.0, 100.0 * float(cosine))
