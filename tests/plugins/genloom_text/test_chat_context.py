"""Chat turns that do not fit the model's context: counted exactly with the model's own
tokenizer and chat template, then refused or fitted by leaving out the oldest turns."""

from __future__ import annotations

import json

import pytest

from genloom.sdk import ParameterError


def _turns(count: int) -> list[dict[str, str]]:
    turns = []
    for i in range(count):
        turns.append({"role": "user", "content": f"Question number {i} about the weaving of cloth"})
        turns.append({"role": "assistant", "content": f"Answer {i}: the warp and the weft cross"})
    return turns


def _tokens(tokenizer, messages) -> int:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_too_long_a_conversation_is_refused_by_default_naming_the_choice(runner, tiny_llama):
    run = runner("text.chat", tiny_llama)  # context 256
    with pytest.raises(ParameterError, match="context_overflow.*over the model's context of 256 "
                                             "tokens.*drop_oldest"):
        run.run(prompt="And now?", conversation=json.dumps(_turns(12)), max_new_tokens=40)


def test_drop_oldest_leaves_out_exactly_the_turns_that_do_not_fit(runner, tiny_llama):
    run = runner("text.chat", tiny_llama)
    turns, system, budget = _turns(12), "Answer briefly.", 40
    (out,), _ = run.run(prompt="And now?", system_prompt=system, conversation=json.dumps(turns),
                        max_new_tokens=budget, context_overflow="drop_oldest", temperature=0.0)
    dropped = out.metadata["dropped_messages"]
    assert dropped > 0 and dropped % 2 == 0  # whole turns: a question with its answer
    head = [{"role": "system", "content": system}]
    new = [{"role": "user", "content": "And now?"}]
    kept = head + turns[dropped:] + new
    tokenizer = run.generator.tokenizer
    assert out.metadata["prompt_tokens"] == _tokens(tokenizer, kept)
    assert out.metadata["prompt_tokens"] + budget <= 256 == out.metadata["context_length"]
    # Minimal: keeping one more turn would not have fitted.
    assert _tokens(tokenizer, head + turns[dropped - 2:] + new) + budget > 256
    assert out.metadata["messages"] == len(kept)


def test_a_message_that_cannot_fit_even_alone_is_refused(runner, tiny_llama):
    run = runner("text.chat", tiny_llama)
    with pytest.raises(ParameterError, match="even with every earlier turn left out"):
        run.run(prompt="word " * 300, conversation=json.dumps(_turns(2)), max_new_tokens=10,
                context_overflow="drop_oldest")


def test_continuing_an_answer_starts_from_its_text(runner, tiny_llama):
    run = runner("text.chat", tiny_llama)
    request = run.request(prompt="Hello", answer_prefix="The loom")
    prompt = run.generator.prompt(request)
    assert prompt.text.endswith("<|assistant|>The loom")
    (out,), _ = run.run(prompt="Hello", answer_prefix="The loom", max_new_tokens=6)
    assert out.text.startswith("The loom") and out.metadata["continued_chars"] == 8
