"""Token healing: the prompt's last token is re-chosen by the model, and the output still
starts with the prompt exactly."""

from __future__ import annotations

import pytest

from genloom.sdk import RunState
from genloom.sdk.lm.healing import heal, token_texts
from genloom.sdk.lm.streaming import TokenStream


def _tokenizer(model_ref):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_ref.path)


def test_heal_removes_the_last_token_and_allows_only_tokens_that_extend_it(tiny_model):
    tokenizer = _tokenizer(tiny_model)
    text = "The plugin "  # a trailing space: many tokens start with one
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    healed = heal(tokenizer, text, ids)
    assert healed.ids == ids[:-1]
    assert healed.removed == " "
    texts = token_texts(tokenizer)
    assert ids[-1] in healed.first_allowed  # the original token stays possible
    assert all(texts[i].startswith(healed.removed) for i in healed.first_allowed)
    extending = {i for i, t in enumerate(texts) if t.startswith(healed.removed)}
    assert extending - set(tokenizer.all_special_ids) == set(healed.first_allowed)


def test_heal_leaves_special_tokens_and_empty_prompts_alone(tiny_model):
    tokenizer = _tokenizer(tiny_model)
    texts = token_texts(tokenizer)
    ids = tokenizer("The plugin writes", add_special_tokens=False)["input_ids"]
    if sum(t.startswith(texts[ids[-1]]) for t in texts) == 1:  # nothing else extends it
        assert heal(tokenizer, "The plugin writes", ids).first_allowed is None
    eos = tokenizer.eos_token_id
    assert heal(tokenizer, "", []).first_allowed is None
    healed = heal(tokenizer, "x" + tokenizer.eos_token, [*tokenizer("x")["input_ids"], eos])
    assert healed.first_allowed is None and healed.removed == ""


def test_stream_drops_the_healed_text_even_when_a_character_arrives_in_pieces(tiny_gpt2):
    tokenizer = _tokenizer(tiny_gpt2)
    body = "\n    café 🎉 done"
    ids = tokenizer(body, add_special_tokens=False)["input_ids"]
    pieces: list[str] = []
    stream = TokenStream(tokenizer, (), lambda text, n: pieces.append(text), skip="\n")
    for token in ids:
        stream.push(token)
    assert stream.finish("eos") == body[1:]
    assert "".join(pieces) == body[1:]
    assert all("\ufffd" not in p for p in pieces)


@pytest.mark.parametrize("healing", [True, False])
def test_completion_starts_with_the_prompt_and_streams_what_follows(runner, tiny_model, healing):
    run = runner("text.complete", tiny_model)
    state = RunState()
    (out,), state = run.run(prompt="The plugin ", max_new_tokens=10, temperature=1.0,
                            token_healing=healing, state=state)
    streamed = "".join(r.partial_text for r in state.reports)
    assert out.text == "The plugin " + streamed == "The plugin " + out.metadata["completion"]
    assert bool(out.metadata["token_healing"]) is healing


def test_healed_generation_is_the_same_for_the_same_seed(runner, tiny_model):
    run = runner("text.complete", tiny_model)
    first = run.run(seed=4, prompt="A plugin", max_new_tokens=8, temperature=1.0)[0][0].text
    again = run.run(seed=4, prompt="A plugin", max_new_tokens=8, temperature=1.0)[0][0].text
    assert first == again
