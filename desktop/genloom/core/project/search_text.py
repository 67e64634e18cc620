"""Full-text search: what goes into the FTS5 index, and safe queries out of it.

The index (``asset_search``, rowid = asset id) holds the prompt, the text of
text and code assets (their first megabyte), the title, the notes and the tags.
User input never reaches FTS5 syntax: every word becomes a quoted prefix token,
so ``red hea`` means ``"red"* "hea"*`` and quotes, ``*``, ``NEAR``, ``-`` or
parentheses are just characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

__all__ = ["MAX_TEXT_BYTES", "TEXT_KINDS", "fts_query", "read_text_file", "search_row",
           "truncate_text"]

#: Asset kinds whose file is text, indexed for search.
TEXT_KINDS = frozenset({"text", "code"})

#: The most of an asset's text the search index keeps (UTF-8 bytes).
MAX_TEXT_BYTES = 1024 * 1024

_WORD = re.compile(r"\w+", re.UNICODE)


def truncate_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never mid-character."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def read_text_file(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """The first ``limit`` bytes of a text file, decoded leniently; "" if unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit)
    except OSError:
        return ""
    return data.decode("utf-8", errors="ignore")


def search_row(asset_id: int, *, prompt: str, text: str, title: str, notes: str,
               tags: Sequence[str]) -> tuple[int, str, str, str, str, str]:
    """The values of one ``asset_search`` row, in column order after the rowid."""
    return (asset_id, prompt, truncate_text(text), title, notes, " ".join(tags))


def fts_query(query: str) -> str:
    """An FTS5 MATCH expression for plain user words: each word, quoted, as a prefix.

    Returns "" when ``query`` holds no word characters (nothing to search for).
    Words are joined with implicit AND, so every word must match.
    """
    return " ".join(f'"{word}"*' for word in _WORD.findall(query))
