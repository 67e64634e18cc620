"""User model folders: recognised, found in the HF cache, loaded offline, pickle refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from genloom.sdk import InputError, ModelRef, PickleRefusedError
from genloom.sdk.lm.model_folder import MODEL_KIND
from genloom_text.identify import identify_text_model as identify


def _copy(ref: ModelRef, dest: Path) -> Path:
    shutil.copytree(ref.path, dest)
    return dest


def test_identify_recognises_a_causal_lm_folder_from_its_config_only(tiny_llama, tiny_gpt2):
    llama = identify(Path(tiny_llama.path))
    assert llama.kind == MODEL_KIND and llama.architecture == "Llama"
    assert llama.format == "safetensors"
    assert llama.details["chat_template"] is True
    assert identify(Path(tiny_gpt2.path)).architecture == "GPT-2"


def test_identify_ignores_folders_that_are_not_language_models(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    assert identify(tmp_path) is None
    assert identify(tmp_path / "missing") is None


def test_pickle_weights_are_refused_with_an_explanation(runner, tiny_gpt2, tmp_path):
    folder = _copy(tiny_gpt2, tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")
    assert "pickle" in identify(folder).format
    with pytest.raises(PickleRefusedError, match="pickle-based file .* unpickling can run any "
                                                 "code .* allow-pickle"):
        runner("text.complete", ModelRef(id="p", path=str(folder), source="user"))


def test_an_allowed_pickle_file_is_opened_with_weights_only_loading(runner, tiny_gpt2, tmp_path):
    import torch
    from safetensors.torch import load_file

    folder = _copy(tiny_gpt2, tmp_path / "allowed")
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    ref = ModelRef(id="a", path=str(folder), source="user", allow_pickle=True)
    (out,), _ = runner("text.complete", ref).run(prompt="Safe", max_new_tokens=4)
    assert out.text.startswith("Safe")


def test_folder_without_weights_or_config_gets_a_clear_error(runner, tiny_gpt2, tmp_path):
    folder = _copy(tiny_gpt2, tmp_path / "noweights")
    (folder / "model.safetensors").unlink()
    with pytest.raises(InputError, match="no weights"):
        runner("text.complete", ModelRef(id="n", path=str(folder)))
    with pytest.raises(InputError, match="no readable config.json"):
        runner("text.complete", ModelRef(id="n", path=str(tmp_path)))


def test_a_model_in_the_hugging_face_cache_loads_offline(runner, tiny_llama, tmp_path,
                                                        monkeypatch):
    repo = tmp_path / "hub" / "models--genloom--tiny-llama"
    _copy(tiny_llama, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home-that-does-not-exist"))
    run = runner("text.complete", ModelRef(id="cache", path=str(repo), source="user"))
    (out,), _ = run.run(prompt="Cached", max_new_tokens=4)
    assert out.text.startswith("Cached")
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_cpu_runs_in_float32_whatever_the_weights_are_stored_in(runner, tiny_llama):
    run = runner("text.complete", tiny_llama)
    (out,), _ = run.run(prompt="x", max_new_tokens=2)
    assert out.metadata["dtype"] == "float32"


def test_an_allowed_gpt2_pickle_with_the_original_key_layout_loads_every_weight(runner, tmp_path):
    """openai-community/gpt2 ships ``wte.weight``, ``h.0...`` without the ``transformer.`` prefix;
    the plugin loads it through transformers' own key mapping, as transformers' loader does."""
    import torch
    from transformers import GPT2LMHeadModel

    from tests.core.models import builders

    folder = builders.gpt2_pickle_original_keys(tmp_path / "gpt2-original")
    ref = ModelRef(id="g", path=str(folder), source="user", allow_pickle=True)
    run = runner("text.complete", ref)
    ours = run.generator.backend("torch").model
    reference = GPT2LMHeadModel.from_pretrained(folder, use_safetensors=False)  # our own trusted file
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        expected = reference(ids).logits
    with torch.no_grad():
        assert torch.allclose(ours(ids).logits, expected)  # every weight loaded, none random
    (out,), _ = run.run(prompt="The", max_new_tokens=6, temperature=0)
    (again,), _ = run.run(prompt="The", max_new_tokens=6, temperature=0)
    assert out.text == again.text and out.text.startswith("The")
    assert len(state) == len(reference.transformer.state_dict())


def test_a_pickle_whose_keys_do_not_fit_the_config_fails_loudly(runner, tmp_path):
    import torch

    from tests.core.models import builders

    folder = builders.gpt2_pickle_original_keys(tmp_path / "gpt2-broken")
    state = torch.load(folder / "pytorch_model.bin", weights_only=True)
    del state["h.1.mlp.c_fc.weight"]
    state["extra.weight"] = torch.zeros(2)
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(InputError, match=r"pytorch_model.bin does not fit the GPT2LMHeadModel model .* weights "
                                         r"1 missing \(transformer.h.1.mlp.c_fc.weight\); 1 unexpected "
                                         r"\(extra.weight\)"):
        runner("text.complete", ModelRef(id="b", path=str(folder), source="user", allow_pickle=True))
