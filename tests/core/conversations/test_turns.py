"""Conversation turns as real jobs: the bundled text model in a real worker process."""

from __future__ import annotations

import json

import pytest

from genloom.core.conversations import (
    ChatTurns,
    ConversationError,
    code_blocks,
    context_usage,
    save_code_block,
)
from genloom.core.project import Project


@pytest.fixture
def plugins(genloom_plugins):
    return genloom_plugins(modules=["genloom_text.plugin", "genloom_code.plugin"])


def _answer(engine, store, message):
    engine.wait([message.job_id], timeout=180)
    store.settle_job(message.job_id)  # settled already by the engine's thread, or now
    return store.message(message.id)


SETTINGS = {"generator": "text.chat", "model": "text.fortune-llama",
            "params": {"max_new_tokens": 24, "temperature": 0.9}}


def test_turns_record_recipes_seeds_branches_and_lineage_and_survive_a_restart(
        plugins, genloom_project, genloom_engine):
    engine = genloom_engine(plugins)
    project: Project = genloom_project
    turns = ChatTurns(engine)
    store = project.conversations
    conversation = store.create(settings=SETTINGS)
    turns.set_system_prompt(conversation.id, "You tell fortunes.")
    first = _answer(engine, store, turns.send(conversation.id, "What does today hold?"))
    assert first.state == "done", first.error
    asset = project.get_asset(first.asset_id)
    assert project.asset_path(asset).read_text() == first.content
    recipe = asset.recipe
    assert recipe["generator"]["id"] == "text.chat" and recipe["model"]["id"] == "text.fortune-llama"
    assert recipe["params"]["prompt"] == "What does today hold?"
    assert recipe["params"]["system_prompt"] == "You tell fortunes."
    assert recipe["seed"] == first.info["seed"]
    assert first.info["prompt_tokens"] > 0 and first.info["context_length"] == 512

    # The next turn carries the thread, and its answer's lineage holds the answer before it.
    second = _answer(engine, store, turns.send(conversation.id, "And tomorrow?"))
    assert second.state == "done", second.error
    params = project.get_asset(second.asset_id).recipe["params"]
    assert json.loads(params["conversation"]) == [
        {"role": "user", "content": "What does today hold?"},
        {"role": "assistant", "content": first.content}]
    assert [a.id for a in project.parents(second.asset_id)] == [first.asset_id]
    assert project.search("tomorrow")[0].id == second.asset_id  # the question is its prompt

    # Regenerating makes a sibling with its own seed; the thread shows it.
    again = _answer(engine, store, turns.regenerate(second.id))
    assert again.parent_id == second.parent_id and again.info["seed"] != second.info["seed"]
    assert [m.id for m in store.siblings(second.id)] == [second.id, again.id]
    assert store.thread(conversation.id)[-1].id == again.id

    # The recipe of an answer re-runs to the same text.
    (rerun,) = engine.wait([engine.rerun(second.asset_id).id], timeout=180)
    assert project.asset_path(project.get_asset(rerun.asset_ids[0])).read_text() == second.content

    # Editing the first question starts a branch from there.
    edited = _answer(engine, store, turns.edit(first.parent_id, "What does the week hold?"))
    thread = store.thread(conversation.id)
    assert [m.role for m in thread] == ["system", "user", "assistant"]
    assert thread[1].content == "What does the week hold?" and thread[2].id == edited.id
    used, context = context_usage(thread)
    assert used == edited.info["prompt_tokens"] + edited.info["generated_tokens"] and context == 512

    store.choose(again.id)
    path = project.path
    engine.stop()
    project.close()
    with Project.open(path) as reopened:
        thread = reopened.conversations.thread(conversation.id)
        assert [m.id for m in thread][-1] == again.id
        assert [m.content for m in thread][:2] == ["You tell fortunes.", "What does today hold?"]
        assert len(reopened.conversations.messages(conversation.id)) == 8


def test_refused_turn_is_recorded_in_the_thread_and_dropping_is_stated(
        plugins, genloom_project, genloom_engine):
    engine = genloom_engine(plugins)
    turns = ChatTurns(engine)
    store = genloom_project.conversations
    settings = {**SETTINGS, "params": {"max_new_tokens": 480, "temperature": 0.0}}
    conversation = store.create(settings=settings)
    parent = None
    for i in range(6):  # a long history typed in, as an import would
        q = store.add_message(conversation.id, parent, "user", f"Tell me fortune {i} " * 4)
        a = store.add_message(conversation.id, q.id, "assistant", "You will weave. " * 6)
        parent = a.id
    refused = _answer(engine, store, turns.send(conversation.id, "One more?"))
    assert refused.state == "failed" and "context_overflow" in refused.error
    assert "drop_oldest" in refused.error
    store.update_settings(conversation.id, {**settings, "params": {
        **settings["params"], "context_overflow": "drop_oldest"}})
    fitted = _answer(engine, store, turns.regenerate(refused.id))
    assert fitted.state == "done", fitted.error
    assert fitted.info["dropped_messages"] > 0
    assert fitted.info["prompt_tokens"] + 480 <= 512
    with pytest.raises(ConversationError, match="user message"):
        turns.regenerate(store.thread(conversation.id)[-2].id)


def test_continue_and_code_blocks_saved_as_checked_code_assets(
        plugins, genloom_project, genloom_engine):
    engine = genloom_engine(plugins)
    turns = ChatTurns(engine)
    store = genloom_project.conversations
    # A fixed seed: a sampled answer may end (eos) within four tokens, which is no cut to continue.
    conversation = store.create(settings={**SETTINGS, "seed": 7, "params": {"max_new_tokens": 4}})
    cut = _answer(engine, store, turns.send(conversation.id, "Say something long"))
    assert cut.cut_off and cut.info["stop_reason"] == "max_tokens"
    more = _answer(engine, store, turns.continue_answer(cut.id))
    assert more.state == "done" and more.content.startswith(cut.content)
    assert len(more.content) > len(cut.content)
    assert cut.asset_id in [a.id for a in genloom_project.parents(more.asset_id)]

    text = "Here:\n```python\ndef f(:\n    pass\n```\nand\n```py\nx = 1\n```\n"
    bad, good = code_blocks(text)
    jobs = [save_code_block(engine, more.asset_id, block) for block in (bad, good)]
    done = engine.wait([j.id for j in jobs], timeout=60)
    assets = [genloom_project.get_asset(j.asset_ids[0]) for j in done]
    assert [a.kind for a in assets] == ["code", "code"] and assets[1].suffix == ".py"
    assert assets[0].metadata["syntax"] == "error" and assets[0].metadata["syntax_error"]["line"] == 1
    assert assets[1].metadata["syntax"] == "ok"
    assert [p.id for p in genloom_project.parents(assets[1].id)] == [more.asset_id]
