"""Measure how well the bundled motion adapter follows the motion named in the prompt.

For every held-out emoji name (never trained on) and every measurable motion (pan in four
directions, zoom in/out, rotate), AnimateDiff on ``emoji-ldm-32`` makes an 8-frame clip of
"<name>, <motion>"; the global motion of the frames is read back with dense optical flow
(``motions.classify``) and compared with the motion asked. The same prompts and seeds run
once with the trained adapter and once with an untrained one (AnimateDiff initialises the
motion modules to do nothing: each frame is then the image model alone), which is the
"without the adapter" figure. Also writes the model card's contact sheet, sample MP4/GIF
and a JSON of the figures.

    PYTHONPATH=desktop:plugins python -m genloom_video.training.eval_motion \\
        plugins/genloom_video/models/emoji-motion --out plugins/genloom_video/models/emoji-motion
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from genloom_video.training.motions import MEASURABLE, MOTIONS, classify
from genloom_video.training.train_motion import FRAMES, HELD_OUT, IMAGE_MODEL, NAMES, adapter_config


def generate(adapter_dir: Path | None, prompts: list[str], seeds: list[int], steps: int, guidance: float,
             batch: int) -> np.ndarray:
    """Clips (N, F, H, W, 3) uint8 for ``prompts`` with the adapter (or an untrained one when None)."""
    from diffusers import AnimateDiffPipeline, MotionAdapter

    adapter = MotionAdapter.from_pretrained(adapter_dir) if adapter_dir else MotionAdapter(**adapter_config())
    pipe = AnimateDiffPipeline.from_pretrained(IMAGE_MODEL, motion_adapter=adapter, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    for component in pipe.components.values():
        if hasattr(component, "eval"):
            component.eval()
    clips = []
    for start in range(0, len(prompts), batch):
        chunk = prompts[start:start + batch]
        generators = [torch.Generator("cpu").manual_seed(s) for s in seeds[start:start + batch]]
        out = pipe(prompt=chunk, num_frames=FRAMES, num_inference_steps=steps, guidance_scale=guidance,
                   height=32, width=32, generator=generators, output_type="np", decode_chunk_size=FRAMES)
        clips.append((np.clip(np.asarray(out.frames), 0, 1) * 255).round().astype(np.uint8))
    return np.concatenate(clips)


def contact_sheet(clips: np.ndarray, labels: list[str], path: Path, scale: int = 3) -> None:
    from PIL import Image, ImageDraw

    rows, frames, height, width = clips.shape[:4]
    label_w = 150
    sheet = Image.new("RGB", (label_w + frames * width * scale, rows * height * scale), "white")
    draw = ImageDraw.Draw(sheet)
    for r in range(rows):
        draw.text((4, r * height * scale + height * scale // 2 - 6), labels[r], fill="black")
        for f in range(frames):
            tile = Image.fromarray(clips[r, f]).resize((width * scale, height * scale), Image.Resampling.NEAREST)
            sheet.paste(tile, (label_w + f * width * scale, r * height * scale))
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapter", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument("--seeds", type=int, default=1, help="seeds per name and motion")
    parser.add_argument("--batch", type=int, default=28)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    held_out = list(NAMES[-HELD_OUT:])
    cases = [(name, motion, seed) for name in held_out for motion in MEASURABLE for seed in range(args.seeds)]
    prompts = [f"{name}, {motion}" for name, motion, _ in cases]
    seeds = [1000 + i for i in range(len(cases))]
    results = {}
    clips_by = {}
    for label, adapter in (("with adapter", args.adapter), ("without adapter", None)):
        clips = generate(adapter, prompts, seeds, args.steps, args.guidance, args.batch)
        clips_by[label] = clips
        found = [classify(clip) for clip in clips]
        hits = [f == motion for f, (_, motion, _) in zip(found, cases, strict=True)]
        per_motion = {m: float(np.mean([h for h, (_, mm, _) in zip(hits, cases, strict=True) if mm == m]))
                      for m in MEASURABLE}
        results[label] = {"accuracy": float(np.mean(hits)), "per_motion": per_motion,
                          "static": float(np.mean([f == "static" for f in found]))}
        print(label, json.dumps(results[label]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    results["cases"] = len(cases)
    results["chance"] = 1 / len(MEASURABLE)
    results["settings"] = {"steps": args.steps, "guidance": args.guidance, "frames": FRAMES, "size": 32,
                           "held_out_names": held_out, "minutes": round((time.monotonic() - started) / 60, 1)}
    (args.out / "motion_eval.json").write_text(json.dumps(results, indent=2) + "\n")
    # Contact sheet: one held-out name, every measurable motion, with the adapter.
    name = held_out[0]
    rows = [i for i, (n, _, s) in enumerate(cases) if n == name and s == 0]
    contact_sheet(clips_by["with adapter"][rows], [prompts[i] for i in rows], args.out / "contact_sheet.png")
    # Animated sample: the same rows side by side, enlarged 4x.
    from genloom.sdk.video import export_video, write_video

    tiles = clips_by["with adapter"][rows]
    big = np.stack([np.concatenate([np.kron(tiles[r, f], np.ones((4, 4, 1), np.uint8)) for r in range(len(tiles))],
                                   axis=1) for f in range(FRAMES)])
    write_video(args.out / "sample.mp4", list(big), 8)
    export_video(args.out / "sample.mp4", args.out / "sample.gif", "gif")
    print(f"done in {(time.monotonic() - started) / 60:.1f} min; motions {MOTIONS}")


if __name__ == "__main__":
    main()
