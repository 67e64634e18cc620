"""The image data and yardstick scripts' speed (``python -m tests.benchmarks imgdata``).

All on the CPU, each beside a baseline measured in the same run (alternately, medians):

- *render Noto emoji (prepare_icons.py)*: 40 emoji through ``noto_items`` + ``square``
  (64 px, margin), against ``prepare_emoji.render`` of the same 40 at 64 px (the v1
  script): the price of the generic source/crop path;
- *training-time augmentation*: ``train.augment`` (flips, ink jitter, shifts) of a batch of
  32 64 px images, against one forward pass of a 64 px v2 VAE encoder on that batch (what
  each VAE step costs anyway);
- *feature extraction*: ``FeatureNet.features`` of 64 images (resize + CNN), against the
  same count through emoji-ldm-32's VAE encoder at 32 px.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    from tests.benchmarks._report import report
except ModuleNotFoundError:  # run as a script
    from _report import report  # type: ignore[no-redef]

TRAINING = Path(__file__).resolve().parents[2] / "plugins" / "genloom_image" / "training"
ROUNDS = 5


def _alternate(a: Callable[[], object], b: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """Median seconds of ``a`` and of ``b``, timed alternately after one warm-up each."""
    a()
    b()
    times_a, times_b = [], []
    for _ in range(rounds):
        for fn, bucket in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times_a), statistics.median(times_b)


def main() -> None:
    """Print the three comparisons."""
    import numpy as np
    import torch

    sys.path.insert(0, str(TRAINING))
    import prepare_emoji
    import prepare_icons
    import train
    from features import FeatureNet, make_net
    from PIL import ImageFont

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {ROUNDS} alternating rounds")
    if prepare_icons.NOTO.exists() and prepare_emoji.EMOJI_TEST.exists():
        rows = prepare_emoji.read_emoji()[:40]
        font = ImageFont.truetype(str(prepare_emoji.FONT), 109)

        def icons() -> object:
            return [prepare_icons.square(item.image, 64) for item in prepare_icons.noto_items(40, 0)]

        def emoji() -> object:
            return [prepare_emoji.render(chars, font, 64) for chars, *_ in rows]

        a, b = _alternate(icons, emoji)
        report("render 40 Noto emoji (prepare_icons.py)", a, "prepare_emoji.render, same 40", b)
    else:
        print("skipped the rendering figure: fonts-noto-color-emoji and unicode-data are not installed")

    torch.manual_seed(0)
    x = torch.rand(32, 3, 64, 64) * 2 - 1
    flip_ok = torch.ones(32, dtype=torch.bool)
    vae = train.make_vae(64).eval()
    with torch.no_grad():
        a, b = _alternate(lambda: train.augment(x, flip_ok, torch.Generator().manual_seed(0), 3, 0.12),
                          lambda: vae.encode(x))
    report("augment a batch of 32 (64 px)", a, "v2 VAE encoder forward, same batch", b)

    feats = FeatureNet(make_net(111).eval(), [str(i) for i in range(111)])
    images = (np.random.default_rng(0).random((64, 32, 32, 3)) * 255).astype(np.uint8)
    from diffusers import AutoencoderKL

    v1 = AutoencoderKL.from_pretrained(TRAINING.parent / "models" / "emoji-ldm-32" / "vae", local_files_only=True)
    small = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        a, b = _alternate(lambda: feats.features(images), lambda: v1.eval().encode(small))
    report("features of 64 images (32 px in, 64 px net)", a, "emoji-ldm-32 VAE encoder, same 64", b)


if __name__ == "__main__":
    main()
