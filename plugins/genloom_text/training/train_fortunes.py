"""Train Genloom's bundled text model: a small Llama-style LM on Debian's ``fortunes``.

Plain script (not part of the plugin package). Steps, all offline:

1. read the non-offensive fortune collections from ``/usr/share/games/fortunes``
   (``apt-get install fortunes``; the ``off/`` collection is never read and any
   ``off`` path is refused), split them into fortunes on ``%`` lines;
2. train a byte-level BPE tokenizer on them with the ``tokenizers`` library;
3. train a Llama-style causal LM from a config, bf16 autocast on CPU, fixed seeds,
   checkpoints every few minutes to ``--ckpt-dir`` (resumed automatically), loss
   recorded to ``loss.csv``;
4. write the final model (the weights of the lowest held-out loss) in the transformers
   folder format (safetensors) with the tokenizer, ``loss.csv``, ``loss.svg`` and a
   ``MODEL_CARD.md`` with samples.

Two presets: ``--preset cpu`` (the default) finishes in under two hours on two CPU cores;
``--preset gpu`` is the larger model and longer run that the shipped weights come from
(one CUDA GPU, about 7 minutes). Any flag overrides its preset. Steps 1-2 write the
prepared corpus into ``--ckpt-dir`` (``--prepare-only`` stops there), so that folder can
be carried to a GPU machine that has no ``fortunes`` package and trained there.

Usage::

    nice -n 19 python plugins/genloom_text/training/train_fortunes.py \
        --threads 1 --ckpt-dir /work/ckpt/text > /work/ckpt/text.log 2>&1
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "tools" / "lm_training"))  # the shared training loop

from lm_training import (  # noqa: E402
    add_common_arguments,
    config_from_args,
    load_tokenizer,
    parse_with_preset,
    pick_device,
    prepared_corpus,
    timed_training,
    train_byte_bpe,
)

FORTUNE_DIR = Path("/usr/share/games/fortunes")
# Collections left out on purpose: pictures drawn in characters teach layout, not English.
SKIPPED = {"ascii-art", "art", "translate-me"}
PRESETS = {
    "cpu": dict(steps=1200, batch=16, seq_len=128, lr=2e-3, hidden=192, layers=4, heads=3,
                max_minutes=110.0, eval_every=250, eval_batches=4, warmup=100),
    "gpu": dict(steps=12000, batch=64, seq_len=256, lr=2e-3, hidden=192, layers=6,
                heads=3, max_minutes=7.0, eval_every=250, eval_batches=16, warmup=200),
}
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


def prepare(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """Read the fortunes, train the tokenizer, and say what the data is."""
    if "off" in args.data_dir.parts:
        raise SystemExit("--data-dir points at the offensive collection; refusing")
    fortunes, used = read_fortunes(args.data_dir)
    random.Random(args.seed).shuffle(fortunes)
    print(f"{len(fortunes)} fortunes from {len(used)} collections: {' '.join(used)}",
          flush=True)
    train_byte_bpe(
        fortunes, vocab_size=args.vocab, special_tokens=["<|endoftext|>"],
        out_dir=args.ckpt_dir / "tokenizer", chat_template=CHAT_TEMPLATE,
        model_max_length=args.seq_len,
    )
    card_data = (
        "Debian package `fortunes` 1:1.99.1-7.3 (the non-offensive set; the `off/` "
        "collection is not read), collections: " + ", ".join(used) + f" — "
        f"{len(fortunes)} fortunes, each one document followed by `<|endoftext|>`. "
        f"Skipped: {', '.join(sorted(SKIPPED))}."
    )
    return fortunes, {"card_data": card_data}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=FORTUNE_DIR)
    add_common_arguments(parser, PRESETS, out=HERE.parent / "models" / "fortune-llama",
                         ckpt_dir=Path("/work/ckpt/text"), vocab=4096, seed=1234)
    args = parse_with_preset(parser, PRESETS)
    fortunes, meta = prepared_corpus(args.ckpt_dir, lambda: prepare(args))
    if args.prepare_only:
        return
    tokenizer = load_tokenizer(args.ckpt_dir)
    device = pick_device(args.device)
    cfg = config_from_args(
        args, device, f"plugins/genloom_text/training/{Path(__file__).name}", aligned=0.5,
        sample_prompts=["", "A fool", "Q: What is the meaning of life?\nA:",
                        "The computer", "Love is"],
        card_title="fortune-llama: Genloom's bundled text model",
        card_data=meta["card_data"],
        card_licence=(
            "Weights: trained by Genloom from fortune-mod data. The fortune collections "
            "are distributed by Debian under the BSD-style fortune-mod licence "
            "(see /usr/share/doc/fortunes/copyright); individual quotations belong to "
            "their authors. Generated text may reproduce quotations from the data."
        ),
    )
    timed_training(cfg, tokenizer, fortunes)


if __name__ == "__main__":
    main()
