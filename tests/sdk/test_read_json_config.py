"""sdk.formats.read_json_config: the one reader of a model folder's JSON configs (plugins identify with it)."""

from __future__ import annotations

import json

from genloom.sdk.formats import read_json_config


def test_an_object_is_read(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}), encoding="utf-8")
    assert read_json_config(tmp_path / "config.json") == {"model_type": "llama"}


def test_anything_else_is_none_not_an_error(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "folder.json").mkdir()
    for name in ("list.json", "broken.json", "binary.json", "folder.json", "missing.json"):
        assert read_json_config(tmp_path / name) is None, name


def test_a_config_over_the_size_limit_is_not_read(tmp_path):
    big = tmp_path / "config.json"
    big.write_text(json.dumps({"pad": "x" * 2000}), encoding="utf-8")
    assert read_json_config(big, max_bytes=1000) is None
    assert read_json_config(big, max_bytes=10_000) is not None
