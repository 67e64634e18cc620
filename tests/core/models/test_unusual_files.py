"""Models no suffix announces, and models directly in an app's models folder: none is lost."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator

import pytest

from genloom.core.models import ModelLibrary
from genloom.core.models.index import SCHEMA_VERSION, ModelIndex
from genloom.core.models.sniff import MIN_SNIFF_BYTES, sniff_model_format
from tests.core.models import builders


@pytest.fixture
def lib(model_plugins) -> Iterator[ModelLibrary]:
    """A library with the test plugin (it recognises LoRAs and checkpoints), no HF cache."""
    library = ModelLibrary(model_plugins, hf_cache=False)
    yield library
    library.close()


def _by_title(library):
    return {m.title: m for m in library.models()}


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _safetensors(path, value: float = 0.0):
    """A real safetensors file of 512 floats (2 KB, above the sniffing threshold)."""
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"weight": torch.full((512,), value)}, str(path))
    return path


def _junk(folder):
    """Files that are not models: text without a suffix, small and large random bytes, a plain zip."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge...\n" * 60)
    (folder / "put_loras_here").write_text("")
    (folder / "tiny.dat").write_bytes(os.urandom(MIN_SNIFF_BYTES - 1))
    (folder / "noise.dat").write_bytes(os.urandom(8192))
    with zipfile.ZipFile(folder / "report.odt", "w") as archive:
        archive.writestr("content.xml", "<doc/>" * 400)
    (folder / "cache.pkl2").write_bytes(pickle.dumps({"data": list(range(2000))}, protocol=4))


# -- files directly in an app's models folder -----------------------------------------


def test_a_model_directly_in_a_comfyui_models_folder_is_listed(lib, tmp_path):
    root = tmp_path / "ComfyUI"
    (root / "comfy").mkdir(parents=True)
    builders.kohya_lora(root / "models" / "loras" / "in-folder.safetensors")
    builders.sd1_checkpoint(root / "models" / "at-root.safetensors")
    builders.sd1_checkpoint(root / "custom_nodes" / "n" / "internal.safetensors", )
    lib.add_folder(root)
    lib.scan()
    models = _by_title(lib)
    assert set(models) == {"in-folder.safetensors", "at-root.safetensors"}  # not the custom node's
    assert (models["at-root.safetensors"].kind, models["at-root.safetensors"].status) == ("sd-checkpoint", "ok")
    assert "hint" not in models["at-root.safetensors"].details
    assert models["in-folder.safetensors"].details["hint"] == "lora"


def test_a_model_directly_in_an_added_models_folder_is_listed_once(lib, tmp_path):
    models_dir = tmp_path / "models"  # a ComfyUI models folder added by itself
    for name in ("checkpoints", "loras", "vae"):
        (models_dir / name).mkdir(parents=True)
    builders.sd1_checkpoint(models_dir / "loose.safetensors")
    builders.kohya_lora(models_dir / "loras" / "style.safetensors")
    assert lib.add_folder(models_dir).layout == "comfyui"
    report = lib.scan()
    assert sorted(m.title for m in lib.models()) == ["loose.safetensors", "style.safetensors"]
    assert report.candidates == 2


def test_a_model_directly_in_an_automatic1111_models_folder_is_listed(lib, tmp_path):
    root = tmp_path / "webui"
    (root / "models" / "Stable-diffusion").mkdir(parents=True)
    (root / "webui.py").write_text("")
    builders.sd1_checkpoint(root / "models" / "v1-5.safetensors")
    lib.add_folder(root)
    lib.scan()
    assert [m.title for m in lib.models()] == ["v1-5.safetensors"]


# -- files whose suffix does not say they are models ----------------------------------


def test_a_renamed_safetensors_file_is_listed_as_unknown_with_its_hash(lib, tmp_path):
    folder = tmp_path / "downloads"
    path = _safetensors(folder / "weights.safetensors.bak")
    lib.add_folder(folder)
    lib.scan()
    (model,) = lib.models()
    assert (model.title, model.status, model.kind, model.format) == ("weights.safetensors.bak", "unknown", "",
                                                                      "safetensors")
    assert model.hash == _sha256(path)
    assert model.size == path.stat().st_size
    assert model.details["content_format"] == "safetensors"
    assert "its name ends in '.bak'" in model.reason and "rename it to end in .safetensors" in model.reason


def test_a_file_found_by_its_content_is_not_shown_to_plugins_and_can_be_typed_by_hand(lib, tmp_path):
    folder = tmp_path / "downloads"
    builders.kohya_lora(folder / "style")  # the plugin would call it a LoRA, were it named .safetensors
    lib.add_folder(folder)
    lib.scan()
    (model,) = lib.models()
    assert (model.status, model.kind, model.plugins) == ("unknown", "", ())
    assert "its name has no suffix" in model.reason
    typed = lib.set_type(model.id, "lora", architecture="SD 1.x")
    assert (typed.status, typed.kind, typed.architecture) == ("ok", "lora", "SD 1.x")


def test_a_gguf_file_without_its_suffix_is_listed_as_unknown_with_its_architecture(lib, tmp_path):
    path = builders.gguf(tmp_path / "llm" / "qwen-q4.gguf.part", [("general.architecture", "qwen2")],
                         elements=512)
    lib.add_folder(tmp_path / "llm")
    lib.scan()
    (model,) = lib.models()
    assert (model.status, model.kind, model.format, model.architecture) == ("unknown", "", "gguf", "qwen2")
    assert model.hash == _sha256(path)


def test_an_onnx_file_under_another_name_is_listed_as_unknown(lib, tmp_path):
    builders.onnx_model(tmp_path / "m" / "linear.model", features=256)  # 2 KB: the 3-input one is too small
    lib.add_folder(tmp_path / "m")
    lib.scan()
    (model,) = lib.models()
    assert (model.status, model.format) == ("unknown", "onnx")


def test_a_torch_pickle_under_another_name_is_refused_and_never_run(lib, tmp_path, pickle_marker):
    builders.malicious_pickle(tmp_path / "old" / "legacy.ckpt.bak", pickle_marker)
    lib.add_folder(tmp_path / "old")
    lib.scan()
    (model,) = lib.models()
    assert (model.kind, model.status) == ("pickle", "refused")
    assert "Pickle files can run code" in model.reason
    assert not pickle_marker.exists()


def test_text_and_junk_files_are_not_listed(lib, tmp_path):
    _junk(tmp_path / "stuff")
    lib.add_folder(tmp_path / "stuff")
    report = lib.scan()
    assert lib.models() == []
    assert report.skipped_files == 6
    assert report.sniffed_files == 4  # LICENSE, noise.dat, report.odt, cache.pkl2: the rest are too small


def test_a_file_inside_a_model_folder_belongs_to_that_folder(lib, tmp_path, model_templates):
    folder = tmp_path / "added" / "llama-tiny"
    shutil.copytree(model_templates / "tree" / "llm" / "llama-tiny", folder)
    shutil.copy(folder / "model.safetensors", folder / "model.safetensors.old")
    lib.add_folder(tmp_path / "added")
    report = lib.scan()
    (model,) = lib.models()
    assert (model.title, report.candidates, report.sniffed_files) == ("llama-tiny", 1, 0)


# -- rescans ------------------------------------------------------------------------------


def test_a_rescan_reads_no_header_of_an_unchanged_file(lib, tmp_path):
    folder = tmp_path / "mixed"
    _junk(folder)
    _safetensors(folder / "a.weights")
    builders.gguf(folder / "b", [("general.architecture", "llama")], elements=512)
    lib.add_folder(folder)
    first = lib.scan()
    assert (first.sniffed_files, len(first.new_models)) == (6, 2)
    again = lib.scan()
    assert (again.sniffed_files, again.hashed_files, again.new_models, again.missing) == (0, 0, [], [])
    assert len(lib.models()) == 2


def test_a_rescan_lists_an_added_file_and_marks_a_removed_one_missing(lib, tmp_path):
    folder = tmp_path / "mixed"
    _safetensors(folder / "a.weights")
    lib.add_folder(folder)
    lib.scan()
    added = _safetensors(folder / "b.weights", value=1.0)
    (folder / "junk.dat").write_bytes(os.urandom(4096))
    report = lib.scan()
    assert (report.sniffed_files, len(report.new_models)) == (2, 1)  # only the two new files are read
    assert _by_title(lib)["b.weights"].hash == _sha256(added)
    (folder / "a.weights").unlink()
    report = lib.scan()
    assert report.sniffed_files == 0
    assert _by_title(lib)["a.weights"].status == "missing"
    assert set(_by_title(lib)) == {"a.weights", "b.weights"}


def test_a_changed_file_is_sniffed_again(lib, tmp_path):
    folder = tmp_path / "f"
    path = folder / "was-junk"
    folder.mkdir()
    path.write_bytes(os.urandom(4096))
    lib.add_folder(folder)
    lib.scan()
    assert lib.models() == []
    _safetensors(path)  # overwritten with a model: size and mtime change
    report = lib.scan()
    assert report.sniffed_files == 1
    assert [m.format for m in lib.models()] == ["safetensors"]


# -- the sniffing rule and the index -----------------------------------------------------


def test_sniffing_names_each_model_format_from_real_files(tmp_path):
    import torch

    paths = {
        "safetensors": _safetensors(tmp_path / "a"),
        "gguf": builders.gguf(tmp_path / "b", [("general.architecture", "llama")], elements=512),
        "onnx": builders.onnx_model(tmp_path / "c", features=256),
    }
    torch.save({"w": torch.zeros(512)}, tmp_path / "d")
    paths["torch-zip"] = tmp_path / "d"
    torch.save({"w": torch.zeros(512)}, tmp_path / "e", _use_new_zipfile_serialization=False)
    paths["torch-legacy"] = tmp_path / "e"
    for expected, path in paths.items():
        assert os.path.getsize(path) >= MIN_SNIFF_BYTES, path
        assert sniff_model_format(str(path), os.path.getsize(path)) == expected


def test_sniffing_rejects_text_junk_plain_zips_and_bare_pickles(tmp_path):
    _junk(tmp_path)
    json_like = tmp_path / "header-like"  # a length prefix and a "{" but not a JSON object of tensors
    json_like.write_bytes((20).to_bytes(8, "little") + b'{"a": 1, "b": 2}    ' + os.urandom(2048))
    for path in [*tmp_path.iterdir()]:
        assert sniff_model_format(str(path), path.stat().st_size) == "", path


def test_an_index_from_before_sniffing_is_upgraded_in_place(tmp_path):
    path = tmp_path / "models.sqlite"
    ModelIndex(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO roots(path, source, added) VALUES ('/m', 'folder', 0)")
    conn.execute("DROP TABLE sniffs")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    index = ModelIndex(path)
    conn = index.connection()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert conn.execute("SELECT count(*) FROM sniffs").fetchone()[0] == 0
    assert conn.execute("SELECT path FROM roots").fetchall()[0][0] == "/m"
    index.close()
