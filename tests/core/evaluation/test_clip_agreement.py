"""Prompt agreement is offered only with a CLIP-family model in the library; a tiny CLIP
built from a config (with the bundled text model's tokenizer) stands in for a real one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from genloom.core.evaluation.image_metrics import clip_agreement
from genloom.core.evaluation.job import applicable_metrics, model_choices
from genloom.sdk.errors import InputError
from genloom.sdk.metrics import MetricAsset, MetricContext

TOKENIZER = Path(__file__).parents[3] / "plugins" / "genloom_text" / "models" / "fortune-llama"


def tiny_clip(folder: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, CLIPConfig, CLIPModel

    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(TOKENIZER / name, folder / name)
    vocab = len(AutoTokenizer.from_pretrained(str(folder)))
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"vocab_size": vocab, "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 2, "num_attention_heads": 2, "max_position_embeddings": 64,
                     "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        projection_dim=16)
    CLIPModel(config).save_pretrained(str(folder), safe_serialization=True)
    return folder


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


def test_agreement_is_a_cosine_on_the_clipscore_scale(clip_folder: Path, tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    context = MetricContext(models={"clip": clip_folder}, scratch=tmp_path)
    asset = MetricAsset(1, "image", tmp_path / "a.png", prompt="red heart")
    value = clip_agreement(asset, context)
    assert value is not None and 0.0 <= value <= 100.0
    assert clip_agreement(asset, context) == value  # deterministic, model cached
    assert clip_agreement(MetricAsset(1, "image", tmp_path / "a.png"), context) is None
    with pytest.raises(InputError, match="no CLIP-family model"):
        clip_agreement(asset, MetricContext(scratch=tmp_path))


def test_prompt_agreement_is_offered_only_with_a_clip_model_in_the_library(
        clip_folder: Path, genloom_plugins: Any, genloom_project: Any) -> None:
    from genloom.core.models import ModelLibrary

    plugins = genloom_plugins(modules=["genloom_image.plugin"])
    image = genloom_project.add_asset(b"x", kind="image", suffix=".png")
    library = ModelLibrary(plugins, hf_cache=False)
    offered = {m.id for m in applicable_metrics(plugins.all_metrics(), [image],
                                                model_choices(plugins, library))}
    assert "genloom.clip_agreement" not in offered and "genloom.sharpness" in offered
    library.adopt(clip_folder)
    choices = model_choices(plugins, library)
    assert choices["clip"]["source"] == "library"
    offered = {m.id for m in applicable_metrics(plugins.all_metrics(), [image], choices)}
    assert "genloom.clip_agreement" in offered
