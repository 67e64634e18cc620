"""The naming rules a plugin's generators keep: their modalities and the form of their ids.

A module of its own, importing nothing heavy, so a plugin's manifest can be checked
against the rules without loading the generator specification machinery
(:mod:`genloom.sdk.spec` re-exports both names).
"""

from __future__ import annotations

import re

__all__ = ["ID_PATTERN", "MODALITIES"]

#: The five kinds of media Genloom generates and stores.
MODALITIES: tuple[str, ...] = ("text", "image", "audio", "video", "code")

#: The form of a generator id: dotted lower case, ``<plugin>.<generator>``. Since API 1.2.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_-]*)+$")
