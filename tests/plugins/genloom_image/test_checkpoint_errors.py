"""Single-file checkpoints that cannot load report their first real cause, not a missing config."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.sdk import ModelFormatError, ModelRef, PickleRefusedError
from tests.core.models import builders

SD15_CONFIGS = "stable-diffusion-v1-5/stable-diffusion-v1-5"


@pytest.fixture
def configs_in_cache(tmp_path, tiny_sd, monkeypatch) -> Path:
    """The SD 1.5 pipeline configuration (configs only, no weights) in a Hugging Face cache."""
    cache = tmp_path / "hf" / "hub"
    configs = builders.configs_only(Path(tiny_sd.path), tmp_path / "configs")
    builders.hf_cache_repo(cache, SD15_CONFIGS, configs)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads the variable once, at its import (the worker sets it before)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    return cache


def _load(image_plugins, path: Path) -> None:
    generator = image_plugins.generator("image.text_to_image").factory()
    # allow_pickle as the worker sets it for a file the user allowed in the model library
    generator.load(ModelRef(id="m", path=str(path), allow_pickle=True), "cpu", "float32")


def test_an_allowed_malicious_ckpt_reports_what_weights_only_loading_refused(image_plugins, configs_in_cache,
                                                                            tmp_path):
    from huggingface_hub import try_to_load_from_cache

    assert isinstance(try_to_load_from_cache(SD15_CONFIGS, "model_index.json"), str)
    marker = tmp_path / "PWNED"
    path = builders.malicious_pickle(tmp_path / "evil.ckpt", marker)
    with pytest.raises(PickleRefusedError) as caught:
        _load(image_plugins, path)
    message = str(caught.value)
    assert "GLOBAL posix.system" in message and "Nothing in the file was run" in message
    assert "huggingface-cli" not in message and "configuration" not in message
    assert not marker.exists()


def test_a_corrupt_ckpt_is_reported_as_damaged(image_plugins, configs_in_cache, tmp_path):
    path = tmp_path / "broken.ckpt"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    with pytest.raises(ModelFormatError, match=r"broken.ckpt cannot be read as a checkpoint, so it is damaged"):
        _load(image_plugins, path)


def test_a_truncated_safetensors_checkpoint_is_reported_as_truncated(image_plugins, configs_in_cache, tmp_path):
    path = builders.sd1_checkpoint(tmp_path / "sd1.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[:-10])
    with pytest.raises(ModelFormatError, match=r"sd1.safetensors: tensor .* truncated or corrupt"):
        _load(image_plugins, path)
