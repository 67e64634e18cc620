"""Train Genloom's bundled text model: a small Llama-style LM on Debian's ``fortunes``.

Plain script (not part of the plugin package). Steps, all offline:

1. read the non-offensive fortune collections from ``/usr/share/games/fortunes``
   (``apt-get install fortunes``; the ``off/`` collection is never read and any
   ``off`` path is refused), split them into fortunes on ``%`` lines;
2. train a byte-level BPE tokenizer on them with the ``tokenizers`` library;
3. train a Llama-style causal LM from a config, bf16 autocast on CPU, fixed seeds,
   checkpoints every few minutes to ``--ckpt-dir`` (resumed automatically), loss
   recorded to ``loss.csv``;
4. write the final model in the transformers folder format (safetensors) with the
   tokenizer, ``loss.csv``, ``loss.svg`` and a ``MODEL_CARD.md`` with samples.

Usage::

    nice -n 19 python plugins/genloom_text/training/train_fortunes.py \
        --threads 1 --ckpt-dir /work/ckpt/text > /work/ckpt/text.log 2>&1
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lm_training import (  # noqa: E402
    TrainConfig,
    cpu_has_native_bf16,
    train_byte_bpe,
    train_language_model,
)

FORTUNE_DIR = Path("/usr/share/games/fortunes")
# Collections left out on purpose: pictures drawn in characters teach layout, not English.
SKIPPED = {"ascii-art", "art", "translate-me"}
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}Q: {{ message['content'] }}\n"
    "{% else %}A: {{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}A:{% endif %}"
)


def read_fortunes(root: Path) -> tuple[list[str], list[str]]:
    """Return (fortunes, collection names) from the safe collections under ``root``."""
    texts: list[str] = []
    used: list[str] = []
    for path in sorted(root.iterdir()):
        if path.is_dir() or path.suffix in {".dat", ".u8"} or path.name in SKIPPED:
            continue  # directories (e.g. off/) are never entered
        if "off" in path.parts[len(root.parts):]:
            raise SystemExit(f"refusing offensive collection {path}")
        raw = path.read_text(encoding="utf-8", errors="replace")
        pieces = [p.strip("\n") for p in raw.split("\n%\n")]
        texts.extend(p for p in pieces if p.strip() and len(p) < 2000)
        used.append(path.name)
    return texts, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=FORTUNE_DIR)
    parser.add_argument("--out", type=Path,
                        default=HERE.parent / "models" / "fortune-llama")
    parser.add_argument("--ckpt-dir", type=Path, default=Path("/work/ckpt/text"))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=3)
    parser.add_argument("--ckpt-minutes", type=float, default=4.0)
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                        help="auto: bf16 autocast where the CPU supports bf16 natively")
    parser.add_argument("--max-minutes", type=float, default=65.0,
                        help="stop (and still write the model) after this much training")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    if "off" in args.data_dir.parts:
        raise SystemExit("--data-dir points at the offensive collection; refusing")
    fortunes, used = read_fortunes(args.data_dir)
    random.Random(args.seed).shuffle(fortunes)
    print(f"{len(fortunes)} fortunes from {len(used)} collections: {' '.join(used)}",
          flush=True)
    args.ckpt_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_byte_bpe(
        fortunes, vocab_size=args.vocab, special_tokens=["<|endoftext|>"],
        out_dir=args.ckpt_dir / "tokenizer", chat_template=CHAT_TEMPLATE,
        model_max_length=args.seq_len,
    )
    cfg = TrainConfig(
        out_dir=args.out, ckpt_dir=args.ckpt_dir, threads=args.threads, steps=args.steps,
        batch=args.batch, seq_len=args.seq_len, lr=args.lr, hidden=args.hidden,
        layers=args.layers, heads=args.heads, ckpt_minutes=args.ckpt_minutes,
        bf16=args.precision == "bf16"
        or (args.precision == "auto" and cpu_has_native_bf16()),
        max_minutes=args.max_minutes, seed=args.seed,
        sample_prompts=["", "A fool", "Q: What is the meaning of life?\nA:",
                        "The computer"],
        card_title="fortune-llama: Genloom's bundled text model",
        card_data=(
            "Debian package `fortunes` 1:1.99.1-7.3 (the non-offensive set; the `off/` "
            "collection is not read), collections: " + ", ".join(used) + f" — "
            f"{len(fortunes)} fortunes. Skipped: {', '.join(sorted(SKIPPED))}."
        ),
        card_licence=(
            "Weights: trained by Genloom from fortune-mod data. The fortune collections "
            "are distributed by Debian under the BSD-style fortune-mod licence "
            "(see /usr/share/doc/fortunes/copyright); individual quotations belong to "
            "their authors. Generated text may reproduce quotations from the data."
        ),
        script=f"plugins/genloom_text/training/{Path(__file__).name}",
    )
    start = time.time()
    train_language_model(cfg, tokenizer, fortunes)
    print(f"done in {(time.time() - start) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
