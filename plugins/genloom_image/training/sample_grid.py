"""Draw the model card's sample grid: ten prompts, four seeds each, from the exported folder.

    python sample_grid.py ../models/emoji-ldm-32 --out ../models/emoji-ldm-32/samples.png
    python sample_grid.py ../models/icon-ldm-64 --out ../models/icon-ldm-64/samples.png \
        --prompts "red heart;smiling cat face;...;folder;printer"

Loads the folder with diffusers' AutoPipelineForText2Image, exactly as the plugin does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from diffusers import AutoPipelineForText2Image
from PIL import Image, ImageDraw

PROMPTS = (
    "red heart", "smiling cat face", "thumbs up: dark skin tone", "grinning face", "pizza",
    "rocket", "flag: Japan", "sun", "dog face", "four leaf clover",
)


def main() -> None:
    """Render the grid (32 px images upscaled 3x, larger ones 2x, nearest neighbour) with
    the prompt on the left."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--prompts", default=";".join(PROMPTS), help="the rows' prompts, separated by ';'")
    args = p.parse_args()
    prompts = [text.strip() for text in args.prompts.split(";") if text.strip()]
    torch.set_num_threads(args.threads)
    pipe = AutoPipelineForText2Image.from_pretrained(args.model, use_safetensors=True, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    size = pipe.unet.config.sample_size * pipe.vae_scale_factor
    cell, label = (3 if size <= 32 else 2) * size, 200
    grid = Image.new("RGB", (label + cell * args.seeds, cell * len(prompts)), "white")
    draw = ImageDraw.Draw(grid)
    for row, prompt in enumerate(prompts):
        gens = [torch.Generator().manual_seed(seed) for seed in range(args.seeds)]
        images = pipe(prompt, num_inference_steps=args.steps, guidance_scale=args.guidance,
                      num_images_per_prompt=args.seeds, generator=gens).images
        draw.text((8, row * cell + cell // 2 - 6), prompt, fill="black")
        for col, img in enumerate(images):
            grid.paste(img.resize((cell, cell), Image.Resampling.NEAREST), (label + col * cell, row * cell))
    grid.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
