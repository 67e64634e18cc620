"""Fixtures for the model library tests: a tree of tiny real-format models.

The models are built once per session (the diffusers folder takes a few
seconds to make) and copied into each test's own folder, so a test may move,
change or delete them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from genloom.core.models import ModelLibrary
from tests.core.models import builders

MODEL_PLUGINS = Path(__file__).resolve().parents[2] / "fixtures" / "model_plugins"


@pytest.fixture(scope="session")
def onnx_file(tmp_path_factory) -> Path:
    """A real ONNX file: a 3->2 linear layer exported by torch (input ``x``)."""
    return builders.onnx_model(tmp_path_factory.mktemp("onnx") / "linear.onnx")


@pytest.fixture(scope="session")
def model_templates(tmp_path_factory, onnx_file) -> Path:
    """One of each model format, built once; tests copy it (see ``model_tree``)."""
    root = tmp_path_factory.mktemp("model-templates")
    tree = root / "tree"
    builders.diffusers_sd(tree / "diffusers" / "sd-tiny")
    builders.llama(tree / "llm" / "llama-tiny", card_licence="apache-2.0")
    builders.kohya_lora(tree / "lora" / "style.safetensors")
    builders.sd1_checkpoint(tree / "single-file" / "sd1.safetensors")
    builders.unknown_safetensors(tree / "misc" / "mystery.safetensors")
    builders.malicious_pickle(tree / "single-file" / "evil.ckpt", root / "PWNED")
    shutil.copy(onnx_file, tree / "misc" / "linear.onnx")
    (tree / "misc" / "notes.txt").write_text("not a model")
    (tree / "misc" / "preview.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return root


@pytest.fixture
def pickle_marker(model_templates) -> Path:
    """The file the malicious pickle's payload would create if it ever ran."""
    return model_templates / "PWNED"


@pytest.fixture
def model_tree(tmp_path, model_templates) -> Path:
    """This test's own copy of the model tree."""
    tree = tmp_path / "models"
    shutil.copytree(model_templates / "tree", tree, symlinks=True)
    return tree


@pytest.fixture
def hf_cache(tmp_path, model_templates, monkeypatch) -> Path:
    """A Hugging Face hub cache (HF_HUB_CACHE) holding the tiny Llama as ``org/tiny-llama``."""
    cache = tmp_path / "hf-home" / "hub"
    builders.hf_cache_repo(cache, "org/tiny-llama", model_templates / "tree" / "llm" / "llama-tiny")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


@pytest.fixture
def model_plugins(genloom_plugins):
    """The test plugin whose identify hook calls the image and text recognisers."""
    return genloom_plugins(dirs=[MODEL_PLUGINS])


@pytest.fixture
def library(model_plugins, hf_cache) -> Iterator[ModelLibrary]:
    """A library with the test plugin, its index in this test's GENLOOM_HOME."""
    lib = ModelLibrary(model_plugins)
    yield lib
    lib.close()
