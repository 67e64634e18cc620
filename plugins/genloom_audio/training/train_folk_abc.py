"""Train Genloom's bundled music model: a small Llama-style LM over ABC folk tunes.

Plain script (not part of the plugin package). Steps, all offline:

1. read the ABC collections of music21's installed corpus whose licence allows it
   (``abc_corpus.COLLECTIONS``; the Essen folksongs are non-commercial only and are not
   read), turn every single-voice tune into a document: a header from the tune's own
   metadata (``R:`` type, ``M:`` meter, ``L:`` unit, ``Q:`` tempo, ``K:`` key and mode)
   and the cleaned body (no chord symbols, decorations, grace notes or words);
2. shuffle with the seed (the last 2% of the token stream is the held-out split), train
   a small byte-level BPE tokenizer (512 tokens: ABC's alphabet plus its common note
   groups) with the ``tokenizers`` library;
3. train a Llama-style causal LM with the shared loop of Genloom's bundled language models
   (``tools/lm_training/lm_training.py``): fixed seeds, checkpoints every few
   minutes in ``--ckpt-dir``, resumed automatically, every training window starts at a
   tune's start (the header is the condition);
4. write the transformers folder (safetensors) with the tokenizer, loss log and card.

``evaluate_folk_abc.py`` then measures the parse and bar-length figures over 100 seeds and
renders the WAV samples beside the card.

Usage (the shipped weights: ``--preset cpu``, one thread on a shared two-core machine)::

    nice -n 19 python plugins/genloom_audio/training/train_folk_abc.py \
        --threads 1 --ckpt-dir /work/ckpt/music > /work/ckpt/music.log 2>&1
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[2] / "tools" / "lm_training"))  # the shared loop

from abc_corpus import COLLECTIONS, EXCLUDED, read_collections  # noqa: E402
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

EOS = "<|endoftext|>"
PRESETS = {
    "cpu": dict(steps=2400, batch=16, seq_len=256, lr=2e-3, hidden=160, layers=4, heads=4,
                max_minutes=45.0, eval_every=200, eval_batches=6, warmup=100),
    "gpu": dict(steps=8000, batch=64, seq_len=384, lr=1.5e-3, hidden=256, layers=6,
                heads=4, max_minutes=8.0, eval_every=250, eval_batches=16, warmup=200),
}
SAMPLE_PROMPTS = [
    "R:reel\nM:4/4\nL:1/8\nK:D\n",
    "R:jig\nM:6/8\nL:1/8\nK:G\n",
    "R:hornpipe\nM:4/4\nL:1/8\nK:Ador\n",
    "R:waltz\nM:3/4\nL:1/8\nK:F\n",
]


def corpus_root() -> Path:
    from music21 import corpus  # the installed corpus: the data never comes from the network

    return Path(corpus.__file__).resolve().parent


def prepare(args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """Read the allowed collections, train the tokenizer, and say what the data is."""
    import music21

    by_collection = read_collections(corpus_root())
    docs = [t.document for tunes in by_collection.values() for t in tunes]
    random.Random(args.seed).shuffle(docs)
    counts = ", ".join(f"{name} ({len(t)} tunes)" for name, t in by_collection.items())
    print(f"{len(docs)} tunes: {counts}", flush=True)
    train_byte_bpe(docs, vocab_size=args.vocab, special_tokens=[EOS],
                   out_dir=args.ckpt_dir / "tokenizer", chat_template=None,
                   model_max_length=args.seq_len)
    lines = [f"- `{name}`: {len(by_collection[name])} tunes. {COLLECTIONS[name]}."
             for name in COLLECTIONS]
    lines += [f"- `{name}`: excluded, {why}." for name, why in EXCLUDED.items()]
    card_data = (
        f"The ABC folk-tune collections of music21 {music21.__version__}'s bundled corpus "
        "(BSD-licensed package; the corpus's own terms in `music21/corpus/license.txt`: "
        "the music is believed public domain and the encodings are public domain or "
        "distributed by permission, with restrictions stated per collection where they "
        "exist). Files that state terms of their own are skipped; tunes with several "
        "voices, unknown keys or meters are skipped.\n\n" + "\n".join(lines) + "\n\n"
        f"{len(docs)} tunes in all. Each document is the tune's header built from its own "
        "metadata (`R:` tune type where the source names one in `R:` or in the title, "
        "`M:` meter, `L:` unit length, `Q:` tempo as quarter notes per minute where given, "
        "`K:` key and mode) followed by the body without chord symbols, decorations, "
        "grace notes, bowings or words, then `<|endoftext|>`."
    )
    return docs, {"card_data": card_data}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, PRESETS, out=HERE.parent / "models" / "folk-abc",
                         ckpt_dir=Path("/work/ckpt/music"), vocab=512, threads=1, seed=1850,
                         precision=False)
    args = parse_with_preset(parser, PRESETS)
    docs, meta = prepared_corpus(args.ckpt_dir, lambda: prepare(args))
    if args.prepare_only:
        return
    tokenizer = load_tokenizer(args.ckpt_dir)
    device = pick_device(args.device)
    cfg = config_from_args(
        args, device, f"plugins/genloom_audio/training/{Path(__file__).name}", aligned=1.0,
        sample_prompts=SAMPLE_PROMPTS,
        sample_max_new_tokens=160,
        card_title="folk-abc: Genloom's bundled music model",
        card_data=meta["card_data"],
        card_licence=(
            "Weights: trained by Genloom from the collections listed above; the tunes are "
            "traditional and in the public domain, the ABC encodings are distributed in "
            "music21's corpus under its terms. Generated tunes may echo tunes of the data."
        ),
    )
    timed_training(cfg, tokenizer, docs)


if __name__ == "__main__":
    main()
