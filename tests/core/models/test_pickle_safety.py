"""A pickle whose unpickling runs code: nothing in the library ever runs it."""

from __future__ import annotations

import json

import pytest

from genloom.core.models import load_state_dict
from genloom.sdk.formats import PickleRefusedError


def test_scanning_identifying_and_showing_a_malicious_pickle_never_runs_it(library, model_tree, pickle_marker):
    library.add_folder(model_tree)
    library.scan()
    entry = library.get("evil.ckpt")
    json.dumps(entry.to_dict())
    library.scan()
    assert entry.status == "refused"
    assert not pickle_marker.exists()


def test_loading_a_pickle_that_is_not_allowed_is_refused_before_it_is_opened(library, model_tree, pickle_marker):
    library.add_folder(model_tree)
    library.scan()
    ref = library.model_ref("evil.ckpt")
    assert ref.allow_pickle is False
    with pytest.raises(PickleRefusedError, match="genloom models allow-pickle"):
        load_state_dict(ref)
    assert not pickle_marker.exists()


def test_an_allowed_pickle_still_loads_only_through_weights_only_which_refuses_it(library, model_tree,
                                                                                  pickle_marker):
    library.add_folder(model_tree)
    library.scan()
    entry = library.allow_pickle("evil.ckpt")
    assert entry.allow_pickle and entry.status == "ok"
    ref = library.model_ref("evil.ckpt")
    assert ref.allow_pickle is True
    with pytest.raises(PickleRefusedError, match="GLOBAL posix.system.*Nothing in the file was run"):
        load_state_dict(ref)
    assert not pickle_marker.exists()


def test_an_allowed_plain_pickle_of_tensors_loads(library, tmp_path):
    import torch

    folder = tmp_path / "plain"
    folder.mkdir()
    torch.save({"state_dict": {"w": torch.ones(3)}}, folder / "ok.ckpt")
    library.add_folder(folder)
    library.scan()
    library.allow_pickle("ok.ckpt")
    assert load_state_dict(library.model_ref("ok.ckpt"))["w"].tolist() == [1.0, 1.0, 1.0]


def test_the_permission_belongs_to_the_content_not_the_path(library, tmp_path):
    import torch

    folder = tmp_path / "plain"
    folder.mkdir()
    torch.save({"w": torch.ones(1)}, folder / "ok.ckpt")
    library.add_folder(folder)
    library.scan()
    library.allow_pickle("ok.ckpt")
    torch.save({"w": torch.zeros(2)}, folder / "ok.ckpt")  # replaced by another file
    library.scan()
    ref = library.model_ref(str(folder / "ok.ckpt"))
    assert ref.allow_pickle is False


def test_only_pickle_models_can_be_allowed(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    with pytest.raises(Exception, match="only pickle-based models need allowing"):
        library.allow_pickle("style.safetensors")


def test_safetensors_load_without_any_permission(library, model_tree):
    library.add_folder(model_tree)
    library.scan()
    tensors = load_state_dict(library.model_ref("sd1.safetensors"))
    assert tensors["model.diffusion_model.input_blocks.0.0.weight"].shape == (2, 2)
