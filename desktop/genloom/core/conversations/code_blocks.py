"""Fenced code blocks in answers, and saving one as a code asset.

A block is saved by a job of the code plugin's ``code.check`` generator: it stores the code as
a code asset with the plugin's parse check in its metadata, and the answer's asset as its
input, so the lineage leads back to the answer (and through it to the conversation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genloom.core.conversations.errors import ConversationError

if TYPE_CHECKING:
    from genloom.core.jobs.engine import Engine
    from genloom.core.project import Job

__all__ = ["CHECK_GENERATOR", "CodeBlock", "code_blocks", "save_code_block"]

#: The generator that stores a code block and checks it.
CHECK_GENERATOR = "code.check"

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$",
                    re.MULTILINE)

_ALIASES = {"py": "python", "python3": "python", "js": "javascript", "ts": "typescript",
            "sh": "shell", "bash": "shell", "zsh": "shell", "c++": "cpp", "rs": "rust",
            "golang": "go"}


@dataclass(frozen=True)
class CodeBlock:
    """A fenced block: its info string's language (lower case, "" if none) and its code."""

    language: str
    code: str
    start: int  # character offsets of the whole block, fences included
    end: int


def code_blocks(text: str) -> list[CodeBlock]:
    """The fenced code blocks of a Markdown text, in order; a block still open at the end
    (an answer being written) runs to the end."""
    blocks: list[CodeBlock] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks
        fence = opening["fence"]
        body_start = opening.end() + 1
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$",
                             re.MULTILINE).search(text, body_start)
        body_end = closing.start() if closing else len(text)
        end = closing.end() if closing else len(text)
        code = text[body_start:body_end] if body_start <= body_end else ""
        language = (opening["info"].split() or [""])[0].lower()
        blocks.append(CodeBlock(_ALIASES.get(language, language), code.rstrip("\n"),
                                opening.start(), end))
        position = max(end, opening.end() + 1)


def save_code_block(engine: Engine, answer_asset_id: int | None, block: CodeBlock) -> Job:
    """Queue the job that stores ``block`` as a code asset, checked, made from the answer."""
    spec = engine.plugins.generators.get(CHECK_GENERATOR)
    if spec is None:
        raise ConversationError(f"saving code needs the code plugin's {CHECK_GENERATOR} "
                                "generator; enable the code plugin in the plugin list")
    choices = getattr(spec.param("language"), "choices", ())
    language = block.language if block.language in choices else "other"
    inputs = {"source": answer_asset_id} if answer_asset_id is not None else {}
    (job,) = engine.submit(CHECK_GENERATOR, {"code": block.code, "language": language},
                           inputs=inputs)
    return job
