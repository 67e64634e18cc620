"""Text to the sentences a voice reads one at a time, with the pause after each.

One owner for how text is cut (all speech backends use it): paragraphs at blank
lines, sentences at ``.``, ``!`` and ``?`` (not after common abbreviations such
as "Dr."), with commas, semicolons and colons left inside the sentence for the
voice to pause on. A sentence that ends a paragraph is followed by twice the pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genloom_audio.speech_espeak import split_clauses

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Sentence:
    text: str
    #: How many sentence pauses follow it: 1, or 2 at the end of a paragraph.
    pause_factor: float


def sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order; none for text without words."""
    result: list[Sentence] = []
    for paragraph in _PARAGRAPH.split(text):
        current: list[str] = []
        clauses = split_clauses(paragraph)
        for words, mark in clauses:
            current.append(words + mark)
            if mark in ".!?":
                result.append(Sentence(" ".join(current), 1.0))
                current = []
        if current:
            result.append(Sentence(" ".join(current), 1.0))
        if result and clauses:
            result[-1] = Sentence(result[-1].text, 2.0)
    return [s for s in result if any(ch.isalnum() for ch in s.text)]
