"""Opening model weights the safe way, for code that holds a :class:`ModelRef`.

safetensors and ONNX open directly; a pickle-based file is refused unless
the user allowed it (``ModelRef.allow_pickle``, from the index), and even
then it goes only through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genloom.sdk.formats import ModelFormatError, is_pickle_file, refuse_pickle, safe_torch_load
from genloom.sdk.models import ModelRef

__all__ = ["load_state_dict"]


def load_state_dict(ref: ModelRef) -> dict[str, Any]:
    """The tensors of a single-file model as a dict of CPU tensors.

    :raises PickleRefusedError: a pickle file the user has not allowed, or an
        allowed one that holds more than tensors.
    :raises ModelFormatError: a file that is neither safetensors nor pickle.
    """
    path = Path(ref.path)
    if path.suffix.lower() in (".safetensors", ".sft"):
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    if is_pickle_file(path):
        refuse_pickle(path, ref.allow_pickle)
        loaded = safe_torch_load(path)
        if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
            loaded = loaded["state_dict"]
        return dict(loaded)
    raise ModelFormatError(
        f"{path} is not a single-file checkpoint Genloom opens as tensors (use .safetensors); "
        f"its model kind is {ref.kind or 'unknown'}"
    )
