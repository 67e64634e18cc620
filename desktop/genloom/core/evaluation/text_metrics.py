"""Text metrics: distinct-n, self-BLEU (sacrebleu), repetition and perplexity."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

__all__ = ["distinct_n", "perplexity", "read_text", "repetition_rate", "self_bleu", "words"]

_WORD = re.compile(r"\w+|[^\w\s]")
#: The most text read from one asset: metrics look at generations, not books.
TEXT_LIMIT = 200_000


def read_text(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(TEXT_LIMIT)


def words(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens (the same for every text metric)."""
    return _WORD.findall(text.lower())


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct n-grams over all n-grams of ``texts`` together (1: no n-gram repeats)."""
    grams = [g for text in texts for g in _ngrams(words(text), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(text: str, n: int = 3) -> float:
    """Share of the text's word n-grams that already occurred earlier in it (0: none)."""
    grams = _ngrams(words(text), n)
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def self_bleu(texts: Sequence[str]) -> float:
    """Mean BLEU (0-100) of each text against all the others as references."""
    import sacrebleu

    if len(texts) < 2:
        raise InputError("self-BLEU needs at least two texts")
    scores = []
    for index, text in enumerate(texts):
        others = [t for i, t in enumerate(texts) if i != index]
        scores.append(sacrebleu.sentence_bleu(text, others).score)
    return float(sum(scores) / len(scores))


def perplexity(text: str, context: MetricContext) -> float:
    """exp(mean negative log-likelihood per token) under the reference causal LM."""
    folder = context.models.get("reference_text")
    if folder is None:
        raise InputError("no reference text model is available for perplexity")
    key = f"perplexity:{folder}"
    if key not in context.cache:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model: Any = AutoModelForCausalLM.from_pretrained(str(folder), local_files_only=True,
                                                     use_safetensors=True)
        model.to(context.device).eval()
        context.cache[key] = (torch, tokenizer, model)
    torch, tokenizer, model = context.cache[key]
    limit = int(getattr(model.config, "max_position_embeddings", 512) or 512)
    ids = tokenizer(text, return_tensors="pt").input_ids[:, :limit].to(context.device)
    if ids.shape[1] < 2:
        raise InputError("the text is too short for perplexity (fewer than two tokens)")
    with torch.inference_mode():
        loss = model(ids, labels=ids).loss
    return float(math.exp(float(loss)))


def asset_text(asset: MetricAsset) -> str:
    return read_text(asset.path)
