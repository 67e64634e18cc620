"""Train Code v2: a Llama-style code model on the CPython stdlib plus permissive PyPI code.

Plain script (not part of the plugin package). Data: the stdlib as
``train_stdlib.py`` reads it, plus the files ``build_code_corpus.py`` took from
permissively licensed PyPI packages (its manifest, ``code_v2_corpus.json``, lists every
package, version and licence). Documents, fill-in-the-middle examples (StarCoder PSM
order) and the training loop are those of ``train_stdlib.py`` and
``tools/lm_training/lm_training.py``: fixed seeds, resumable checkpoints, a time
budget, the weights of the best held-out loss, a model card with samples.

Two presets:

- ``--preset gpu``: a new byte-level BPE tokenizer (12,288 tokens) trained on the whole
  corpus and a ~23M-parameter model (10 layers, hidden 384, context 512) trained from
  scratch for 7 minutes on one CUDA GPU (see ``tools/gpu/code_v2_run.sh``).
- ``--preset cpu``: the fallback for two CPU cores. A model trained from scratch in an
  hour there sees ~2M tokens, which earlier taught a 3M model almost nothing, so this
  preset continues training the bundled ``stdlib-llama`` (its tokenizer and shape, a
  lower learning rate) for the time budget instead, on every short documented function
  of the corpus as a document of its own (``--functions 1``: signature, docstring, body)
  beside a seeded 3M-character sample of whole files. (A first CPU run on an 8M-character
  sample of whole files alone made the model better at predicting Python but worse at
  completing functions: ``CODE_V2_CPU_RUN.md``.)

Any flag overrides its preset. Prepare on the development machine (needs the PyPI
corpus) and train anywhere from the prepared folder::

    python plugins/genloom_code/training/train_code_v2.py --preset gpu \\
        --pypi-corpus /work/ckpt/pypi-corpus.jsonl.xz --ckpt-dir D --prepare-only
    python plugins/genloom_code/training/train_code_v2.py --preset gpu --ckpt-dir D --out M
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import lzma
import random
import shutil
import sys
import sysconfig
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
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
from train_stdlib import (  # noqa: E402
    EOS,
    FIM_MIDDLE,
    FIM_PREFIX,
    FIM_SUFFIX,
    chunk_lines,
    stdlib_files,
    to_fim,
)

BUNDLED = HERE.parent / "models" / "stdlib-llama"
PRESETS = {
    "cpu": dict(steps=100_000, batch=8, seq_len=384, lr=4e-4, hidden=224, layers=6,
                heads=4, max_minutes=60.0, eval_every=100, eval_batches=4, warmup=30,
                vocab=0, init="bundled", max_chars=3_000_000, functions=1),
    "gpu": dict(steps=8000, batch=64, seq_len=512, lr=1.5e-3, hidden=384, layers=10,
                heads=6, max_minutes=7.0, eval_every=250, eval_batches=16, warmup=300,
                vocab=12288, init="none", max_chars=0, functions=0),
}
#: A documented function's body (after its docstring) may span this many lines at most.
FUNCTION_BODY_LINES = (1, 15)
FUNCTION_MAX_CHARS = 1500
TASKS_FILE = HERE.parent / "benchmark" / "tasks.py"


def benchmark_names() -> set[str]:
    """The function names of the code benchmark's tasks (its ``TASKS``, loaded from the file:
    the plugin package need not be importable where this runs)."""
    spec = importlib.util.spec_from_file_location("genloom_code_benchmark_tasks", TASKS_FILE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return {task.name for task in module.TASKS}


def function_documents(texts: list[str], exclude: set[str]) -> list[str]:
    """Every short documented function of ``texts`` as a document of its own.

    A function (or method, dedented) with a docstring and a body of 1-15 lines after it,
    decorators dropped, at most 1,500 characters, each text once: the shape of a
    completion task (signature and docstring, then the body). Functions named like a
    benchmark task (``exclude``) and ``test_`` functions are left out.
    """
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        lines = text.splitlines(keepends=True)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name in exclude or node.name.startswith("test") or len(node.body) < 2 \
                    or not ast.get_docstring(node) or node.end_lineno is None:
                continue
            body_lines = node.end_lineno - (node.body[0].end_lineno or node.lineno)
            if not FUNCTION_BODY_LINES[0] <= body_lines <= FUNCTION_BODY_LINES[1]:
                continue
            source = textwrap.dedent("".join(lines[node.lineno - 1:node.end_lineno]))
            if len(source) > FUNCTION_MAX_CHARS or not source.lstrip().startswith(("def ", "async def ")) \
                    or source in seen:
                continue
            seen.add(source)
            out.append(source)
    return out


def read_pypi(path: Path) -> list[dict[str, str]]:
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def prepare(args: argparse.Namespace) -> tuple[list[str], dict[str, object]]:
    """Read the stdlib and the PyPI corpus; train (gpu) or copy (cpu) the tokenizer."""
    stdlib = [p.read_text(encoding="utf-8", errors="replace")
              for p in stdlib_files(args.stdlib)]
    stdlib = [t for t in stdlib if t.strip()]
    pypi = read_pypi(args.pypi_corpus)
    manifest = json.loads(args.manifest.read_text())
    texts = stdlib + [d["text"] for d in pypi]
    functions = function_documents(texts, benchmark_names()) if args.functions else []
    if args.max_chars:  # a seeded sample of whole files, for runs that see little anyway
        random.Random(args.seed).shuffle(texts)
        total, sample = 0, []
        for text in texts:
            if total + len(text) <= args.max_chars:
                sample.append(text)
                total += len(text)
        texts = sample
    sampled_chars = sum(map(len, texts)) if args.max_chars else 0
    texts += functions
    if args.init == "bundled":
        shutil.copytree(BUNDLED, args.ckpt_dir / "tokenizer", dirs_exist_ok=True,
                        ignore=lambda _d, names: [n for n in names
                                                  if not n.startswith("tokenizer")])
    else:
        train_byte_bpe(texts, vocab_size=args.vocab,
                       special_tokens=[EOS, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX],
                       out_dir=args.ckpt_dir / "tokenizer", chat_template=None,
                       model_max_length=args.seq_len)
    return texts, {
        "sampled_chars": sampled_chars,
        "function_docs": len(functions), "function_chars": sum(map(len, functions)),
        "python": ".".join(map(str, sys.version_info[:3])), "stdlib_files": len(stdlib),
        "stdlib_chars": sum(map(len, stdlib)), "pypi_files": len(pypi),
        "pypi_chars": sum(len(d["text"]) for d in pypi),
        "packages": [f"{p['package']} {p['version']} ({p['licence']})"
                     for p in manifest["packages"] if p.get("kept")],
        "left_out": [f"{p['package']} ({p.get('reason', '')[:60]})"
                     for p in manifest["packages"] if not p.get("kept")],
    }


def build_documents(texts: list[str], args: argparse.Namespace,
                    meta: dict[str, object]) -> tuple[list[str], str]:
    """Whole files plus FIM examples, shuffled by the seed; and the card's data paragraph."""
    rng = random.Random(args.seed)
    fim = [to_fim(c, rng) for t in texts for c in chunk_lines(t, args.chunk_chars)
           if rng.random() < args.fim_rate]
    fim = [d for d in fim if d.startswith(FIM_PREFIX)]
    docs = texts + fim
    rng.shuffle(docs)
    print(f"{len(texts)} files, {len(docs)} documents ({len(fim)} FIM)", flush=True)
    packages = meta["packages"]
    card = (
        f"The `.py` sources of the CPython {meta['python']} standard library as for "
        f"stdlib-llama ({meta['stdlib_files']} files, {meta['stdlib_chars'] / 1e6:.1f}M "
        f"characters) plus {meta['pypi_files']} deduplicated `.py` files "
        f"({meta['pypi_chars'] / 1e6:.1f}M characters; generated, minified and files over "
        f"200 kB dropped, at most 4 MB per package) from {len(packages)} permissively "
        "licensed PyPI packages, licence read from each distribution's own metadata by "
        "`plugins/genloom_code/training/build_code_corpus.py` (the full list with counts "
        "and the reasons others were left out: `code_v2_corpus.json` next to it). Every "
        f"file is one document ending in `{EOS}`; {args.fim_rate:.0%} of the files' chunks "
        f"became {len(fim)} extra fill-in-the-middle documents (PSM order, a 1-4 line "
        "middle).\n\nPackages (version, licence): " + "; ".join(packages) + ".\n\n"
        "Left out (copyleft, unclear or not downloadable): "
        + "; ".join(meta["left_out"]) + "."
    )
    if meta.get("sampled_chars"):
        card += (f"\n\nThis run trained on a seeded sample of whole files from that corpus, "
                 f"{meta['sampled_chars'] / 1e6:.1f}M characters (`--max-chars`).")
    if meta.get("function_docs"):
        card += (f"\n\nBesides, every short documented function of the whole corpus became a "
                 f"document of its own (`--functions 1`): {meta['function_docs']} functions and "
                 f"methods, {meta['function_chars'] / 1e6:.1f}M characters: a signature, a "
                 "docstring and a body of 1-15 lines, decorators dropped, methods dedented, "
                 "each text once. Functions named like one of the code benchmark's tasks and "
                 "`test_` functions were left out, so the benchmark does not grade what the "
                 "model saw.")
    return docs, card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdlib", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--pypi-corpus", type=Path,
                        default=Path("/work/ckpt/pypi-corpus.jsonl.xz"))
    parser.add_argument("--manifest", type=Path, default=HERE / "code_v2_corpus.json")
    parser.add_argument("--chunk-chars", type=int, default=480)
    parser.add_argument("--fim-rate", type=float, default=0.5)
    add_common_arguments(parser, PRESETS, out=Path("code-v2"), ckpt_dir=Path("/work/ckpt/code-v2"), seed=2468)
    args = parse_with_preset(parser, PRESETS)
    texts, meta = prepared_corpus(args.ckpt_dir, lambda: prepare(args))
    if args.prepare_only:
        return
    docs, card_data = build_documents(texts, args, meta)
    tokenizer = load_tokenizer(args.ckpt_dir)
    device = pick_device(args.device)
    warm = args.init == "bundled"
    cfg = config_from_args(
        args, device, f"plugins/genloom_code/training/{Path(__file__).name}", aligned=0.5,
        init_from=BUNDLED if warm else None,
        sample_prompts=[
            "def fibonacci(n):\n",
            "import os\n\n\ndef list_python_files(path):\n",
            f"{FIM_PREFIX}def add(a, b):\n{FIM_SUFFIX}\n\n\ndef sub(a, b):\n"
            f"    return a - b\n{FIM_MIDDLE}",
            "class Stack:\n    def __init__(self):\n",
        ],
        sample_max_new_tokens=80,
        card_title="code-v2: Genloom's code model, stdlib plus permissive PyPI code",
        card_data=card_data,
        card_licence=(
            "Training data: the Python standard library (PSF License Version 2) and the "
            "packages listed above under MIT, BSD, Apache-2.0, PSF or ISC licences. "
            "Generated code may reproduce fragments of them; their licences then apply."
        ),
        extra_card=("- Warm start: continued from the bundled stdlib-llama weights and "
                    "tokenizer (the CPU preset).\n" if warm else ""),
    )
    timed_training(cfg, tokenizer, docs)


if __name__ == "__main__":
    main()
