"""Generation settings: the sampling parameters of a request, parsed and cross-checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genloom.sdk import ParameterError


@dataclass(frozen=True)
class GenerationSettings:
    """How to sample. ``temperature == 0`` means greedy decoding (top-p/top-k unused)."""

    max_new_tokens: int
    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float
    stop: tuple[str, ...]
    #: Never repeat a run of this many tokens that is already in the text (0: off).
    no_repeat_ngram_size: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


def parse_stop_sequences(text: str) -> tuple[str, ...]:
    """One stop sequence per line; ``\\n``, ``\\t`` and ``\\\\`` inside a line are escapes,
    so ``\\n\\n`` stops at a blank line."""
    stops = []
    for line in text.splitlines():
        if not line:
            continue
        value = (line.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\t", "\t")
                 .replace("\x00", "\\"))
        stops.append(value)
    return tuple(stops)


def settings_from_params(params: dict[str, Any]) -> GenerationSettings:
    """Build settings from validated parameters (each range is already checked by the spec)."""
    return GenerationSettings(
        max_new_tokens=params["max_new_tokens"],
        temperature=params["temperature"],
        top_p=params["top_p"],
        top_k=params["top_k"],
        repetition_penalty=params["repetition_penalty"],
        stop=parse_stop_sequences(params.get("stop", "")),
        no_repeat_ngram_size=params.get("no_repeat_ngram_size", 0),
    )


def check_context(prompt_tokens: int, max_new_tokens: int, context: int | None) -> None:
    """Refuse a request that cannot fit the model's context window (never truncate silently)."""
    if context is None:
        return
    if prompt_tokens >= context:
        raise ParameterError("prompt", f"<{prompt_tokens} tokens>",
                             f"is longer than the model's context of {context} tokens",
                             f"shorten the prompt to under {context} tokens")
    if prompt_tokens + max_new_tokens > context:
        room = context - prompt_tokens
        raise ParameterError("max_new_tokens", max_new_tokens,
                             f"with the prompt's {prompt_tokens} tokens exceeds the model's "
                             f"context of {context} tokens",
                             f"use at most {room}, or shorten the prompt")


def context_length(config: dict[str, Any]) -> int | None:
    """The model's context window from its config.json, if it states one."""
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = config.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None
