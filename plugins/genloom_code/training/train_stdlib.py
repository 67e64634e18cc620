"""Train Genloom's bundled code model: a small Llama-style LM on the Python standard library.

Plain script (not part of the plugin package). Data: the ``.py`` sources of the running
interpreter's standard library (PSF licence), its test suite included, leaving out
generated data modules and vendored packages. Every file is one document (followed by
``<|endoftext|>`` at its end only, so a completion does not learn to stop at the end of a
line); besides, each file is cut into chunks of whole lines and a share of the chunks
(``--fim-rate``) become extra fill-in-the-middle documents in StarCoder's
prefix-suffix-middle order::

    <fim_prefix>PREFIX<fim_suffix>SUFFIX<fim_middle>MIDDLE<|endoftext|>

so that infill works and stops after the middle. Half of the training windows start at a
document start (a file's first line or a FIM example), the rest anywhere in the stream.
The tokenizer (byte-level BPE, trained offline with ``tokenizers``) has the FIM tokens as
special tokens. The training loop is shared with the text model
(``tools/lm_training/lm_training.py``): fixed seeds, resumable checkpoints,
loss CSV, the weights of the best held-out loss, a model card with samples.

Two presets: ``--preset cpu`` (the default) finishes in under two hours on two CPU cores;
``--preset gpu`` is the larger model and longer run that the shipped weights come from
(one CUDA GPU, about 7 minutes). Any flag overrides its preset. The corpus is prepared
into ``--ckpt-dir`` first, so that folder can be carried to a GPU machine::

    python plugins/genloom_code/training/train_stdlib.py --preset gpu --ckpt-dir D --prepare-only
    # on the GPU machine (no stdlib needed there: the prepared corpus is read from D)
    python plugins/genloom_code/training/train_stdlib.py --preset gpu --ckpt-dir D --out M

CPU usage::

    nice -n 19 python plugins/genloom_code/training/train_stdlib.py \
        --ckpt-dir /work/ckpt/code > /work/ckpt/code.log 2>&1
"""

from __future__ import annotations

import argparse
import random
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "tools" / "lm_training"))

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

EOS, FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE = (
    "<|endoftext|>", "<fim_prefix>", "<fim_suffix>", "<fim_middle>")
SKIP_PARTS = {"site-packages", "__pycache__", "pydoc_data", "encodings", "lib2to3",
              "ensurepip", "turtledemo"}
PRESETS = {
    "cpu": dict(steps=1000, batch=12, seq_len=192, lr=2e-3, hidden=192, layers=4, heads=3,
                max_minutes=110.0, eval_every=250, eval_batches=4, warmup=100),
    "gpu": dict(steps=12000, batch=64, seq_len=384, lr=2e-3, hidden=224, layers=6,
                heads=4, max_minutes=7.0, eval_every=250, eval_batches=16, warmup=200),
}


def stdlib_files(root: Path) -> list[Path]:
    """The stdlib's own ``.py`` files (tests included), minus vendored data and huge tables."""
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


def prepare(args: argparse.Namespace) -> tuple[list[str], dict[str, object]]:
    """Read the stdlib and train the tokenizer; returns the files' texts and their facts."""
    files = stdlib_files(args.stdlib)
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in files]
    keep = [i for i, t in enumerate(texts) if t.strip()]
    texts = [texts[i] for i in keep]
    train_byte_bpe(
        texts, vocab_size=args.vocab,
        special_tokens=[EOS, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX],
        out_dir=args.ckpt_dir / "tokenizer", chat_template=None,
        model_max_length=args.seq_len,
    )
    n_tests = sum(1 for i in keep if {"test", "tests", "idle_test"}
                  & set(files[i].relative_to(args.stdlib).parts))
    return texts, {"python": ".".join(map(str, sys.version_info[:3])), "files": len(texts),
                   "tests": n_tests, "chars": sum(len(t) for t in texts)}


def build_documents(texts: list[str], args: argparse.Namespace,
                    meta: dict[str, object]) -> tuple[list[str], str]:
    """The training documents (whole files plus FIM examples, shuffled; the same for the
    same seed on any machine) and the card's paragraph about them."""
    rng = random.Random(args.seed)
    fim = [to_fim(c, rng) for t in texts for c in chunk_lines(t, args.chunk_chars)
           if rng.random() < args.fim_rate]
    fim = [d for d in fim if d.startswith(FIM_PREFIX)]
    docs = texts + fim
    rng.shuffle(docs)
    print(f"{meta['files']} files, {meta['chars'] / 1e6:.1f}M chars, {len(docs)} documents "
          f"({len(fim)} FIM)", flush=True)
    card_data = (
        f"The `.py` sources of the CPython {meta['python']} standard library, its test "
        f"suite included ({meta['files']} files of which {meta['tests']} are tests, "
        f"{meta['chars'] / 1e6:.1f}M characters; "
        f"{', '.join(sorted(SKIP_PARTS - {'__pycache__'}))} and files over 300 kB left "
        f"out). Every file is one document, with `{EOS}` at its end only. Besides, "
        f"{args.fim_rate:.0%} of the files' chunks of whole lines (at most "
        f"{args.chunk_chars} characters) were made into {len(fim)} extra "
        f"fill-in-the-middle documents in StarCoder PSM order (`{FIM_PREFIX}` prefix "
        f"`{FIM_SUFFIX}` suffix `{FIM_MIDDLE}` middle `{EOS}`, the middle being 1-4 whole "
        "lines), so the model can infill and stops after the middle."
    )
    return docs, card_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--chunk-chars", type=int, default=480)
    parser.add_argument("--fim-rate", type=float, default=0.5)
    add_common_arguments(parser, PRESETS, out=HERE.parent / "models" / "stdlib-llama",
                         ckpt_dir=Path("/work/ckpt/code"), vocab=6144, seed=4321)
    args = parse_with_preset(parser, PRESETS)
    texts, meta = prepared_corpus(args.ckpt_dir, lambda: prepare(args))
    if args.prepare_only:
        return
    docs, card_data = build_documents(texts, args, meta)
    tokenizer = load_tokenizer(args.ckpt_dir)
    device = pick_device(args.device)
    cfg = config_from_args(
        args, device, f"plugins/genloom_code/training/{Path(__file__).name}", aligned=0.5,
        sample_prompts=[
            "def fibonacci(n):\n",
            "import os\n\n\ndef list_python_files(path):\n",
            f"{FIM_PREFIX}def add(a, b):\n{FIM_SUFFIX}\n\n\ndef sub(a, b):\n"
            f"    return a - b\n{FIM_MIDDLE}",
            "class Stack:\n    def __init__(self):\n",
        ],
        sample_max_new_tokens=80,
        card_title="stdlib-llama: Genloom's bundled code model",
        card_data=card_data,
        card_licence=(
            "Training data: Python standard library, Python Software Foundation License "
            "Version 2. Weights trained by Genloom; generated code may reproduce "
            "fragments of the standard library, which are PSF-licensed."
        ),
    )
    timed_training(cfg, tokenizer, docs)


if __name__ == "__main__":
    main()
