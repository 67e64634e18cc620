"""Train Genloom's bundled emoji diffusion model (diffusers Stable Diffusion format).

Stages, each resumable from checkpoints in ``--work``:

1. ``vae``: a small AutoencoderKL (0.17M parameters), 32x32 RGB -> 4x16x16 latents (L1 + MSE + tiny KL).
2. ``unet``: a small UNet2DConditionModel and a tiny CLIPTextModel trained jointly on
   the cached latents (epsilon prediction, min-SNR weighting, 10% empty prompts for
   classifier-free guidance, EMA weights).
3. ``export``: writes the Stable Diffusion folder (safetensors) to ``--out``.

    python prepare_emoji.py --out /work/ckpt/image/emoji32.npz
    nice -n 19 python train.py --data /work/ckpt/image/emoji32.npz \
        --work /work/ckpt/image --out ../models/emoji-ldm-32 --threads 1

Everything random is drawn from ``--seed`` and the step number, so a resumed run
continues exactly as an uninterrupted one would. The loss curves are written to
``--work/loss_vae.csv`` and ``--work/loss_unet.csv`` (and copied beside the model).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from build_tokenizer import build as build_tokenizer
from diffusers import AutoencoderKL, DDPMScheduler, EulerDiscreteScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    prediction_type="epsilon",
    steps_offset=1,
    timestep_spacing="leading",
)


def make_vae() -> AutoencoderKL:
    """The autoencoder: two levels, so one 2x downsample (32 px -> 16 latents)."""
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=32,
    )


def make_unet(cross_dim: int) -> UNet2DConditionModel:
    """The denoiser on 4x16x16 latents, cross-attention at 8x8 and 4x4."""
    return UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64, 64),
        layers_per_block=1,
        cross_attention_dim=cross_dim,
        attention_head_dim=8,
        norm_num_groups=16,
    )


def make_text_encoder(tokenizer: CLIPTokenizer, width: int) -> CLIPTextModel:
    """A tiny CLIP text transformer over the emoji-name vocabulary."""
    config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=width,
        intermediate_size=width * 2,
        num_hidden_layers=3,
        num_attention_heads=4,
        max_position_embeddings=tokenizer.model_max_length,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        projection_dim=width,
    )
    return CLIPTextModel(config)


def autocast(enabled: bool) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast on CPU when asked for, a no-op otherwise."""
    if enabled:
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def step_rng(seed: int, step: int) -> torch.Generator:
    """A generator that depends only on the seed and the step (exact resumes)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + step)


def lr_at(step: int, total: int, peak: float, warmup: int = 200) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


class Checkpoints:
    """Atomic save/load of a training state under one name in the work folder."""

    def __init__(self, work: Path, name: str) -> None:
        self.path = work / f"{name}.ckpt"

    def load(self) -> dict[str, object] | None:
        """The last saved state, or None when there is none."""
        if not self.path.exists():
            return None
        return torch.load(self.path, map_location="cpu", weights_only=False)

    def save(self, state: dict[str, object]) -> None:
        """Write to a temp file and rename, so a kill never leaves half a checkpoint."""
        tmp = self.path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)


class LossLog:
    """Appends ``step,loss,seconds`` rows; truncates rows past a resumed step."""

    def __init__(self, path: Path, start_step: int) -> None:
        self.path = path
        rows = path.read_text().splitlines()[1:] if path.exists() else []
        kept = [r for r in rows if int(r.split(",")[0]) < start_step]
        path.write_text("\n".join(["step,loss,elapsed_s", *kept]) + "\n")

    def add(self, step: int, loss: float, elapsed: float) -> None:
        with self.path.open("a") as f:
            f.write(f"{step},{loss:.6f},{elapsed:.1f}\n")


def batches(n: int, batch: int, seed: int, start: int, total: int) -> Iterator[tuple[int, torch.Tensor]]:
    """(step, indices) pairs: each step's batch drawn from its own seeded generator."""
    for step in range(start, total):
        yield step, torch.randint(0, n, (batch,), generator=step_rng(seed, step))


def train_vae(args: argparse.Namespace, images: torch.Tensor) -> AutoencoderKL:
    """Stage 1: fit the autoencoder; returns it (resumes or skips when done)."""
    torch.manual_seed(args.seed)
    vae = make_vae()
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    ckpt = Checkpoints(args.work, "vae")
    state = ckpt.load()
    start, elapsed0 = 0, 0.0
    if state is not None:
        vae.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start, elapsed0 = int(state["step"]), float(state["elapsed"])
    if start >= args.vae_steps:
        return vae
    log = LossLog(args.work / "loss_vae.csv", start)
    print(f"vae: {sum(p.numel() for p in vae.parameters()) / 1e6:.2f}M params, from step {start}")
    t0, last_save, running = time.time(), time.time(), 0.0
    vae.train()
    for step, idx in batches(len(images), args.batch, args.seed, start, args.vae_steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.vae_steps, args.vae_lr)
        x = images[idx]
        with autocast(args.bf16):
            posterior = vae.encode(x).latent_dist
            z = posterior.mean + posterior.std * torch.randn(
                posterior.mean.shape, generator=step_rng(args.seed + 1, step)
            )
            recon = vae.decode(z).sample
        recon = recon.float()
        kl = posterior.kl().mean()
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        running = loss.item() if step == start else 0.98 * running + 0.02 * loss.item()
        elapsed = elapsed0 + time.time() - t0
        if step % 25 == 0:
            log.add(step, loss.item(), elapsed)
        if step % 100 == 0:
            print(f"vae step {step}/{args.vae_steps} loss {running:.4f} kl {kl.item():.1f} {elapsed:.0f}s", flush=True)
        if time.time() - last_save > args.save_every or step + 1 == args.vae_steps:
            ckpt.save({"model": vae.state_dict(), "opt": opt.state_dict(), "step": step + 1, "elapsed": elapsed})
            last_save = time.time()
    return vae


@torch.no_grad()
def encode_all(vae: AutoencoderKL, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Latent means and standard deviations of every image (unscaled)."""
    vae.eval()
    means, stds = [], []
    for chunk in images.split(256):
        dist = vae.encode(chunk).latent_dist
        means.append(dist.mean)
        stds.append(dist.std)
    return torch.cat(means), torch.cat(stds)


def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, in place."""
    with torch.no_grad():
        for e, p in zip(ema.parameters(), model.parameters(), strict=True):
            e.lerp_(p, 1 - decay)


def train_unet(
    args: argparse.Namespace, vae: AutoencoderKL, images: torch.Tensor, names: list[str], tokenizer: CLIPTokenizer
) -> tuple[UNet2DConditionModel, CLIPTextModel, float]:
    """Stage 2: UNet + text encoder on cached latents; returns the EMA models and scale."""
    means, stds = encode_all(vae, images)
    scale = float(1.0 / means.std())
    ids = tokenizer(names, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids
    empty = tokenizer([""], padding="max_length", max_length=tokenizer.model_max_length,
                      return_tensors="pt").input_ids[0]
    torch.manual_seed(args.seed + 2)
    text = make_text_encoder(tokenizer, args.text_width)
    unet = make_unet(args.text_width)
    params = list(unet.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=args.unet_lr, weight_decay=0.01)
    ema_unet, ema_text = copy.deepcopy(unet), copy.deepcopy(text)
    noise_sched = DDPMScheduler(**SCHEDULER)
    alphas = noise_sched.alphas_cumprod
    snr = alphas / (1 - alphas)
    ckpt = Checkpoints(args.work, "unet")
    state = ckpt.load()
    start, elapsed0 = 0, 0.0
    if state is not None:
        unet.load_state_dict(state["unet"])
        text.load_state_dict(state["text"])
        ema_unet.load_state_dict(state["ema_unet"])
        ema_text.load_state_dict(state["ema_text"])
        opt.load_state_dict(state["opt"])
        start, elapsed0 = int(state["step"]), float(state["elapsed"])
    if start >= args.unet_steps:
        return ema_unet, ema_text, scale
    log = LossLog(args.work / "loss_unet.csv", start)
    n_unet = sum(p.numel() for p in unet.parameters()) / 1e6
    n_text = sum(p.numel() for p in text.parameters()) / 1e6
    print(f"unet {n_unet:.2f}M + text {n_text:.2f}M params, latent scale {scale:.4f}, from step {start}")
    t0, last_save, running = time.time(), time.time(), 0.0
    unet.train()
    text.train()
    for step, idx in batches(len(images), args.batch, args.seed + 3, start, args.unet_steps):
        g = step_rng(args.seed + 4, step)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args.unet_steps, args.unet_lr)
        z = (means[idx] + stds[idx] * torch.randn(means[idx].shape, generator=g)) * scale
        tokens = ids[idx].clone()
        drop = torch.rand(len(idx), generator=g) < args.uncond_prob
        tokens[drop] = empty
        noise = torch.randn(z.shape, generator=g)
        t = torch.randint(0, noise_sched.config.num_train_timesteps, (len(idx),), generator=g)
        noisy = noise_sched.add_noise(z, noise, t)
        with autocast(args.bf16):
            cond = text(tokens).last_hidden_state
            pred = unet(noisy, t, encoder_hidden_states=cond).sample
        weight = torch.clamp(snr[t], max=args.min_snr) / snr[t]  # min-SNR-gamma for epsilon
        per_sample = F.mse_loss(pred.float(), noise, reduction="none").mean(dim=(1, 2, 3))
        loss = (weight * per_sample).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        ema_update(ema_unet, unet, decay)
        ema_update(ema_text, text, decay)
        running = loss.item() if step == start else 0.98 * running + 0.02 * loss.item()
        elapsed = elapsed0 + time.time() - t0
        if step % 25 == 0:
            log.add(step, per_sample.mean().item(), elapsed)
        if step % 100 == 0:
            print(f"unet step {step}/{args.unet_steps} loss {running:.4f} {elapsed:.0f}s", flush=True)
        if time.time() - last_save > args.save_every or step + 1 == args.unet_steps:
            ckpt.save({"unet": unet.state_dict(), "text": text.state_dict(), "ema_unet": ema_unet.state_dict(),
                       "ema_text": ema_text.state_dict(), "opt": opt.state_dict(), "step": step + 1,
                       "elapsed": elapsed})
            last_save = time.time()
    return ema_unet, ema_text, scale


def export(args: argparse.Namespace, vae: AutoencoderKL, unet: UNet2DConditionModel, text: CLIPTextModel,
           tokenizer: CLIPTokenizer, scale: float) -> None:
    """Write the diffusers Stable Diffusion folder (safetensors weights, no safety checker)."""
    from diffusers import StableDiffusionPipeline

    vae.register_to_config(scaling_factor=scale)
    pipe = StableDiffusionPipeline(
        vae=vae.eval(),
        text_encoder=text.eval(),
        tokenizer=tokenizer,
        unet=unet.eval(),
        scheduler=EulerDiscreteScheduler(**SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    if args.out.exists():
        shutil.rmtree(args.out)
    pipe.save_pretrained(args.out, safe_serialization=True)
    for name in ("vocab.json", "merges.txt"):  # the slow-tokenizer files, for older tools
        shutil.copy(args.work / "tokenizer" / name, args.out / "tokenizer" / name)
    for name in ("loss_vae.csv", "loss_unet.csv"):
        if (args.work / name).exists() and (args.work / name).resolve() != (args.curves / name).resolve():
            shutil.copy(args.work / name, args.curves / name)
    print(f"exported to {args.out}")


def parse_args() -> argparse.Namespace:
    """Command-line options (defaults are the settings of the shipped model)."""
    p = argparse.ArgumentParser(description="Train the bundled emoji latent diffusion model.")
    p.add_argument("--data", type=Path, required=True, help="archive written by prepare_emoji.py")
    p.add_argument("--work", type=Path, required=True, help="checkpoints and loss logs (outside the repo)")
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument("--curves", type=Path, default=Path(__file__).resolve().parent,
                   help="where the final loss curves are copied (default: beside this script)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--vae-steps", type=int, default=800)
    p.add_argument("--vae-lr", type=float, default=2e-3)
    p.add_argument("--kl-weight", type=float, default=1e-6)
    p.add_argument("--unet-steps", type=int, default=3000)
    p.add_argument("--unet-lr", type=float, default=1e-3)
    p.add_argument("--text-width", type=int, default=128)
    p.add_argument("--max-tokens", type=int, default=24, help="tokenizer/text encoder length")
    p.add_argument("--uncond-prob", type=float, default=0.1)
    p.add_argument("--min-snr", type=float, default=5.0)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=False,
                   help="bf16 autocast (a win only on CPUs with native bf16, e.g. AVX512-BF16/AMX)")
    p.add_argument("--save-every", type=float, default=180.0, help="seconds between checkpoints")
    p.add_argument("--stage", choices=("all", "vae", "unet"), default="all")
    return p.parse_args()


def main() -> None:
    """Run the stages in order, resuming from whatever the work folder holds."""
    args = parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    data = np.load(args.data)
    images = torch.from_numpy(data["images"]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    names = [str(n) for n in data["names"]]
    print(f"{len(names)} emoji, {args.threads} threads, bf16={args.bf16}")
    vae = train_vae(args, images)
    if args.stage == "vae":
        return
    tok_dir = args.work / "tokenizer"
    build_tokenizer(names, tok_dir, max_length=args.max_tokens)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
    unet, text, scale = train_unet(args, vae, images, names, tokenizer)
    if args.stage == "all":
        export(args, vae, unet, text, tokenizer, scale)


if __name__ == "__main__":
    main()
