"""The GAN and VAE model folders: their format, their vocabulary, and how to recognise them.

Pure Python and numpy (no torch): the model library's identification, the generators'
``check`` and both backends share it. A folder holds

- ``config.json``: ``{"genloom_model": "icon-gan" | "icon-vae", "format_version": 1,
  "image_size": 64, "latent_dim": ..., "embed_dim": ..., "channels": [...],
  "vocabulary": [...], ...}``;
- ``model.safetensors``: the torch weights (generator only for a GAN; encoder and
  decoder for a VAE), float32;
- ``onnx/``: the same networks exported to ONNX (``generator.onnx``; ``encoder.onnx``
  and ``decoder.onnx``), for the onnxruntime backend.

A caption becomes a bag of words over the vocabulary the model was trained with (the
words of its training captions): a vector of ``len(vocabulary)`` with ``1/n`` at each of
the ``n`` known words. Unknown words are left out and reported; a caption with no known
word is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genloom.sdk.errors import ParameterError
from genloom.sdk.formats import ModelFormatError, read_json_config, read_safetensors_header
from genloom.sdk.models import ModelMatch

FORMAT_VERSION = 1
#: ``genloom_model`` in config.json -> (model kind, readable architecture).
FAMILIES: dict[str, tuple[str, str]] = {
    "icon-gan": ("icon-gan", "Conditional GAN (DCGAN-style, projection discriminator)"),
    "icon-vae": ("icon-vae", "Conditional VAE"),
}
GAN_KIND, VAE_KIND = "icon-gan", "icon-vae"
#: ONNX files each family's onnxruntime backend needs.
ONNX_FILES: dict[str, tuple[str, ...]] = {"icon-gan": ("generator.onnx",),
                                          "icon-vae": ("encoder.onnx", "decoder.onnx")}
WEIGHTS = "model.safetensors"
_WORD = re.compile(r"[a-z0-9]+")
_REQUIRED_INTS = ("image_size", "latent_dim", "embed_dim")


def words_of(caption: str) -> list[str]:
    """The words of a caption as the vocabulary holds them: lower case letters and digits."""
    return _WORD.findall(caption.lower())


@dataclass(frozen=True)
class FamilyConfig:
    """A checked ``config.json`` of a GAN or VAE folder."""

    family: str
    image_size: int
    latent_dim: int
    embed_dim: int
    channels: tuple[int, ...]
    vocabulary: tuple[str, ...]
    raw: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return FAMILIES[self.family][0]

    def bag_of_words(self, captions: Sequence[str], param: str = "prompt", strict: bool = True
                     ) -> tuple[Any, list[list[str]]]:
        """``(bags, ignored)``: a ``(len(captions), len(vocabulary))`` float32 array, and the
        unknown words left out of each caption. An empty caption is an all-zero bag (the
        unconditioned model, which training sees for a share of the images).

        :raises ParameterError: a caption has words but none the model knows (with ``strict``;
            without, such a caption gets the empty bag, as a script scoring many captions wants).
        """
        import numpy as np

        index = {word: i for i, word in enumerate(self.vocabulary)}
        bags = np.zeros((len(captions), len(self.vocabulary)), dtype=np.float32)
        ignored: list[list[str]] = []
        for row, caption in enumerate(captions):
            words = words_of(caption)
            known = [index[w] for w in words if w in index]
            unknown = sorted({w for w in words if w not in index})
            if words and not known and strict:
                raise ParameterError(
                    param, caption,
                    f"has no word this model knows (unknown: {', '.join(unknown[:12])}"
                    f"{', ...' if len(unknown) > 12 else ''})",
                    f"use words from its training captions, such as {', '.join(self.example_words())}")
            for i in known:
                bags[row, i] += 1.0 / len(known)
            ignored.append(unknown)
        return bags, ignored

    def example_words(self, count: int = 12) -> list[str]:
        """Some known words to suggest (the vocabulary is stored most frequent first)."""
        return list(self.vocabulary[:count])


def parse_config(data: Any, where: str = "config.json") -> FamilyConfig:
    """Check a folder's configuration; :raises ModelFormatError: naming what is wrong."""
    if not isinstance(data, Mapping):
        raise ModelFormatError(f"{where} is not a JSON object")
    family = data.get("genloom_model")
    if family not in FAMILIES:
        raise ModelFormatError(f"{where}: genloom_model is {family!r}, not one of {', '.join(FAMILIES)}")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFormatError(f"{where}: format_version is {version!r}; this Genloom reads version "
                               f"{FORMAT_VERSION} (a newer Genloom may read this folder)")
    for key in _REQUIRED_INTS:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4096:
            raise ModelFormatError(f"{where}: {key} is {value!r}, not a whole number from 1 to 4096")
    channels = data.get("channels")
    if (not isinstance(channels, list) or not channels
            or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= 4096 for c in channels)):
        raise ModelFormatError(f"{where}: channels is {channels!r}, not a list of whole numbers")
    if data["image_size"] != 4 * 2 ** (len(channels) - 1):
        raise ModelFormatError(f"{where}: image_size {data['image_size']} does not match {len(channels)} "
                               f"channel stages (which make {4 * 2 ** (len(channels) - 1)} pixels)")
    vocabulary = data.get("vocabulary")
    if (not isinstance(vocabulary, list) or not vocabulary
            or not all(isinstance(w, str) and _WORD.fullmatch(w) for w in vocabulary)
            or len(set(vocabulary)) != len(vocabulary)):
        raise ModelFormatError(f"{where}: vocabulary is not a list of distinct lower-case words")
    return FamilyConfig(family=family, image_size=data["image_size"], latent_dim=data["latent_dim"],
                        embed_dim=data["embed_dim"], channels=tuple(channels), vocabulary=tuple(vocabulary),
                        raw=dict(data))


def read_config(folder: Path) -> FamilyConfig:
    """The checked configuration of the model folder ``folder``.

    :raises ModelFormatError: no readable ``config.json``, or one that is not a GAN/VAE's.
    """
    path = Path(folder) / "config.json"
    data = read_json_config(path)
    if data is None:
        raise ModelFormatError(f"{path} is missing or is not valid JSON")
    return parse_config(data, where=str(path))


def check_weights(folder: Path, config: FamilyConfig) -> dict[str, Any]:
    """The safetensors header of the folder's weights, checked against the configuration
    (its vocabulary and latent width appear in the first layer's shape).

    :raises ModelFormatError: missing, truncated or not matching the configuration.
    """
    path = Path(folder) / WEIGHTS
    if not path.is_file():
        raise ModelFormatError(f"{path} is missing: the folder has a configuration but no weights")
    header = read_safetensors_header(path)
    first = "decoder.embed.weight"
    entry = header.get(first)
    if not isinstance(entry, Mapping):
        raise ModelFormatError(f"{path} has no tensor {first}: it is not the weights of a "
                               f"{config.family} folder")
    if list(entry.get("shape", [])) != [config.embed_dim, len(config.vocabulary)]:
        raise ModelFormatError(f"{path}: {first} has shape {entry.get('shape')}, but config.json says "
                               f"[{config.embed_dim}, {len(config.vocabulary)}] (embed_dim, vocabulary): "
                               "the weights and the configuration are from different models")
    if config.family == "icon-vae" and "encoder.mean.weight" not in header:
        raise ModelFormatError(f"{path} has no encoder (encoder.mean.weight): a VAE folder needs both halves")
    return header


def identify_family_folder(path: Path) -> ModelMatch | None:
    """A GAN or VAE folder (``config.json`` naming ``genloom_model``), or None.

    A folder that says it is one but whose configuration or weights are damaged is
    matched with ``details["refused"]`` saying what is wrong.
    """
    data = read_json_config(Path(path) / "config.json")
    if not isinstance(data, Mapping) or data.get("genloom_model") not in FAMILIES:
        return None
    kind, architecture = FAMILIES[data["genloom_model"]]
    details: dict[str, Any] = {"family": data["genloom_model"]}
    try:
        config = parse_config(data, where="config.json")
        check_weights(Path(path), config)
        details.update(image_size=config.image_size, vocabulary=len(config.vocabulary))
    except (ModelFormatError, OSError) as exc:
        details["refused"] = f"it is damaged: {exc}"
    return ModelMatch(kind=kind, architecture=architecture, format="genloom-folder",
                      licence=str(data.get("licence", "")), details=details)
