"""Build a small CLIP BPE tokenizer (vocab.json + merges.txt) from emoji names, offline.

The base alphabet is CLIP's 256 byte symbols, alone and word-final (``</w>``), so any
text tokenizes. Merges are learned by classic BPE on the words of the emoji names until every
such word is one token. Every merge result is in the vocabulary, so BPE can never
produce an unknown token.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import regex

# The pre-tokenizer pattern of openai/CLIP (and transformers' CLIPTokenizer).
PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def bytes_to_unicode() -> dict[int, str]:
    """CLIP/GPT-2's reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    bs += list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def words_of(texts: Iterable[str]) -> Counter[str]:
    """Count the pre-tokenized, lower-cased, byte-encoded words of ``texts``."""
    enc = bytes_to_unicode()
    counts: Counter[str] = Counter()
    for text in texts:
        for word in PATTERN.findall(" ".join(text.lower().split())):
            counts["".join(enc[b] for b in word.encode("utf-8"))] += 1
    return counts


def learn_merges(counts: Counter[str]) -> list[tuple[str, str]]:
    """Classic BPE: merge the most frequent adjacent pair until every word is one symbol."""
    words = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in counts}
    merges: list[tuple[str, str]] = []
    while True:
        pairs: Counter[tuple[str, str]] = Counter()
        for word, symbols in words.items():
            for pair in zip(symbols, symbols[1:], strict=False):
                pairs[pair] += counts[word]
        if not pairs:
            return merges
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        for word, symbols in words.items():
            i, merged = 0, []
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    merged.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            words[word] = merged


def build(texts: Iterable[str], out_dir: Path, max_length: int = 32) -> int:
    """Write a CLIPTokenizer folder for ``texts`` into ``out_dir``; return the vocab size."""
    base = list(bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for sym in base + [s + "</w>" for s in base]:
        vocab.setdefault(sym, len(vocab))
    merges: list[tuple[str, str]] = []
    for a, b in learn_merges(words_of(texts)):
        merges.append((a, b))
        vocab.setdefault(a + b, len(vocab))
    vocab[BOS] = len(vocab)
    vocab[EOS] = len(vocab)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges]
    (out_dir / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": max_length,
        "bos_token": BOS,
        "eos_token": EOS,
        "unk_token": EOS,
        "pad_token": EOS,
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}
    (out_dir / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")
    return len(vocab)
