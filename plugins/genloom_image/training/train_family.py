"""Train the bundled conditional GAN or VAE (icon-gan-64, icon-vae-64) on the CPU or a GPU.

    python train_family.py --family gan --data /work/data/icons64.npz \
        --out plugins/genloom_image/models/icon-gan-64 --work /tmp/gan-work --max-minutes 25

Data: an ``.npz`` with ``images`` (N, S, S, 3) uint8 and ``captions`` (or ``names``, as
``prepare_emoji.py`` writes), optionally ``split`` ('train'/'heldout': only 'train' rows
are used). The vocabulary is the words of the training captions seen at least
``--min-count`` times, most frequent first.

Everything random follows ``--seed``. A checkpoint (networks, optimisers, RNG states, the
time spent so far) is written atomically to ``--work`` every ``--checkpoint-seconds`` and
at the end; running the same command again resumes from it, and ``--max-minutes`` counts
the total over all runs. ``--work`` also gets ``loss.csv`` (one row per logged step). When
the budget is spent the model folder is written: ``config.json``, ``model.safetensors``
(the GAN's generator as an exponential moving average of its weights; the VAE's encoder
and decoder), ``onnx/``, ``samples.png`` (8 captions x 8 seeds), ``loss.csv`` and
``training.json`` (steps, minutes, hardware, data).
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the usual name)

from genloom_image.families import FORMAT_VERSION, parse_config, words_of
from genloom_image.family_nets import nets as network_classes

SAMPLE_SEEDS = list(range(8))


def load_data(path: Path) -> tuple[np.ndarray, list[str], list[str], np.ndarray]:
    """Training images, captions and whether each may be mirrored; held-out captions (for the grid)."""
    with np.load(path, allow_pickle=False) as data:
        images = data["images"]
        captions = [str(c) for c in (data["captions"] if "captions" in data else data["names"])]
        split = [str(s) for s in data["split"]] if "split" in data else ["train"] * len(captions)
        flip_ok = data["flip_ok"] if "flip_ok" in data else np.zeros(len(captions), dtype=bool)
    train = [i for i, s in enumerate(split) if s == "train"]
    heldout = [c for c, s in zip(captions, split, strict=True) if s != "train"]
    return images[train], [captions[i] for i in train], heldout, flip_ok[train]


def build_vocabulary(captions: list[str], min_count: int, limit: int) -> list[str]:
    counts = Counter(w for c in captions for w in set(words_of(c)))
    ranked = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    return ranked[:limit]


def bags_for(config: Any, captions: list[str]) -> list[np.ndarray]:
    """Each caption's known word indices (a caption with none gets an empty array)."""
    index = {w: i for i, w in enumerate(config.vocabulary)}
    return [np.array(sorted({index[w] for w in words_of(c) if w in index}), dtype=np.int64) for c in captions]


def bag_batch(words: list[np.ndarray], rows: np.ndarray, size: int, drop: float, rng: np.random.Generator
              ) -> torch.Tensor:
    out = np.zeros((len(rows), size), dtype=np.float32)
    for j, row in enumerate(rows):
        known = words[row]
        if len(known) and rng.random() >= drop:  # dropped captions teach the unconditioned model
            out[j, known] = 1.0 / len(known)
    return torch.from_numpy(out)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Differentiable augmentation (DiffAugment-style): shifts of up to 1/8 and brightness;
    applied to real and fake images alike, so the critic cannot memorise a small set."""
    n, _, s, _ = x.shape
    pad = s // 8
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = torch.arange(s)[None, :] + dy[:, None]
    cols = torch.arange(s)[None, :] + dx[:, None]
    shifted = padded[torch.arange(n)[:, None, None, None], torch.arange(3)[None, :, None, None],
                     rows[:, None, :, None], cols[:, None, None, :]]
    bright = (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.2
    return (shifted + bright).clamp(0, 1)


def save_atomic(obj: Any, path: Path) -> None:
    partial = path.with_name(f".{path.name}.partial")
    torch.save(obj, partial)
    os.replace(partial, path)


def grid(images: np.ndarray, columns: int) -> np.ndarray:
    n, s = images.shape[0], images.shape[1]
    rows = (n + columns - 1) // columns
    out = np.full((rows * s, columns * s, 3), 255, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * s:(r + 1) * s, c * s:(c + 1) * s] = img
    return out


def sample_captions(config: Any, heldout: list[str], train: list[str]) -> list[str]:
    """Eight captions with known words: held-out ones first, evenly spread."""
    pool = [c for c in (heldout or train) if any(w in config.vocabulary for w in words_of(c))]
    pool = pool or [c for c in train if any(w in config.vocabulary for w in words_of(c))]
    step = max(1, len(pool) // 8)
    return pool[::step][:8]


def main() -> None:  # noqa: C901, PLR0915 (one training loop, read top to bottom)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("gan", "vae"), required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--max-minutes", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", default="128,64,32,16,8")
    parser.add_argument("--latent", type=int, default=64)
    parser.add_argument("--embed", type=int, default=64)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--vocab-limit", type=int, default=2000)
    parser.add_argument("--lr", type=float, default=0.0)
    parser.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    parser.add_argument("--sigma", type=float, default=0.15, help="VAE: pixel noise of the likelihood")
    parser.add_argument("--checkpoint-seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1,
                        help="1 is fastest on a busy machine: idle threads wait on each other")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    images, captions, heldout, flip_ok = load_data(args.data)
    args.work.mkdir(parents=True, exist_ok=True)
    checkpoint_path = args.work / "checkpoint.pt"
    resumed: dict[str, Any] | None = None
    if checkpoint_path.is_file():
        resumed = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        vocabulary = list(resumed["vocabulary"])
        print(f"resuming at step {resumed['step']} ({resumed['seconds'] / 60:.1f} min spent)")
    else:
        vocabulary = build_vocabulary(captions, args.min_count, args.vocab_limit)
    raw = {
        "genloom_model": f"icon-{args.family}", "format_version": FORMAT_VERSION,
        "image_size": int(images.shape[1]), "latent_dim": args.latent, "embed_dim": args.embed,
        "channels": [int(c) for c in args.channels.split(",")], "vocabulary": vocabulary,
        "licence": "see MODEL_CARD.md (trained on artwork under its own licences)",
    }
    config = parse_config(raw)
    words = bags_for(config, captions)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()  # uint8, scaled per batch

    classes = network_classes()
    Decoder, Encoder, Critic = classes.Decoder, classes.Encoder, classes.Critic  # noqa: N806 (classes)
    decoder = Decoder(config).to(device)
    if args.family == "gan":
        critic = Critic(config).to(device)
        ema = copy.deepcopy(decoder).eval()
        lr = args.lr or 2e-4
        opt_g = torch.optim.Adam(decoder.parameters(), lr=lr, betas=(0.0, 0.99))
        opt_d = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.0, 0.99))
        nets = {"decoder": decoder, "critic": critic, "ema": ema}
        opts = {"g": opt_g, "d": opt_d}
    else:
        encoder = Encoder(config).to(device)
        lr = args.lr or 1e-3
        opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=lr)
        nets = {"decoder": decoder, "encoder": encoder}
        opts = {"vae": opt}
    rng = np.random.default_rng(args.seed)
    aug = torch.Generator().manual_seed(args.seed)
    step, seconds = 0, 0.0
    if resumed is not None:
        for name, net in nets.items():
            net.load_state_dict(resumed["nets"][name])
        for name, opt_ in opts.items():
            opt_.load_state_dict(resumed["opts"][name])
        step, seconds = int(resumed["step"]), float(resumed["seconds"])
        rng = np.random.default_rng([args.seed, step])
        aug.manual_seed(args.seed + step)
        torch.manual_seed(args.seed + step)

    loss_path = args.work / "loss.csv"
    new_log = not loss_path.is_file()
    log = open(loss_path, "a", newline="", encoding="utf-8")  # noqa: SIM115 (kept open for the loop)
    writer = csv.writer(log)
    if new_log:
        writer.writerow(["step", "minutes", "loss_a", "loss_b"] if args.family == "gan" else
                        ["step", "minutes", "loss_a", "loss_b"])
        writer.writerow(["# gan: loss_a = critic hinge loss, loss_b = generator loss; "
                         "vae: loss_a = reconstruction (per image), loss_b = KL (per image)"])

    def checkpoint() -> None:
        save_atomic({"step": step, "seconds": seconds, "vocabulary": vocabulary,
                     "nets": {k: v.state_dict() for k, v in nets.items()},
                     "opts": {k: v.state_dict() for k, v in opts.items()}}, checkpoint_path)

    budget = args.max_minutes * 60.0
    start, last_checkpoint = time.monotonic(), time.monotonic()
    spent_before = seconds
    while spent_before + (time.monotonic() - start) < budget and (not args.max_steps or step < args.max_steps):
        rows = rng.integers(0, len(x_all), args.batch)
        x = x_all[rows].float() / 255.0
        # Mirror half of the images whose meaning a mirror keeps (the data's flip_ok: not arrows, not text).
        flip = torch.from_numpy(flip_ok[rows] & (rng.random(len(rows)) < 0.5))
        x = torch.where(flip[:, None, None, None], x.flip(3), x).to(device)
        bags = bag_batch(words, rows, len(vocabulary), 0.1 if args.family == "gan" else 0.2, rng).to(device)
        if args.family == "gan":
            z = torch.randn(args.batch, config.latent_dim, device=device)
            fake = decoder(z, bags)
            d_loss = (F.relu(1 - critic(augment(x, aug), bags)).mean()
                      + F.relu(1 + critic(augment(fake.detach(), aug), bags)).mean())
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            g_loss = -critic(augment(fake, aug), bags).mean()
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            with torch.no_grad():
                decay = min(0.999, (1 + step) / (10 + step))
                for e, p in zip(ema.parameters(), decoder.parameters(), strict=True):
                    e.lerp_(p, 1 - decay)
            a, b = d_loss.item(), g_loss.item()
        else:
            mean, logvar = encoder(x)
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
            recon = decoder(z, bags)
            rec = ((recon - x) ** 2).flatten(1).sum(1).mean() / (2 * args.sigma ** 2)
            kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(1)).mean()
            warm = min(1.0, (step + 1) / 500)
            loss = rec + args.beta * warm * kl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            a, b = rec.item(), kl.item()
        step += 1
        seconds = spent_before + (time.monotonic() - start)
        if step % 20 == 0:
            writer.writerow([step, f"{seconds / 60:.2f}", f"{a:.4f}", f"{b:.4f}"])
            log.flush()
        if step % 200 == 0:
            print(f"step {step} {seconds / 60:.1f} min: {a:.3f} {b:.3f}", flush=True)
        if time.monotonic() - last_checkpoint > args.checkpoint_seconds:
            checkpoint()
            last_checkpoint = time.monotonic()
    checkpoint()
    log.close()
    finish(args, config, raw, nets, step, seconds, captions, heldout, device)


def finish(args: Any, config: Any, raw: dict[str, Any], nets: dict[str, Any], step: int, seconds: float,
           captions: list[str], heldout: list[str], device: str) -> None:
    """Write the model folder: config, weights, ONNX, samples, loss log, training record."""
    import shutil

    from PIL import Image
    from safetensors.torch import save_file

    from genloom_image import gan_model, vae_model
    from genloom_image.family_export import export

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.family == "gan":
        tensors = {f"decoder.{k}": v for k, v in nets["ema"].state_dict().items()}
    else:
        tensors = {f"decoder.{k}": v for k, v in nets["decoder"].state_dict().items()}
        tensors.update({f"encoder.{k}": v for k, v in nets["encoder"].state_dict().items()})
    tensors = {k: v.detach().float().cpu().contiguous() for k, v in tensors.items()}
    partial = out / ".model.safetensors.partial"
    save_file(tensors, str(partial), metadata={"format": "pt", "licence": raw["licence"]})
    os.replace(partial, out / "model.safetensors")
    (out / "config.json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    export(out)
    model = (gan_model if args.family == "gan" else vae_model).load(out)
    shown = sample_captions(config, heldout, captions)
    pictures = model([c for c in shown for _ in SAMPLE_SEEDS], [s for _ in shown for s in SAMPLE_SEEDS])
    Image.fromarray(grid(pictures, len(SAMPLE_SEEDS))).save(out / "samples.png")
    if args.family == "vae":
        frames = model.interpolate(pictures[0], pictures[len(SAMPLE_SEEDS)], 8)
        Image.fromarray(grid(frames, 8)).save(out / "interpolation.png")
    shutil.copyfile(args.work / "loss.csv", out / "loss.csv")
    record = {
        "family": args.family, "steps": step, "minutes": round(seconds / 60, 2), "batch": args.batch,
        "seed": args.seed, "device": device, "torch_threads": torch.get_num_threads(),
        "hardware": f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs",
        "data": str(args.data), "training_images": len(captions), "vocabulary": len(config.vocabulary),
        "parameters": sum(int(np.prod(v.shape)) for v in tensors.values()),
        "sample_captions": shown,
    }
    (out / "training.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record))


if __name__ == "__main__":
    main()
