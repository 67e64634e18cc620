"""Where the parts of a user's speech model live on disk, derived from the model's own path.

SpeechT5 needs a second model, its HiFi-GAN vocoder, and optionally speaker
x-vectors. Neither is named by data in the model: Genloom looks in fixed places
beside the model and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from genloom.sdk.formats import read_json_config

#: Inside a SpeechT5 folder: the vocoder's folder and the speakers' x-vector files.
VOCODER_DIR = "vocoder"
SPEAKERS_DIR = "speaker_embeddings"
#: The Hugging Face cache folder of the vocoder SpeechT5 is published with.
HF_CACHE_VOCODER = "models--microsoft--speecht5_hifigan"


def _is_hifigan(folder: Path) -> bool:
    config = read_json_config(folder / "config.json") if folder.is_dir() else None
    # transformers writes "speecht5_hifigan"; microsoft/speecht5_hifigan's own config says "hifigan".
    return config is not None and config.get("model_type") in ("hifigan", "speecht5_hifigan")


def find_speecht5_vocoder(model_dir: Path) -> Path | None:
    """The HiFi-GAN folder for the SpeechT5 model in ``model_dir``, or None.

    Looked for, in order: ``<model>/vocoder``; a folder beside the model holding a
    HiFi-GAN (one whose name says ``hifigan`` first); in a Hugging Face cache, the
    snapshots of ``microsoft/speecht5_hifigan``.
    """
    inside = model_dir / VOCODER_DIR
    if _is_hifigan(inside):
        return inside
    try:
        siblings = sorted(p for p in model_dir.parent.iterdir() if p != model_dir)
    except OSError:
        siblings = []
    found = [p for p in siblings if _is_hifigan(p)]
    if found:
        named = [p for p in found if "hifigan" in p.name.lower()]
        return (named or found)[0]
    # .../models--org--name/snapshots/<revision> in a Hugging Face cache
    if model_dir.parent.name == "snapshots" and model_dir.parent.parent.name.startswith("models--"):
        snapshots = model_dir.parents[2] / HF_CACHE_VOCODER / "snapshots"
        if snapshots.is_dir():
            for candidate in sorted(snapshots.iterdir()):
                if _is_hifigan(candidate):
                    return candidate
    return None


def speaker_embedding_files(model_dir: Path) -> dict[str, Path]:
    """``name -> file`` of the x-vectors (``.npy``, 512 numbers) in ``<model>/speaker_embeddings``."""
    folder = model_dir / SPEAKERS_DIR
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.npy")) if p.is_file()}
