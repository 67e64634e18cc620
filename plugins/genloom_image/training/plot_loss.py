"""Plot the recorded loss curves (``loss_vae.csv``, ``loss_unet.csv``) as one SVG.

    python plot_loss.py loss_vae.csv loss_unet.csv --out ../models/emoji-ldm-32/loss.svg
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def read(path: Path) -> list[tuple[int, float]]:
    """(step, loss) rows of a loss CSV; a later row for the same step (a resume) wins."""
    rows: dict[int, float] = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            rows[int(row["step"])] = float(row["loss"])
    return sorted(rows.items())


def panel(points: list[tuple[int, float]], title: str, x0: int, w: int = 420, h: int = 240) -> str:
    """One line chart, y from 0 to the largest loss after the first 5% of steps."""
    last = points[-1][0] or 1
    top = max([loss for step, loss in points if step >= last * 0.05] or [loss for _, loss in points]) * 1.1
    coords = " ".join(f"{x0 + 40 + (w - 50) * s / last:.1f},{h - 30 - (h - 60) * min(v, top) / top:.1f}"
                      for s, v in points)
    return (f'<text x="{x0 + 40}" y="18" font-size="13">{title}</text>'
            f'<line x1="{x0 + 40}" y1="{h - 30}" x2="{x0 + w - 10}" y2="{h - 30}" stroke="#888"/>'
            f'<line x1="{x0 + 40}" y1="30" x2="{x0 + 40}" y2="{h - 30}" stroke="#888"/>'
            f'<text x="{x0 + 2}" y="34" font-size="10">{top:.2f}</text>'
            f'<text x="{x0 + 28}" y="{h - 26}" font-size="10">0</text>'
            f'<text x="{x0 + w - 60}" y="{h - 12}" font-size="10">step {last}</text>'
            f'<polyline fill="none" stroke="#c33" stroke-width="1.2" points="{coords}"/>')


def main() -> None:
    """Write the SVG."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("vae", type=Path)
    p.add_argument("unet", type=Path)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    body = (panel(read(args.vae), "VAE: L1 + MSE + 1e-6 KL (every 25th step)", 0)
            + panel(read(args.unet), "UNet + text encoder: epsilon MSE (every 25th step)", 430))
    args.out.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="860" height="240" '
                        f'font-family="sans-serif"><rect width="860" height="240" fill="white"/>{body}</svg>\n')
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
