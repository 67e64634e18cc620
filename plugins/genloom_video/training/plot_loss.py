"""Plot the motion adapter's loss curve (``loss.csv`` of the work folder) as an SVG.

    python plot_loss.py /work/motion/loss.csv --out ../models/emoji-motion/loss.svg
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows: dict[int, float] = {}
    with args.csv.open() as handle:
        for row in csv.DictReader(handle):
            rows[int(row["step"])] = float(row["loss"])  # a resumed run's row for a step wins
    points = sorted(rows.items())
    width, height = 520, 260
    last = points[-1][0] or 1
    top = max(loss for _, loss in points) * 1.1
    coords = " ".join(f"{40 + (width - 50) * s / last:.1f},{height - 30 - (height - 60) * v / top:.1f}"
                      for s, v in points)
    body = (f'<text x="40" y="18" font-size="13">Motion modules: epsilon MSE (mean of each 10 steps, '
            f'batch 4 clips x 8 frames)</text>'
            f'<line x1="40" y1="{height - 30}" x2="{width - 10}" y2="{height - 30}" stroke="#888"/>'
            f'<line x1="40" y1="30" x2="40" y2="{height - 30}" stroke="#888"/>'
            f'<text x="2" y="34" font-size="10">{top:.2f}</text>'
            f'<text x="28" y="{height - 26}" font-size="10">0</text>'
            f'<text x="{width - 70}" y="{height - 12}" font-size="10">step {last}</text>'
            f'<polyline fill="none" stroke="#c33" stroke-width="1.2" points="{coords}"/>')
    args.out.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                        f'font-family="sans-serif"><rect width="{width}" height="{height}" fill="white"/>'
                        f'{body}</svg>\n')
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
