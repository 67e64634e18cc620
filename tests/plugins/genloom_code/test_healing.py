"""Token healing on the bundled code model: a prompt ending in a newline gets a body.

The bundled tokenizer merges a newline with the next line's indentation, so without
healing a prompt ending in ``":\\n"`` ends on a token the model has rarely seen followed by
an indented line."""

from __future__ import annotations

from genloom_code.plugin import BUNDLED_ID


def test_a_newline_prompt_is_healed_and_the_body_is_indented(runner, code_plugins):
    run = runner("code.complete", code_plugins.models[BUNDLED_ID].to_ref())
    prompt = "def fibonacci(n):\n"
    (out,), state = run.run(prompt=prompt, max_new_tokens=24, temperature=0.0)
    assert out.metadata["token_healing"] == "\n"
    assert out.text.startswith(prompt)
    completion = out.metadata["completion"]
    assert "".join(r.partial_text for r in state.reports) == completion
    assert completion.startswith((" ", "\t")), repr(completion)  # the function's body
    assert out.metadata["generated_tokens"] >= 5


def test_onnx_and_torch_agree_on_a_healed_greedy_completion(runner, code_plugins):
    run = runner("code.complete", code_plugins.models[BUNDLED_ID].to_ref())
    params = {"prompt": "class Stack:\n    def __init__(self):\n", "max_new_tokens": 16,
              "temperature": 0.0}
    texts = [run.run(backend=b, **params)[0][0].text for b in ("torch", "onnx")]
    assert texts[0] == texts[1]
