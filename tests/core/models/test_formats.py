"""genloom.sdk.formats: safetensors headers, pickle refusal, weights-only loading."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from genloom.sdk.formats import (
    ModelFormatError,
    PickleRefusedError,
    is_gguf_file,
    is_pickle_file,
    read_safetensors_header,
    refuse_pickle,
    safe_torch_load,
)
from genloom.sdk.models import ModelRef


def _write_safetensors(path: Path, header: dict, data: bytes = b"") -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def test_header_of_a_file_written_by_the_safetensors_library(tmp_path):
    import torch
    from safetensors.torch import save_file

    save_file({"a.weight": torch.zeros(2, 3)}, tmp_path / "a.safetensors", metadata={"licence": "mit"})
    header = read_safetensors_header(tmp_path / "a.safetensors")
    assert header["a.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["__metadata__"] == {"licence": "mit"}


def test_a_file_shorter_than_the_length_prefix_is_refused(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"abc")
    with pytest.raises(ModelFormatError, match="3 bytes long"):
        read_safetensors_header(tmp_path / "x.safetensors")


def test_a_header_length_beyond_the_file_is_called_truncated(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(struct.pack("<Q", 5000) + b"{}")
    with pytest.raises(ModelFormatError, match="claims 5000 bytes.*truncated"):
        read_safetensors_header(tmp_path / "x.safetensors")


def test_a_huge_header_length_is_refused_without_reading_it(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(struct.pack("<Q", 2**40) + b"{}")
    with pytest.raises(ModelFormatError, match="limit"):
        read_safetensors_header(tmp_path / "x.safetensors")


def test_a_header_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(struct.pack("<Q", 4) + b"nope")
    with pytest.raises(ModelFormatError, match="not JSON"):
        read_safetensors_header(tmp_path / "x.safetensors")


def test_tensor_offsets_outside_the_data_are_refused(tmp_path):
    path = _write_safetensors(tmp_path / "x.safetensors",
                              {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8)
    with pytest.raises(ModelFormatError, match="outside the file's 8 bytes"):
        read_safetensors_header(path)


def test_tensor_size_must_match_its_offsets(tmp_path):
    path = _write_safetensors(tmp_path / "x.safetensors",
                              {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}, b"\0" * 16)
    with pytest.raises(ModelFormatError, match="needs 12 bytes"):
        read_safetensors_header(path)


@pytest.mark.parametrize("name", ["m.ckpt", "m.pt", "m.pth", "m.bin", "m.pkl", "M.CKPT"])
def test_pickle_suffixes_are_pickle_whatever_they_hold(tmp_path, name):
    (tmp_path / name).write_bytes(b"anything")
    assert is_pickle_file(tmp_path / name)


def test_a_pickle_without_a_pickle_suffix_is_found_by_its_first_bytes(tmp_path):
    import pickle

    (tmp_path / "weights.dat").write_bytes(pickle.dumps({"a": 1}, protocol=4))
    assert is_pickle_file(tmp_path / "weights.dat")


def test_a_torch_zip_without_a_pickle_suffix_is_pickle(tmp_path):
    import torch

    torch.save({"a": torch.zeros(1)}, tmp_path / "weights.model")
    assert is_pickle_file(tmp_path / "weights.model")


def test_safetensors_and_gguf_are_not_pickle(tmp_path):
    path = _write_safetensors(tmp_path / "x.safetensors", {})
    (tmp_path / "m.gguf").write_bytes(b"GGUF" + b"\0" * 20)
    assert not is_pickle_file(path)
    assert not is_pickle_file(tmp_path / "m.gguf")
    assert is_gguf_file(tmp_path / "m.gguf")


def test_refusing_a_pickle_explains_the_risk_and_the_command_that_allows_it(tmp_path):
    (tmp_path / "m.ckpt").write_bytes(b"x")
    with pytest.raises(PickleRefusedError) as caught:
        refuse_pickle(tmp_path / "m.ckpt", allowed=False)
    message = str(caught.value)
    assert "can run any code" in message
    assert f"genloom models allow-pickle {tmp_path / 'm.ckpt'}" in message
    assert caught.value.path == tmp_path / "m.ckpt"


def test_an_allowed_pickle_and_a_safetensors_file_pass(tmp_path):
    (tmp_path / "m.ckpt").write_bytes(b"x")
    refuse_pickle(tmp_path / "m.ckpt", allowed=True)
    refuse_pickle(_write_safetensors(tmp_path / "x.safetensors", {}), allowed=False)


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_weights_only_loading_refuses_a_malicious_pickle_and_runs_nothing(tmp_path):
    import torch

    marker = tmp_path / "PWNED"
    torch.save({"state_dict": _RunsCode(marker)}, tmp_path / "evil.ckpt")
    with pytest.raises(PickleRefusedError, match="Nothing in the file was run") as caught:
        safe_torch_load(tmp_path / "evil.ckpt")
    assert "weights_only` set to `False`" not in str(caught.value)
    assert not marker.exists()


def test_weights_only_loading_opens_plain_tensors(tmp_path):
    import torch

    torch.save({"w": torch.ones(2)}, tmp_path / "ok.pt")
    assert safe_torch_load(tmp_path / "ok.pt")["w"].tolist() == [1.0, 1.0]


def test_model_ref_carries_allow_pickle_through_a_dict():
    ref = ModelRef(id="m", path="/x.ckpt", allow_pickle=True)
    assert ref.to_dict()["allow_pickle"] is True
    assert ModelRef.from_dict(ref.to_dict()) == ref
    assert ModelRef.from_dict({"id": "old"}).allow_pickle is False
