"""Install the result of a GPU run (``image.tar`` from ``tools/gpu/image_run.sh``) into the model folder.

    python finish_gpu.py /path/to/image.tar                       # into ../models/emoji-ldm-32
    python finish_gpu.py image.tar --model /tmp/scratch/emoji-ldm-32 --curves /tmp/scratch

Checks the archive, replaces the weights, configs and tokenizer of the model folder (its
``MODEL_CARD.md`` is kept, to be updated by hand), copies the loss curves beside this script
(``--curves``), then regenerates what is derived from the weights: ``samples.png``
(sample_grid.py), ``loss.svg`` (plot_loss.py) and ``onnx/`` (``genloom_image.onnx_export``).
Each step runs in its own process, exactly as its command line would.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = ("model_index.json", "scheduler", "text_encoder", "tokenizer", "unet", "vae")
CURVES = ("loss_vae.csv", "loss_unet.csv")
MODEL = "emoji-ldm-32"


def unpack(archive: Path, into: Path) -> Path:
    """Extract the archive (plain files and folders only, no paths outside) and return its model folder."""
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    model = into / MODEL
    missing = [part for part in PARTS if not (model / part).exists()]
    if missing:
        raise SystemExit(f"{archive} is not a run.sh result: {MODEL}/ lacks {', '.join(missing)}")
    return model


def install(new: Path, model: Path) -> None:
    """Replace each part of ``model`` with the new one; other files (the card, onnx/) stay."""
    model.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        target = model / part
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        shutil.move(str(new / part), str(target))


def run(*cmd: str | Path) -> None:
    """Run one step with this interpreter; stop at the first failure."""
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([sys.executable, *map(str, cmd)], check=True)


def main() -> None:
    """Unpack, install, copy the curves, and regenerate samples, loss plot and ONNX files."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("archive", type=Path, help="image.tar written by tools/gpu/image_run.sh")
    p.add_argument("--model", type=Path, default=HERE.parent / "models" / MODEL, help="model folder to update")
    p.add_argument("--curves", type=Path, default=HERE, help="where loss_vae.csv and loss_unet.csv go")
    p.add_argument("--threads", type=int, default=2, help="for sample_grid.py")
    p.add_argument("--no-samples", action="store_true", help="skip sample_grid.py (the slow step on a busy CPU)")
    args = p.parse_args()
    if not args.archive.is_file():
        raise SystemExit(f"no archive at {args.archive}; pass the image.tar that run.sh wrote to $OUT")
    with tempfile.TemporaryDirectory(dir=args.model.parent) as tmp:
        new = unpack(args.archive, Path(tmp))
        for name in (*CURVES, "train_args.txt"):
            if (Path(tmp) / name).exists():
                print(f"{name}: {(Path(tmp) / name).read_text().count(chr(10))} lines")
        args.curves.mkdir(parents=True, exist_ok=True)
        for name in CURVES:
            shutil.copy(Path(tmp) / name, args.curves / name)
        install(new, args.model)
    print(f"installed the weights into {args.model}")
    if not args.no_samples:
        run(HERE / "sample_grid.py", args.model, "--out", args.model / "samples.png",
            "--threads", str(args.threads))
    run(HERE / "plot_loss.py", *(args.curves / name for name in CURVES), "--out", args.model / "loss.svg")
    run("-m", "genloom_image.onnx_export", args.model)
    print(f"done; now update {args.model / 'MODEL_CARD.md'} (steps, time, loss, what the samples show)")


if __name__ == "__main__":
    main()
