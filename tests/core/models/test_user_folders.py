"""What users with real model folders bring: custom code, pickle-only folders, changed
cache files, ONNX with external weights, configs without weights, video and audio models.

Every model is a tiny real one, written by the real tools in the test; the pickles
would create a marker file if anything ever unpickled them with code allowed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from genloom.core.models import ModelLibrary, resolve_model
from genloom.sdk.errors import GenloomError
from tests.core.models import builders


@pytest.fixture
def real_library(genloom_plugins, hf_cache):
    """A library with the built-in image and text plugins (their real identify hooks)."""
    lib = ModelLibrary(genloom_plugins(modules=["genloom_image.plugin", "genloom_text.plugin"]))
    yield lib
    lib.close()


@pytest.fixture(scope="session")
def gpt2_pickle_template(tmp_path_factory) -> Path:
    return builders.gpt2_pickle_original_keys(tmp_path_factory.mktemp("gpt2-pickle") / "gpt2-pickle")


def _scan(library: ModelLibrary, folder: Path) -> None:
    library.add_folder(folder)
    library.scan([str(folder.resolve())])


# -- 1. folders with their own code ------------------------------------------------------------


@pytest.mark.parametrize("config", ["config.json", "tokenizer_config.json"])
def test_a_folder_whose_config_maps_to_its_own_code_is_refused_at_identification(real_library, model_templates,
                                                                                 tmp_path, config):
    folder = tmp_path / "models" / "custom"
    shutil.copytree(model_templates / "tree" / "llm" / "llama-tiny", folder)
    if config == "tokenizer_config.json":
        (folder / config).write_text('{"model_max_length": 32}')
    marker = tmp_path / "CODE-RAN"
    builders.with_custom_code(folder, marker, config)
    _scan(real_library, tmp_path / "models")
    entry = real_library.get(str(folder))
    assert entry.status == "refused"
    assert "contains its own code" in entry.reason and "Genloom does not run model code" in entry.reason
    assert f"{config}: auto_map" in entry.reason
    assert real_library.models(status="refused") == [entry]
    assert not marker.exists()


def test_a_diffusers_folder_with_a_component_from_its_own_module_is_refused(real_library, model_templates, tmp_path):
    folder = tmp_path / "models" / "sd-custom"
    shutil.copytree(model_templates / "tree" / "diffusers" / "sd-tiny", folder)
    index = (folder / "model_index.json").read_text().replace('"diffusers",\n    "UNet2DConditionModel"',
                                                              '"my_unet",\n    "MyUNet"')
    assert "my_unet" in index
    (folder / "model_index.json").write_text(index)
    _scan(real_library, tmp_path / "models")
    entry = real_library.get(str(folder))
    assert entry.status == "refused" and "component unet from my_unet.py" in entry.reason


# -- 2. consent by content hash, however the model is named --------------------------------------


def test_allowing_the_pickle_file_a_folder_refusal_names_allows_the_folder_by_any_name(real_library,
                                                                                        gpt2_pickle_template,
                                                                                        tmp_path):
    folder = tmp_path / "models" / "gpt2-pickle"
    shutil.copytree(gpt2_pickle_template, folder)
    _scan(real_library, tmp_path / "models")
    entry = real_library.get(str(folder))
    assert entry.status == "refused" and entry.details["refused"]
    assert f"`genloom models allow-pickle {folder}`" in entry.reason

    # The file the plugin's refusal names (refuse_pickle names the weight file itself).
    allowed = real_library.allow_pickle(str(folder / "pytorch_model.bin"))
    assert allowed.hash == entry.hash and allowed.status == "ok" and allowed.allow_pickle
    for name in (str(folder), entry.id, entry.hash, entry.title):
        resolved = resolve_model(name, real_library)
        assert resolved.allow_pickle and resolved.ref.hash == entry.hash, name
    assert real_library.pickle_consent(real_library.model_ref(entry.id))

    real_library.allow_pickle(entry.id, allowed=False)
    assert real_library.get(entry.title).status == "refused"
    again = real_library.allow_pickle(str(folder))  # the folder itself: all its pickle weights
    assert again.status == "ok" and again.reason.startswith("pickle allowed by you")


def test_a_folder_not_yet_in_the_library_can_be_allowed_by_its_path(real_library, gpt2_pickle_template, tmp_path):
    folder = tmp_path / "elsewhere" / "gpt2-pickle"
    shutil.copytree(gpt2_pickle_template, folder)
    entry = real_library.allow_pickle(str(folder))
    assert entry.locations[0].path == str(folder) and entry.status == "ok" and entry.allow_pickle


def test_a_single_pickle_file_allowed_by_path_is_allowed_by_path_id_and_title(library, model_tree, pickle_marker):
    library.add_folder(model_tree)
    library.scan()
    evil = model_tree / "single-file" / "evil.ckpt"
    library.allow_pickle(str(evil))
    for name in (str(evil), library.get(str(evil)).id, "evil.ckpt"):
        assert resolve_model(name, library).allow_pickle, name
    assert not pickle_marker.exists()


def test_allowing_a_model_that_has_no_pickle_says_so_in_plain_words(real_library, model_tree):
    _scan(real_library, model_tree)
    with pytest.raises(GenloomError, match=r"sd-tiny \([0-9a-f]{12}\) has no pickle weights \(its format is "
                                           r"diffusers-folder\); only pickle-based models need allowing"):
        real_library.allow_pickle(str(model_tree / "diffusers" / "sd-tiny"))


# -- 5. a changed file in the Hugging Face cache ---------------------------------------------------


def test_a_changed_file_in_the_hf_cache_is_rehashed_and_loses_its_permission(library, tmp_path, hf_cache):
    import torch

    source = tmp_path / "ckpt-repo"
    source.mkdir()
    torch.save({"w": torch.ones(4)}, source / "model.ckpt")
    snapshot = builders.hf_cache_repo(hf_cache, "org/old-ckpt", source)
    library.scan()
    entry = library.get("org/old-ckpt/model.ckpt")
    library.allow_pickle(entry.id)
    assert library.get(entry.id).allow_pickle

    # The blob is rewritten through the snapshot's link (another tool, or the user, changed it).
    link = snapshot / "model.ckpt"
    torch.save({"w": torch.zeros(40), "v": torch.ones(3)}, link.resolve())
    os.utime(link.resolve(), ns=(1, 1))
    assert not library.pickle_consent(entry.to_ref())  # the worker's check, before any rescan
    library.scan()
    changed = library.get(str(link))
    assert changed.hash != entry.hash
    assert changed.size == link.stat().st_size != entry.size
    assert changed.status == "refused" and not changed.allow_pickle


def test_a_changed_safetensors_file_in_the_hf_cache_changes_the_models_identity(library, hf_cache):
    library.scan()
    before = library.get("org/tiny-llama")
    weights = Path(before.path) / "model.safetensors"
    data = bytearray(weights.resolve().read_bytes())
    data[-1] ^= 0xFF  # one weight byte changed; the blob keeps its name
    weights.resolve().write_bytes(bytes(data))
    library.scan()
    assert library.get("org/tiny-llama").hash != before.hash


# -- 6. ONNX with external weights -----------------------------------------------------------------


def test_onnx_models_with_equal_graphs_and_different_external_weights_are_two_models(library, tmp_path):
    first = builders.onnx_external(tmp_path / "onnx" / "a" / "model.onnx", seed=1)
    second = builders.onnx_external(tmp_path / "onnx" / "b" / "model.onnx", seed=2)
    assert first.read_bytes() == second.read_bytes()  # the graphs are the same file
    assert (first.parent / "model.onnx.data").read_bytes() != (second.parent / "model.onnx.data").read_bytes()
    _scan(library, tmp_path / "onnx")
    a, b = library.get(str(first)), library.get(str(second))
    assert a.hash != b.hash
    assert a.size == first.stat().st_size + (first.parent / "model.onnx.data").stat().st_size
    assert [m.title for m in library.models()] == ["model.onnx", "model.onnx"]  # the .data files are no models


# -- 7. the status says what will happen -----------------------------------------------------------


def test_a_diffusers_folder_with_pickle_weights_is_refused_with_the_reason(real_library, model_templates, tmp_path):
    folder = tmp_path / "models" / "sd-pickle"
    shutil.copytree(model_templates / "tree" / "diffusers" / "sd-tiny", folder)
    builders.pickle_weights_only(folder)
    _scan(real_library, tmp_path / "models")
    entry = real_library.get(str(folder))
    assert entry.status == "refused"
    assert "pickle files (text_encoder/pytorch_model.bin, unet/diffusion_pytorch_model.bin" in entry.reason
    with pytest.raises(GenloomError, match="refused, but not for pickle weights"):
        real_library.allow_pickle(entry.id)


def test_a_configs_only_hf_repo_is_listed_as_unable_to_generate(real_library, model_templates, tmp_path, hf_cache):
    configs = builders.configs_only(model_templates / "tree" / "diffusers" / "sd-tiny", tmp_path / "configs")
    builders.hf_cache_repo(hf_cache, "org/sd-configs", configs)
    real_library.scan()
    entry = real_library.get("org/sd-configs")
    assert entry.status == "refused" and "only configuration files, no weights" in entry.reason


def test_the_pickle_only_transformers_folder_carries_the_refused_note(real_library, gpt2_pickle_template, tmp_path):
    folder = tmp_path / "models" / "gpt2-pickle"
    shutil.copytree(gpt2_pickle_template, folder)
    _scan(real_library, tmp_path / "models")
    entry = real_library.get(str(folder))
    assert (entry.kind, entry.architecture, entry.format, entry.status) == (
        "transformers-causal-lm", "GPT-2", "pickle", "refused")
    assert entry.details["refused"] == entry.reason
    assert entry.details["pickle_files"] == {"pytorch_model.bin": builders.tree_digest(folder)["pytorch_model.bin"]}


# -- 10. video and audio models no plugin generates with yet ------------------------------------


def test_motion_adapter_vits_and_musicgen_folders_are_identified_with_their_architecture(
        genloom_plugins, hf_cache, tmp_path):
    real_library = ModelLibrary(genloom_plugins(modules=["genloom_image.plugin", "genloom_text.plugin",
                                                         "genloom_audio.plugin"]))
    root = tmp_path / "models"
    builders.motion_adapter(root / "animatediff")
    builders.vits(root / "tts")
    builders.musicgen(root / "music")
    _scan(real_library, root)
    user_models = [m for m in real_library.models() if m.source != "bundled"]  # bundled: always listed
    found = {m.title: (m.kind, m.architecture, m.status, m.details.get("modality"), m.details.get("plugin"))
             for m in user_models}
    assert found == {
        "animatediff": ("motion-adapter", "AnimateDiff MotionAdapter", "unsupported", "video", "none yet"),
        # VITS and MusicGen are claimed by the audio plugin (audio.speech, audio.text_to_music).
        "tts": ("transformers-tts", "VITS", "ok", "audio", None),
        "music": ("musicgen", "MusicGen", "ok", "audio", None),
    }
    for entry in user_models:
        if entry.title in ("tts", "music"):
            assert entry.plugins == ("audio",)
            continue
        assert "no installed plugin generates" in entry.reason and "transformers model" not in entry.reason
    real_library.close()
