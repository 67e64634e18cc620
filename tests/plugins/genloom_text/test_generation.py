"""Completion and chat on tiny random Llama and GPT-2 models loaded as user models."""

from __future__ import annotations

import pytest

from genloom.sdk import ParameterError, RunState
from genloom.testing import check_generator


def test_tokens_stream_in_order_and_add_up_to_the_output(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    (out,), state = run.run(prompt="The plugin", max_new_tokens=12, temperature=1.0)
    streamed = "".join(r.partial_text for r in state.reports)
    assert out.text == "The plugin" + streamed
    assert streamed == out.metadata["completion"]
    steps = [r.step for r in state.reports]
    assert steps == sorted(steps) and steps[-1] == out.metadata["generated_tokens"]
    assert all(r.total == 12 for r in state.reports)


def test_max_new_tokens_is_honoured(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    (out,), _ = run.run(prompt="A", max_new_tokens=7, temperature=0.0, repetition_penalty=1.0)
    assert out.metadata["generated_tokens"] <= 7
    if out.metadata["stop_reason"] == "max_tokens":
        assert out.metadata["generated_tokens"] == 7


def test_stop_sequence_ends_the_text_before_it_and_is_never_streamed(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    # The tiny model's tokenizer is trained on the repo's own text, so which seed gives a
    # long enough free completion changes with that text: take the first seed that does.
    for seed in range(3, 60):
        (free,), _ = run.run(prompt="Genloom", max_new_tokens=40, temperature=1.0, seed=seed)
        completion = free.metadata["completion"]
        if len(completion) > 12:
            break
    assert len(completion) > 12, completion
    stop = completion[8:11]
    expected = completion[:completion.index(stop)]
    (out,), state = run.run(prompt="Genloom", max_new_tokens=40, temperature=1.0, seed=seed,
                            stop=stop.replace("\\", "\\\\").replace("\n", "\\n"))
    assert out.metadata["completion"] == expected
    assert out.metadata["stop_reason"] == "stop_sequence"
    assert "".join(r.partial_text for r in state.reports) == expected


def test_same_seed_gives_the_same_text_and_another_seed_another(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    first = run.run(seed=11, prompt="Seeds", max_new_tokens=20, temperature=1.0)[0][0].text
    again = run.run(seed=11, prompt="Seeds", max_new_tokens=20, temperature=1.0)[0][0].text
    other = run.run(seed=12, prompt="Seeds", max_new_tokens=20, temperature=1.0)[0][0].text
    assert first == again
    assert first != other


def test_several_seeds_make_one_text_each_as_that_seed_alone(runner, tiny_llama):
    run = runner("text.complete", tiny_llama)
    outs, state = run.run(seed=5, seeds=(5, 6), prompt="V", max_new_tokens=10, temperature=1.0)
    assert [o.metadata["seed"] for o in outs] == [5, 6]
    single = run.run(seed=6, prompt="V", max_new_tokens=10, temperature=1.0)[0][0]
    assert outs[1].text == single.text
    steps = [r.step for r in state.reports]
    assert steps == sorted(steps) and max(steps) <= 20


def test_cancel_mid_stream_stops_within_one_token_and_keeps_the_partial_text(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    seen = []

    def report(progress):
        seen.append(progress)
        if progress.step >= 5:
            state.cancel()

    state = RunState(report=report)
    (out,), _ = run.run(prompt="Cancel", max_new_tokens=60, temperature=0.0,
                        repetition_penalty=1.0, state=state)
    if out.metadata["stop_reason"] == "eos":
        pytest.skip("the random model ended before the cancel")
    assert out.partial
    assert out.metadata["stop_reason"] == "cancelled"
    assert out.metadata["generated_tokens"] == 5
    assert out.text == "Cancel" + "".join(p.partial_text for p in seen)


def test_chat_uses_the_models_template_and_falls_back_without_one(runner, tiny_llama, tiny_gpt2):
    llama = runner("text.chat", tiny_llama)
    request = llama.request(prompt="Hello", system_prompt="Be brief", max_new_tokens=20,
                            conversation='[{"role": "user", "content": "Hi"}, '
                                         '{"role": "assistant", "content": "Yes?"}]')
    prompt = llama.generator.prompt(request)
    assert prompt.text == ("<|system|>Be brief\n<|user|>Hi\n<|assistant|>Yes?\n<|user|>Hello\n"
                           "<|assistant|>")
    (out,), _ = llama.run(prompt="Hello", max_new_tokens=5)
    assert out.metadata["chat_template"] == "model"
    gpt2 = runner("text.chat", tiny_gpt2)
    prompt = gpt2.generator.prompt(gpt2.request(prompt="Hello"))
    assert prompt.text == "User: Hello\nAssistant:"
    assert prompt.metadata["chat_template"] == "fallback"


def test_bad_conversation_is_refused_naming_the_parameter(runner, tiny_llama):
    run = runner("text.chat", tiny_llama)
    with pytest.raises(ParameterError, match="conversation"):
        run.run(prompt="x", conversation="[{'role': 'user'}]")
    with pytest.raises(ParameterError, match="role"):
        run.run(prompt="x", conversation='[{"role": "robot", "content": "x"}]')


def test_a_request_longer_than_the_context_is_refused_not_truncated(runner, tiny_gpt2):
    run = runner("text.complete", tiny_gpt2)  # context 128
    with pytest.raises(ParameterError, match="max_new_tokens: 200 with the prompt's .* tokens "
                                             "exceeds the model's context of 128"):
        run.run(prompt="Hello", max_new_tokens=200)


@pytest.mark.parametrize("generator_id, params", [
    ("text.complete", {"prompt": "Once", "max_new_tokens": 8}),
    ("text.chat", {"prompt": "Hi", "max_new_tokens": 8}),
])
def test_generators_pass_the_conformance_suite(text_plugins, tiny_llama, tmp_path,
                                               generator_id, params):
    report = check_generator(text_plugins.generator(generator_id), params, model=tiny_llama,
                             workdir=tmp_path)
    assert report.deterministic and report.cancel_honoured
