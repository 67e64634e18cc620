"""Fill-in-the-middle prompts, for models trained with FIM special tokens.

Two spellings are common: StarCoder's ``<fim_prefix>`` / ``<fim_suffix>`` /
``<fim_middle>`` (StarCoder, StarCoder2, SantaCoder, Genloom's bundled code model) and
Qwen2.5-Coder's ``<|fim_prefix|>`` / ``<|fim_suffix|>`` / ``<|fim_middle|>``. Both use
prefix-suffix-middle order: the model writes the middle after the last token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from genloom.sdk import InputError


@dataclass(frozen=True)
class FimTokens:
    """The three FIM marker tokens a model knows."""

    prefix: str
    suffix: str
    middle: str

    def prompt(self, before: str, after: str) -> str:
        """The PSM prompt: the model continues with the middle."""
        return f"{self.prefix}{before}{self.suffix}{after}{self.middle}"


STYLES: tuple[FimTokens, ...] = (
    FimTokens("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
    FimTokens("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
)


def fim_tokens(tokenizer: Any) -> FimTokens | None:
    """The FIM tokens of ``tokenizer``'s vocabulary, or None when it has none."""
    vocab = tokenizer.get_vocab()
    for style in STYLES:
        if all(token in vocab for token in (style.prefix, style.suffix, style.middle)):
            return style
    return None


def require_fim(tokenizer: Any, model_name: str) -> FimTokens:
    """Like :func:`fim_tokens`, but a clear error for a model that cannot infill."""
    style = fim_tokens(tokenizer)
    if style is None:
        raise InputError(
            f"model {model_name} cannot fill in the middle: its tokenizer has no FIM tokens "
            "(<fim_prefix>/<fim_suffix>/<fim_middle> or the <|fim_...|> spelling). Use "
            "code.complete with it, or choose a FIM-trained model such as the bundled "
            "code.stdlib-llama, StarCoder2 or Qwen2.5-Coder")
    return style
