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
continues exactly as an uninterrupted one would (on the same device). The loss curves are
written to ``--work/loss_vae.csv`` and ``--work/loss_unet.csv`` (and copied beside the model).

On a GPU (``--device auto`` picks CUDA when there is one; bf16 autocast is then on by
default) the data, latents and models live on the device. ``--max-minutes`` is a
wall-clock budget for the whole run: training stops in time to checkpoint and export.
With ``--fit-to-budget`` the UNet stage measures its speed during the learning-rate
warm-up and shortens its schedule to the steps that fit (the fitted length is kept in the
checkpoint, so a resume continues the same schedule). ``--vae-from`` reuses a trained
VAE (e.g. the shipped one) instead of training stage 1; ``--init-from`` continues a
shipped model (its VAE, tokenizer, UNet and text encoder) with a fresh optimizer and
schedule. ``tools/gpu/image_run.sh``
is the one-shot GPU run; ``finish_gpu.py`` installs its result.

Nothing here touches the network (``HF_HUB_OFFLINE`` is set before the imports).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import lzma
import math
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import numpy as np
import torch
import torch.nn.functional as F
from build_tokenizer import build as build_tokenizer
from diffusers import AutoencoderKL, DDPMScheduler, EulerDiscreteScheduler, UNet2DConditionModel
from prepare_icons import caption_style
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


def vae_channels_for(size: int) -> tuple[int, ...]:
    """Default VAE widths: one level per 2x downsample, so every size gives 16x16 latents."""
    return {32: (16, 32), 64: (16, 32, 64), 128: (32, 64, 64, 128)}.get(size, (16, 32))


def make_vae(size: int = 32, channels: tuple[int, ...] | None = None) -> AutoencoderKL:
    """The autoencoder: ``len(channels) - 1`` 2x downsamples (32 px -> 16 latents with two levels)."""
    channels = channels or vae_channels_for(size)
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * len(channels),
        up_block_types=("UpDecoderBlock2D",) * len(channels),
        block_out_channels=channels,
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=size,
    )


def make_unet(cross_dim: int, channels: tuple[int, ...] = (32, 64, 64), latent: int = 16) -> UNet2DConditionModel:
    """The denoiser on 4 x latent x latent, cross-attention at the two lower levels."""
    return UNet2DConditionModel(
        sample_size=latent,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=channels,
        layers_per_block=1,
        cross_attention_dim=cross_dim,
        attention_head_dim=8,
        norm_num_groups=16,
    )


def augment(x: torch.Tensor, flip_ok: torch.Tensor, g: torch.Generator, shift: int, jitter: float) -> torch.Tensor:
    """Training-time augmentation of images in [-1, 1] on a white background (batched, seeded).

    Mirrors where ``flip_ok`` allows (half the time), scales each channel's ink (distance from
    white) by 1 +- ``jitter`` so white stays white and a red heart stays red, and moves the
    picture by up to ``shift`` whole pixels over a white border (nearest-neighbour sampling of
    an integer translation is exact).
    """
    b, _, h, w = x.shape
    dev = x.device
    flip = flip_ok & (torch.rand(b, generator=g, device=dev) < 0.5)
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    gain = 1 + jitter * (2 * torch.rand(b, 3, 1, 1, generator=g, device=dev) - 1)
    x = (1 - (1 - x) * gain).clamp(-1, 1)
    if shift:
        move = torch.randint(-shift, shift + 1, (b, 2), generator=g, device=dev).float()
        theta = torch.zeros(b, 2, 3, device=dev)
        theta[:, 0, 0] = theta[:, 1, 1] = 1
        theta[:, 0, 2] = -2 * move[:, 0] / w
        theta[:, 1, 2] = -2 * move[:, 1] / h
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        # Sample x - 1 (white is 0) with zero padding, so the uncovered border comes back white.
        x = F.grid_sample(x - 1, grid, mode="nearest", padding_mode="zeros", align_corners=False) + 1
    return x


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


def autocast(enabled: bool, device: torch.device) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast on the training device when asked for, a no-op otherwise."""
    if enabled:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def step_rng(seed: int, step: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator that depends only on the seed and the step (exact resumes)."""
    return torch.Generator(device=device).manual_seed(seed * 1_000_003 + step)


class Budget:
    """The run's wall-clock deadline; ``reserve`` seconds are kept for checkpoint and export."""

    def __init__(self, minutes: float | None, reserve: float = 20.0) -> None:
        self.start = time.time()
        self.deadline = None if minutes is None else self.start + 60.0 * minutes - reserve

    def left(self) -> float:
        """Seconds of training time left (infinite without a budget)."""
        return math.inf if self.deadline is None else self.deadline - time.time()

    def spent(self) -> bool:
        return self.left() <= 0

    def portion(self, share: float) -> Budget:
        """A budget that ends after ``share`` of the time this one has left (a stage's part of the run)."""
        part = Budget(None)
        if self.deadline is not None:
            part.deadline = time.time() + share * self.left()
        return part


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
        """Append one row."""
        with self.path.open("a") as f:
            f.write(f"{step},{loss:.6f},{elapsed:.1f}\n")


def batches(n: int, batch: int, seed: int, start: int, total: int) -> Iterator[tuple[int, torch.Tensor]]:
    """(step, indices) pairs: each step's batch drawn from its own seeded generator."""
    for step in range(start, total):
        yield step, torch.randint(0, n, (batch,), generator=step_rng(seed, step))


def make_optimizer(params: list[torch.nn.Parameter], lr: float, weight_decay: float,
                   device: torch.device) -> torch.optim.AdamW:
    """AdamW; the fused kernel on CUDA (a tiny model is bound by kernel launches there)."""
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=device.type == "cuda" or None)


def train_vae(args: argparse.Namespace, images: torch.Tensor, flip_ok: torch.Tensor, budget: Budget) -> AutoencoderKL:
    """Stage 1: fit the autoencoder; returns it (resumes or skips when done)."""
    if args.vae_from is not None:
        print(f"vae: reusing {args.vae_from}")
        return AutoencoderKL.from_pretrained(args.vae_from, local_files_only=True).to(args.device)
    torch.manual_seed(args.seed)
    vae = make_vae(images.shape[-1], args.vae_channels).to(args.device)
    opt = make_optimizer(list(vae.parameters()), args.vae_lr, 0.0, args.device)
    ckpt = Checkpoints(args.work, "vae")
    state = ckpt.load()
    start, elapsed0 = 0, 0.0
    total = args.vae_steps
    if state is not None:
        vae.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start, elapsed0 = int(state["step"]), float(state["elapsed"])
        total = int(state.get("total", total))  # a fitted schedule is kept on resume
    if start >= total:
        return vae
    # With --fit-to-budget the VAE gets --vae-share of the time left, its schedule fitted to it.
    fit = args.fit_to_budget and budget.deadline is not None and state is None
    if fit:
        budget = budget.portion(args.vae_share)
    fit_from, fit_at = 20, 60
    log = LossLog(args.work / "loss_vae.csv", start)
    print(f"vae: {sum(p.numel() for p in vae.parameters()) / 1e6:.2f}M params, from step {start}")
    t0, last_save, running = time.time(), time.time(), torch.zeros((), device=args.device)
    vae.train()
    for step, idx in batches(len(images), args.batch, args.seed, start, args.vae_steps):
        if step >= total:
            break
        if budget.spent():
            print(f"vae: time budget spent at step {step}; checkpointing", flush=True)
            ckpt.save({"model": vae.state_dict(), "opt": opt.state_dict(), "step": step,
                       "elapsed": elapsed0 + time.time() - t0, "total": total})
            break
        if fit and step in (fit_from, fit_at) and args.device.type == "cuda":
            torch.cuda.synchronize()
        if fit and step == fit_from:
            fit_t0 = time.time()
        if fit and step == fit_at:
            rate = (fit_at - fit_from) / (time.time() - fit_t0)
            total = fitted_steps(step, rate, budget, args.vae_steps)
            print(f"vae: {rate:.2f} steps/s, schedule fitted to {total} steps in {budget.left():.0f}s", flush=True)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, total, args.vae_lr)
        idx = idx.to(args.device)
        x = to_float(images[idx])
        if args.augment:
            x = augment(x, flip_ok[idx], step_rng(args.seed + 5, step, args.device), args.shift, args.jitter)
        with autocast(args.bf16, args.device):
            posterior = vae.encode(x).latent_dist
            z = posterior.mean + posterior.std * torch.randn(
                posterior.mean.shape, generator=step_rng(args.seed + 1, step, args.device), device=args.device
            )
            recon = vae.decode(z).sample
        recon = recon.float()
        kl = posterior.kl().mean()
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + args.kl_weight * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        # A running tensor, so the GPU is only synchronised on the steps that print or log.
        running = loss.detach() if step == start else 0.98 * running + 0.02 * loss.detach()
        elapsed = elapsed0 + time.time() - t0
        if step % 25 == 0:
            log.add(step, loss.item(), elapsed)
        if step % 100 == 0:
            print(f"vae step {step}/{total} loss {running.item():.4f} kl {kl.item():.1f} {elapsed:.0f}s",
                  flush=True)
        if time.time() - last_save > args.save_every or step + 1 == total:
            ckpt.save({"model": vae.state_dict(), "opt": opt.state_dict(), "step": step + 1, "elapsed": elapsed,
                       "total": total})
            last_save = time.time()
    return vae


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B,3,H,W) -> float in [-1, 1] (the set is kept as uint8: 4x less memory)."""
    return images.float() / 127.5 - 1.0


@torch.no_grad()
def encode_all(vae: AutoencoderKL, images: torch.Tensor, mirror: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Latent means and standard deviations of every image (unscaled), of its mirror image when asked."""
    vae.eval()
    means, stds = [], []
    for chunk in images.split(256):
        x = to_float(chunk)
        dist = vae.encode(x.flip(-1) if mirror else x).latent_dist
        means.append(dist.mean)
        stds.append(dist.std)
    return torch.cat(means), torch.cat(stds)


def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, in place (one foreach kernel per dtype)."""
    with torch.no_grad():
        torch._foreach_lerp_(list(ema.parameters()), list(model.parameters()), 1 - decay)


def fitted_steps(step: int, rate: float, budget: Budget, cap: int) -> int:
    """The schedule length that ends within the budget at ``rate`` steps/s (90% margin)."""
    return max(step + 1, min(cap, step + int(0.9 * rate * budget.left())))


def train_unet(
    args: argparse.Namespace, vae: AutoencoderKL, images: torch.Tensor, names: list[str], captions: list[str],
    flip_ok: torch.Tensor, tokenizer: CLIPTokenizer, budget: Budget,
) -> tuple[UNet2DConditionModel, CLIPTextModel, float]:
    """Stage 2: UNet + text encoder on cached latents; returns the EMA models and scale.

    The latents of mirrored images are cached too (for the rows where ``flip_ok``); each
    step uses one at random. Each sample's prompt is its caption or, with ``--name-prob``,
    its bare name (what users type).
    """
    device = args.device
    means, stds = encode_all(vae, images)
    scale = float(1.0 / means.std())
    if bool(flip_ok.any()):  # the mirrored latents double the cache, so only when some flip
        flip_means, flip_stds = encode_all(vae, images, mirror=True)
    else:
        flip_means, flip_stds = means, stds

    def tokenize(texts: list[str]) -> torch.Tensor:
        return tokenizer(texts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                         return_tensors="pt").input_ids.to(device)

    ids = tokenize(prompt_names(names, captions) if args.styled_names else names)
    caption_ids = tokenize(captions)
    empty = tokenizer([""], padding="max_length", max_length=tokenizer.model_max_length,
                      return_tensors="pt").input_ids[0].to(device)
    torch.manual_seed(args.seed + 2)
    if args.init_from is not None:
        # A shipped model continued: its exported (EMA) weights start both the trained and
        # the EMA copies; its own latent scale is kept (the same VAE and data give the same).
        text = CLIPTextModel.from_pretrained(args.init_from / "text_encoder", local_files_only=True)
        unet = UNet2DConditionModel.from_pretrained(args.init_from / "unet", local_files_only=True)
        scale = float(vae.config.scaling_factor)
        print(f"unet: continuing {args.init_from} (latent scale {scale:.4f}, "
              f"{float(1.0 / means.std()):.4f} measured)", flush=True)
    else:
        text = make_text_encoder(tokenizer, args.text_width)
        unet = make_unet(args.text_width, args.unet_channels, means.shape[-1])
    ema_unet, ema_text = copy.deepcopy(unet).to(device), copy.deepcopy(text).to(device)
    text, unet = text.to(device), unet.to(device)
    params = list(unet.parameters()) + list(text.parameters())
    opt = make_optimizer(params, args.unet_lr, 0.01, device)
    noise_sched = DDPMScheduler(**SCHEDULER)
    alphas = noise_sched.alphas_cumprod.to(device)
    snr = alphas / (1 - alphas)
    total = args.unet_steps
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
        total = int(state.get("total", total))  # a fitted schedule is kept on resume
        if args.extend_unet_to and args.extend_unet_to > total:
            print(f"unet: schedule extended from {total} to {args.extend_unet_to} steps at step {start} "
                  f"(the cosine restarts at {lr_at(start, args.extend_unet_to, args.unet_lr):.2e})", flush=True)
            total = args.extend_unet_to
    if start >= total:
        return ema_unet, ema_text, scale
    log = LossLog(args.work / "loss_unet.csv", start)
    n_unet = sum(p.numel() for p in unet.parameters()) / 1e6
    n_text = sum(p.numel() for p in text.parameters()) / 1e6
    print(f"unet {n_unet:.2f}M + text {n_text:.2f}M params, latent scale {scale:.4f}, from step {start}, "
          f"schedule {total} steps x batch {args.batch}", flush=True)
    fit = args.fit_to_budget and budget.deadline is not None and state is None
    fit_from, fit_at = 50, 150  # speed measured inside the warm-up, whose learning rates do not depend on total

    def save(step: int, elapsed: float) -> None:
        ckpt.save({"unet": unet.state_dict(), "text": text.state_dict(), "ema_unet": ema_unet.state_dict(),
                   "ema_text": ema_text.state_dict(), "opt": opt.state_dict(), "step": step,
                   "elapsed": elapsed, "total": total})

    t0, last_save, running = time.time(), time.time(), torch.zeros((), device=device)
    unet.train()
    text.train()
    for step, idx in batches(len(images), args.batch, args.seed + 3, start, args.unet_steps):
        if step >= total:
            break
        if budget.spent():
            print(f"unet: time budget spent at step {step} of {total}; checkpointing", flush=True)
            save(step, elapsed0 + time.time() - t0)
            break
        if fit and step in (fit_from, fit_at) and device.type == "cuda":
            torch.cuda.synchronize()
        if fit and step == fit_from:
            fit_t0 = time.time()
        if fit and step == fit_at:
            rate = (fit_at - fit_from) / (time.time() - fit_t0)
            total = fitted_steps(step, rate, budget, args.unet_steps)
            print(f"unet: {rate:.1f} steps/s, schedule fitted to {total} steps "
                  f"({total * args.batch / len(images):.0f} epochs) in {budget.left():.0f}s", flush=True)
        g = step_rng(args.seed + 4, step, device)
        idx = idx.to(device)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, total, args.unet_lr)
        noise_z = torch.randn(means[idx].shape, generator=g, device=device)
        z = (means[idx] + stds[idx] * noise_z) * scale
        flip = (flip_ok[idx] & (torch.rand(len(idx), generator=g, device=device) < 0.5))[:, None, None, None]
        drop = torch.rand(len(idx), generator=g, device=device) < args.uncond_prob
        use_name = torch.rand(len(idx), generator=g, device=device) < args.name_prob
        prompt = torch.where(use_name[:, None], ids[idx], caption_ids[idx])
        tokens = torch.where(drop[:, None], empty, prompt)  # not a masked store, which syncs a GPU
        z = torch.where(flip, (flip_means[idx] + flip_stds[idx] * noise_z) * scale, z)
        noise = torch.randn(z.shape, generator=g, device=device)
        t = torch.randint(0, noise_sched.config.num_train_timesteps, (len(idx),), generator=g, device=device)
        noisy = noise_sched.add_noise(z, noise, t)
        with autocast(args.bf16, device):
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
        running = loss.detach() if step == start else 0.98 * running + 0.02 * loss.detach()
        elapsed = elapsed0 + time.time() - t0
        if step % 25 == 0:
            log.add(step, per_sample.mean().item(), elapsed)
        if step % 100 == 0:
            print(f"unet step {step}/{total} loss {running.item():.4f} {elapsed:.0f}s", flush=True)
        if time.time() - last_save > args.save_every or step + 1 == total:
            save(step + 1, elapsed)
            last_save = time.time()
    return ema_unet, ema_text, scale


def prompt_names(names: list[str], captions: list[str]) -> list[str]:
    """The short prompt of each sample: its bare name, or for a monochrome rendering the
    name with its style ("red heart, blue line art"; "folder, black symbolic").

    A user's bare "red heart" then asks for the colour renderings of a name (three of the
    four "red heart" renderings in the data are line art in black, blue or purple ink, and
    a model prompted with bare names drew rings for most seeds); the line art is one word
    away. Captions that carry no style (prepare_emoji.py archives) change nothing.
    """
    styles = (caption_style(caption) for caption in captions)
    return [f"{name}, {style}" if style else name for name, style in zip(names, styles, strict=True)]


def export(args: argparse.Namespace, vae: AutoencoderKL, unet: UNet2DConditionModel, text: CLIPTextModel,
           tokenizer: CLIPTokenizer, scale: float) -> None:
    """Write the diffusers Stable Diffusion folder (safetensors weights, no safety checker)."""
    from diffusers import StableDiffusionPipeline

    vae, unet, text = vae.float().cpu(), unet.float().cpu(), text.float().cpu()
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
    for config in args.out.glob("*/config.json"):  # a continued model (--init-from) names where it came from
        data = json.loads(config.read_text())
        if data.pop("_name_or_path", None) is not None:
            config.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    for name in ("vocab.json", "merges.txt"):  # the slow-tokenizer files, for older tools
        shutil.copy(args.work / "tokenizer" / name, args.out / "tokenizer" / name)
    for name in ("loss_vae.csv", "loss_unet.csv"):
        if (args.work / name).exists() and (args.work / name).resolve() != (args.curves / name).resolve():
            shutil.copy(args.work / name, args.curves / name)
    print(f"exported to {args.out}")


def load_archive(path: Path) -> dict[str, np.ndarray]:
    """The prepare_emoji.py archive; ``.npz.xz`` (what the GPU run carries, 25% smaller) too."""
    if path.suffix == ".xz":
        with lzma.open(path) as f:
            path = io.BytesIO(f.read())  # type: ignore[assignment]
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


def channels(text: str) -> tuple[int, ...]:
    """'16,32,64' -> (16, 32, 64)."""
    try:
        return tuple(int(c) for c in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated widths like 16,32,64, got {text!r}") from None


def parse_args() -> argparse.Namespace:
    """Command-line options (defaults are the settings of the shipped model)."""
    p = argparse.ArgumentParser(description="Train the bundled emoji latent diffusion model.")
    p.add_argument("--data", type=Path, required=True,
                   help="archive written by prepare_emoji.py or prepare_icons.py (.npz or .npz.xz)")
    p.add_argument("--work", type=Path, required=True, help="checkpoints and loss logs (outside the repo)")
    p.add_argument("--out", type=Path, required=True, help="model folder to write")
    p.add_argument("--curves", type=Path, default=Path(__file__).resolve().parent,
                   help="where the final loss curves are copied (default: beside this script)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: CUDA when available, else the CPU")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--vae-steps", type=int, default=800)
    p.add_argument("--vae-lr", type=float, default=2e-3)
    p.add_argument("--kl-weight", type=float, default=1e-6)
    p.add_argument("--unet-steps", type=int, default=3000)
    p.add_argument("--unet-lr", type=float, default=1e-3)
    p.add_argument("--text-width", type=int, default=128)
    p.add_argument("--vae-channels", type=channels, default=None,
                   help="VAE widths, one per level, e.g. 16,32,64 (default by image size: 16x16 latents)")
    p.add_argument("--unet-channels", type=channels, default=(32, 64, 64), help="UNet widths of its three levels")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="VAE-stage flips (where flip_ok), ink jitter and shifts; UNet-stage mirrored latents "
                        "(default: on for prepare_icons.py archives)")
    p.add_argument("--shift", type=int, default=3, help="largest augmentation shift in pixels")
    p.add_argument("--jitter", type=float, default=0.12, help="ink gain jitter per channel")
    p.add_argument("--name-prob", type=float, default=0.5,
                   help="how often a sample is prompted with its bare name instead of its caption")
    p.add_argument("--max-tokens", type=int, default=24, help="tokenizer/text encoder length")
    p.add_argument("--uncond-prob", type=float, default=0.1)
    p.add_argument("--min-snr", type=float, default=5.0)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                   help="bf16 autocast (default: on for CUDA, off for the CPU, where it is a win only "
                        "with native bf16, e.g. AVX512-BF16/AMX)")
    p.add_argument("--save-every", type=float, default=180.0, help="seconds between checkpoints")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="wall-clock budget for the whole run; training stops, checkpoints and exports in time")
    p.add_argument("--fit-to-budget", action="store_true",
                   help="shorten the UNet schedule (--unet-steps is then the cap) to the steps that fit "
                        "--max-minutes, measured during the warm-up")
    p.add_argument("--vae-share", type=float, default=0.25,
                   help="with --fit-to-budget and a VAE to train: its share of the budget")
    p.add_argument("--vae-from", type=Path, default=None,
                   help="a trained VAE folder (diffusers AutoencoderKL) to reuse instead of stage 1")
    p.add_argument("--init-from", type=Path, default=None,
                   help="a trained model folder of the same shape to continue (its VAE, tokenizer, UNet and "
                        "text encoder; a fresh optimizer and learning-rate schedule); a checkpoint in --work "
                        "still wins, so a stopped run resumes")
    p.add_argument("--styled-names", action=argparse.BooleanOptionalAction, default=True,
                   help="bare-name prompts of monochrome renderings keep their style words (see prompt_names); "
                        "--no-styled-names is how icon-ldm-64's first two runs were trained")
    p.add_argument("--stage", choices=("all", "vae", "unet"), default="all")
    p.add_argument("--extend-unet-to", type=int, default=None,
                   help="continue a finished (or stopped) UNet stage with a longer schedule of this many "
                        "steps: a warm restart of the cosine from the step reached, kept on resume")
    return p.parse_args()


def main() -> None:
    """Run the stages in order, resuming from whatever the work folder holds."""
    args = parse_args()
    budget = Budget(args.max_minutes)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda was asked for, but torch.cuda.is_available() is False; use --device cpu")
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    args.device = torch.device("cuda" if use_cuda else "cpu")
    if args.bf16 is None:
        args.bf16 = use_cuda
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    data = load_archive(args.data)
    # prepare_icons.py archives mark held-out names (never trained on) and where mirroring is allowed.
    keep = data["split"] == "train" if "split" in data else np.ones(len(data["images"]), dtype=bool)
    images = torch.from_numpy(data["images"][keep]).permute(0, 3, 1, 2).contiguous().to(args.device)
    names = [str(n) for n in data["names"][keep]]
    captions = [str(c) for c in data["captions"][keep]] if "captions" in data else names
    flip_ok = torch.from_numpy(data["flip_ok"][keep] if "flip_ok" in data else np.zeros(len(names), dtype=bool))
    flip_ok = flip_ok.to(args.device)
    if args.augment is None:
        args.augment = "flip_ok" in data
    where = torch.cuda.get_device_name(args.device) if use_cuda else f"cpu, {args.threads} threads"
    print(f"{len(names)} images of {len(set(names))} names at {images.shape[-1]} px, {where}, bf16={args.bf16}, "
          f"batch {args.batch}, augment={args.augment}, budget {args.max_minutes} min")
    if args.init_from is not None:
        args.vae_from = args.vae_from or args.init_from / "vae"
    vae = train_vae(args, images, flip_ok, budget)
    if args.stage == "vae":
        return
    tok_dir = args.work / "tokenizer"
    if args.init_from is not None:  # its token ids are what its text encoder knows
        shutil.copytree(args.init_from / "tokenizer", tok_dir, dirs_exist_ok=True)
    else:
        build_tokenizer(sorted(set(names) | set(captions)), tok_dir, max_length=args.max_tokens)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir, local_files_only=True)
    unet, text, scale = train_unet(args, vae, images, names, captions, flip_ok, tokenizer, budget)
    if args.stage == "all":
        export(args, vae, unet, text, tokenizer, scale)


if __name__ == "__main__":
    main()
