"""Train Genloom's bundled motion adapter (AnimateDiff format) for the bundled emoji model.

Data, made offline: the bundled image model ``emoji-ldm-32`` renders each emoji name in
:data:`NAMES` (two seeds each; the Noto images it was trained on are not shipped, so its
own renderings stand in for them). Every training clip is one of those stills moved by a
known motion (:mod:`motions`: pan in four directions, zoom in/out, rotate, bounce, pulse,
shake, slide in, fade), captioned "<name>, <motion>". The last :data:`HELD_OUT` names are
never trained on; the evaluation (``eval_motion.py``) asks for them.

Only the motion modules learn; the image model stays frozen, exactly as AnimateDiff trains.
The result is a ``MotionAdapter`` folder (``config.json`` + safetensors) that
``AnimateDiffPipeline`` and Genloom's ``video.text_to_video`` load like any user adapter.

    PYTHONPATH=plugins python -m genloom_video.training.train_motion --work /tmp/motion --minutes 45
    PYTHONPATH=plugins python -m genloom_video.training.train_motion --work /tmp/motion \
        --export plugins/genloom_video/models/emoji-motion

Fixed seeds; a checkpoint every ``--save-every`` steps (adapter, optimiser, step, RNG
states) from which a rerun resumes; ``loss.csv`` in the work folder.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import torch

from genloom_video.training.motions import MOTIONS, synthesise

ROOT = Path(__file__).resolve().parents[3]
IMAGE_MODEL = ROOT / "plugins" / "genloom_image" / "models" / "emoji-ldm-32"

#: Emoji names (CLDR short names, the prompts the image model knows). The last HELD_OUT are evaluation only.
NAMES: tuple[str, ...] = (
    "red heart", "orange heart", "yellow heart", "green heart", "blue heart", "purple heart",
    "grinning face", "smiling face with smiling eyes", "winking face", "face with tears of joy",
    "smiling cat face", "grinning cat", "crying cat", "dog face", "cat face", "mouse face",
    "rabbit face", "fox", "bear", "panda", "frog", "tiger face", "cow face", "pig face",
    "thumbs up", "thumbs down", "waving hand", "clapping hands", "ok hand", "raised fist",
    "sun", "cloud", "snowflake", "fire", "droplet", "star", "crescent moon", "rainbow",
    "red apple", "banana", "grapes", "watermelon", "cherries", "strawberry", "lemon", "peach",
    "pizza", "hamburger", "birthday cake", "doughnut", "cookie", "ice cream", "hot beverage",
    "rocket", "automobile", "bicycle", "sailboat", "airplane", "train", "bus",
    "soccer ball", "basketball", "trophy", "gift", "balloon", "party popper",
    "four leaf clover", "rose", "sunflower", "cactus", "evergreen tree", "maple leaf",
    "flag: Japan", "flag: France", "flag: Brazil", "flag: Canada",
    # held out
    "broken heart", "pouting cat", "monkey face", "thumbs up: dark skin tone", "tangerine",
    "soft ice cream", "fallen leaf", "flag: Italy",
)
HELD_OUT = 8
FRAMES = 8
SIZE = 32


def adapter_config() -> dict[str, object]:
    """The small MotionAdapter: one motion layer per block of the emoji UNet (32, 64, 64 channels)."""
    return {"block_out_channels": (32, 64, 64), "motion_layers_per_block": 1,
            "motion_mid_block_layers_per_block": 1, "motion_num_attention_heads": 4,
            "motion_norm_num_groups": 16, "motion_max_seq_length": 32, "use_motion_mid_block": True}


def render_stills(work: Path, seeds: int = 2) -> np.ndarray:
    """Render (or reuse) ``len(NAMES) x seeds`` stills with the bundled image model."""
    path = work / "stills.npz"
    if path.is_file():
        return np.load(path)["images"]
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(IMAGE_MODEL, local_files_only=True, safety_checker=None)
    pipe.set_progress_bar_config(disable=True)
    images = np.zeros((len(NAMES), seeds, SIZE, SIZE, 3), np.uint8)
    for i, name in enumerate(NAMES):
        for s in range(seeds):
            out = pipe(name, num_inference_steps=20, guidance_scale=5.0, height=SIZE, width=SIZE,
                       generator=torch.Generator("cpu").manual_seed(1000 * i + s), output_type="np")
            images[i, s] = (out.images[0] * 255).round().astype(np.uint8)
    work.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=images, names=np.array(NAMES))
    return images


class Trainer:
    """The frozen emoji model with a trainable MotionAdapter, checkpointed in ``work``."""

    def __init__(self, work: Path, lr: float, seed: int, device: str = "cpu") -> None:
        from diffusers import (
            AutoencoderKL,
            DDPMScheduler,
            MotionAdapter,
            UNet2DConditionModel,
            UNetMotionModel,
        )
        from transformers import CLIPTextModel, CLIPTokenizer

        torch.manual_seed(seed)
        self.work = work
        self.tokenizer = CLIPTokenizer.from_pretrained(IMAGE_MODEL / "tokenizer")
        self.text_encoder = CLIPTextModel.from_pretrained(IMAGE_MODEL / "text_encoder").eval()
        self.vae = AutoencoderKL.from_pretrained(IMAGE_MODEL / "vae").eval()
        self.scheduler = DDPMScheduler.from_pretrained(IMAGE_MODEL / "scheduler")
        unet2d = UNet2DConditionModel.from_pretrained(IMAGE_MODEL / "unet")
        self.adapter = MotionAdapter(**adapter_config())
        self.unet = UNetMotionModel.from_unet2d(unet2d, self.adapter)
        self.unet.freeze_unet2d_params()
        self.device = torch.device(device)
        for module in (self.unet, self.vae, self.text_encoder):
            module.to(self.device)
        self.params = [p for p in self.unet.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(self.params, lr=lr, weight_decay=0.0)
        self.step = 0
        self.rng = np.random.default_rng(seed)
        self._embeddings: dict[str, torch.Tensor] = {}

    def embed(self, captions: list[str]) -> torch.Tensor:
        for caption in captions:
            if caption not in self._embeddings:
                ids = self.tokenizer(caption, padding="max_length", truncation=True,
                                     max_length=self.tokenizer.model_max_length, return_tensors="pt").input_ids
                with torch.no_grad():
                    self._embeddings[caption] = self.text_encoder(ids.to(self.device))[0][0]
        return torch.stack([self._embeddings[c] for c in captions])

    def batch(self, stills: np.ndarray, size: int) -> tuple[torch.Tensor, list[str]]:
        names = len(NAMES) - HELD_OUT
        clips, captions = [], []
        for _ in range(size):
            i = int(self.rng.integers(names))
            s = int(self.rng.integers(stills.shape[1]))
            motion = MOTIONS[int(self.rng.integers(len(MOTIONS)))]
            clips.append(synthesise(stills[i, s], motion, FRAMES, self.rng))
            captions.append(f"{NAMES[i]}, {motion}")
        pixels = torch.from_numpy(np.stack(clips)).float().div(127.5).sub(1.0)  # B F H W C
        return pixels.permute(0, 1, 4, 2, 3), captions  # B F C H W

    def train_step(self, stills: np.ndarray, batch: int) -> float:
        pixels, captions = self.batch(stills, batch)
        pixels = pixels.to(self.device)
        b, f = pixels.shape[:2]
        with torch.no_grad():
            latents = self.vae.encode(pixels.flatten(0, 1)).latent_dist.sample()
            latents = latents * self.vae.config.scaling_factor
            latents = latents.unflatten(0, (b, f)).permute(0, 2, 1, 3, 4)  # B C F h w
        noise = torch.randn_like(latents)
        timesteps = torch.randint(0, self.scheduler.config.num_train_timesteps, (b,)).to(self.device)
        noisy = self.scheduler.add_noise(latents, noise, timesteps)
        # The motion UNet takes one text embedding per frame (diffusers >= 0.30), frames of a clip together.
        embeddings = self.embed(captions).repeat_interleave(f, dim=0)
        prediction = self.unet(noisy, timesteps, encoder_hidden_states=embeddings).sample
        loss = torch.nn.functional.mse_loss(prediction, noise)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
        self.step += 1
        return float(loss)

    def motion_state(self) -> dict[str, torch.Tensor]:
        """The adapter's weights, taken from the motion modules inside the UNet."""
        from diffusers import MotionAdapter

        adapter = MotionAdapter(**adapter_config())
        for target, source in zip(adapter.down_blocks, self.unet.down_blocks, strict=True):
            target.motion_modules.load_state_dict(source.motion_modules.state_dict())
        for target, source in zip(adapter.up_blocks, self.unet.up_blocks, strict=True):
            target.motion_modules.load_state_dict(source.motion_modules.state_dict())
        adapter.mid_block.motion_modules.load_state_dict(self.unet.mid_block.motion_modules.state_dict())
        return adapter.to("cpu")

    def save(self) -> None:
        path = self.work / "checkpoint.pt"
        temp = path.with_suffix(".tmp")
        torch.save({"step": self.step, "motion": {k: v for k, v in self.unet.state_dict().items()
                                                  if "motion_modules" in k},
                    "optimizer": self.optimizer.state_dict(), "rng": self.rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state()}, temp)
        temp.replace(path)

    def resume(self) -> bool:
        path = self.work / "checkpoint.pt"
        if not path.is_file():
            return False
        state = torch.load(path, weights_only=False, map_location=self.device)  # our own checkpoint (RNG state is not tensors only)
        self.unet.load_state_dict(state["motion"], strict=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        self.step = int(state["step"])
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="stills, checkpoint and loss.csv")
    parser.add_argument("--minutes", type=float, default=45.0, help="training time of this run")
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=8, help="clips per step")
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a lent GPU (tools/gpu/video_run.sh)")
    parser.add_argument("--prepare-only", action="store_true", help="render the stills and stop")
    parser.add_argument("--export", type=Path, help="write the adapter folder here from the checkpoint and stop")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    stills = render_stills(args.work)
    if args.prepare_only:
        print(f"stills: {stills.shape} in {args.work / 'stills.npz'}")
        return
    trainer = Trainer(args.work, args.lr, args.seed, args.device)
    resumed = trainer.resume()
    if args.export is not None:
        trainer.motion_state().save_pretrained(args.export, safe_serialization=True)
        print(f"exported step {trainer.step} to {args.export}")
        return
    print(f"{'resumed at' if resumed else 'starting at'} step {trainer.step}", flush=True)
    log = args.work / "loss.csv"
    new_log = not log.is_file()
    deadline = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    with log.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new_log:
            writer.writerow(["step", "loss", "seconds"])
        losses: list[float] = []
        while trainer.step < args.max_steps and time.monotonic() < deadline:
            losses.append(trainer.train_step(stills, args.batch))
            if trainer.step % 10 == 0:
                writer.writerow([trainer.step, f"{np.mean(losses):.5f}", f"{time.monotonic() - started:.1f}"])
                handle.flush()
                print(f"step {trainer.step} loss {np.mean(losses):.4f}", flush=True)
                losses = []
            if trainer.step % args.save_every == 0:
                trainer.save()
    trainer.save()
    print(f"stopped at step {trainer.step} after {(time.monotonic() - started) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
