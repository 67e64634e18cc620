"""Score image generators of different families side by side on the same held-out captions.

    python compare_families.py --data /work/data/icons64.npz --features feature_net.safetensors \\
        --model "diffusion=ldm:../models/emoji-ldm-64" --model "GAN=gan:../models/icon-gan-64" \\
        --model "VAE=vae:../models/icon-vae-64" --out-md families.md --out-png families.png

Each ``--model LABEL=KIND:FOLDER`` is loaded the way Genloom loads it: ``ldm`` a diffusers
Stable Diffusion folder (``AutoPipelineForText2Image``), ``gan``/``vae`` a folder of
``genloom_image.gan_model`` / ``vae_model``. Every model gets the same captions and seeds:

- the *held-out* names of the archive (never trained on): one caption per name (its first
  rendering's), ``--captions`` of them, seed = position. Their features (``features.py``'s
  network) are compared with all held-out real images: Fréchet distance (FD, lower is
  closer), precision and recall (k-NN manifolds, k=3);
- diversity: ``--diversity`` held-out captions x ``--seeds`` seeds, mean pairwise feature
  distance among the seeds of one caption, averaged over captions;
- seed variety: the same over ``VARIETY_PROMPTS`` (names every model was trained on), in
  pixel space (RMS difference of 64x64 images in [0, 1]) and in feature space;
- time per image: wall-clock seconds of the held-out generation / images, CPU, ``--threads``.

A row "real (train split)" scores real training images against the held-out ones: the
floor a perfect generator of this data would reach. Smaller models (32 px) are resized
to 64 px (bilinear) before features and pixel distances are taken.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from features import (
    FeatureNet,
    frechet_distance,
    mean_pairwise_distance,
    precision_recall,
    to_input,
)
from PIL import Image, ImageDraw
from prepare_icons import caption_style

VARIETY_PROMPTS = (
    "red heart", "smiling cat face", "grinning face", "pizza", "rocket", "sun", "dog face", "four leaf clover",
    "thumbs up", "star", "fire", "ghost", "snowman", "banana", "house", "cat", "tree", "bicycle", "umbrella",
    "crying face",
)
Generate = Callable[[list[str], list[int]], np.ndarray]


@dataclass
class Row:
    """One model's scores."""

    label: str
    kind: str
    fd: float
    precision: float
    recall: float
    diversity: float
    variety_pixel: float
    variety_feature: float
    seconds_per_image: float


def ldm_generator(folder: Path, steps: int, guidance: float, batch: int = 16,
                  scheduler: str = "default") -> Generate:
    """A diffusers folder through AutoPipelineForText2Image (as the image plugin loads it),
    with the sampler the plugin's ``scheduler`` parameter names."""
    import torch
    from diffusers import AutoPipelineForText2Image

    from genloom_image.schedulers import make_scheduler

    pipe = AutoPipelineForText2Image.from_pretrained(folder, use_safetensors=True, local_files_only=True)
    pipe.scheduler = make_scheduler(pipe, scheduler, pipe.scheduler)
    pipe.set_progress_bar_config(disable=True)

    def generate(captions: list[str], seeds: list[int]) -> np.ndarray:
        out = []
        for i in range(0, len(captions), batch):
            gens = [torch.Generator().manual_seed(s) for s in seeds[i:i + batch]]
            images = pipe(list(captions[i:i + batch]), num_inference_steps=steps, guidance_scale=guidance,
                          generator=gens, output_type="np").images
            out.append(np.round(np.clip(images, 0, 1) * 255).astype(np.uint8))
        return np.concatenate(out)

    return generate


def family_generator(kind: str, folder: Path, batch: int = 64) -> Generate:
    """A GAN or VAE folder through genloom_image.gan_model / vae_model (torch backend, CPU)."""
    if kind == "gan":
        from genloom_image import gan_model as module
    else:
        from genloom_image import vae_model as module
    model = module.load(folder)

    def generate(captions: list[str], seeds: list[int]) -> np.ndarray:
        parts = [np.asarray(model(captions[i:i + batch], seeds[i:i + batch])) for i in range(0, len(captions), batch)]
        return np.concatenate(parts)

    return generate


def to64(images: np.ndarray) -> np.ndarray:
    """Images as float (N,64,64,3) in [0, 1], resized bilinearly when needed."""
    return ((to_input(images).numpy() + 1) / 2).transpose(0, 2, 3, 1)  # type: ignore[attr-defined]


def heldout_captions(data: dict[str, np.ndarray], subset: str = "all") -> tuple[list[str], np.ndarray]:
    """One caption per held-out name (its first colour rendering's, else its first), and the real images.

    ``subset`` 'emoji' or 'icons' keeps only those captions and images (for models trained on one kind).
    """
    held = data["split"] == "heldout"
    if subset != "all":
        is_emoji = np.char.find(data["captions"].astype(str), " emoji, ") >= 0
        held &= is_emoji if subset == "emoji" else ~is_emoji
    held = np.flatnonzero(held)
    chosen: dict[str, str] = {}
    for i in held:
        name, caption = str(data["names"][i]), str(data["captions"][i])
        if name not in chosen or (not caption_style(caption) and caption_style(chosen[name])):
            chosen[name] = caption
    names = sorted(chosen)
    order = np.random.default_rng(0).permutation(len(names))  # a fixed mix of emoji and icons
    return [chosen[names[i]] for i in order], data["images"][held]


def score(label: str, kind: str, generate: Generate, feats: FeatureNet, captions: list[str],
          real_features: np.ndarray, diversity: int, seeds: int) -> tuple[Row, np.ndarray]:
    """Generate and score one model; returns its row and the held-out images (for the grid)."""
    t0 = time.time()
    images = generate(captions, list(range(len(captions))))
    per_image = (time.time() - t0) / len(captions)
    fake = feats.features(images)
    fd = frechet_distance(real_features, fake)
    precision, recall = precision_recall(real_features, fake)
    div = []
    for caption in captions[:diversity]:
        div.append(mean_pairwise_distance(feats.features(generate([caption] * seeds, list(range(seeds))))))
    pixel, feature = [], []
    for prompt in VARIETY_PROMPTS:
        batch = generate([prompt] * seeds, list(range(seeds)))
        flat = to64(batch).reshape(seeds, -1)
        pixel.append(mean_pairwise_distance(flat) / np.sqrt(flat.shape[1]))  # RMS per pixel value
        feature.append(mean_pairwise_distance(feats.features(batch)))
    row = Row(label, kind, fd, precision, recall, float(np.mean(div)), float(np.mean(pixel)),
              float(np.mean(feature)), per_image)
    print(row, flush=True)
    return row, images


def markdown(rows: list[Row], args: argparse.Namespace, n_real: int) -> str:
    """The results table with how it was measured."""
    lines = [
        f"Held-out captions ({args.subset}): {args.captions} (one image each, seed = position) vs {n_real} held-out real images; "
        f"features: `features.py` network (128-d). Diversity: {args.diversity} held-out captions x {args.seeds} "
        f"seeds. Seed variety: {len(VARIETY_PROMPTS)} training prompts x {args.seeds} seeds. "
        f"Diffusion: {args.steps} steps of the model's own sampler (Euler) unless the label names another, "
        f"guidance {args.guidance}. Time: CPU, {args.threads} threads, "
        "on a shared machine (indicative only).",
        "",
        "| model | family | FD (lower is better) | precision | recall | diversity (feature) "
        "| seed variety (pixel RMS) | seed variety (feature) | s / image |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.label} | {r.kind} | {r.fd:.1f} | {r.precision:.2f} | {r.recall:.2f} | {r.diversity:.2f} "
                     f"| {r.variety_pixel:.3f} | {r.variety_feature:.2f} | {r.seconds_per_image:.3f} |")
    return "\n".join(lines) + "\n"


def grid(rows: list[tuple[str, np.ndarray]], captions: list[str], out: Path, cell: int = 96) -> None:
    """One row per family (first row: real images of the same names), one column per caption."""
    label_w, head = 150, 40
    img = Image.new("RGB", (label_w + cell * len(captions), head + cell * len(rows)), "white")
    draw = ImageDraw.Draw(img)
    for c, caption in enumerate(captions):
        words = caption.split(",")[0].replace(" emoji", "").replace(" icon", "")
        draw.text((label_w + c * cell + 2, 4), words[:16], fill="black")
        draw.text((label_w + c * cell + 2, 18), words[16:32], fill="black")
    for r, (label, images) in enumerate(rows):
        draw.text((6, head + r * cell + cell // 2 - 6), label, fill="black")
        for c, array in enumerate(images[: len(captions)]):
            tile = Image.fromarray(array).resize((cell, cell), Image.Resampling.NEAREST)
            img.paste(tile, (label_w + c * cell, head + r * cell))
    img.save(out)


def main() -> None:
    """Load, generate, score; write the table and the grid."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="prepare_icons.py archive (its held-out split)")
    p.add_argument("--features", type=Path, required=True, help="features.py network (.safetensors)")
    p.add_argument("--model", action="append", default=[],
                   help="LABEL=KIND:FOLDER, KIND one of ldm, gan, vae; ldm@SAMPLER (ldm@Euler a) samples with "
                        "one of the image plugin's scheduler names")
    p.add_argument("--captions", type=int, default=200)
    p.add_argument("--subset", choices=("all", "emoji", "icons"), default="all",
                   help="held-out captions of one kind only (every model must know the caption words)")
    p.add_argument("--diversity", type=int, default=20)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--grid-captions", type=int, default=8)
    p.add_argument("--cache", type=Path, default=None,
                   help="folder for each model's scores and grid images; a later run with the same settings "
                        "reuses them (so models can be added one at a time)")
    p.add_argument("--out-md", type=Path, required=True)
    p.add_argument("--out-png", type=Path, required=True)
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    specs = []
    for spec in args.model:
        label, _, rest = spec.partition("=")
        kind, _, folder = rest.partition(":")
        if kind.split("@")[0] not in ("ldm", "gan", "vae") or not folder or not Path(folder).is_dir():
            raise SystemExit(f"--model {spec!r}: expected LABEL=KIND:FOLDER with KIND ldm, gan or vae and an "
                             "existing model folder")
        specs.append((label, kind, Path(folder)))
    with np.load(args.data) as f:
        data = {k: f[k] for k in f.files}
    feats = FeatureNet.load(args.features)
    captions, real = heldout_captions(data, args.subset)
    captions = captions[: args.captions]
    real_features = feats.features(real)
    pool = np.flatnonzero(data["split"] == "train")
    if args.subset != "all":
        is_emoji = np.char.find(data["captions"][pool].astype(str), " emoji, ") >= 0
        pool = pool[is_emoji if args.subset == "emoji" else ~is_emoji]
    train_idx = np.random.default_rng(0).choice(pool, len(captions), False)
    baseline = feats.features(data["images"][train_idx])
    rows = [Row("real (train split)", "data", frechet_distance(real_features, baseline),
                *precision_recall(real_features, baseline), float("nan"), float("nan"), float("nan"), float("nan"))]
    names_of = {str(c): str(n) for c, n in zip(data["captions"], data["names"], strict=True)}
    real_row = []
    for caption in captions[: args.grid_captions]:
        i = int(np.flatnonzero(data["names"] == names_of[caption])[0])
        real_row.append(data["images"][i])
    pictures: list[tuple[str, np.ndarray]] = [("real (held out)", np.stack(real_row))]
    for label, kind, folder in specs:
        cached = args.cache / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.npz" if args.cache else None
        if cached is not None and cached.exists():  # scored by an earlier run with the same settings
            with np.load(cached) as f:
                row, images = Row(**json.loads(str(f["row"]))), f["images"]
            print(f"{label}: from {cached}")
        else:
            generate = (ldm_generator(folder, args.steps, args.guidance,
                                      scheduler=kind.partition("@")[2] or "default")
                        if kind.startswith("ldm") else family_generator(kind, folder))
            row, images = score(label, kind, generate, feats, captions, real_features, args.diversity, args.seeds)
            if cached is not None:
                args.cache.mkdir(parents=True, exist_ok=True)
                np.savez(cached, row=json.dumps(asdict(row)), images=images[: args.grid_captions])
        rows.append(row)
        pictures.append((label, images))
    args.out_md.write_text(markdown(rows, args, len(real)))
    grid(pictures, captions[: args.grid_captions], args.out_png)
    print(markdown(rows, args, len(real)))
    print(f"wrote {args.out_md} and {args.out_png}")


if __name__ == "__main__":
    main()
