"""Other apps' folders, GGUF files and the index file itself."""

from __future__ import annotations

import sqlite3

import pytest

from genloom.core.models import ModelLibrary
from genloom.core.models.gguf import read_gguf_metadata
from genloom.core.models.index import ModelIndex, ModelIndexError
from genloom.core.models.layouts import detect_layout
from tests.core.models import builders


def _comfyui_install(root):
    (root / "comfy").mkdir(parents=True)
    for name in ("checkpoints", "loras", "vae"):
        (root / "models" / name).mkdir(parents=True)
        (root / "models" / name / f"put_{name}_here").write_text("")
    (root / "custom_nodes" / "node" / "weights").mkdir(parents=True)
    builders.sd1_checkpoint(root / "custom_nodes" / "node" / "weights" / "internal.safetensors")
    builders.sd1_checkpoint(root / "models" / "checkpoints" / "sd1.safetensors")
    builders.unknown_safetensors(root / "models" / "loras" / "odd.safetensors")
    return root


def test_a_comfyui_install_is_scanned_only_in_its_models_folder_with_hints(library, tmp_path):
    root = _comfyui_install(tmp_path / "ComfyUI")
    assert library.add_folder(root).layout == "comfyui"
    library.scan()
    titles = {m.title: m for m in library.models() if m.source == "folder"}
    assert set(titles) == {"sd1.safetensors", "odd.safetensors"}  # not the custom node's file
    assert titles["odd.safetensors"].details["hint"] == "lora"
    assert "found in a folder meant for lora models" in titles["odd.safetensors"].reason


def test_an_automatic1111_install_scans_its_model_folders_and_embeddings(tmp_path):
    root = tmp_path / "webui"
    (root / "models" / "Stable-diffusion").mkdir(parents=True)
    (root / "models" / "Lora").mkdir(parents=True)
    (root / "embeddings").mkdir()
    (root / "extensions" / "x").mkdir(parents=True)
    layout = detect_layout(root)
    assert layout.name == "a1111"
    assert {(f.path.name, f.hint, f.recursive) for f in layout.folders} == {
        ("models", "", False),  # the files directly in models/
        ("Stable-diffusion", "sd-checkpoint", True), ("Lora", "lora", True), ("embeddings", "embedding", True)}


def test_an_invokeai_root_scans_its_models_folder(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "invokeai.yaml").write_text("")
    layout = detect_layout(tmp_path)
    assert (layout.name, [f.path for f in layout.folders]) == ("invokeai", [tmp_path / "models"])


def test_a_plain_folder_is_scanned_whole(tmp_path):
    assert detect_layout(tmp_path).folders[0].path == tmp_path


def test_gguf_metadata_is_read_from_the_header(tmp_path):
    path = builders.gguf(tmp_path / "m.gguf", [("general.architecture", "llama"), ("general.name", "Tiny"),
                                       ("general.tags", ["a", "b"]), ("general.license", "mit"),
                                       ("general.file_type", 7)])
    meta = read_gguf_metadata(path)
    assert (meta["general.architecture"], meta["general.name"], meta["general.license"]) == ("llama", "Tiny", "mit")


def test_a_gguf_file_is_listed_with_its_architecture(tmp_path, model_plugins):
    (tmp_path / "gguf").mkdir()
    builders.gguf(tmp_path / "gguf" / "m.gguf", [("general.architecture", "qwen2")])
    library = ModelLibrary(model_plugins, hf_cache=False)
    library.add_folder(tmp_path / "gguf")
    library.scan()
    (model,) = library.models()
    assert (model.kind, model.architecture, model.format, model.status) == ("gguf", "qwen2", "gguf", "ok")
    library.close()


def test_a_truncated_gguf_header_is_a_clear_error(tmp_path):
    (tmp_path / "m.gguf").write_bytes(b"GGUF\x03\x00")
    with pytest.raises(Exception, match="truncated"):
        read_gguf_metadata(tmp_path / "m.gguf")


def test_an_index_from_a_newer_genloom_is_refused_untouched(tmp_path):
    path = tmp_path / "models.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(ModelIndexError, match="schema version 99, newer"):
        ModelIndex(path)


def test_a_damaged_index_says_it_can_be_rebuilt(tmp_path):
    (tmp_path / "models.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ModelIndexError, match="delete it and run `genloom models scan`"):
        ModelIndex(tmp_path / "models.sqlite")
