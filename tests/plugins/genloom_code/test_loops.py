"""Code completion does not loop: it ends with its block and never repeats an 8-token run
(the bundled model used to write one doctest line until the token limit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloom.sdk import ModelRef, Request, RunState
from genloom.sdk.lm.onnx_backend import repeated_ngram_ends
from genloom.sdk.lm.streaming import TokenStream
from genloom_code.code_generators import inside_block
from genloom_code.plugin import BUNDLED_ID


def _loops(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return any(lines[i] == lines[i + 1] == lines[i + 2] for i in range(len(lines) - 2))


class _Chars:
    """A tokenizer whose tokens are characters (enough for the stream's text handling)."""

    def decode(self, ids, skip_special_tokens=True, clean_up_tokenization_spaces=False):
        return "".join(chr(i) for i in ids)


def _stream(text: str, stop_at_top_level: bool) -> TokenStream:
    stream = TokenStream(_Chars(), (), lambda piece, tokens: None, stop_at_top_level=stop_at_top_level)
    for char in text:
        if stream.push(ord(char)):
            break
    stream.finish("max_tokens")
    return stream


def test_a_completion_inside_a_block_ends_where_the_code_returns_to_the_first_column():
    body = "    if n < 2:\n        return n\n\n    return fib(n - 1) + fib(n - 2)\n\n\n"
    stream = _stream(body + "def unrelated():\n    pass\n", stop_at_top_level=True)
    assert stream.text == body and stream.stop_reason == "stop_sequence"
    assert _stream(body + "def unrelated():\n", stop_at_top_level=False).text.endswith("def unrelated():\n")


@pytest.mark.parametrize("code, inside", [
    ("def fibonacci(n):\n", True), ("class Stack:\n    def __init__(self):\n", True),
    ("def is_prime(n):\n    ", True), ("import os\n", False), ("x = 1\n\n", False), ("", False),
])
def test_the_block_stop_applies_only_when_the_prompt_ends_inside_a_block(code, inside):
    assert inside_block(code) is inside


def test_no_repeat_ngram_bans_exactly_the_tokens_that_would_repeat_a_run():
    seen = [5, 6, 7, 8, 5, 6, 7]
    assert repeated_ngram_ends(seen, 4) == [8]       # 5 6 7 -> 8 was written once already
    assert repeated_ngram_ends(seen, 5) == []        # 8 5 6 7 has not been seen before
    assert repeated_ngram_ends(seen, 0) == []


@pytest.mark.parametrize("backend", ["torch", "onnx"])
def test_the_bundled_model_completes_fibonacci_without_a_loop(code_plugins, tmp_path, backend):
    spec = code_plugins.generator("code.complete")
    assert spec.param("no_repeat_ngram_size").default == 8
    assert spec.param("stop_at_top_level").default is True
    model: ModelRef = code_plugins.models[BUNDLED_ID].to_ref()
    generator = spec.factory()
    generator.load(model, "cpu", "float32")
    try:
        for seed in range(4):
            params = spec.validate_params({"prompt": "def fibonacci(n):\n", "backend": backend})
            out_dir = Path(tmp_path / f"{backend}-{seed}")
            out_dir.mkdir()
            (out,) = generator.run(Request(spec.id, params, seed, model=model, output_dir=out_dir), RunState())
            completion = out.metadata["completion"]
            assert not _loops(completion), (seed, completion)
    finally:
        generator.unload()
