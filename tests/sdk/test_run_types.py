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


def test_an_output_title_is_one_line_of_text_of_bounded_length():
    from genloom.sdk.run import TITLE_MAX, check_title, fit_title

    # fit_title makes anything a title check_title accepts
    assert fit_title("  a\nb\t\x00c   d ") == "a b c d"
    long = fit_title("word " * 100)
    assert len(long) == TITLE_MAX and long.endswith("…") and check_title(long) == long
    assert fit_title("x" * TITLE_MAX) == "x" * TITLE_MAX

    assert Output(kind="text", text="x").title == ""
    assert Output(kind="text", text="x", title="  Genloom reel in D major ").title == "Genloom reel in D major"
    assert Output(kind="text", text="x", title="y" * TITLE_MAX).title == "y" * TITLE_MAX
    with pytest.raises(ValueError, match="line break or control character"):
        Output(kind="text", text="x", title="first\nsecond")
    with pytest.raises(ValueError, match=f"keep it to {TITLE_MAX} or fewer"):
        Output(kind="text", text="x", title="y" * (TITLE_MAX + 1))
    with pytest.raises(ValueError, match="not text"):
        Output(kind="text", text="x", title=5)


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
