"""Train Genloom's bundled code model: a small Llama-style LM on the Python standard library.

Plain script (not part of the plugin package). Data: the ``.py`` sources of the running
interpreter's standard library (PSF licence), leaving out test suites and generated data
modules. Each file is cut into chunks of whole lines; half of the chunks become
fill-in-the-middle examples in StarCoder's prefix-suffix-middle order::

    <fim_prefix>PREFIX<fim_suffix>SUFFIX<fim_middle>MIDDLE<|endoftext|>

so that infill works. The tokenizer (byte-level BPE, trained offline with ``tokenizers``)
has the FIM tokens as special tokens. The training loop is shared with the text model
(``plugins/genloom_text/training/lm_training.py``): fixed seeds, resumable checkpoints,
loss CSV, model card with samples.

Usage::

    nice -n 19 python plugins/genloom_code/training/train_stdlib.py \
        --threads 1 --ckpt-dir /work/ckpt/code > /work/ckpt/code.log 2>&1
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "genloom_text" / "training"))

from lm_training import (  # noqa: E402
    TrainConfig,
    cpu_has_native_bf16,
    train_byte_bpe,
    train_language_model,
)

EOS, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = (
    "<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>")
SKIP_PARTS = {"test", "tests", "idle_test", "site-packages", "__pycache__",
              "pydoc_data", "encodings", "lib2to3", "ensurepip", "turtledemo"}


def stdlib_files(root: Path) -> list[Path]:
    """The stdlib's own ``.py`` files, minus tests, vendored data and huge tables."""
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if SKIP_PARTS & set(rel) or rel[0].startswith("config-"):
            continue
        if path.stat().st_size > 300_000:
            continue
        files.append(path)
    return files


def chunk_lines(text: str, max_chars: int) -> list[str]:
    """Cut a file into runs of whole lines of at most ``max_chars`` characters."""
    chunks, current, size = [], [], 0
    for line in text.splitlines(keepends=True):
        if current and size + len(line) > max_chars:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(line[:max_chars])
        size += len(current[-1])
    if current:
        chunks.append("".join(current))
    return [c for c in chunks if c.strip()]


def to_fim(chunk: str, rng: random.Random) -> str:
    """Turn a chunk into a PSM infill example whose middle is 1-4 whole lines."""
    lines = chunk.splitlines(keepends=True)
    if len(lines) < 3:
        return chunk
    n = rng.randint(1, min(4, len(lines) - 1))
    start = rng.randint(0, len(lines) - n)
    prefix, middle = "".join(lines[:start]), "".join(lines[start:start + n])
    suffix = "".join(lines[start + n:])
    return f"{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}{middle}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--out", type=Path,
                        default=HERE.parent / "models" / "stdlib-llama")
    parser.add_argument("--ckpt-dir", type=Path, default=Path("/work/ckpt/code"))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--seq-len", type=int, default=192)
    parser.add_argument("--chunk-chars", type=int, default=480)
    parser.add_argument("--fim-rate", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--vocab", type=int, default=6144)
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=3)
    parser.add_argument("--ckpt-minutes", type=float, default=4.0)
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                        help="auto: bf16 autocast where the CPU supports bf16 natively")
    parser.add_argument("--max-minutes", type=float, default=65.0,
                        help="stop (and still write the model) after this much training")
    parser.add_argument("--seed", type=int, default=4321)
    args = parser.parse_args()

    files = stdlib_files(args.stdlib)
    rng = random.Random(args.seed)
    plain: list[str] = []
    for path in files:
        plain.extend(chunk_lines(path.read_text(encoding="utf-8", errors="replace"),
                                 args.chunk_chars))
    docs = [to_fim(c, rng) if rng.random() < args.fim_rate else c for c in plain]
    rng.shuffle(docs)
    n_fim = sum(d.startswith(FIM_PREFIX) for d in docs)
    chars = sum(len(c) for c in plain)
    print(f"{len(files)} files, {chars / 1e6:.1f}M chars, {len(docs)} chunks "
          f"({n_fim} FIM)", flush=True)
    args.ckpt_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = train_byte_bpe(
        plain, vocab_size=args.vocab,
        special_tokens=[EOS, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX],
        out_dir=args.ckpt_dir / "tokenizer", chat_template=None,
        model_max_length=args.seq_len,
    )
    version = ".".join(map(str, sys.version_info[:3]))
    cfg = TrainConfig(
        out_dir=args.out, ckpt_dir=args.ckpt_dir, threads=args.threads, steps=args.steps,
        batch=args.batch, seq_len=args.seq_len, lr=args.lr, hidden=args.hidden,
        layers=args.layers, heads=args.heads, ckpt_minutes=args.ckpt_minutes,
        bf16=args.precision == "bf16"
        or (args.precision == "auto" and cpu_has_native_bf16()),
        max_minutes=args.max_minutes, seed=args.seed, aligned=True,
        sample_prompts=[
            "def fibonacci(n):\n",
            "import os\n\n\ndef list_python_files(path):\n",
            f"{FIM_PREFIX}def add(a, b):\n{FIM_SUFFIX}\n\n\ndef sub(a, b):\n"
            f"    return a - b\n{FIM_MIDDLE}",
            "class Stack:\n    def __init__(self):\n",
        ],
        sample_max_new_tokens=80,
        card_title="stdlib-llama: Genloom's bundled code model",
        card_data=(
            f"The `.py` sources of the CPython {version} standard library "
            f"({len(files)} files, {chars / 1e6:.1f}M characters; tests, "
            f"{', '.join(sorted(SKIP_PARTS - {'test', 'tests', '__pycache__'}))} and files "
            f"over 300 kB left out), cut into chunks of whole lines of at most "
            f"{args.chunk_chars} characters. {args.fim_rate:.0%} of the chunks "
            f"({n_fim}) are fill-in-the-middle examples in StarCoder PSM order "
            f"(`{FIM_PREFIX}` prefix `{FIM_SUFFIX}` suffix `{FIM_MIDDLE}` middle, the "
            "middle being 1-4 whole lines), so the model can infill."
        ),
        card_licence=(
            "Training data: Python standard library, Python Software Foundation License "
            "Version 2. Weights trained by Genloom; generated code may reproduce "
            "fragments of the standard library, which are PSF-licensed."
        ),
        script=f"plugins/genloom_code/training/{Path(__file__).name}",
    )
    start = time.time()
    train_language_model(cfg, tokenizer, docs)
    print(f"done in {(time.time() - start) / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
