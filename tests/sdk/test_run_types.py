"""Outputs and run state, the objects a generator hands back."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from genloom.sdk import CancelledError, Output, RunState


def test_text_output_becomes_utf8_bytes_with_a_suffix():
    out = Output(kind="text", text="héllo")
    assert out.data == "héllo".encode()
    assert out.suffix == ".txt"
    assert Output(kind="code", text="x = 1").suffix == ".py"


def test_output_needs_exactly_one_source_and_a_suffix():
    with pytest.raises(ValueError, match="exactly one of data, path or text"):
        Output(kind="image")
    with pytest.raises(ValueError, match="give a file suffix"):
        Output(kind="image", data=b"x")
    with pytest.raises(ValueError, match="output kind 'picture'"):
        Output(kind="picture", data=b"x", suffix=".png")


def test_progress_encodes_pil_previews_as_small_jpegs():
    state = RunState()
    state.progress(1, 4, "step", preview=Image.new("RGB", (1024, 512), "red"))
    preview = Image.open(io.BytesIO(state.reports[0].preview))
    assert preview.format == "JPEG"
    assert max(preview.size) == 256


def test_cancel_flag_and_raise():
    state = RunState()
    state.raise_if_cancelled()
    state.cancel()
    assert state.cancelled
    with pytest.raises(CancelledError):
        state.raise_if_cancelled()
