"""Code completion and fill-in-the-middle on tiny random models loaded as user models."""

from __future__ import annotations

import pytest

from genloom.sdk import InputError, ParameterError
from genloom.testing import check_generator


def test_completion_returns_code_with_language_suffix_and_check(runner, tiny_llama):
    run = runner("code.complete", tiny_llama)
    (out,), state = run.run(prompt="def f(x):\n", max_new_tokens=10, language="python")
    assert out.kind == "code" and out.suffix == ".py"
    assert out.text == "def f(x):\n" + out.metadata["completion"]
    assert out.metadata["language"] == "python"
    assert out.metadata["syntax"] in ("ok", "error")
    if out.metadata["syntax"] == "error":
        assert state.reports[-1].message == out.metadata["check_message"]
    (js,), _ = run.run(prompt="function f() {", max_new_tokens=4, language="javascript")
    assert js.suffix == ".js" and js.metadata["syntax"] == "unchecked"


def test_infill_builds_a_psm_prompt_and_returns_prefix_middle_suffix(runner, tiny_fim_llama):
    run = runner("code.infill", tiny_fim_llama)
    request = run.request(prompt="def add(a, b):\n", suffix="\n\nprint(add(1, 2))\n")
    prompt = run.generator.prompt(request)
    assert prompt.text == "<fim_prefix>def add(a, b):\n<fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>"
    tokens = run.generator.tokenizer.convert_ids_to_tokens(prompt.ids)
    assert tokens[0] == "<fim_prefix>" and tokens[-1] == "<fim_middle>"
    (out,), state = run.run(prompt="def add(a, b):\n", suffix="\n\nprint(add(1, 2))\n",
                            max_new_tokens=8)
    middle = out.metadata["middle"]
    assert out.text == "def add(a, b):\n" + middle + "\n\nprint(add(1, 2))\n"
    assert "".join(r.partial_text for r in state.reports) == middle


def test_infill_refuses_a_model_without_fim_tokens(runner, tiny_llama):
    run = runner("code.infill", tiny_llama)
    with pytest.raises(InputError, match="cannot fill in the middle: its tokenizer has no FIM tokens"):
        run.run(prompt="a = 1\n", suffix="b = 2\n")


def test_infill_needs_a_prefix_or_a_suffix(runner, tiny_fim_llama):
    run = runner("code.infill", tiny_fim_llama)
    with pytest.raises(ParameterError, match="prompt"):
        run.run(prompt="", suffix="")


@pytest.mark.parametrize("generator_id, params", [
    ("code.complete", {"prompt": "import os\n", "max_new_tokens": 6}),
    ("code.infill", {"prompt": "x = 1\n", "suffix": "print(x)\n", "max_new_tokens": 6}),
])
def test_generators_pass_the_conformance_suite(code_plugins, tiny_fim_llama, tmp_path,
                                               generator_id, params):
    report = check_generator(code_plugins.generator(generator_id), params, model=tiny_fim_llama,
                             workdir=tmp_path)
    assert report.deterministic and report.cancel_honoured
