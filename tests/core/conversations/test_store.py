"""The conversation store on a real project database: trees, branches, search, export,
deletion, the migration, and what survives a restart."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from genloom.core.conversations import (
    ConversationError,
    ConversationNotFoundError,
    MessageNotFoundError,
    to_json,
    to_markdown,
)
from genloom.core.project import Project
from genloom.core.project.migrations import MIGRATIONS, _conversations, migrate, user_version


def _chain(store, conversation_id, parent, *items):
    out = []
    for role, text in items:
        message = store.add_message(conversation_id, parent, role, text)
        out.append(message)
        parent = message.id
    return out


def test_thread_follows_the_chosen_branch_and_the_choice_survives_a_restart(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "p")
    store = project.conversations
    conversation = store.create(settings={"generator": "text.chat", "params": {"temperature": 0}})
    system, user, first = _chain(store, conversation.id, None, ("system", "Be brief."),
                                 ("user", "What is a loom?"), ("assistant", "A frame for weaving."))
    second = store.add_message(conversation.id, user.id, "assistant", "A weaving machine.")
    follow = store.add_message(conversation.id, second.id, "user", "Who invented it?")
    assert [m.id for m in store.thread(conversation.id)] == [system.id, user.id, second.id,
                                                             follow.id]
    assert [m.id for m in store.siblings(first.id)] == [first.id, second.id]
    store.choose(first.id)
    assert [m.id for m in store.thread(conversation.id)] == [system.id, user.id, first.id]
    project.close()

    with Project.open(tmp_path / "p") as again:
        store = again.conversations
        assert [m.content for m in store.thread(conversation.id)] == [
            "Be brief.", "What is a loom?", "A frame for weaving."]
        assert len(store.messages(conversation.id)) == 5
        assert store.get(conversation.id).title == "What is a loom?"
        assert store.get(conversation.id).settings["params"] == {"temperature": 0}
        store.choose(follow.id)  # the deeper branch again, through its parent
        assert store.thread(conversation.id)[-1].id == follow.id


def test_search_finds_conversations_by_message_and_title(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        store = project.conversations
        one = store.create("Weaving notes")
        _chain(store, one.id, None, ("user", "Tell me about the jacquard loom"),
               ("assistant", "Punched cards select the warp threads."))
        two = store.create()
        _chain(store, two.id, None, ("user", "Recipe for bread"))
        hits = store.search("warp")
        assert [h.conversation.id for h in hits] == [one.id]
        assert hits[0].message.content.startswith("Punched")
        assert [h.conversation.id for h in store.search("weaving")] == [one.id]
        store.rename(two.id, "Baking weekend")
        assert [h.conversation.id for h in store.search("bakin")] == [two.id]
        assert store.search('"(*') == []  # FTS syntax is just text
        with pytest.raises(ConversationError, match="cannot be empty"):
            store.rename(two.id, "   ")


def test_deleting_a_conversation_keeps_every_asset(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        store = project.conversations
        answer_asset = project.add_asset(b"An answer.", kind="text", suffix=".txt")
        other = project.add_asset(b"unrelated", kind="text", suffix=".txt")
        conversation = store.create()
        user, answer = _chain(store, conversation.id, None, ("user", "Q"), ("assistant", ""))
        with project._db.transaction() as conn:  # as settling links an answer to its asset
            conn.execute("UPDATE messages SET asset_id = ? WHERE id = ?",
                         (answer_asset.id, answer.id))
        store.delete(conversation.id)
        with pytest.raises(ConversationNotFoundError):
            store.get(conversation.id)
        with pytest.raises(MessageNotFoundError):
            store.message(user.id)
        assert {a.id for a in project.list_assets()} == {answer_asset.id, other.id}
        assert project.search("answer")[0].id == answer_asset.id
        assert store.search("Q") == []


def test_deleting_an_answers_asset_keeps_the_message_text(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        store = project.conversations
        asset = project.add_asset(b"kept text", kind="text", suffix=".txt")
        conversation = store.create()
        (answer,) = _chain(store, conversation.id, None, ("assistant", "kept text"))
        with project._db.transaction() as conn:
            conn.execute("UPDATE messages SET asset_id = ? WHERE id = ?", (asset.id, answer.id))
        project.delete_asset(asset.id)
        message = store.message(answer.id)
        assert message.asset_id is None and message.content == "kept text"


def test_export_markdown_shows_the_thread_and_json_the_whole_tree(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        store = project.conversations
        conversation = store.create("Loom")
        _system, user, first = _chain(store, conversation.id, None, ("system", "Be brief."),
                                      ("user", "Hi"), ("assistant", "Hello."))
        second = store.add_message(conversation.id, user.id, "assistant", "Good day.",
                                   info={"seed": 42})
        markdown = to_markdown(store, conversation.id)
        assert markdown.startswith("# Loom\n")
        assert "## System\n\nBe brief." in markdown and "## User\n\nHi" in markdown
        assert "Good day." in markdown and "Hello." not in markdown and "seed 42" in markdown
        data = json.loads(json.dumps(to_json(store, conversation.id)))
        assert data["thread"] == [m.id for m in store.thread(conversation.id)]
        by_id = {m["id"]: m for m in data["messages"]}
        assert by_id[first.id]["parent_id"] == by_id[second.id]["parent_id"] == user.id
        assert len(data["messages"]) == 4


def test_bad_input_is_refused_without_a_row(tmp_path: Path) -> None:
    with Project.create(tmp_path / "p") as project:
        store = project.conversations
        one, two = store.create(), store.create()
        (message,) = _chain(store, one.id, None, ("user", "in one"))
        with pytest.raises(MessageNotFoundError):  # a parent from another conversation
            store.add_message(two.id, message.id, "user", "x")
        with pytest.raises(ConversationError, match="not a message role"):
            store.add_message(two.id, None, "tool", "x")
        with pytest.raises(ConversationNotFoundError):
            store.get(10**30)
        assert store.messages(two.id) == []


def test_the_conversations_migration_adds_its_tables_to_an_older_project(tmp_path: Path) -> None:
    index = MIGRATIONS.index(_conversations)
    conn = sqlite3.connect(tmp_path / "genloom.db", isolation_level=None)
    migrate(conn, tmp_path, target=index)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "conversations" not in tables and "assets" in tables
    conn.execute("INSERT INTO meta (key, value) VALUES ('name', 'old')")
    conn.close()
    with Project.open(tmp_path) as project:
        assert user_version(project._db.connection()) >= index + 1
        conversation = project.conversations.create("after the migration")
        project.conversations.add_message(conversation.id, None, "user", "still works")
    with Project.open(tmp_path) as project:
        assert project.conversations.thread(conversation.id)[0].content == "still works"
