"""Opening model weights the safe way: the SDK's :func:`genloom.sdk.formats.load_state_dict`.

Kept here for core code that imported it from the model library; plugins use the SDK's.
"""

from __future__ import annotations

from genloom.sdk.formats import load_state_dict

__all__ = ["load_state_dict"]
